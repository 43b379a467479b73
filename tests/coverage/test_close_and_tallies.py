"""The round-close report and the per-community tallies behind city-wide rollups."""

from __future__ import annotations

import datetime as dt

from tests.conftest import City
from wuyi.coverage.close import close_report
from wuyi.coverage.door_knocking import grant_exemption, record
from wuyi.coverage.door_notes import Note, submit
from wuyi.coverage.models import CommunityTally, ExemptReason, KnockResult
from wuyi.coverage.rollup import node_tally
from wuyi.coverage.tallies import city_rollup, refresh_changed

T0 = dt.datetime(2022, 4, 10, 0, 0, tzinfo=dt.UTC)


def test_the_close_report_counts_reasons_notes_knocks_and_milestones(city, rnd, grid_worker):
    people = [
        City.resident(f"居民{i}", city.home1, "140105", dt.date(1990, 1, 1), 201 + 2 * i, "M")
        for i in range(18)
    ]
    for i, person in enumerate(people):
        rnd.sample(person, T0 + dt.timedelta(hours=i))
    rnd.sample(city.alice, T0 + dt.timedelta(hours=30))
    grant_exemption(rnd.round, city.bob, ExemptReason.AWAY)
    submit(rnd.round, city.home1, Note(reported_count=19, all_sampled=True))
    submit(rnd.round, city.home2, Note(reported_count=5, all_sampled=True))
    record(rnd.round, city.home2, KnockResult.NOBODY_HOME, grid_worker)
    report = close_report(rnd.round, city.district).as_dict()
    assert report["coverage"]["share"] == 1.0
    assert report["coverage"]["exempt_by_reason"]["away"] == 1
    assert report["door_notes"] == {"confirmed": 1, "visit": 1}
    assert report["door_knocks"]["nobody_home"] == 1
    # target 19: 95% is the 19th person (hour 30), so is 99%
    assert [m["hours"] for m in report["milestones"]] == [30.0, 30.0]
    assert [c["name"] for c in report["children"]] == ["坞城街道"]


def test_a_round_not_yet_at_95_percent_says_so(city, rnd):
    rnd.sample(city.alice, T0)
    report = close_report(rnd.round, city.community)
    assert [m.reached_at for m in report.milestones] == [None, None]


def test_tallies_refresh_only_changed_communities_and_sum_by_district_and_street(city, rnd):
    assert refresh_changed(rnd.round) == 1  # the first refresh counts every community
    assert refresh_changed(rnd.round) == 0  # nothing changed since
    rnd.sample(city.alice)
    assert refresh_changed(rnd.round) == 1
    rollup = city_rollup(rnd.round)
    [district] = rollup["districts"]
    [street] = rollup["streets"]
    assert (district.name, district.sampled, district.missing) == ("小店区", 1, 1)
    assert street.name == "坞城街道" and street.share == 0.5
    grant_exemption(rnd.round, city.bob, ExemptReason.ISOLATED)
    assert refresh_changed(rnd.round) == 1
    assert CommunityTally.objects.get().isolated == 1
    live = node_tally(rnd.round, city.district)
    assert city_rollup(rnd.round)["districts"][0].as_dict() == {
        **live.as_dict(),
        "key": "140105",
        "name": "小店区",
        "kind": "district",
    }


def test_a_marker_committed_after_a_refresh_below_its_watermark_is_still_counted(city, rnd):
    from wuyi.coverage.models import TallyMark
    from wuyi.testing.models import Sampled

    assert refresh_changed(rnd.round) == 1
    rnd.sample(city.alice)
    marker = Sampled.objects.get(round=rnd.round, resident=city.alice)
    # As on PostgreSQL: the last refresh already saw a higher id while this marker's batch
    # had not yet committed, so the marker sits below the watermark.
    TallyMark.objects.filter(round=rnd.round).update(
        sampled_upto=marker.pk, refreshed_at=marker.sampled_at
    )
    assert refresh_changed(rnd.round) == 1
    assert CommunityTally.objects.get().sampled == 1
    # Markers stamped long before the last refresh are not looked at again.
    TallyMark.objects.filter(round=rnd.round).update(
        refreshed_at=marker.sampled_at + dt.timedelta(hours=1)
    )
    assert refresh_changed(rnd.round) == 0
