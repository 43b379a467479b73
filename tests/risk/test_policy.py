"""Policy versions as data files: which version is in force, and lowering at the day boundaries."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from wuyi.risk import policy
from wuyi.risk.areas import qualification

D = dt.date


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (D(2022, 6, 28), "fangan9"),
        (D(2022, 11, 10), "fangan9"),
        (D(2022, 11, 11), "ershitiao"),
        (D(2022, 12, 6), "ershitiao"),
        (D(2022, 12, 7), "xinshitiao"),
        (D(2023, 1, 8), "xinshitiao"),
    ],
)
def test_the_version_in_force_changes_on_its_effective_day(day, code):
    assert policy.version_in_force(day).code == code


def test_a_day_before_any_version_is_a_clear_error():
    with pytest.raises(policy.PolicyError, match="早于最早的政策版本"):
        policy.version_in_force(D(2022, 6, 27))


def test_the_versions_carry_the_rules_of_2022():
    ninth, twenty, ten = policy.versions()
    assert ninth.levels == ("high", "medium", "low")
    assert ninth.lowering["high"] == policy.LoweringRule(7, True, "medium")
    assert ninth.lowering["medium"] == policy.LoweringRule(3, False, "low")
    assert twenty.levels == ("high", "low")
    assert twenty.lowering["high"] == policy.LoweringRule(5, False, "low")
    assert set(twenty.designation_kinds) == {"building", "unit", "site"}
    assert "household" in ten.designation_kinds and ten.designation_by_floor


def test_measures_for_risk_persons_live_in_the_same_files():
    twenty = policy.get("ershitiao")
    stages = twenty.measures["close_contact"]["stages"]
    assert [(s["place"], s["days"], s["test_days"]) for s in stages] == [
        ("central_isolation", 5, [1, 2, 3, 5]),
        ("home_isolation", 3, [1, 3]),
    ]


def test_an_office_adds_the_next_version_by_adding_a_file(tmp_path):
    for source in policy.POLICY_DIR.glob("*.toml"):
        shutil.copy(source, tmp_path)
    (tmp_path / "2023-01-08-yileiguan.toml").write_text(
        'code = "yileiguan"\nname = "乙类乙管"\neffective = 2023-01-08\n'
        'levels = ["low"]\n[lowering]\n',
        encoding="utf-8",
    )
    assert policy.version_in_force(D(2023, 1, 7), tmp_path).code == "xinshitiao"
    assert policy.version_in_force(D(2023, 1, 8), tmp_path).name == "乙类乙管"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'code = "x"\nname = "x"\neffective = 2023-01-01\nlevels = ["top"]\n[lowering]\n',
            "levels",
        ),
        ('code = "x"\nname = "x"\nlevels = ["high", "low"]\n[lowering]\n', "effective"),
        (
            'code = "x"\nname = "x"\neffective = 2023-01-01\nlevels = ["high", "low"]\n'
            '[lowering.high]\ndays = 5\nto = "high"\n',
            "lowering.high",
        ),
        ("code = ", "TOML"),
    ],
)
def test_a_bad_policy_file_names_itself_and_the_field(tmp_path: Path, content, message):
    (tmp_path / "bad.toml").write_text(content, encoding="utf-8")
    with pytest.raises(policy.PolicyError, match=f"bad.toml.*{message}"):
        policy.versions(tmp_path)


def q(level, designated, last, screened, day, code):
    return qualification(level, designated, last, screened, day, policy.get(code))


def test_twenty_measures_lower_a_high_area_on_the_sixth_day_after_the_last_infection():
    # Last infection 1 Dec; clean days 2–6 Dec (5 days): lowered on 7 Dec, not on 6 Dec.
    last = D(2022, 12, 1)
    assert not q("high", D(2022, 11, 28), last, None, D(2022, 12, 6), "ershitiao").qualifies
    result = q("high", D(2022, 11, 28), last, None, D(2022, 12, 7), "ershitiao")
    assert result.qualifies and result.to == "low"
    assert result.first_day == D(2022, 12, 7)


def test_without_any_infection_the_count_starts_the_day_after_designation():
    designated = D(2022, 11, 20)
    assert not q("high", designated, None, None, D(2022, 11, 25), "ershitiao").qualifies
    assert q("high", designated, None, None, D(2022, 11, 26), "ershitiao").qualifies


def test_an_infection_before_the_designation_does_not_shorten_the_count():
    designated = D(2022, 11, 20)
    early = D(2022, 11, 15)
    assert not q("high", designated, early, None, D(2022, 11, 25), "ershitiao").qualifies


def test_the_ninth_version_needs_seven_days_and_a_negative_screening_on_day_seven():
    last = D(2022, 8, 1)  # clean days 2–8 Aug; screening due on 8 Aug, lowering from 9 Aug
    assert not q("high", last, last, D(2022, 8, 8), D(2022, 8, 8), "fangan9").qualifies
    missing = q("high", last, last, None, D(2022, 8, 9), "fangan9")
    assert not missing.qualifies and "筛查" in missing.reason
    too_early = q("high", last, last, D(2022, 8, 7), D(2022, 8, 9), "fangan9")
    assert not too_early.qualifies
    done = q("high", last, last, D(2022, 8, 8), D(2022, 8, 9), "fangan9")
    assert done.qualifies and done.to == "medium"


def test_the_ninth_version_lowers_medium_after_three_clean_days():
    day0 = D(2022, 8, 9)
    assert not q("medium", day0, None, None, D(2022, 8, 12), "fangan9").qualifies
    assert q("medium", day0, None, None, D(2022, 8, 13), "fangan9").to == "low"


def test_a_medium_area_left_over_when_twenty_measures_came_in_is_lowered_at_once():
    result = q("medium", D(2022, 11, 10), D(2022, 11, 10), None, D(2022, 11, 11), "ershitiao")
    assert result.qualifies and result.to == "low" and "不设中风险区" in result.reason


def test_the_new_ten_measures_keep_five_days():
    last = D(2022, 12, 5)
    assert not q("high", last, last, None, D(2022, 12, 10), "xinshitiao").qualifies
    assert q("high", last, last, None, D(2022, 12, 11), "xinshitiao").qualifies
