"""Five-to-one teams with least-loaded suggestions; overdue lists and escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from tests.control.conftest import local
from wuyi.control import chain, overdue, teams
from wuyi.control.models import Category, Task, TaskKind, TaskStatus
from wuyi.control.teams import TeamError
from wuyi.workforce.models import Staff, StaffRole


def test_a_controlled_household_without_a_full_team_is_an_alert(city, workforce):
    chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    alerts = teams.incomplete_households(city.street)
    assert [(a["household"], len(a["missing"])) for a in alerts] == [(city.home1, 5)]
    teams.auto_form_team(city.home1)
    assert teams.incomplete_households(city.street) == []


def test_the_least_loaded_staff_member_is_suggested_first(city, workforce):
    first_doctor, second_doctor = workforce[StaffRole.COMMUNITY_DOCTOR]
    chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    chain.identify(city.bob, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    team = teams.auto_form_team(city.home1)
    assert team.members.get(role=StaffRole.COMMUNITY_DOCTOR).staff == first_doctor
    # The first doctor now carries one household: the second is suggested for the next.
    suggested = teams.suggest(city.home2)[StaffRole.COMMUNITY_DOCTOR]
    assert [(s.name, s.load) for s in suggested] == [
        (second_doctor.name, 0),
        (first_doctor.name, 1),
    ]
    assert (
        teams.auto_form_team(city.home2).members.get(role="community_doctor").staff == second_doctor
    )


def test_forming_a_team_gives_each_open_task_its_owner(city, workforce):
    person = chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    assert not Task.objects.filter(risk_person=person, assignee__isnull=False).exists()
    team = teams.auto_form_team(city.home1)
    roles = dict(team.members.values_list("role", "staff_id"))
    sampling = Task.objects.get(risk_person=person, kind=TaskKind.SAMPLING)
    checks = Task.objects.filter(risk_person=person, kind=TaskKind.HEALTH_CHECK)
    assert sampling.assignee_id == roles["community_doctor"]
    assert {t.assignee_id for t in checks} == {roles["grid_worker"]}
    # A person identified later in the same household gets the team's owners at once.
    chain.transition(person, "escalated", at=local(2022, 12, 11))


def test_a_staff_member_cannot_fill_another_role_or_serve_elsewhere(city, workforce):
    chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    with pytest.raises(TeamError, match="岗位是社区医生,不能担任网格员"):
        teams.form_team(city.home1, {"grid_worker": workforce["community_doctor"][0]})
    far = Staff.objects.create(name="外区医生", role="community_doctor", node=city.other_district)
    with pytest.raises(TeamError, match="不在101所在辖区的工作力量中"):
        teams.form_team(city.home1, {"community_doctor": far})


@override_settings(
    CONTROL_TEAM_ROLES=["community_cadre", "grid_worker", "community_doctor", "police_officer"]
)
def test_a_city_running_four_to_one_needs_four_roles(city, workforce):
    chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    team = teams.auto_form_team(city.home1)
    assert team.members.count() == 4 and teams.is_full(team)
    with pytest.raises(TeamError, match="不是责任组的角色"):
        teams.form_team(city.home1, {"volunteer": workforce["volunteer"][0]})


def test_a_health_check_not_done_by_evening_is_overdue_on_community_and_street_lists(city):
    person = chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    assert overdue.overdue(city.street, local(2022, 12, 10, 17, 59)).count() == 0
    late = overdue.overdue(city.street, local(2022, 12, 10, 20, 0, 1))
    # 新十条: home isolation, a health check every day, the only test on day 5.
    assert [(t.kind, t.day) for t in late] == [("health_check", dt.date(2022, 12, 10))]
    assert overdue.overdue(city.community, local(2022, 12, 10, 20, 0, 1)).count() == 1
    assert overdue.overdue(city.other_district, local(2022, 12, 10, 21)).count() == 0
    # Done tasks leave the list.
    Task.objects.filter(risk_person=person, day=dt.date(2022, 12, 10)).update(
        status=TaskStatus.DONE
    )
    assert overdue.overdue(city.street, local(2022, 12, 10, 21)).count() == 0


def test_an_overdue_task_escalates_after_the_grace_hours_once(city):
    # 二十条 close contact: the day-1 sample is due at 18:00 (central isolation, no home check).
    chain.identify(city.alice, Category.CLOSE_CONTACT, at=local(2022, 11, 20))
    # 新十条 close contact: the day-1 health check is due at 20:00.
    chain.identify(city.bob, Category.CLOSE_CONTACT, at=local(2022, 12, 10))
    assert overdue.escalate_overdue(local(2022, 11, 20, 19, 59)) == 0
    assert overdue.escalate_overdue(local(2022, 11, 20, 20, 0, 1)) == 1
    assert overdue.escalate_overdue(local(2022, 11, 20, 21)) == 0  # once only
    # By 12-10 the rest of 张丽's calendar is long overdue (nothing was ever done):
    # 5 more samples, 3 home health checks and the release; 李强's check is not yet 2 h late.
    assert overdue.escalate_overdue(local(2022, 12, 10, 21, 30)) == 5 + 3 + 1
    assert overdue.escalate_overdue(local(2022, 12, 10, 22, 0, 1)) == 1
    summary = overdue.overdue_summary(city.street, local(2022, 12, 10, 23))
    assert summary["total"] == 11
    assert summary["by_kind"] == {"sampling": 6, "release": 1, "health_check": 4}
    assert all(t.escalated_at is not None for t in summary["rows"])
