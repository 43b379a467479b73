"""Control measures read from the versioned policy files (``risk/policies/*.toml``).

The measures live in the same files as the risk-area rules, under ``[measures.<category>]``,
because an office that adds the next policy version must change both at once, in one file,
without code. This module reads them through the risk app's loader and checks them, so a
mistake in a policy file is reported with its file and category instead of producing a
wrong calendar for a person.

A measure is a list of stages (``place``, ``days`` or ``until``, ``test_days``) and a
``release`` rule. ``test_days`` count from day 1 of their stage; ``"daily"`` means every
day of the stage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from wuyi.control.models import Category, Place
from wuyi.risk import policy

# What ends an open-ended stage.
UNTIL_EVENTS = {
    "discharge": "出院/出舱",
    "retest_result": "单管复核结果",
    "area_lowered": "所在区域降为低风险",
}
# What ends the measure.
RELEASE_RULES = {
    "days_complete": "期满解除",
    "negative_test_on_last_day": "期满且各次核酸阴性后解除",
    "discharge": "出院/出舱后解除",
    "retest_negative": "单管复核阴性后解除",
    "area_lowered": "所在区域降为低风险后解除",
}


class MeasureError(ValueError):
    """A policy file's measure that cannot be used, or a category a version does not control."""


@dataclass(frozen=True)
class StageRule:
    place: str
    days: int | None  # None: lasts until ``until`` happens
    until: str
    test_days: tuple[int, ...]
    daily_tests: bool

    @property
    def place_label(self) -> str:
        return Place(self.place).label


@dataclass(frozen=True)
class Measure:
    """What a policy version requires for one category of risk person."""

    category: str
    version_code: str
    version_name: str
    release: str
    stages: tuple[StageRule, ...]

    @property
    def total_days(self) -> int | None:
        """Days of the whole measure, or None when it lasts until an event."""
        if any(stage.days is None for stage in self.stages):
            return None
        return sum(stage.days or 0 for stage in self.stages)

    @property
    def release_label(self) -> str:
        return RELEASE_RULES[self.release]

    def describe(self) -> str:
        """The measure as offices say it: "集中隔离5天+居家隔离3天"."""
        parts = []
        for stage in self.stages:
            length = f"{stage.days}天" if stage.days else f"至{UNTIL_EVENTS[stage.until]}"
            parts.append(f"{stage.place_label}{length}")
        return "+".join(parts)


def _stage(raw: dict, where: str) -> StageRule:
    if not isinstance(raw, dict):
        raise MeasureError(f"{where}: 阶段应为表(place/days/test_days),实际为 {raw!r}")
    place = raw.get("place")
    if place not in Place.values:
        raise MeasureError(f"{where}: place 应为 {'/'.join(Place.values)} 之一,实际为 {place!r}")
    days = raw.get("days")
    until = raw.get("until", "")
    if (days is None) == (not until):
        raise MeasureError(f"{where}: days 与 until 必须且只能给出一个")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        raise MeasureError(f"{where}: days 应为正整数,实际为 {days!r}")
    if until and until not in UNTIL_EVENTS:
        raise MeasureError(f"{where}: until 应为 {'/'.join(UNTIL_EVENTS)} 之一,实际为 {until!r}")
    tests = raw.get("test_days", [])
    daily = tests == "daily"
    if daily:
        tests = []
    if not isinstance(tests, list) or any(
        not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in tests
    ):
        raise MeasureError(f'{where}: test_days 应为正整数列表或 "daily",实际为 {tests!r}')
    if days is not None and any(d > days for d in tests):
        raise MeasureError(f"{where}: test_days {tests} 超出了本阶段的 {days} 天")
    if sorted(set(tests)) != list(tests):
        raise MeasureError(f"{where}: test_days {tests} 应从小到大且不重复")
    return StageRule(place, days, until, tuple(tests), daily)


def parse_measure(version: policy.PolicyVersion, category: str) -> Measure:
    """The checked measure of ``category`` in ``version``; MeasureError says what is wrong."""
    label = Category(category).label if category in Category.values else category
    raw = version.measures.get(category)
    if raw is None:
        raise MeasureError(f"政策版本“{version.name}”没有规定{label}的管控措施")
    where = f"{version.source} measures.{category}"
    release = raw.get("release")
    if release not in RELEASE_RULES:
        raise MeasureError(
            f"{where}: release 应为 {'/'.join(RELEASE_RULES)} 之一,实际为 {release!r}"
        )
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise MeasureError(f"{where}: stages 应为非空列表")
    stages = tuple(_stage(s, f"{where} 第{i}阶段") for i, s in enumerate(stages_raw, start=1))
    if any(stage.days is None for stage in stages[:-1]):
        raise MeasureError(f"{where}: 只有最后一个阶段可以不定天数(until)")
    return Measure(category, version.code, version.name, release, stages)


def measure_for(category: str, day: dt.date, directory: str | Path | None = None) -> Measure:
    """The measure for ``category`` under the version in force on ``day`` (the day identified)."""
    if category not in Category.values:
        raise MeasureError(f"未知的人员类别 {category!r}")
    try:
        version = policy.version_in_force(day, directory)
    except policy.PolicyError as exc:
        raise MeasureError(str(exc)) from exc
    return parse_measure(version, category)


def check_all(directory: str | Path | None = None) -> list[Measure]:
    """Parse every measure of every version: a bad policy file fails here, loudly."""
    measures = []
    for version in policy.versions(directory):
        for category in version.measures:
            if category not in Category.values:
                raise MeasureError(f"{version.source}: 未知的人员类别 measures.{category}")
            measures.append(parse_measure(version, category))
    return measures
