"""High-risk areas get a daily single-tube round: made per day, kept per day, dropped after
a lowering's day; the approval signals and the background job both drive it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wuyi.core import background
from wuyi.risk import areas, daily_testing
from wuyi.risk.daily_testing import ensure_daily_round, round_code
from wuyi.risk.models import Level
from wuyi.testing.models import (
    PoolSize,
    RoundSite,
    RoundStatus,
    RoundZone,
    SamplingSite,
    TestingRound,
)

D = dt.date
DEC1 = D(2022, 12, 1)


@pytest.fixture
def site(rcity) -> SamplingSite:
    """光华街社区's sampling site: the nearest to every place of 小店区 in the test city."""
    return SamplingSite.objects.create(
        code="S-GH",
        name="光华街社区采样点",
        node=rcity.community,
        path=rcity.community.path,
        district_code=rcity.community.district_code,
    )


def high(node, day, office, **kwargs):
    decision = areas.designate(node, Level.HIGH, day, reason="阳性混管", **kwargs)
    return areas.approve(decision, office).area


def zones(day: dt.date) -> dict[int, int]:
    """node id → pool size of the zones of ``day``'s daily round."""
    return dict(
        RoundZone.objects.filter(round__code=round_code(day)).values_list("node_id", "pool_size")
    )


def test_a_high_risk_area_gets_a_single_tube_round_on_its_day(rcity, office, site):
    area = high(rcity.luze7, DEC1, office)
    report = ensure_daily_round(DEC1)
    assert report["created"] and report["round"] == "GFX-20221201"
    round_ = TestingRound.objects.get(code="GFX-20221201")
    assert (round_.start_date, round_.end_date, round_.status) == (DEC1, DEC1, RoundStatus.ACTIVE)
    assert round_.default_pool_size == PoolSize.SINGLE
    assert zones(DEC1) == {rcity.luze7.pk: PoolSize.SINGLE}
    zone = round_.zones.get()
    assert (zone.path, zone.district_code) == (area.path, area.district_code)
    round_site = RoundSite.objects.get(round=round_)
    assert (round_site.site, round_site.pool_size) == (site, PoolSize.SINGLE)
    assert list(round_site.served_nodes.all()) == [rcity.luze7]
    assert report["zones_added"] == [{"area": area.pk, "node": rcity.luze7.pk, "path": area.path}]
    assert report["sites_added"] == ["S-GH"] and report["without_site"] == []


def test_making_a_days_round_again_adds_nothing(rcity, office, site):
    high(rcity.luze7, DEC1, office)
    ensure_daily_round(DEC1)
    again = ensure_daily_round(DEC1)
    assert (again["created"], again["zones_added"], again["sites_added"]) == (False, [], [])
    assert TestingRound.objects.count() == 1 and RoundZone.objects.count() == 1


def test_a_day_without_high_risk_areas_gets_no_round(rcity, office, site):
    report = ensure_daily_round(DEC1)
    assert report["round"] is None and report["areas"] == 0
    areas.designate(rcity.luze7, Level.HIGH, DEC1)  # proposed, not approved: not in force
    assert ensure_daily_round(DEC1)["round"] is None
    assert not TestingRound.objects.exists()


def test_each_day_has_its_own_round_from_the_designation_day_on(rcity, office, site):
    high(rcity.luze7, DEC1, office)
    later = high(rcity.baoli11u2, D(2022, 12, 2), office)
    ensure_daily_round(D(2022, 11, 30))
    assert not TestingRound.objects.exists()  # before any designation: nothing to test
    ensure_daily_round(DEC1)
    assert set(zones(DEC1)) == {rcity.luze7.pk}  # the unit is high-risk from the 2nd only
    ensure_daily_round(D(2022, 12, 2))
    assert set(zones(D(2022, 12, 2))) == {rcity.luze7.pk, rcity.baoli11u2.pk}
    assert set(zones(DEC1)) == {rcity.luze7.pk}  # yesterday's round is left as it was
    assert later.designated_on == D(2022, 12, 2)
    codes = list(TestingRound.objects.order_by("start_date").values_list("code", flat=True))
    assert codes == ["GFX-20221201", "GFX-20221202"]


def test_a_medium_risk_area_is_not_tested_daily(rcity, office, site):
    day = D(2022, 7, 1)  # 第九版: medium-risk areas exist
    areas.approve(areas.designate(rcity.luze7, Level.MEDIUM, day), office)
    assert ensure_daily_round(day)["round"] is None


def test_lowering_drops_the_area_from_the_day_after_its_decision(
    rcity, office, site, django_capture_on_commit_callbacks
):
    area = high(rcity.luze7, DEC1, office)
    high(rcity.baoli11u2, DEC1, office)
    lowering_day = D(2022, 12, 7)  # 二十条: five clean days after the 1st
    for day in (lowering_day, lowering_day + dt.timedelta(days=1)):
        ensure_daily_round(day)  # the next day's round was already made in advance
    proposals = {d.area_id: d for d in areas.propose_lowerings(lowering_day, by=office)}
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(proposals[area.pk], office)
    assert set(zones(lowering_day)) == {rcity.luze7.pk, rcity.baoli11u2.pk}  # its own day stays
    assert set(zones(lowering_day + dt.timedelta(days=1))) == {rcity.baoli11u2.pk}
    next_day_site = RoundSite.objects.get(round__code=round_code(D(2022, 12, 8)))
    assert list(next_day_site.served_nodes.all()) == [rcity.baoli11u2]
    ensure_daily_round(D(2022, 12, 9))
    assert set(zones(D(2022, 12, 9))) == {rcity.baoli11u2.pk}


def test_high_to_medium_under_the_ninth_edition_ends_daily_testing(
    rcity, office, site, django_capture_on_commit_callbacks
):
    area = high(rcity.luze7, D(2022, 7, 1), office)
    areas.record_screening(area, D(2022, 7, 8), all_negative=True)
    ensure_daily_round(D(2022, 7, 10))
    [lowering] = areas.propose_lowerings(D(2022, 7, 9), by=office)
    assert lowering.level == Level.MEDIUM
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(lowering, office)
    assert zones(D(2022, 7, 10)) == {}
    assert ensure_daily_round(D(2022, 7, 11))["round"] is None


def test_two_floor_areas_of_one_unit_share_a_zone_until_both_are_lowered(
    rcity, office, site, django_capture_on_commit_callbacks
):
    day = D(2022, 12, 8)  # 新十条: areas by floor
    fifth = high(rcity.baoli11u2, day, office, floor=5)
    high(rcity.baoli11u2, day, office, floor=6)
    ensure_daily_round(day + dt.timedelta(days=6))
    assert zones(day + dt.timedelta(days=6)) == {rcity.baoli11u2.pk: PoolSize.SINGLE}
    ensure_daily_round(day + dt.timedelta(days=7))
    lowering = next(
        d for d in areas.propose_lowerings(day + dt.timedelta(days=6)) if d.area_id == fifth.pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(lowering, office)
    assert set(zones(day + dt.timedelta(days=7))) == {rcity.baoli11u2.pk}  # the 6th floor


def test_an_area_without_a_site_nearby_is_reported_and_the_street_is_tried(rcity, office, site):
    area = high(rcity.kong_home, D(2022, 12, 8), office)  # 孔村: no site in the village
    report = ensure_daily_round(D(2022, 12, 8))
    assert report["without_site"] == [{"area": area.pk, "path": area.path}]
    assert zones(D(2022, 12, 8)) == {rcity.kong_home.pk: PoolSize.SINGLE}
    town = SamplingSite.objects.create(
        code="S-QY",
        name="清源镇采样点",
        node=rcity.qingyuan,
        path=rcity.qingyuan.path,
        district_code=rcity.qingyuan.district_code,
    )
    assert daily_testing.sites_for(rcity.kong_home) == [town]
    assert daily_testing.sites_for(rcity.luze7) == [site]  # the community's own site first


def test_approving_a_designation_puts_the_area_into_todays_round(
    rcity, office, site, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    decision = areas.designate(rcity.baoli11u2, Level.HIGH, today, reason="阳性混管")
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(decision, office)
    round_ = TestingRound.objects.get(code=round_code(today))
    assert round_.created_by == office
    assert zones(today) == {rcity.baoli11u2.pk: PoolSize.SINGLE}


def test_a_designation_dated_tomorrow_waits_for_its_day(
    rcity, office, site, django_capture_on_commit_callbacks
):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    decision = areas.designate(rcity.baoli11u2, Level.HIGH, tomorrow, reason="阳性混管")
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(decision, office)
    assert not TestingRound.objects.exists()
    ensure_daily_round(tomorrow)
    assert zones(tomorrow) == {rcity.baoli11u2.pk: PoolSize.SINGLE}


def test_the_background_job_makes_todays_round(rcity, office, site):
    today = timezone.localdate()
    areas.approve(areas.designate(rcity.baoli11u2, Level.HIGH, today), office)  # no signal
    job = background.JOBS["risk.daily_testing"]
    assert job.seconds == daily_testing.JOB_SECONDS
    report = job.func()
    assert report["round"] == round_code(today) and report["created"]
    assert zones(today) == {rcity.baoli11u2.pk: PoolSize.SINGLE}
    assert job.func()["zones_added"] == []
