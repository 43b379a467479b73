"""``wuyi bench coverage``: coverage pages at city scale, while ingest is running.

Run it against a scratch database (it refuses a database holding residents it did not
make)::

    WUYI_DATA_DIR=/tmp/b DATABASE_URL=sqlite:////tmp/b/cov.sqlite3 wuyi bench coverage --json
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wuyi_bench_coverage wuyi bench coverage

The first run builds a synthetic city of ``--residents`` people (default 5.4M: 1,500
communities of 1,440 households in 10 buildings × 4 units × 18 floors, five grids each)
and a round in which 93% of them were scanned (one ``Scan`` binding, one 10-in-1 tube per
ten people and one ``Sampled`` marker each, about 5M of each at full size), written in
bulk (COPY on PostgreSQL, executemany in one transaction on SQLite); later runs reuse it.

Then a subprocess runs the real ``testing.ingest`` on batches of 500 of the residents not
yet sampled, for the whole measurement, and this process times, ``--repeat`` times each:

* a grid worker's round view (the HTTP page, scoped, through Django's test client);
* a community office's missed list (the HTTP page);
* the city-wide rollup by district and street from the community tallies, and the
  refresh of the tallies that changed while ingest ran;
* once, for comparison, the same rollup counted live from residents and sampled markers
  (why the tallies exist).

Figures are medians and maxima in milliseconds, plus ingest's bindings/s during the run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from itertools import islice

ROUND_CODE = "BENCH-COV"
HOUSEHOLDS_PER_COMMUNITY = 1440
BUILDINGS, UNITS, FLOORS, DOORS = 10, 4, 18, 2
GRIDS_PER_COMMUNITY = 5
COMMUNITIES_PER_STREET = 15
STREETS_PER_DISTRICT = 10
HOUSEHOLD_SIZES = (2, 3, 2, 1, 4, 3, 2, 3)  # 2.5 people on average
ROUND_START = dt.datetime(2022, 4, 9, 23, 0, tzinfo=dt.UTC)  # 07:00 in Taiyuan
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _bulk(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """Write rows fast: COPY on PostgreSQL, executemany in chunks on SQLite."""
    from django.db import connection

    table = model._meta.db_table
    cols = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'  # noqa: S608 (our names)
            for chunk in _chunks(rows, 20000):
                cursor.executemany(sql, chunk)
                count += len(chunk)
    return count


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def build_city(residents: int, progress=print) -> dict:
    """The synthetic city and round (see the module docstring); returns rows/s per table."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from wuyi.people import id_numbers
    from wuyi.people.models import Resident
    from wuyi.territory.models import Grid, Node
    from wuyi.testing.models import (
        RoundSite,
        RoundStatus,
        RoundZone,
        Sampled,
        SamplingSite,
        Scan,
        TestingRound,
        Tube,
    )

    communities = math.ceil(residents / (HOUSEHOLDS_PER_COMMUNITY * 2.5))
    streets = math.ceil(communities / COMMUNITIES_PER_STREET)
    districts = math.ceil(streets / STREETS_PER_DISTRICT)
    timings: dict[str, dict] = {}

    def timed(name, fn):
        started = time.perf_counter()
        with transaction.atomic():
            n = fn()
        seconds = time.perf_counter() - started
        timings[name] = {"rows": n, "seconds": round(seconds, 1), "rows_per_s": round(n / seconds)}
        progress(f"{name}: {n} rows in {seconds:.1f} s")

    round_ = TestingRound.objects.create(
        code=ROUND_CODE,
        name="基准测试轮次",
        status=RoundStatus.ACTIVE,
        start_date=ROUND_START.date() + dt.timedelta(days=1),
        end_date=ROUND_START.date() + dt.timedelta(days=2),
        min_age_years=3,
    )
    node_id = _next_id(Node)
    grid_id = _next_id(Grid)
    site_id = _next_id(SamplingSite)
    nodes: list[tuple] = []
    grids: list[tuple] = []
    sites: list[tuple] = []
    households: list[tuple[int, str, int, str]] = []  # id, path, grid id, district code
    made = 0
    for d in range(districts):
        dcode = f"{900100 + 100 * d}"
        did = node_id
        node_id += 1
        nodes.append((did, "district", f"基准区{d + 1}", None, dcode, dcode, 0, dcode, None, None))
        for s in range(STREETS_PER_DISTRICT):
            if made >= communities:
                break
            scode = f"{dcode}{s + 1:03d}"
            spath = f"{dcode}.{scode}"
            sid = node_id
            node_id += 1
            nodes.append(
                (sid, "street", f"基准街道{s + 1}", did, scode, spath, 1, dcode, None, None)
            )
            for c in range(COMMUNITIES_PER_STREET):
                if made >= communities:
                    break
                made += 1
                ccode = f"{scode}{c + 1:03d}"
                cpath = f"{spath}.{ccode}"
                cid = node_id
                node_id += 1
                nodes.append(
                    (cid, "community", f"基准社区{c + 1}", sid, ccode, cpath, 2, dcode, None, None)
                )
                sites.append((site_id, f"S{ccode}", f"基准社区{c + 1}采样点", cid, cpath, dcode))
                site_id += 1
                community_grids = []
                for g in range(GRIDS_PER_COMMUNITY):
                    grids.append(
                        (grid_id, cid, f"{ccode}G{g + 1:02d}", f"第{g + 1}网格", cpath, dcode)
                    )
                    community_grids.append(grid_id)
                    grid_id += 1
                kid = node_id
                node_id += 1
                kpath = f"{cpath}.C01"
                nodes.append((kid, "compound", "基准小区", cid, "C01", kpath, 3, dcode, None, None))
                for b in range(BUILDINGS):
                    gid = community_grids[b * GRIDS_PER_COMMUNITY // BUILDINGS]
                    bid = node_id
                    node_id += 1
                    bpath = f"{kpath}.B{b + 1:02d}"
                    nodes.append(
                        (
                            bid,
                            "building",
                            f"{b + 1}号楼",
                            kid,
                            f"B{b + 1:02d}",
                            bpath,
                            4,
                            dcode,
                            None,
                            gid,
                        )
                    )
                    for u in range(UNITS):
                        uid = node_id
                        node_id += 1
                        upath = f"{bpath}.U{u + 1}"
                        nodes.append(
                            (
                                uid,
                                "unit",
                                f"{u + 1}单元",
                                bid,
                                f"U{u + 1}",
                                upath,
                                5,
                                dcode,
                                None,
                                gid,
                            )
                        )
                        for f in range(1, FLOORS + 1):
                            for door in range(1, DOORS + 1):
                                code = f"H{f:02d}{door:02d}"
                                hpath = f"{upath}.{code}"
                                nodes.append(
                                    (
                                        node_id,
                                        "household",
                                        f"{f}{door:02d}",
                                        uid,
                                        code,
                                        hpath,
                                        6,
                                        dcode,
                                        f,
                                        gid,
                                    )
                                )
                                households.append((node_id, hpath, gid, dcode))
                                node_id += 1

    node_columns = [
        "id",
        "kind",
        "name",
        "parent_id",
        "code",
        "path",
        "depth",
        "district_code",
        "floor",
        "grid_id",
    ]
    node_rows = ((*row[:8], row[8], row[9], "", "") for row in nodes)
    timed(
        "grids+nodes",
        lambda: (
            _bulk(Grid, ["id", "community_id", "code", "name", "path", "district_code"], grids)
            + _bulk(Node, [*node_columns, "site_type", "sort_key"], node_rows)
        ),
    )
    timed(
        "sites",
        lambda: _bulk(
            SamplingSite,
            ["id", "node_id", "code", "name", "path", "district_code", "address", "active"],
            ((s[0], s[3], s[1], s[2], s[4], s[5], "", True) for s in sites),
        ),
    )
    RoundZone.objects.bulk_create(
        RoundZone(round=round_, node_id=n[0], path=n[5], district_code=n[7], pool_size=10)
        for n in nodes
        if n[1] == "district"
    )
    RoundSite.objects.bulk_create(
        RoundSite(round=round_, site_id=s[0], pool_size=10) for s in sites
    )
    site_of_community = {s[4]: s[0] for s in sites}

    resident_id = _next_id(Resident)
    scan_id, tube_id, sampled_id = _next_id(Scan), _next_id(Tube), _next_id(Sampled)
    day0 = dt.date(1940, 1, 1)
    created = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    sampled_people: list[tuple] = []  # (resident id, path, grid, district, number, name, at, site)
    count = [0]

    def people():
        i = 0
        for index, (hid, hpath, gid, dcode) in enumerate(households):
            for _ in range(HOUSEHOLD_SIZES[index % len(HOUSEHOLD_SIZES)]):
                if i >= residents:
                    count[0] = i
                    return
                # A bijection of i onto (birth day, sequence) keeps ID numbers unique.
                k = (i * 7919) % 30_000_000
                birth = day0 + dt.timedelta(days=k // 1000)
                gender = "M" if k % 2 else "F"
                number = id_numbers.make(dcode, birth, k % 1000, gender)
                name = (
                    SURNAMES[i % len(SURNAMES)]
                    + GIVEN[(i // 20) % len(GIVEN)]
                    + GIVEN[(i // 480) % len(GIVEN)]
                )
                status = "away" if i % 50 == 7 else "present"
                rid = resident_id + i
                if i % 14 != 0 and status == "present":
                    at = ROUND_START + dt.timedelta(seconds=(i * 2654435761) % 43200)
                    site = site_of_community[hpath[:29]]
                    sampled_people.append((rid, hpath, gid, dcode, number, name, at, site))
                yield (
                    rid,
                    name,
                    "resident_id",
                    number,
                    gender,
                    birth,
                    "",
                    hid,
                    hpath,
                    gid,
                    dcode,
                    status,
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                    f"bench{rid}",
                    created,
                    created,
                )
                i += 1
        count[0] = i

    resident_columns = [
        "id",
        "name",
        "id_type",
        "id_number",
        "gender",
        "birth_date",
        "phone",
        "household_id",
        "path",
        "grid_id",
        "district_code",
        "status",
        "elderly_alone",
        "no_smartphone",
        "bedridden",
        "pregnant",
        "chronic_illness",
        "infant",
        "code_token",
        "created_at",
        "updated_at",
    ]
    timed("residents", lambda: _bulk(Resident, resident_columns, people()))
    i = count[0]

    tubes = []
    for t, start in enumerate(range(0, len(sampled_people), 10)):
        group = sampled_people[start : start + 10]
        at = group[0][6]
        tubes.append(
            (
                tube_id + t,
                f"BCOV{t:09d}",
                round_.pk,
                group[0][7],
                10,
                10,
                len(group),
                "sealed",
                at,
                at,
                group[0][1][:29],
                group[0][3],
            )
        )
    tube_columns = [
        "id",
        "barcode",
        "round_id",
        "site_id",
        "pool_size",
        "capacity",
        "member_count",
        "status",
        "opened_at",
        "sealed_at",
        "path",
        "district_code",
    ]
    timed("tubes", lambda: _bulk(Tube, tube_columns, tubes))
    scan_columns = [
        "id",
        "event_id",
        "kind",
        "outcome",
        "reason",
        "round_id",
        "site_id",
        "tube_id",
        "tube_barcode",
        "resident_id",
        "id_type",
        "id_number",
        "name",
        "phone",
        "follow_up",
        "device_time",
        "received_at",
        "path",
        "grid_id",
        "district_code",
    ]

    pg = connection.vendor == "postgresql"

    def scans():
        for n, (rid, hpath, gid, dcode, number, name, at, site) in enumerate(sampled_people):
            tube = tubes[n // 10]
            event = uuid.UUID(int=scan_id + n)
            yield (
                scan_id + n,
                event if pg else event.hex,
                "bind",
                "accepted",
                "",
                round_.pk,
                site,
                tube[0],
                tube[1],
                rid,
                "resident_id",
                number,
                name,
                "",
                False,
                at,
                at,
                hpath,
                gid,
                dcode,
            )

    timed("scans", lambda: _bulk(Scan, scan_columns, scans()))

    def markers():
        for n, (rid, hpath, gid, dcode, _number, _name, at, _site) in enumerate(sampled_people):
            yield (sampled_id + n, round_.pk, rid, scan_id + n, at, hpath, gid, dcode)

    timed(
        "sampled",
        lambda: _bulk(
            Sampled,
            [
                "id",
                "round_id",
                "resident_id",
                "first_scan_id",
                "sampled_at",
                "path",
                "grid_id",
                "district_code",
            ],
            markers(),
        ),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Grid, Node, SamplingSite, Resident, Tube, Scan, Sampled]
            ):
                cursor.execute(sql)
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"communities": made, "residents": i, "sampled": len(sampled_people), "tables": timings}


class _Clock:
    """Wall-clock and this process's CPU time of each run.

    The CPU time shows what the work itself costs when the machine is shared (a wall-clock
    figure on a 2-core machine with a load of 15 is mostly waiting for a core). On SQLite
    the database works inside this process, so its CPU time is included; PostgreSQL's is
    not (the server is another process), so there only wall-clock counts.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall.append(time.perf_counter() - self._wall)
        self.cpu.append(time.process_time() - self._cpu)

    def figures(self) -> dict:
        return {
            "median_ms": round(1000 * statistics.median(self.wall), 1),
            "max_ms": round(1000 * max(self.wall), 1),
            "cpu_median_ms": round(1000 * statistics.median(self.cpu), 1),
            "runs": len(self.wall),
        }


def ingest_loop(seconds: float) -> dict:
    """Sample not-yet-sampled residents through the real ingest, 500 a batch, for ``seconds``."""
    from django.db.models import Exists, OuterRef

    from wuyi.people.models import Resident
    from wuyi.testing.ingest import ingest
    from wuyi.testing.models import Sampled, SamplingSite, TestingRound

    round_ = TestingRound.objects.get(code=ROUND_CODE)
    deadline = time.perf_counter() + seconds
    sites = list(SamplingSite.objects.filter(code__startswith="S9").values_list("path", "code"))
    site_by_community = dict(sites)
    # The residents still to sample, read once: the feeder must not be what limits ingest.
    pending = list(
        Resident.objects.filter(status="present", district_code__startswith="9")
        # NOT EXISTS: one unique-index probe per row, not a 5M-row NOT IN list.
        .exclude(Exists(Sampled.objects.filter(round=round_, resident=OuterRef("pk"))))
        .order_by("id")
        .values_list("id", "code_token", "path")[:400_000]
    )
    accepted = batches = 0
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    tube = 0
    at = 0
    print("started", flush=True)  # the parent measures once ingest is under way
    while time.perf_counter() < deadline and at < len(pending):
        candidates = pending[at : at + 500]
        at += 500
        events = []
        site = site_by_community[candidates[0][2][:29]]
        for n, (_rid, token, _path) in enumerate(candidates):
            if n % 10 == 0:
                tube += 1
            events.append(
                {
                    "event_id": str(uuid.uuid4()),
                    "type": "bind",
                    "round": ROUND_CODE,
                    "site": site,
                    "tube": f"BING{os.getpid()}{tube:08d}",
                    "token": token,
                }
            )
        answers = ingest(events)
        for answer in answers:
            key = answer.reason or answer.status
            outcomes[key] = outcomes.get(key, 0) + 1
        accepted += sum(a.status == "accepted" for a in answers)
        batches += 1
    elapsed = time.perf_counter() - started
    return {
        "accepted": accepted,
        "outcomes": outcomes,
        "batches": batches,
        "seconds": round(elapsed, 1),
        "bindings_per_s": round(accepted / elapsed) if elapsed else 0,
    }


def measure(repeat: int) -> dict:
    """Time the pages and rollups (this process) while ingest runs (another process)."""
    import random

    from django.test import Client
    from django.urls import reverse

    from wuyi.accounts.models import Grant, Role, User
    from wuyi.coverage import rollup, tallies
    from wuyi.territory.models import Grid, Node
    from wuyi.testing.models import TestingRound

    round_ = TestingRound.objects.get(code=ROUND_CODE)
    rng = random.Random(1)
    grid_ids = list(Grid.objects.filter(code__startswith="9").values_list("id", flat=True))
    community_ids = list(
        Node.objects.filter(kind="community", district_code__startswith="9").values_list(
            "id", flat=True
        )
    )
    tag = uuid.uuid4().hex[:6]

    def client_for(role: str, **scope) -> Client:
        user = User.objects.create(username=f"bench-{role}-{tag}-{uuid.uuid4().hex[:6]}")
        Grant.objects.create(user=user, role=role, **scope)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        return client

    grid_pages, missed_pages, grid_rows, missed_rows = _Clock(), _Clock(), [], []
    for grid_pk in rng.sample(grid_ids, min(repeat, len(grid_ids))):
        grid = Grid.objects.get(pk=grid_pk)
        client = client_for(Role.GRID_WORKER, grid=grid)
        url = reverse("coverage:grid", args=[ROUND_CODE, grid.code])
        with grid_pages:
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        grid_rows.append(response.content.count(b"/households/"))
    for community_pk in rng.sample(community_ids, min(repeat, len(community_ids))):
        community = Node.objects.get(pk=community_pk)
        client = client_for(Role.COMMUNITY_OFFICE, node=community)
        url = reverse("coverage:missed_node", args=[ROUND_CODE, community.pk])
        with missed_pages:
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        missed_rows.append(response.content.count(b"/households/"))

    started = time.perf_counter()
    first_refresh = tallies.refresh_changed(round_)
    first_refresh_s = time.perf_counter() - started
    refreshes, refreshed, rollups = _Clock(), [], _Clock()
    for _ in range(repeat):
        time.sleep(1)  # let ingest add markers, as between two refreshes of a running round
        with refreshes:
            refreshed.append(tallies.refresh_changed(round_))
        with rollups:
            data = tallies.city_rollup(round_)
    live = _Clock()
    live_streets = 0
    with live:
        for district in Node.objects.filter(kind="district", district_code__startswith="9"):
            live_streets += len(rollup.children_tallies(round_, district))
    load = os.getloadavg()[0]
    return {
        "load_average_1min": round(load, 1),
        "grid_round_view": {
            **grid_pages.figures(),
            "households_per_grid": statistics.median(grid_rows),
            "target_ms": 100,
        },
        "community_missed_list": {
            **missed_pages.figures(),
            "missing_per_community": statistics.median(missed_rows),
            "target_ms": 300,
        },
        "city_rollup_from_tallies": {
            **rollups.figures(),
            "districts": len(data["districts"]),
            "streets": len(data["streets"]),
            "target_ms": 1000,
        },
        "tally_refresh_changed": {
            **refreshes.figures(),
            "communities_per_refresh": statistics.median(refreshed),
        },
        "tally_first_full_refresh": {
            "seconds": round(first_refresh_s, 1),
            "communities": first_refresh,
        },
        "city_rollup_live_without_tallies": {
            "seconds": round(live.wall[0], 2),
            "cpu_seconds": round(live.cpu[0], 2),
            "streets": live_streets,
        },
    }


def run(argv: list[str] | None = None, **options) -> dict:
    """Entry point for ``wuyi bench coverage``: build (first time), ingest, measure."""
    from django.conf import settings
    from django.core.management import call_command

    from wuyi.people.models import Resident
    from wuyi.testing.models import TestingRound

    residents = int(options.get("residents") or 5_400_000)
    repeat = int(options.get("repeat") or 5)
    progress = options.get("progress") or (lambda text: print(text, file=sys.stderr))
    call_command("migrate", verbosity=0)
    built = None
    if not TestingRound.objects.filter(code=ROUND_CODE).exists():
        if Resident.objects.exists():
            raise RuntimeError("这个数据库里已有居民:请用一个空的数据库运行 wuyi bench coverage")
        built = build_city(residents, progress)
    if options.get("build_only"):
        return {"built": built}
    ingest_seconds = 60 + 10 * repeat
    env = {**os.environ}
    worker = subprocess.Popen(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "wuyi.coverage.bench", "ingest", str(ingest_seconds)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    worker.stdout.readline()  # "started": the residents to sample are read
    time.sleep(3)  # ingest is under way before the first measurement
    try:
        figures = measure(repeat)
    finally:
        out, _ = worker.communicate(timeout=ingest_seconds + 120)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    ingest_figures = json.loads(lines[-1]) if lines else {"error": "ingest worker printed nothing"}
    database = settings.DATABASES["default"]
    return {
        "database": database["ENGINE"].rsplit(".", 1)[-1],
        "residents": Resident.objects.count(),
        "built": built,
        "ingest_during_measurement": ingest_figures,
        **figures,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuyi.settings")
    import django

    django.setup()
    if sys.argv[1] == "ingest":
        print(json.dumps(ingest_loop(float(sys.argv[2]))))
