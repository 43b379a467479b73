"""``wuyi bench import``: rows/s of importing a register, re-importing it, and exporting it.

It writes a deterministic synthetic register of ``--rows N`` residents (default 200000) in
the export layout (with codes, so it imports into an empty database), then, in a fresh
temporary database of the configured kind (a new SQLite file, or a new PostgreSQL database
``<name>_bench_<pid>`` dropped afterwards), times three child ``wuyi`` processes: the first
``import --commit`` (everything new), the same import again (everything unchanged), and
``export``. Child processes, because settings are read once per process.

Options: ``--rows N``, ``--seed S`` (default 1), ``--keep`` (keep the temporary database
and the files, and say where they are).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wuyi.core.bench import is_postgres, postgres_database
from wuyi.people import id_numbers
from wuyi.people.exporting import EXPORT_HEADER

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强淑珍玉兰"


def write_register(path: Path, rows: int, seed: int) -> None:
    """A register of ``rows`` residents in 20 communities of one street, 4 per household.

    Households are numbered by floor and room in buildings of 100 households; past 120,000
    households per community numbers repeat and households simply grow.
    """
    rnd = random.Random(seed)
    seen: set[str] = set()
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADER)
        while written < rows:
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rnd.randrange(30000))
            gender = rnd.choice("MF")
            number = id_numbers.make("140105", birth, rnd.randrange(1000), gender)
            if number in seen:
                continue
            seen.add(number)
            household = written // 4
            community = household % 20 + 1
            building = household // 20 // 100 % 60 + 1
            room = f"{household // 20 % 25 + 1}{household // 20 // 25 % 4 + 1:02d}"
            name = rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2))))
            cells = {
                "姓名": name,
                "证件类型": "居民身份证",
                "身份证号": number,
                "性别": "男" if gender == "M" else "女",
                "出生日期": birth.isoformat(),
                "手机号": f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}",
                "区县代码": "140105",
                "区": "小店区",
                "街道代码": "140105001",
                "街道": "坞城街道",
                "社区代码": f"140105001{community:03d}",
                "社区": f"第{community}社区",
                "网格": f"第{building // 10 + 1}网格",
                "小区": f"{'幸福和平锦绣'[community % 3 * 2 : community % 3 * 2 + 2]}小区",
                "楼栋": f"{building}号楼",
                "单元": "1单元",
                "门牌号": room,
                "状态": "在住",
                "独居老人": "是" if rnd.random() < 0.03 else "",
            }
            writer.writerow([cells.get(h, "") for h in EXPORT_HEADER])
            written += 1


def _wuyi(args: list[str], env: dict) -> tuple[str, float]:
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "wuyi.cli", *args], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"wuyi {' '.join(args)} 失败:\n{done.stderr[-3000:]}")
    return done.stdout, elapsed


def _timed_runs(register: Path, workdir: Path, env: dict, rows: int) -> dict:
    _wuyi(["init", "-v", "0"], env)
    first, first_s = _wuyi(["import", "residents", str(register), "--commit", "--json"], env)
    again, again_s = _wuyi(["import", "residents", str(register), "--commit", "--json"], env)
    exported = workdir / "export.csv"
    _, export_s = _wuyi(["export", "residents", str(exported), "--json"], env)
    first, again = json.loads(first), json.loads(again)
    if (first["new"], again["unchanged"]) != (rows, rows):
        raise RuntimeError(f"导入结果不符:首次新增{first['new']},再次无变化{again['unchanged']}")
    return {
        "rows": rows,
        "first_import_s": round(first_s, 1),
        "first_import_rows_per_s": round(rows / first_s),
        "reimport_s": round(again_s, 1),
        "reimport_rows_per_s": round(rows / again_s),
        "export_s": round(export_s, 1),
        "export_rows_per_s": round(rows / export_s),
        "created": first["created"],
    }


def run(argv: list[str] | None = None, **options) -> dict:
    rows = int(options.get("rows") or 200_000)
    seed = int(options.get("seed") or 1)
    keep = bool(options.get("keep"))
    load_before = list(os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="wuyi-bench-import-"))
    register = workdir / "register.csv"
    start = time.perf_counter()
    write_register(register, rows, seed)
    write_s = time.perf_counter() - start
    env = {**os.environ, "WUYI_DATA_DIR": str(workdir)}
    configured = os.environ.get("DATABASE_URL", "")
    try:
        if is_postgres(configured):
            with postgres_database(configured, "bench", keep) as url:
                env["DATABASE_URL"] = url
                result = _timed_runs(register, workdir, env, rows)
            result["database"] = "postgresql"
        else:
            env["DATABASE_URL"] = f"sqlite:///{workdir / 'wuyi.sqlite3'}"
            result = _timed_runs(register, workdir, env, rows)
            result["database"] = "sqlite"
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result["register_write_s"] = round(write_s, 1)
    result["kept"] = str(workdir) if keep else None
    result["machine"] = {
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    return result
