"""``wuyi bench results``: importing a lab's result file, and a positive pool's member list.

Two measurements, each in a database made for it (never the configured one):

1. **Result file import.** A temporary database of the configured kind (an SQLite file in
   a temporary folder, or a new PostgreSQL database ``<name>_bench_results_<pid>`` on the
   configured server, dropped afterwards) gets a lab, ``--tubes`` received tubes (default
   100,000) plus a tenth as many for a small file, each with ``--members`` bindings
   (default 10), and two result files in wuyi's format (0.5 % positive, 0.2 % invalid).
   Each file is imported by ``results.apply_results`` in a fresh child process, which
   reports its time and peak RSS; memory is flat when the big file's peak is about the
   small file's. The big file is then uploaded again (nothing changes) and timed.
2. **Positive pool → member list at city scale.** A copy of the 5.4M-resident database
   the city benchmark leaves (``--big``: an SQLite file, default
   ``/tmp/wuyi-city-big/wuyi.sqlite3``, copied with SQLite's backup API; or a
   ``postgres://`` URL, copied with ``CREATE DATABASE … TEMPLATE``; the original is never
   written) gets a round, 20 pooled tubes of 10 random residents each bound through
   ``ingest``, received and reported positive; then ``results.pool_members`` is timed for
   each tube (the list with households, units, buildings, grids and grid workers).
   Skipped, and said so, when that database is not there or has fewer than
   ``--min-residents`` (default 1,000,000).

Options: ``--tubes N``, ``--members M``, ``--big PATH|URL``, ``--min-residents N``,
``--skip-big``, ``--keep``.
Figures are rows/s, milliseconds and megabytes measured in this one run.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wuyi.core.bench import is_postgres, postgres_database

BIG_DEFAULT = "/tmp/wuyi-city-big/wuyi.sqlite3"  # noqa: S108 (where the city bench leaves it)
LAB = "BENCH-LAB"


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _child(step: str, args: list[str], env: dict) -> dict:
    # DEBUG off as in production: with it on, Django keeps the last 9,000 queries' SQL,
    # which for 1,000-barcode IN lists is hundreds of megabytes and hides the real peak.
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "wuyi.testing.bench_results", step, *args],
        env={**env, "DEBUG": "false"},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench results {step} 失败:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(argv: list[str] | None = None, **options) -> dict:
    tubes = int(options.get("tubes") or 100_000)
    members = int(options.get("members") or 10)
    keep = bool(options.get("keep"))
    result: dict = {"load_before": _load()}
    result["import"] = _import_bench(tubes, members, keep)
    if options.get("skip_big"):
        result["positive_pool"] = {"skipped": "--skip-big"}
    else:
        result["positive_pool"] = _members_bench(
            str(options.get("big") or BIG_DEFAULT),
            keep,
            int(options.get("min_residents", 1_000_000)),
        )
    result["machine"] = {"cpus": os.cpu_count(), "load_after": _load()}
    return result


# --- 1. Result file import -----------------------------------------------------------


def _import_bench(tubes: int, members: int, keep: bool) -> dict:
    configured = os.environ.get("DATABASE_URL", "")
    workdir = Path(tempfile.mkdtemp(prefix="wuyi-bench-results-"))
    env = {**os.environ, "WUYI_DATA_DIR": str(workdir)}
    small = max(tubes // 10, 1)
    with contextlib.ExitStack() as stack:
        if is_postgres(configured):
            database = postgres_database(configured, "bench_results", keep)
            env["DATABASE_URL"] = stack.enter_context(database)
            vendor = "postgresql"
        else:
            env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
            vendor = "sqlite"
        try:
            setup = _child("setup", [str(tubes), str(small), str(members), str(workdir)], env)
            small_run = _child("import", [str(workdir / "small.csv")], env)
            big_run = _child("import", [str(workdir / "big.csv")], env)
            again = _child("import", [str(workdir / "big.csv")], env)
        finally:
            if not keep:
                shutil.rmtree(workdir, ignore_errors=True)
    return {
        "database": vendor,
        "setup": setup,
        "small_file": small_run,
        "big_file": big_run,
        "re_upload": again,
        "tubes_per_s": big_run["rows_per_s"],
        "under_30_s": big_run["seconds"] < 30,
        # Flat memory: the 10× larger file needs about the same peak as the small one.
        "peak_rss_ratio_big_to_small": round(big_run["peak_rss_mb"] / small_run["peak_rss_mb"], 3),
        **_flat_without_sqlite(small_run, big_run),
    }


def _flat_without_sqlite(small_run: dict, big_run: dict) -> dict:
    """On SQLite: the import's own memory, big file against small, without SQLite's.

    SQLite's page cache (64 MB) fills as the big file's import touches more of the
    database, which shows in the process's anonymous memory without being the import's.
    """
    if "anon_without_sqlite_mb" not in big_run:
        return {}
    return {
        "anon_without_sqlite_ratio_big_to_small": round(
            big_run["anon_without_sqlite_mb"] / max(small_run["anon_without_sqlite_mb"], 0.1), 3
        )
    }


def _setup(tubes: int, small: int, members: int, workdir: str) -> dict:
    """Tubes received by the bench lab, their bindings, and the two result files."""
    import datetime as dt
    import uuid

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from wuyi.territory.models import Kind
    from wuyi.territory.tree import add_node
    from wuyi.testing.models import Lab, SamplingSite, Scan, TestingRound, Tube
    from wuyi.testing.result_files import write_wuyi_csv

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    district = add_node(Kind.DISTRICT, "小店区", "140105")
    street = add_node(Kind.STREET, "坞城街道", "140105001", district)
    community = add_node(Kind.COMMUNITY, "光华街社区", "140105001001", street)
    today = timezone.localdate()
    rnd = TestingRound.objects.create(
        code="BENCH", name="基准轮次", status="active", start_date=today, end_date=today
    )
    site = SamplingSite.objects.create(
        code="BENCH-S",
        name="基准采样点",
        node=community,
        path=community.path,
        district_code="140105",
    )
    lab = Lab.objects.create(code=LAB, name="基准实验室", district_code="140105")
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    total = tubes + small
    tube_table, scan_table = Tube._meta.db_table, Scan._meta.db_table
    # Plain executemany: the fixture is a million rows and is not what is measured.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {tube_table} (barcode, round_id, site_id, pool_size, capacity, "  # noqa: S608
            "member_count, status, opened_at, sealed_at, lab_id, received_at, path, "
            "district_code) VALUES (%s, %s, %s, 10, 10, %s, 'received', %s, %s, %s, %s, %s, "
            "'140105')",
            [
                (f"B{n:09d}", rnd.pk, site.pk, members, stamp, stamp, lab.pk, stamp, community.path)
                for n in range(total)
            ],
        )
        ids = dict(Tube.objects.values_list("barcode", "id"))
        for start in range(0, total, 10_000):
            cursor.executemany(
                f"INSERT INTO {scan_table} (event_id, kind, outcome, reason, round_id, site_id, "  # noqa: S608
                "tube_id, tube_barcode, id_type, id_number, name, phone, follow_up, "
                "device_time, received_at, path, district_code) VALUES (%s, 'bind', "
                "'accepted', '', %s, %s, %s, %s, 'passport', %s, '基准', '', %s, %s, %s, %s, "
                "'140105')",
                [
                    (
                        uuid.uuid4().hex if connection.vendor == "sqlite" else str(uuid.uuid4()),
                        rnd.pk,
                        site.pk,
                        ids[f"B{n:09d}"],
                        f"B{n:09d}",
                        f"P{n:09d}{m:02d}",
                        True,
                        stamp,
                        stamp,
                        community.path,
                    )
                    for n in range(start, min(start + 10_000, total))
                    for m in range(members)
                ],
            )
    rng = random.Random(1)
    tested = timezone.localtime(now - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")

    def rows(first: int, count: int):
        for n in range(first, first + count):
            pick = rng.random()
            outcome = "positive" if pick < 0.005 else "invalid" if pick < 0.007 else "negative"
            cts = ("28.10", "30.20") if outcome == "positive" else ("", "")
            yield {
                "barcode": f"B{n:09d}",
                "outcome": outcome,
                "ct_orf1ab": cts[0],
                "ct_n": cts[1],
                "tested_at": tested,
                "lab_code": LAB,
            }

    # Planner statistics, as a lab's database in use has them (right after a bulk load
    # PostgreSQL plans with stale guesses until autovacuum's analyze comes round).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with open(Path(workdir) / "big.csv", "w", encoding="utf-8", newline="") as out:
        write_wuyi_csv(rows(0, tubes), out)
    with open(Path(workdir) / "small.csv", "w", encoding="utf-8", newline="") as out:
        write_wuyi_csv(rows(tubes, small), out)
    return {
        "tubes": total,
        "bindings": total * members,
        "seconds": round(time.perf_counter() - started, 2),
        "big_file_mb": round((Path(workdir) / "big.csv").stat().st_size / 1e6, 2),
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_parts() -> dict:
    """Resident memory split: anonymous (Python objects, SQLite's page cache) and file-backed.

    SQLite maps up to 256 MB of the database file (``mmap_size``) and caches 64 MB of pages
    (``cache_size``); both count in RSS and grow with the part of the file touched, not with
    the result file. ``rss_anon_mb`` includes SQLite's page cache; ``anon_without_sqlite_mb``
    (``_memory_without_sqlite``) leaves out what the SQLite library has allocated.
    """
    parts = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("RssAnon", "RssFile"):
                    parts[f"{key[:3].lower()}_{key[3:].lower()}_mb"] = round(
                        int(value.split()[0]) / 1024, 1
                    )
    except OSError:
        pass
    return parts


def _sqlite_memory() -> dict:
    """What the SQLite library has allocated (its page cache mostly), from ``sqlite3_status64``.

    Read through ctypes from the library Python's sqlite3 module is linked to (the same
    loaded copy, so the same counters); empty where that library cannot be found.
    """
    import ctypes
    import ctypes.util

    from django.db import connection

    if connection.vendor != "sqlite":
        return {}
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return {}
    try:
        library = ctypes.CDLL(name)
        current, highest = ctypes.c_int64(), ctypes.c_int64()
        # SQLITE_STATUS_MEMORY_USED = 0; resetFlag = 0.
        if library.sqlite3_status64(0, ctypes.byref(current), ctypes.byref(highest), 0) != 0:
            return {}
    except (OSError, AttributeError):
        return {}
    return {
        "sqlite_memory_mb": round(current.value / 1e6, 1),
        "sqlite_memory_peak_mb": round(highest.value / 1e6, 1),
    }


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _import(path: str) -> dict:
    from wuyi.testing.models import Lab
    from wuyi.testing.result_files import ResultFile
    from wuyi.testing.results import apply_results

    lab = Lab.objects.get(code=LAB)
    before = _peak_rss_mb()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    with open(path, "rb") as stream:
        parsed = ResultFile(stream, Path(path).name)
        report = apply_results(lab, parsed.rows(), source_name=Path(path).name)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    if not report.ok:
        raise RuntimeError(f"基准结果文件被拒绝:{report.as_dict()['errors'][:3]}")
    return {
        "rows": report.rows,
        "applied": report.applied,
        "unchanged": report.unchanged,
        "positive": report.positive,
        "retest_tasks": report.retest_tasks,
        "resample_tasks": report.resample_tasks,
        "seconds": round(seconds, 2),
        "rows_per_s": round(report.rows / seconds) if seconds else None,
        # CPU time of this process: on a machine shared with other work, wall time alone
        # says more about the neighbours than about the import.
        "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_s": round(report.rows / cpu) if cpu else None,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_rss_mb(),
        **_rss_parts(),
        **_memory_without_sqlite(),
    }


def _memory_without_sqlite() -> dict:
    parts, sqlite = _rss_parts(), _sqlite_memory()
    if not sqlite or "rss_anon_mb" not in parts:
        return sqlite
    return {
        **sqlite,
        "anon_without_sqlite_mb": round(parts["rss_anon_mb"] - sqlite["sqlite_memory_mb"], 1),
    }


# --- 2. Positive pool → member list at city scale ------------------------------------


def _members_bench(big: str, keep: bool, min_residents: int = 1_000_000) -> dict:
    """Copy the big city, never writing the original, and time the member list on the copy."""
    if is_postgres(big):
        return _members_bench_postgres(big, keep, min_residents)
    source = Path(big)
    if not source.exists():
        return {"skipped": f"没有找到大库 {big}(由 city 的基准生成)"}
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
            residents = conn.execute("SELECT COUNT(*) FROM people_resident").fetchone()[0]
    except sqlite3.Error as exc:
        return {"skipped": f"大库 {big} 无法读取:{exc}"}
    if residents < min_residents:
        return {"skipped": f"大库 {big} 只有 {residents:,} 名居民(尚未生成完?)"}
    workdir = Path(tempfile.mkdtemp(prefix="wuyi-bench-members-", dir=str(source.parent.parent)))
    copy = workdir / "wuyi.sqlite3"
    try:
        started = time.perf_counter()
        # The online backup API copies a consistent snapshot even if the source is in use.
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src,
            sqlite3.connect(copy) as dst,
        ):
            src.backup(dst)
        copy_seconds = round(time.perf_counter() - started, 1)
        env = {
            **os.environ,
            "WUYI_DATA_DIR": str(workdir),
            "DATABASE_URL": f"sqlite:///{copy}",
        }
        result = _child("members", [], env)
        result.update(database="sqlite", copy_seconds=copy_seconds, residents=residents)
        return result
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _members_bench_postgres(big: str, keep: bool, min_residents: int) -> dict:
    """The same on PostgreSQL: the copy is ``CREATE DATABASE … TEMPLATE`` the big city.

    A template must have no other connections while it is copied; the city benchmark's
    database is idle between runs, and a copy that fails says why.
    """
    import dj_database_url
    import psycopg

    name = dj_database_url.parse(big)["NAME"]
    try:
        with psycopg.connect(big) as conn:
            residents = conn.execute("SELECT COUNT(*) FROM people_resident").fetchone()[0]
    except psycopg.Error as exc:
        return {"skipped": f"大库 {name} 无法读取:{str(exc).strip()}"}
    if residents < min_residents:
        return {"skipped": f"大库 {name} 只有 {residents:,} 名居民(尚未生成完?)"}
    workdir = Path(tempfile.mkdtemp(prefix="wuyi-bench-members-"))
    try:
        with contextlib.ExitStack() as stack:
            started = time.perf_counter()
            try:
                copy = stack.enter_context(postgres_database(big, "members", keep, template=name))
            except psycopg.Error as exc:
                return {"skipped": f"无法复制大库 {name}:{str(exc).strip()}"}
            copy_seconds = round(time.perf_counter() - started, 1)
            env = {**os.environ, "WUYI_DATA_DIR": str(workdir), "DATABASE_URL": copy}
            result = _child("members", [], env)
            result.update(database="postgresql", copy_seconds=copy_seconds, residents=residents)
            return result
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _members() -> dict:
    import statistics
    import uuid

    from django.core.management import call_command
    from django.utils import timezone

    from wuyi.people.models import Resident
    from wuyi.territory.models import Node
    from wuyi.testing.ingest import ingest
    from wuyi.testing.labs import receive_tubes
    from wuyi.testing.models import Lab, RoundSite, SamplingSite, TestingRound
    from wuyi.testing.results import pool_members, record_result

    call_command("migrate", interactive=False, verbosity=0)
    today = timezone.localdate()
    rnd = TestingRound.objects.create(
        code="BENCH-POS", name="基准轮次", status="active", start_date=today, end_date=today
    )
    district = Node.objects.filter(kind="district").order_by("path").first()
    site = SamplingSite.objects.create(
        code="BENCH-POS-S",
        name="基准采样点",
        node=district,
        path=district.path,
        district_code=district.district_code,
    )
    RoundSite.objects.create(round=rnd, site=site)
    lab = Lab.objects.create(code="BENCH-POS-LAB", name="基准实验室", district_code="140105")
    top = Resident.objects.order_by("-pk").values_list("pk", flat=True).first()
    rng = random.Random(5)
    picked: list[str] = []
    while len(picked) < 200:
        token = (
            Resident.objects.filter(pk__gte=rng.randint(1, top))
            .order_by("pk")
            .values_list("code_token", flat=True)
            .first()
        )
        if token and token not in picked:
            picked.append(token)
    barcodes = []
    for t in range(20):
        barcode = f"BENCH-POS-{t:03d}"
        barcodes.append(barcode)
        events = [
            {
                "event_id": str(uuid.uuid4()),
                "round": rnd.code,
                "site": site.code,
                "tube": barcode,
                "token": token,
            }
            for token in picked[t * 10 : t * 10 + 10]
        ]
        answers = ingest(events)
        if any(a.status != "accepted" for a in answers):
            raise RuntimeError(f"绑定失败:{[a.as_dict() for a in answers][:3]}")
    receive_tubes(lab, barcodes)
    flow_ms = []
    for barcode in barcodes:
        started = time.perf_counter()
        report = record_result(lab, barcode, "positive", ct_orf1ab=30, ct_n=31)
        flow_ms.append((time.perf_counter() - started) * 1000)
        if report.retest_tasks != 10:
            raise RuntimeError(f"{barcode} 的复核任务数不对:{report.as_dict()}")
    from wuyi.testing.models import Tube

    list_ms = []
    cpu_ms = []
    listed = with_household = with_building = 0
    for tube in Tube.objects.filter(barcode__in=barcodes).order_by("barcode"):
        started, cpu_started = time.perf_counter(), time.process_time()
        members = pool_members(tube)
        list_ms.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.process_time() - cpu_started) * 1000)
        listed += len(members)
        with_household += sum(1 for m in members if m.household and m.community and m.grid)
        # Village courtyards (村) have households but no building or unit.
        with_building += sum(1 for m in members if m.building and m.unit)
    list_ms.sort()
    return {
        "pools": len(list_ms),
        "members": listed,
        "with_household_community_and_grid": with_household,
        "with_unit_and_building": with_building,
        "member_list_ms": {
            "median": round(statistics.median(list_ms), 2),
            "max": round(max(list_ms), 2),
        },
        # CPU time of the call (SQLite runs in-process): what the machine's load does not add.
        "member_list_cpu_ms": {
            "median": round(statistics.median(cpu_ms), 2),
            "max": round(max(cpu_ms), 2),
        },
        "positive_result_to_retest_tasks_ms": {
            "median": round(statistics.median(flow_ms), 2),
            "max": round(max(flow_ms), 2),
        },
        "under_100_ms": max(list_ms) < 100,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuyi.settings")
    import django

    django.setup()
    step, *rest = sys.argv[1:]
    if step == "setup":
        out = _setup(int(rest[0]), int(rest[1]), int(rest[2]), rest[3])
    elif step == "import":
        out = _import(rest[0])
    elif step == "members":
        out = _members()
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(out, ensure_ascii=False))
