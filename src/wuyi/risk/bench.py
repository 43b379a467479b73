"""``wuyi bench notices``: how fast notices are read, and that hostile text stays bounded.

Figures from one run: items/s parsing a synthetic notice of ``--items`` items (default
20,000, in 10 districts, with the seed's forms: phases, zones, ranges, exclusions), the
seed notice's parses/s, and the time to refuse or read near-maximal hostile inputs
(1,000,000 characters of near-matches for the grammar's patterns). No database needed.
"""

from __future__ import annotations

import time
from pathlib import Path

from wuyi.risk.notice_parser import MAX_NOTICE_CHARS, NoticeError, parse_notice

SEED = Path(__file__).resolve().parents[3] / "tests" / "risk" / "data"
FORMS = [
    "保利东郡{n}期{b}号楼2单元",
    "老军营小区北区{b}号楼",
    "翠屏山小区{b}至{c}号楼",
    "西吴御龙庭小区(1号楼{u}单元除外)",
    "清源镇北营村北辰苑小区{b}号楼{u}单元",
    "坞城中路{n}号煤校宿舍{b}号楼",
]


def synthetic(items: int) -> str:
    per = max(1, items // 10)
    lines = [f"新增高风险区{per * 10}个,分别是:"]
    for d in range(10):
        texts = []
        for i in range(per):
            form = FORMS[i % len(FORMS)]
            texts.append(form.format(n=i % 9 + 1, b=i % 30 + 1, c=i % 30 + 5, u=i % 6 + 1))
        lines.append(f"第{d + 1}区({per}个):" + ",".join(texts) + "。")
    return "\n".join(lines)


def _timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    try:
        result = function()
    except NoticeError as exc:
        result = exc
    return time.perf_counter() - start, result


def run(argv: list[str], items: str | int = 20_000, **_options) -> dict:
    count = int(items)
    text = synthetic(count)
    seconds, result = _timed(lambda: parse_notice(text))
    assert isinstance(result, dict) and not result["mismatches"], result
    found = sum(len(d["items"]) for s in result["sections"] for d in s["districts"])
    report: dict = {
        "synthetic_items": found,
        "synthetic_chars": len(text),
        "parse_items_per_s": round(found / seconds),
    }
    seed = next(SEED.glob("*.txt"), None)
    if seed is not None:
        data = seed.read_bytes()
        rounds = 20
        seconds, _ = _timed(lambda: [parse_notice(data, year=2022) for _ in range(rounds)])
        report["seed_parses_per_s"] = round(rounds / seconds, 1)
    size = MAX_NOTICE_CHARS - 100
    hostile = {
        "near_miss_headers": "新增高风险" * (size // 5),
        "unclosed_brackets": "新增高风险区1个:小店区:" + "(" * (size - 20),
        "one_huge_item": "新增高风险区1个:小店区:" + "区" * (size - 20),
        "many_districts": "新增高风险区1个:\n" + "小店区:" * (size // 4),
        "bounds_repeated": "新增高风险区1个:小店区:甲," + "东至乙," * (size // 4),
    }
    report["hostile_ms"] = {}
    for name, value in hostile.items():
        seconds, outcome = _timed(lambda value=value: parse_notice(value))
        kind = "refused" if isinstance(outcome, NoticeError) else "parsed"
        report["hostile_ms"][name] = {"ms": round(seconds * 1000), "outcome": kind}
    return report
