"""The chain identified → notified → transferred → under measure → released / escalated."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import make_user
from tests.control.conftest import local
from wuyi.accounts.models import AuditEvent, Role
from wuyi.control import chain
from wuyi.control.chain import ChainError
from wuyi.control.models import (
    Category,
    RiskPerson,
    State,
    Task,
    TaskKind,
    TaskResult,
    TaskStatus,
)


@pytest.fixture
def office(city):
    return make_user("community_office", Role.COMMUNITY_OFFICE, node=city.community)


def test_identifying_records_the_version_in_force_that_day_and_writes_the_calendar(city, office):
    person = chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 11, 20), user=office)
    assert (person.state, person.policy_version, person.policy_name) == (
        "identified",
        "ershitiao",
        "二十条",
    )
    assert (person.start_date, person.end_date, person.release_on) == (
        dt.date(2022, 11, 20),
        dt.date(2022, 11, 27),
        dt.date(2022, 11, 27),
    )
    assert person.place == "central_isolation"
    assert person.path == city.alice.path and person.grid_id == city.grid_a.pk
    sampling = Task.objects.filter(risk_person=person, kind=TaskKind.SAMPLING).order_by("day")
    assert [(t.day.day, t.home_sampling) for t in sampling] == [
        (20, False),
        (21, False),
        (22, False),
        (24, False),
        (25, True),
        (27, True),
    ]
    # Health checks by the community on the home days only; one release task on the last day.
    checks = Task.objects.filter(risk_person=person, kind=TaskKind.HEALTH_CHECK)
    assert sorted(t.day.day for t in checks) == [25, 26, 27]
    release = Task.objects.get(risk_person=person, kind=TaskKind.RELEASE)
    assert release.day == dt.date(2022, 11, 27)
    assert str(release.due_at.astimezone(local(2022, 1, 1).tzinfo).time()) == "23:59:59"
    log = list(person.transitions.values_list("from_state", "to_state", "actor_id"))
    assert log == [("", "identified", office.pk)]


def test_identified_one_second_before_midnight_is_under_the_old_version(city):
    before = chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 6, 23, 59, 59))
    after = chain.identify(city.bob, Category.CLOSE_CONTACT, at=local(2022, 12, 7, 0, 0, 0))
    assert (before.policy_version, before.place, before.release_on) == (
        "ershitiao",
        "central_isolation",
        dt.date(2022, 12, 13),
    )
    assert (after.policy_version, after.place, after.release_on) == (
        "xinshitiao",
        "home_isolation",
        dt.date(2022, 12, 11),
    )


def test_the_day_is_the_local_day_not_the_utc_one(city):
    # 16:30 UTC on 6 December is 00:30 on 7 December in Taiyuan: 新十条 applies.
    at = dt.datetime(2022, 12, 6, 16, 30, tzinfo=dt.UTC)
    person = chain.identify(city.alice, Category.CLOSE_CONTACT, at=at)
    assert (person.identified_on, person.policy_version) == (dt.date(2022, 12, 7), "xinshitiao")


def test_a_resident_already_under_control_is_not_identified_twice(city):
    chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 11, 20))
    with pytest.raises(ChainError, match="张丽已在管控中"):
        chain.identify(city.alice, Category.INBOUND_TRAVELLER, at=local(2022, 11, 21))
    assert RiskPerson.objects.filter(resident=city.alice).count() == 1


def test_the_whole_chain_to_release_is_logged_with_who_and_when(city, office):
    person = chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    chain.transition(person, State.NOTIFIED, user=office, at=local(2022, 12, 10, 10))
    chain.transition(
        person, State.TRANSFERRED, user=office, at=local(2022, 12, 10, 11), note="居家"
    )
    chain.transition(person, State.UNDER_MEASURE, user=office, at=local(2022, 12, 10, 12))
    test = Task.objects.get(risk_person=person, kind=TaskKind.SAMPLING)
    assert test.day == dt.date(2022, 12, 14)
    chain.record_test(test, TaskResult.NEGATIVE, user=office, at=local(2022, 12, 14, 10))
    chain.transition(person, State.RELEASED, user=office, at=local(2022, 12, 14, 15))
    person.refresh_from_db()
    assert person.state == "released" and person.ended_at == local(2022, 12, 14, 15)
    assert list(person.transitions.values_list("to_state", flat=True)) == [
        "identified",
        "notified",
        "transferred",
        "under_measure",
        "released",
    ]
    assert person.transitions.get(to_state="transferred").note == "居家"
    assert set(
        person.transitions.exclude(to_state="identified").values_list("actor", flat=True)
    ) == {office.pk}
    # Each transition is an audit event filed under the household, and nothing stays open.
    events = AuditEvent.objects.filter(model="control.riskperson", object_pk=str(person.pk))
    assert events.count() == 5
    assert set(events.values_list("path", flat=True)) == {city.alice.path}
    assert not Task.objects.filter(risk_person=person, status=TaskStatus.OPEN).exists()
    assert Task.objects.get(risk_person=person, kind=TaskKind.RELEASE).status == "done"


@pytest.mark.parametrize(
    ("walk", "target", "reason"),
    [
        ([], State.RELEASED, "当前为“已判定”,只能变为:已告知、已转阳"),
        ([], State.UNDER_MEASURE, "不能直接变为“管控中”"),
        ([State.NOTIFIED], State.IDENTIFIED, "当前为“已告知”"),
        (
            [State.NOTIFIED, State.TRANSFERRED, State.UNDER_MEASURE],
            State.NOTIFIED,
            "只能变为:已解除、已转阳",
        ),
    ],
)
def test_an_invalid_transition_is_refused_with_a_reason(city, walk, target, reason):
    person = chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    for state in walk:
        person = chain.transition(person, state, at=local(2022, 12, 10, 10))
    with pytest.raises(ChainError, match=reason):
        chain.transition(person, target, at=local(2022, 12, 10, 11))
    person.refresh_from_db()
    assert person.state == (walk[-1] if walk else "identified")
    assert person.transitions.count() == 1 + len(walk)


def test_release_before_the_release_day_is_refused(city):
    person = chain.advance_to_measure(
        chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    )
    with pytest.raises(ChainError, match="管控期未满:应于2022-12-14解除"):
        chain.transition(person, State.RELEASED, at=local(2022, 12, 13, 23))


def test_release_without_the_last_test_is_refused_naming_the_day(city):
    person = chain.advance_to_measure(
        chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    )
    with pytest.raises(ChainError, match="尚有核酸检测未完成:12月14日"):
        chain.transition(person, State.RELEASED, at=local(2022, 12, 14, 20))


def test_a_finished_episode_cannot_move_again(city):
    person = chain.advance_to_measure(
        chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    )
    chain.record_test(
        Task.objects.get(risk_person=person, kind=TaskKind.SAMPLING), TaskResult.NEGATIVE
    )
    chain.transition(person, State.RELEASED, at=local(2022, 12, 14, 20))
    with pytest.raises(ChainError, match=r"管控已结束\(“已解除”\)"):
        chain.transition(person, State.ESCALATED, at=local(2022, 12, 15))


def test_a_positive_test_escalates_to_a_case_under_the_policy_of_that_day(city, office):
    person = chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 5))
    first = Task.objects.filter(risk_person=person, kind=TaskKind.SAMPLING).order_by("day")[1]
    case = chain.record_test(first, TaskResult.POSITIVE, user=office, at=local(2022, 12, 7, 9))
    person.refresh_from_db()
    assert person.state == "escalated"
    assert not Task.objects.filter(risk_person=person, status=TaskStatus.OPEN).exists()
    assert (case.category, case.state, case.policy_version, case.place) == (
        "confirmed",
        "identified",
        "xinshitiao",
        "hospital",
    )
    assert case.escalated_from == person and case.source == "escalation"
    assert case.release_on is None


def test_an_open_ended_measure_is_released_only_by_its_event(city):
    person = chain.advance_to_measure(
        chain.identify(city.alice, Category.HIGH_RISK_RESIDENT, at=local(2022, 11, 20))
    )
    with pytest.raises(ChainError, match="所在区域降为低风险后解除"):
        chain.transition(person, State.RELEASED, at=local(2022, 11, 30))
    chain.transition(person, State.RELEASED, at=local(2022, 11, 30), event="area_lowered")
    person.refresh_from_db()
    assert person.state == "released"
