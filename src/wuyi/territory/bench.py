"""``wuyi bench generate``: how fast the synthetic city is written, and how big it gets.

By default it generates into a fresh temporary database of the configured kind, so it never
touches real data: a new SQLite file in a temporary folder, or, when ``DATABASE_URL`` is
PostgreSQL, a new database ``<name>_bench_<pid>`` on the same server, dropped afterwards.
Generation runs in a child ``wuyi`` process (settings are read once per process). With
``--in-place`` it generates into the configured database itself (which must be empty).

Options: ``--residents N`` (default 200000), ``--seed S`` (default 1), ``--in-place``,
``--keep`` (keep the temporary database and say where it is).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from wuyi.core.bench import is_postgres, postgres_database


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _sqlite_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def run(argv: list[str] | None = None, **options) -> dict:
    residents = int(options.get("residents") or 200_000)
    seed = int(options.get("seed") or 1)
    load_before = _load()
    if options.get("in_place"):
        result = _in_place(residents, seed)
    else:
        result = _temporary(residents, seed, keep=bool(options.get("keep")))
    result["machine"] = {
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": _load(),
    }
    return result


def _summary(report: dict, vendor: str, size: int, where: str) -> dict:
    return {
        "database": {"vendor": vendor, "where": where, "size_bytes": size,
                     "size_mb": round(size / 1024 / 1024, 1)},
        "residents": report["residents"],
        "seed": report["seed"],
        "elapsed_s": report["elapsed_s"],
        "cpu_s": report.get("cpu_s"),
        "residents_per_s": report["residents_per_s"],
        "rows": report["rows"],
        "rows_per_s": report["rows_per_s"],
        "index_build_s": report.get("index_build_s"),
        "bytes_per_resident": round(size / report["residents"]) if report["residents"] else None,
        "tables": report["tables"],
    }  # fmt: skip


def _in_place(residents: int, seed: int) -> dict:
    from django.db import connection

    from wuyi.territory import synthetic

    report = synthetic.generate(residents, seed).as_dict()
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        where = settings["NAME"]
    else:
        where = str(settings["NAME"])
        size = _sqlite_size(Path(where))
    return _summary(report, connection.vendor, size, where)


def _wuyi(args: list[str], env: dict) -> str:
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "wuyi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wuyi {' '.join(args)} 失败:\n{done.stderr[-3000:]}")
    return done.stdout


def _temporary(residents: int, seed: int, keep: bool) -> dict:
    configured = os.environ.get("DATABASE_URL", "")
    workdir = Path(tempfile.mkdtemp(prefix="wuyi-bench-generate-"))
    env = {**os.environ, "WUYI_DATA_DIR": str(workdir)}
    generate = ["generate", "--residents", str(residents), "--seed", str(seed), "--json"]
    if is_postgres(configured):
        import psycopg

        try:
            with postgres_database(configured, "bench", keep) as url:
                env["DATABASE_URL"] = url
                _wuyi(["init", "-v", "0"], env)
                report = json.loads(_wuyi(generate, env))
                with psycopg.connect(url) as conn:
                    size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return _summary(report, "postgresql", size, url if keep else "(已删除的临时数据库)")
    path = workdir / "wuyi.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{path}"
    try:
        _wuyi(["init", "-v", "0"], env)
        report = json.loads(_wuyi(generate, env))
        size = _sqlite_size(path)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return _summary(report, "sqlite", size, str(path) if keep else "(已删除的临时文件)")
