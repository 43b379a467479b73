"""Ways into control: a positive pool and its retests, a high-risk area and its lowering."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.control.conftest import local
from wuyi.control import intake
from wuyi.control.chain import ChainError
from wuyi.control.models import Category, RiskPerson, State, Task, TaskKind
from wuyi.testing.models import SamplingSite, Scan, TestingRound, Tube


@pytest.fixture
def positive_tube(city):
    """A 10-in-1 tube holding 张丽 and 李强, plus an unregistered person and a rejected scan."""
    rnd = TestingRound.objects.create(
        code="R1", name="第一轮", start_date=dt.date(2022, 12, 1), end_date=dt.date(2022, 12, 1)
    )
    site = SamplingSite.objects.create(
        code="S1",
        name="光华街采样点",
        node=city.community,
        path=city.community.path,
        district_code="140105",
    )
    tube = Tube.objects.create(
        barcode="T0001",
        round=rnd,
        site=site,
        pool_size=10,
        capacity=10,
        member_count=3,
        opened_at=timezone.now(),
        path=site.path,
        district_code="140105",
    )
    common = {"round": rnd, "site": site, "tube": tube, "received_at": timezone.now()}
    Scan.objects.create(outcome="accepted", resident=city.alice, **common)
    Scan.objects.create(outcome="accepted", resident=city.bob, **common)
    Scan.objects.create(outcome="accepted", resident=None, follow_up=True, id_number="X", **common)
    Scan.objects.create(outcome="rejected", reason="person_in_tube", resident=city.bob, **common)
    return tube


def test_a_positive_pool_puts_its_registered_members_under_temporary_control(city, positive_tube):
    result = intake.from_positive_pool(positive_tube, at=local(2022, 12, 1, 20))
    people = {p.resident.name: p for p in result.created}
    assert set(people) == {"张丽", "李强"}
    for person in people.values():
        assert (person.category, person.state, person.place, person.source_ref) == (
            "positive_pool_member",
            "under_measure",
            "home_isolation",
            "T0001",
        )
        # The retest is a home single-tube sampling task on day 1.
        retest = Task.objects.get(risk_person=person, kind=TaskKind.SAMPLING)
        assert (retest.day, retest.home_sampling) == (dt.date(2022, 12, 1), True)


def test_a_repeated_positive_pool_changes_nothing_and_says_why(city, positive_tube):
    intake.from_positive_pool(positive_tube, at=local(2022, 12, 1, 20))
    again = intake.from_positive_pool(positive_tube, at=local(2022, 12, 1, 21))
    assert again.created == []
    assert [reason for _, reason in again.skipped] == ["已在管控中(混管阳性待复核人员)"] * 2
    assert RiskPerson.objects.count() == 2


def test_a_positive_retest_makes_a_case_and_a_negative_one_releases(city, positive_tube):
    intake.from_positive_pool(positive_tube, at=local(2022, 12, 1, 20))
    case = intake.retest_result(city.alice, positive=True, at=local(2022, 12, 2, 9))
    assert intake.retest_result(city.bob, positive=False, at=local(2022, 12, 2, 9)) is None
    pool_alice = RiskPerson.objects.get(resident=city.alice, category="positive_pool_member")
    pool_bob = RiskPerson.objects.get(resident=city.bob)
    assert pool_alice.state == "escalated" and pool_bob.state == "released"
    assert (case.category, case.escalated_from_id, case.policy_version) == (
        "confirmed",
        pool_alice.pk,
        "ershitiao",
    )
    assert list(pool_bob.transitions.values_list("to_state", flat=True)) == [
        "identified",
        "notified",
        "transferred",
        "under_measure",
        "released",
    ]
    assert pool_bob.transitions.last().note == "单管复核阴性"
    with pytest.raises(ChainError, match="不在混管阳性待复核人员中"):
        intake.retest_result(city.bob, positive=True)


def test_a_high_risk_area_controls_its_residents_until_it_is_lowered(city):
    result = intake.from_risk_area(city.building1, at=local(2022, 11, 20, 10))
    assert [p.resident.name for p in result.created] == ["张丽"]
    person = result.created[0]
    assert (person.category, person.policy_version, person.end_date) == (
        "high_risk_resident",
        "ershitiao",
        None,
    )
    # Daily sampling and health checks for a week ahead, topped up by the daily run.
    assert Task.objects.filter(risk_person=person, kind=TaskKind.SAMPLING).count() == 7
    from wuyi.control.schedule import extend_open_schedules

    added = extend_open_schedules(dt.date(2022, 11, 25))
    # Written up to 11-26; topping up from 11-25 for a week adds 11-27 … 12-01, two kinds a day.
    assert added == 2 * 5
    assert intake.area_lowered(city.compound, at=local(2022, 11, 28, 10)) == 1
    person.refresh_from_db()
    assert person.state == State.RELEASED
    assert RiskPerson.objects.filter(resident=city.bob).count() == 0


def test_intake_refuses_a_category_the_version_does_not_control(city):
    from wuyi.control.chain import identify

    with pytest.raises(ChainError, match=r"新十条.*次密切接触者"):
        identify(city.alice, Category.SECONDARY_CONTACT, at=local(2022, 12, 8))
    assert not RiskPerson.objects.exists()
