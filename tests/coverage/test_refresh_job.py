"""The tally refresh as a background job, and the district and street pages that read tallies."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from wuyi.core import background
from wuyi.coverage.models import CommunityTally, TallyMark
from wuyi.coverage.tallies import node_rollup
from wuyi.testing.models import RoundStatus, TestingRound

# The runner closes stale connections between jobs, as ``wuyi work`` does: inside a test's
# transaction that would close the test database, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_job_is_registered_every_30_seconds():
    job = background.JOBS["coverage.refresh"]
    assert job.seconds == 30


def test_the_job_refreshes_active_rounds_only(city, rnd):
    draft = TestingRound.objects.create(
        code="DRAFT1",
        name="筹备轮",
        status=RoundStatus.DRAFT,
        start_date=dt.date(2022, 4, 20),
        end_date=dt.date(2022, 4, 20),
    )
    result = background.run_due(force=True)["coverage.refresh"]
    assert result == {
        "rounds": 1,
        "communities_refreshed": 1,
        "by_round": {rnd.round.code: 1},
    }
    assert CommunityTally.objects.filter(round=rnd.round).get().missing == 2
    assert not TallyMark.objects.filter(round=draft).exists()
    # Nothing changed since: the next run recounts nothing.
    assert background.run_due(force=True)["coverage.refresh"]["communities_refreshed"] == 0
    rnd.sample(city.alice)
    assert background.run_due(force=True)["coverage.refresh"]["communities_refreshed"] == 1
    tally = CommunityTally.objects.get(round=rnd.round)
    assert (tally.sampled, tally.missing) == (1, 1)


def test_a_recently_closed_round_is_refreshed_and_an_old_one_is_not(city, rnd):
    from django.utils import timezone

    today = timezone.localdate()
    recent = TestingRound.objects.create(
        code="CLOSED1",
        name="昨天结束",
        status=RoundStatus.CLOSED,
        start_date=today - dt.timedelta(days=1),
        end_date=today - dt.timedelta(days=1),
    )
    old = TestingRound.objects.create(
        code="CLOSED2",
        name="十天前结束",
        status=RoundStatus.CLOSED,
        start_date=today - dt.timedelta(days=10),
        end_date=today - dt.timedelta(days=10),
    )
    result = background.run_due(force=True)["coverage.refresh"]
    assert set(result["by_round"]) == {rnd.round.code, recent.code}
    assert not TallyMark.objects.filter(round=old).exists()


def test_wuyi_work_once_reports_the_refresh_as_json(city, rnd):
    out = io.StringIO()
    call_command("work", "--once", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["coverage.refresh"]["by_round"] == {rnd.round.code: 1}


def test_a_district_page_reads_the_tallies_and_says_when_they_were_refreshed(
    client, city, rnd, city_office
):
    client.force_login(city_office)
    url = reverse("coverage:node", args=[rnd.round.code, city.district.pk])
    page = client.get(url).content.decode()
    assert "实时统计" in page  # never refreshed: counted live
    background.run_due(force=True)
    rnd.sample(city.alice)
    response = client.get(url)
    # The sample is not in the tallies until the next refresh: the page shows the tallies.
    assert response.context["tally"].sampled == 0
    assert [c.name for c in response.context["children"]] == ["坞城街道"]
    mark = TallyMark.objects.get(round=rnd.round)
    assert response.context["refreshed_at"] == mark.refreshed_at
    assert "汇总自各社区统计,统计于" in response.content.decode()
    background.run_due(force=True)
    response = client.get(url)
    assert response.context["tally"].sampled == 1
    assert response.context["children"][0].sampled == 1


def test_a_street_rollup_has_its_communities_and_matches_the_live_count(city, rnd, grid_worker):
    from wuyi.coverage.door_knocking import grant_exemption, record
    from wuyi.coverage.models import KnockResult
    from wuyi.coverage.rollup import children_tallies, node_tally

    rnd.sample(city.alice)
    grant_exemption(rnd.round, city.bob, "away")
    record(rnd.round, city.home1, KnockResult.NOBODY_HOME, grid_worker)
    assert node_rollup(rnd.round, city.street) is None  # never refreshed
    background.run_due(force=True)
    summed = node_rollup(rnd.round, city.street)
    assert summed.tally.as_dict() == node_tally(rnd.round, city.street).as_dict()
    assert [c.as_dict() for c in summed.children] == [
        c.as_dict() for c in children_tallies(rnd.round, city.street)
    ]
    assert node_rollup(rnd.round, city.community) is None  # communities count live
