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

from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from wuyi.control.models import Category, Place
from wuyi.risk import policy

# What ends an open-ended stage.
UNTIL_EVENTS = {
    "discharge": _("出院/出舱"),
    "retest_result": _("单管复核结果"),
    "area_lowered": _("所在区域降为低风险"),
}
# What ends the measure.
RELEASE_RULES = {
    "days_complete": _("期满解除"),
    "negative_test_on_last_day": _("期满且各次核酸阴性后解除"),
    "discharge": _("出院/出舱后解除"),
    "retest_negative": _("单管复核阴性后解除"),
    "area_lowered": _("所在区域降为低风险后解除"),
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
        return str(Place(self.place).label)


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
        return str(RELEASE_RULES[self.release])

    def describe(self) -> str:
        """The measure as offices say it: "集中隔离5天+居家隔离3天"."""
        parts = []
        for stage in self.stages:
            if stage.days:
                part = ngettext("%(place)s%(days)s天", "%(place)s%(days)s天", stage.days) % {
                    "place": stage.place_label,
                    "days": stage.days,
                }
            else:
                part = gettext("%(place)s至%(event)s") % {
                    "place": stage.place_label,
                    "event": UNTIL_EVENTS[stage.until],
                }
            parts.append(part)
        return pgettext("measure stages", "+").join(parts)


def _stage(raw: dict, where: str) -> StageRule:
    if not isinstance(raw, dict):
        raise MeasureError(
            gettext("%(where)s: 阶段应为表(place/days/test_days),实际为 %(value)s")
            % {"where": where, "value": repr(raw)}
        )
    place = raw.get("place")
    if place not in Place.values:
        raise MeasureError(_one_of(where, "place", Place.values, place))
    days = raw.get("days")
    until = raw.get("until", "")
    if (days is None) == (not until):
        raise MeasureError(
            gettext("%(where)s: days 与 until 必须且只能给出一个") % {"where": where}
        )
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        raise MeasureError(
            gettext("%(where)s: days 应为正整数,实际为 %(value)s")
            % {"where": where, "value": repr(days)}
        )
    if until and until not in UNTIL_EVENTS:
        raise MeasureError(_one_of(where, "until", UNTIL_EVENTS, until))
    tests = raw.get("test_days", [])
    daily = tests == "daily"
    if daily:
        tests = []
    if not isinstance(tests, list) or any(
        not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in tests
    ):
        raise MeasureError(
            gettext('%(where)s: test_days 应为正整数列表或 "daily",实际为 %(value)s')
            % {"where": where, "value": repr(tests)}
        )
    if days is not None and any(d > days for d in tests):
        raise MeasureError(
            gettext("%(where)s: test_days %(tests)s 超出了本阶段的 %(days)s 天")
            % {"where": where, "tests": tests, "days": days}
        )
    if sorted(set(tests)) != list(tests):
        raise MeasureError(
            gettext("%(where)s: test_days %(tests)s 应从小到大且不重复")
            % {"where": where, "tests": tests}
        )
    return StageRule(place, days, until, tuple(tests), daily)


def _one_of(where: str, key: str, allowed, value) -> str:
    return gettext("%(where)s: %(key)s 应为 %(allowed)s 之一,实际为 %(value)s") % {
        "where": where,
        "key": key,
        "allowed": "/".join(allowed),
        "value": repr(value),
    }


def parse_measure(version: policy.PolicyVersion, category: str) -> Measure:
    """The checked measure of ``category`` in ``version``; MeasureError says what is wrong."""
    label = Category(category).label if category in Category.values else category
    raw = version.measures.get(category)
    if raw is None:
        raise MeasureError(
            gettext("政策版本“%(version)s”没有规定%(category)s的管控措施")
            % {"version": version.name, "category": label}
        )
    where = f"{version.source} measures.{category}"
    release = raw.get("release")
    if release not in RELEASE_RULES:
        raise MeasureError(_one_of(where, "release", RELEASE_RULES, release))
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise MeasureError(gettext("%(where)s: stages 应为非空列表") % {"where": where})
    stages = tuple(
        _stage(s, gettext("%(where)s 第%(stage)s阶段") % {"where": where, "stage": i})
        for i, s in enumerate(stages_raw, start=1)
    )
    if any(stage.days is None for stage in stages[:-1]):
        raise MeasureError(
            gettext("%(where)s: 只有最后一个阶段可以不定天数(until)") % {"where": where}
        )
    return Measure(category, version.code, version.name, release, stages)


def measure_for(category: str, day: dt.date, directory: str | Path | None = None) -> Measure:
    """The measure for ``category`` under the version in force on ``day`` (the day identified)."""
    if category not in Category.values:
        raise MeasureError(gettext("未知的人员类别 %(category)s") % {"category": repr(category)})
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
                raise MeasureError(
                    gettext("%(file)s: 未知的人员类别 measures.%(category)s")
                    % {"file": version.source, "category": category}
                )
            measures.append(parse_measure(version, category))
    return measures
