"""The control pages: scoped to the user's grants, personal data masked, lists correct."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import City, make_user
from tests.control.conftest import local
from wuyi.accounts.models import Grant, Role
from wuyi.control import chain
from wuyi.control.models import RiskPerson, Task, TaskKind
from wuyi.territory.models import Kind
from wuyi.territory.tree import add_node


@pytest.fixture
def street_office(city):
    return make_user("street", Role.STREET_OFFICE, node=city.street)


def login(client, user):
    client.force_login(user)
    return client


def test_counts_drill_down_from_the_street_to_the_community(client, city, street_office):
    chain.identify(city.alice, "close_contact", at=local(2022, 12, 10))
    chain.identify(city.bob, "high_risk_resident", at=local(2022, 12, 10))
    login(client, street_office)
    page = client.get("/control/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "坞城街道" in text and 'id="active-count">2<' in text
    assert f'href="?node={city.community.pk}"' in text
    drill = client.get(f"/control/?node={city.compound.pk}").content.decode()
    assert "电子二所家属楼" in drill and "1号楼" in drill and "2号楼" in drill
    # The households have no five-to-one team yet: both are on the alert list.
    assert "五包一责任组不完整的户" in drill


def test_the_city_office_starts_from_the_whole_city_with_its_districts(client, city):
    # Districts are the tree's roots: the city office's first page sums them all.
    chain.identify(city.alice, "close_contact", at=local(2022, 12, 10))
    node = city.other_district
    for kind, name, code in [
        (Kind.STREET, "柳巷街道", "140106001"),
        (Kind.COMMUNITY, "柳巷社区", "140106001001"),
        (Kind.COMPOUND, "柳巷小区", "C01"),
        (Kind.BUILDING, "1号楼", "B01"),
        (Kind.UNIT, "1单元", "U1"),
        (Kind.HOUSEHOLD, "101", "H101"),
    ]:
        node = add_node(kind, name, code, node)
    other = City.resident("赵六", node, "140106", dt.date(1970, 1, 1), 51, "M")
    chain.identify(other, "close_contact", at=local(2022, 12, 10))
    login(client, make_user("city", Role.CITY_OFFICE))
    text = client.get("/control/").content.decode()
    assert "<h1>风险人员管控 · 全市</h1>" in text and 'id="active-count">2<' in text
    assert f'href="?node={city.district.pk}"' in text
    assert f'href="?node={city.other_district.pk}"' in text
    assert 'href="/control/overdue/"' in text and 'href="/control/releases/"' in text
    district = client.get(f"/control/?node={city.district.pk}").content.decode()
    assert 'id="active-count">1<' in district and '<a href="?">全市</a> › ' in district
    due = RiskPerson.objects.get(resident=other).release_on
    releases = client.get(f"/control/releases/?date={due}").content.decode()
    assert "<h1>" in releases and " · 全市</h1>" in releases
    assert "张丽" in releases and "赵六" in releases  # both districts' people due that day
    assert client.get("/control/overdue/").status_code == 200


def test_an_office_granted_two_districts_starts_from_both(client, city):
    chain.identify(city.alice, "close_contact", at=local(2022, 12, 10))
    user = make_user("two", Role.DISTRICT_OFFICE, node=city.district)
    Grant.objects.create(user=user, role=Role.DISTRICT_OFFICE, node=city.other_district)
    login(client, user)
    text = client.get("/control/").content.decode()
    assert "<h1>风险人员管控 · 我的辖区</h1>" in text and 'id="active-count">1<' in text
    assert f'href="?node={city.district.pk}"' in text
    district = client.get(f"/control/?node={city.district.pk}").content.decode()
    assert '<a href="?">我的辖区</a> › ' in district


def test_the_whole_territory_counts_only_what_the_user_may_see(client, city):
    # Granted another district and one household of this one: the whole territory is
    # that household's people, not its street's or its district's.
    chain.identify(city.alice, "close_contact", at=local(2022, 12, 10))
    chain.identify(city.bob, "close_contact", at=local(2022, 12, 10))
    user = make_user("two", Role.DISTRICT_OFFICE, node=city.other_district)
    Grant.objects.create(user=user, role=Role.DISTRICT_OFFICE, node=city.home1)
    login(client, user)
    text = client.get("/control/").content.decode()
    assert 'id="active-count">1<' in text  # 张丽 in home1, not 李强 next door
    assert "李强" not in text


def test_a_street_office_still_starts_from_its_street(client, city, street_office):
    login(client, street_office)
    text = client.get("/control/").content.decode()
    assert "风险人员管控 · 坞城街道" in text and "全市" not in text


def test_an_office_cannot_open_a_node_outside_its_grants(client, city, street_office):
    login(client, street_office)
    assert client.get(f"/control/?node={city.other_district.pk}").status_code == 404


def test_a_person_page_shows_the_timeline_with_masked_id_and_phone(client, city, street_office):
    person = chain.advance_to_measure(
        chain.identify(city.alice, "close_contact", at=local(2022, 12, 10)), user=street_office
    )
    login(client, street_office)
    text = client.get(f"/control/people/{person.pk}/").content.decode()
    assert city.alice.id_number not in text and "13812345678" not in text
    assert "138****5678" in text
    assert "新十条" in text and "已判定" in text and "管控中" in text
    assert text.count("健康监测") >= 5


def test_a_grid_worker_sees_only_their_grid_and_cannot_touch_another(client, city, grid_worker):
    now = timezone.now()
    chain.identify(city.alice, "high_risk_resident", at=now)
    bob = chain.identify(city.bob, "high_risk_resident", at=now)
    login(client, grid_worker)
    text = client.get("/control/grid/").content.decode()
    assert "张丽" in text and "李强" not in text
    other = Task.objects.get(risk_person=bob, kind=TaskKind.HEALTH_CHECK, day=timezone.localdate())
    answer = client.post(f"/control/tasks/{other.pk}/health-check/", {"temperature": "36.5"})
    assert answer.status_code == 404
    assert client.get(f"/control/people/{bob.pk}/").status_code == 404


def test_tomorrows_release_list_names_those_due(client, city, street_office):
    today = timezone.localdate()
    # A 新十条 close contact identified four days ago is released on day 5: tomorrow.
    start = today - dt.timedelta(days=3)
    at = timezone.make_aware(dt.datetime.combine(start, dt.time(10)))
    chain.identify(city.alice, "close_contact", at=at)
    login(client, street_office)
    text = client.get("/control/releases/").content.decode()
    assert "张丽" in text and city.alice.id_number not in text
    assert str(today + dt.timedelta(days=1)) in text


def test_the_overdue_page_lists_the_missed_tasks_of_the_street(client, city, street_office):
    chain.identify(city.alice, "close_contact", at=timezone.now() - dt.timedelta(days=2))
    login(client, street_office)
    text = client.get("/control/overdue/").content.decode()
    assert 'id="overdue-total">' in text and "张丽" in text and "健康监测" in text


def test_anonymous_users_are_sent_to_login(client, city):
    for url in ("/control/", "/control/grid/", "/control/releases/", "/control/overdue/"):
        assert client.get(url).status_code == 302


def test_an_office_forms_a_team_from_the_least_loaded_suggestions(client, city, workforce):
    from wuyi.control.models import FiveToOneTeam

    chain.identify(city.alice, "close_contact", at=local(2022, 12, 10))
    office = make_user("community", Role.COMMUNITY_OFFICE, node=city.community)
    login(client, office)
    page = client.get(f"/control/households/{city.home1.pk}/team/").content.decode()
    assert "网格员1(在管 0 户)" in page and "张丽" in page
    doctor = workforce["community_doctor"][1]
    grid_worker = workforce["grid_worker"][0]
    answer = client.post(
        f"/control/households/{city.home1.pk}/team/",
        {"community_doctor": doctor.pk, "grid_worker": grid_worker.pk},
    )
    assert answer.status_code == 302
    team = FiveToOneTeam.objects.get(household=city.home1)
    assert dict(team.members.values_list("role", "staff")) == {
        "community_doctor": doctor.pk,
        "grid_worker": grid_worker.pk,
    }
    # A staff member who is not a candidate for the role is refused, and nothing changes.
    refused = client.post(f"/control/households/{city.home1.pk}/team/", {"grid_worker": doctor.pk})
    assert refused.status_code == 422 and "网格员的人选不在候选名单中" in refused.content.decode()
    assert team.members.get(role="grid_worker").staff == grid_worker


def test_a_team_member_sees_the_tasks_assigned_to_them(client, city, workforce, grid_worker):
    from wuyi.control import teams

    member = workforce["grid_worker"][0]
    member.user = grid_worker
    member.save()
    chain.identify(city.alice, "close_contact", at=timezone.now())
    teams.form_team(city.home1, {"grid_worker": member})
    login(client, grid_worker)
    text = client.get("/control/my-tasks/").content.decode()
    assert "张丽 · 健康监测" in text


def test_a_grid_worker_in_english_reads_the_health_check_answers_in_english(
    client, city, grid_worker
):
    chain.identify(city.alice, "high_risk_resident", at=timezone.now())
    task = Task.objects.get(risk_person__resident=city.alice, kind=TaskKind.HEALTH_CHECK,
                            day=timezone.localdate())  # fmt: skip
    login(client, grid_worker)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    url = f"/control/tasks/{task.pk}/health-check/"
    page = client.post(url, {"temperature": "热"}, follow=True).content.decode()
    assert "Temperature “热” is not a number; enter degrees Celsius such as 36.5" in page
    page = client.post(url, {"temperature": "45"}, follow=True).content.decode()
    assert "is not between" in page
    page = client.post(url, {"temperature": "36.6"}, follow=True).content.decode()
    assert "Health check of 张丽 recorded" in page
