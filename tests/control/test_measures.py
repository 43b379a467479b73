"""Measures, dates, test days and release dates are exactly what the policy files say."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from wuyi.control import measures, schedule
from wuyi.control.measures import MeasureError
from wuyi.risk import policy

D = dt.date


def days(start: dt.date, *offsets: int) -> list[dt.date]:
    return [start + dt.timedelta(days=o) for o in offsets]


# (identified on, category) → (version, [(place, first day, last day)], test dates, release).
# Day 1 is the day of identification; offsets below are from it (day 1 = offset 0).
EXPECTED = [
    # 二十条: close contact = 5 days central + 3 days home; central 1,2,3,5, home 1,3.
    (
        D(2022, 11, 20),
        "close_contact",
        "ershitiao",
        [("central_isolation", 0, 4), ("home_isolation", 5, 7)],
        [0, 1, 2, 4, 5, 7],
        7,
    ),
    # 第九版: close contact = 7 + 3; central 1,2,3,5,7 and home day 3.
    (
        D(2022, 8, 1),
        "close_contact",
        "fangan9",
        [("central_isolation", 0, 6), ("home_health_monitoring", 7, 9)],
        [0, 1, 2, 4, 6, 9],
        9,
    ),
    # 新十条: 5 days home isolation, released on a negative test on day 5.
    (D(2022, 12, 10), "close_contact", "xinshitiao", [("home_isolation", 0, 4)], [4], 4),
    (D(2022, 8, 1), "secondary_contact", "fangan9", [("home_isolation", 0, 6)], [0, 3, 6], 6),
    (
        D(2022, 11, 20),
        "left_high_risk_area",
        "ershitiao",
        [("home_isolation", 0, 6)],
        [0, 2, 4, 6],
        6,
    ),
    (D(2022, 12, 10), "asymptomatic", "xinshitiao", [("home_isolation", 0, 6)], [5, 6], 6),
    (
        D(2022, 12, 10),
        "inbound_traveller",
        "xinshitiao",
        [("central_isolation", 0, 4), ("home_isolation", 5, 7)],
        [0, 1, 2, 4, 5, 7],
        7,
    ),
]


@pytest.mark.parametrize(("day", "category", "version", "stages", "tests", "release"), EXPECTED)
def test_each_measure_gives_the_dates_the_policy_sets(
    day, category, version, stages, tests, release
):
    measure = measures.measure_for(category, day)
    the_plan = schedule.plan(measure, day)
    assert measure.version_code == version
    assert [(s.place, s.start, s.end) for s in the_plan.stages] == [
        (place, *days(day, first, last)) for place, first, last in stages
    ]
    assert the_plan.test_dates == days(day, *tests)
    assert the_plan.release_on == days(day, release)[0]


def test_a_high_risk_area_resident_stays_home_until_the_area_is_lowered():
    day = D(2022, 11, 20)
    measure = measures.measure_for("high_risk_resident", day)
    the_plan = schedule.plan(measure, day, horizon=7)
    assert measure.version_code == "ershitiao"
    assert measure.release == "area_lowered"
    assert [(s.place, s.end, s.until) for s in the_plan.stages] == [
        ("home_isolation", None, "area_lowered")
    ]
    assert the_plan.release_on is None
    # Tested daily for as far ahead as the calendar is written.
    assert the_plan.test_dates == days(day, 0, 1, 2, 3, 4, 5, 6)


def test_the_version_in_force_on_the_day_of_identification_decides():
    assert measures.measure_for("close_contact", D(2022, 11, 10)).version_code == "fangan9"
    assert measures.measure_for("close_contact", D(2022, 11, 11)).version_code == "ershitiao"
    assert measures.measure_for("close_contact", D(2022, 12, 6)).version_code == "ershitiao"
    assert measures.measure_for("close_contact", D(2022, 12, 7)).version_code == "xinshitiao"
    assert measures.measure_for("close_contact", D(2022, 6, 28)).version_code == "fangan9"


def test_a_day_before_the_first_version_is_refused_with_the_date():
    with pytest.raises(MeasureError, match="2022-06-27"):
        measures.measure_for("close_contact", D(2022, 6, 27))


def test_a_category_a_version_no_longer_identifies_is_refused_with_its_name():
    with pytest.raises(MeasureError, match=r"二十条.*次密切接触者"):
        measures.measure_for("secondary_contact", D(2022, 11, 20))


def test_every_measure_of_every_file_matches_the_raw_file():
    """Read each TOML file directly and compare with what control plans: no reinterpretation."""
    for version in policy.versions():
        raw = tomllib.loads((policy.POLICY_DIR / version.source).read_text(encoding="utf-8"))
        for category, spec in raw["measures"].items():
            start = version.effective
            the_plan = schedule.plan(measures.measure_for(category, start), start)
            assert the_plan.measure.release == spec["release"]
            day = start
            for stage, raw_stage in zip(the_plan.stages, spec["stages"], strict=True):
                assert stage.place == raw_stage["place"]
                assert stage.start == day
                if "days" in raw_stage:
                    assert stage.end == day + dt.timedelta(days=raw_stage["days"] - 1)
                    assert stage.test_dates == [
                        day + dt.timedelta(days=n - 1) for n in raw_stage["test_days"]
                    ]
                    day = stage.end + dt.timedelta(days=1)
                else:
                    assert stage.end is None
                    assert stage.until == raw_stage["until"]


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ({"place": "hotel", "days": 5}, "place"),
        ({"place": "home_isolation"}, "days 与 until"),
        ({"place": "home_isolation", "days": 5, "until": "discharge"}, "days 与 until"),
        ({"place": "home_isolation", "days": 0}, "正整数"),
        ({"place": "home_isolation", "days": 5, "test_days": [6]}, "超出"),
        ({"place": "home_isolation", "days": 5, "test_days": [3, 1]}, "从小到大"),
        ({"place": "home_isolation", "until": "tomorrow"}, "until"),
    ],
)
def test_a_bad_stage_in_a_policy_file_is_reported_with_file_and_category(stage, message):
    version = policy.get("ershitiao")
    broken = policy.PolicyVersion(
        **{
            **version.__dict__,
            "measures": {"close_contact": {"release": "days_complete", "stages": [stage]}},
        }
    )
    with pytest.raises(MeasureError, match=message) as info:
        measures.parse_measure(broken, "close_contact")
    assert "measures.close_contact" in str(info.value)


def test_an_open_stage_before_a_fixed_one_is_refused():
    version = policy.get("ershitiao")
    broken = policy.PolicyVersion(
        **{
            **version.__dict__,
            "measures": {
                "confirmed": {
                    "release": "discharge",
                    "stages": [
                        {"place": "hospital", "until": "discharge"},
                        {"place": "home_health_monitoring", "days": 7},
                    ],
                }
            },
        }
    )
    with pytest.raises(MeasureError, match="只有最后一个阶段"):
        measures.parse_measure(broken, "confirmed")


def test_the_measure_reads_as_offices_say_it():
    measure = measures.measure_for("close_contact", D(2022, 11, 20))
    assert measure.describe() == "集中隔离5天+居家隔离3天"
    assert measure.total_days == 8
