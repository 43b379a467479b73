"""A door knock saying "sampled elsewhere": its own class, out of the missed list, in reports."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from wuyi.coverage.close import close_report
from wuyi.coverage.door_knocking import record
from wuyi.coverage.missed import missed_list
from wuyi.coverage.models import CommunityTally, KnockResult
from wuyi.coverage.rollup import REPORTED, grid_tally, node_tally, resident_classes
from wuyi.coverage.status import grid_households
from wuyi.coverage.tallies import city_rollup, refresh_changed
from wuyi.people.models import Resident


def _elsewhere(rnd, city, worker, resident=None, home=None):
    return record(
        rnd.round,
        home or city.home1,
        KnockResult.SAMPLED_ELSEWHERE,
        worker,
        resident or city.alice,
        sampled_where="太原南站采样点",
        sampled_when=timezone.now() - dt.timedelta(hours=2),
    )


def test_a_person_reported_sampled_elsewhere_leaves_missing_for_their_own_class(
    city, rnd, grid_worker
):
    _elsewhere(rnd, city, grid_worker)
    tally = node_tally(rnd.round, city.district)
    assert (tally.sampled, tally.reported, tally.missing) == (0, 1, 1)
    assert tally.target == 2 and tally.share == 0.0  # the worker's word is not a scan
    assert tally.as_dict()["reported_elsewhere"] == 1
    assert grid_tally(rnd.round, city.grid_a).reported == 1
    classes = resident_classes(rnd.round, Resident.objects.all())
    assert classes == {city.alice.pk: REPORTED, city.bob.pk: "missing"}


def test_a_scan_arriving_makes_the_reported_person_sampled(city, rnd, grid_worker):
    _elsewhere(rnd, city, grid_worker)
    rnd.sample(city.alice)
    tally = node_tally(rnd.round, city.building1)
    assert (tally.sampled, tally.reported, tally.missing) == (1, 0, 0)


def test_a_later_knock_with_another_result_undoes_the_report(city, rnd, grid_worker):
    _elsewhere(rnd, city, grid_worker)
    record(rnd.round, city.home1, KnockResult.REFUSED, grid_worker, city.alice, note="核实不符")
    tally = node_tally(rnd.round, city.building1)
    assert (tally.reported, tally.missing) == (0, 1)


def test_a_report_in_another_round_does_not_count(city, rnd, grid_worker):
    from wuyi.testing.models import RoundStatus, TestingRound

    other = TestingRound.objects.create(
        code="R2",
        name="第二轮",
        status=RoundStatus.ACTIVE,
        start_date=dt.date(2022, 4, 12),
        end_date=dt.date(2022, 4, 12),
    )
    record(
        other,
        city.home1,
        KnockResult.SAMPLED_ELSEWHERE,
        grid_worker,
        city.alice,
        sampled_where="单位",
    )
    assert node_tally(rnd.round, city.building1).missing == 1


def test_an_exemption_still_wins_over_a_report(city, rnd, grid_worker):
    from wuyi.coverage.door_knocking import grant_exemption

    grant_exemption(rnd.round, city.alice, "isolated")
    _elsewhere(rnd, city, grid_worker)
    tally = node_tally(rnd.round, city.building1)
    assert (tally.exempt, tally.reported) == ({"isolated": 1}, 0)


def test_the_grid_view_labels_the_person_and_counts_the_household_done(
    client, city, rnd, grid_worker
):
    _elsewhere(rnd, city, grid_worker)
    [home] = grid_households(rnd.round, city.grid_a, grid_worker)
    [person] = home.people
    assert person.cls == REPORTED and person.css == "info"
    assert person.label.startswith("已在别处采样(待核实):太原南站采样点")
    assert not home.attention and home.missing == 0
    client.force_login(grid_worker)
    page = client.get(
        reverse("coverage:grid", args=[rnd.round.code, city.grid_a.code])
    ).content.decode()
    assert "别处采样待核实 1" in page and "没有未采样的人员" in page


def test_the_missed_lists_no_longer_list_them(client, city, rnd, grid_worker, city_office):
    _elsewhere(rnd, city, grid_worker)
    assert missed_list(rnd.round, grid_worker, grid=city.grid_a) == []
    assert [r.name for r in missed_list(rnd.round, city_office, node=city.community)] == ["李强"]
    client.force_login(grid_worker)
    page = client.get(
        reverse("coverage:missed_grid", args=[rnd.round.code, city.grid_a.code])
    ).content.decode()
    assert "张丽" not in page and "没有漏检人员" in page


def test_the_close_report_shows_them_separately_for_verification(
    client, city, rnd, grid_worker, city_office
):
    _elsewhere(rnd, city, grid_worker)
    report = close_report(rnd.round, city.district).as_dict()
    assert report["coverage"]["reported_elsewhere"] == 1
    assert report["coverage"]["missing"] == 1 and report["door_knocks"]["sampled_elsewhere"] == 1
    assert report["children"][0]["reported_elsewhere"] == 1
    client.force_login(city_office)
    response = client.get(reverse("coverage:close", args=[rnd.round.code, city.district.pk]))
    [row] = response.context["reported_rows"]
    assert row.name == "张丽" and row.elsewhere.startswith("太原南站采样点")
    page = response.content.decode()
    assert "已在别处采样(待核实)" in page and "太原南站采样点" in page
    assert "13812345678" not in page and "138****5678" in page


def test_the_close_report_lists_only_people_inside_the_users_grants(client, city, rnd, grid_worker):
    from tests.conftest import make_user
    from wuyi.accounts.models import Role

    _elsewhere(rnd, city, grid_worker)
    _elsewhere(rnd, city, grid_worker, city.bob, city.home2)
    client.force_login(make_user("gw_b", Role.GRID_WORKER, grid=city.grid_b))
    response = client.get(reverse("coverage:close", args=[rnd.round.code, city.building2.pk]))
    assert [r.name for r in response.context["reported_rows"]] == ["李强"]
    assert "张丽" not in response.content.decode()


def test_tallies_keep_the_reported_count_and_refresh_on_a_knock(city, rnd, grid_worker):
    assert refresh_changed(rnd.round) == 1
    _elsewhere(rnd, city, grid_worker)
    assert refresh_changed(rnd.round) == 1  # the knock alone marks the community changed
    assert CommunityTally.objects.get().reported == 1
    [district] = city_rollup(rnd.round)["districts"]
    assert (district.reported, district.missing, district.target) == (1, 1, 2)
