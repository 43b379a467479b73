"""The offices' pages: approve in scope, designate from a node, draft and publish the notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.conftest import make_user
from wuyi.accounts.models import Role
from wuyi.risk import areas
from wuyi.risk.models import AreaStatus, Decision, Level, Notice, RiskArea

D = dt.date


@pytest.fixture
def community_office(rcity):
    return make_user("shequ", Role.COMMUNITY_OFFICE, node=rcity.community)


def test_a_community_office_sees_and_approves_only_its_own_decisions(
    client, rcity, community_office
):
    mine = areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2))
    other = areas.designate(rcity.kong_home, Level.HIGH, D(2022, 12, 8))
    client.force_login(community_office)
    page = client.get(reverse("risk:office")).content.decode()
    assert "路泽苑小区7号楼" in page and "孔村12号" not in page
    assert client.post(reverse("risk:approve", args=[other.pk])).status_code == 404
    response = client.post(reverse("risk:approve", args=[mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.approved_by) == (Decision.Status.APPROVED, community_office)
    assert RiskArea.objects.get(node=rcity.luze7).status == AreaStatus.ACTIVE


def test_designating_from_the_page_proposes_under_the_version_in_force(
    client, rcity, community_office
):
    client.force_login(community_office)
    client.post(
        reverse("risk:designate"),
        {"node": rcity.baoli11u2.pk, "level": "high", "day": "2022-11-20", "reason": "阳性混管"},
    )
    decision = Decision.objects.get()
    assert (decision.policy, decision.status, decision.proposed_by) == (
        "ershitiao",
        "proposed",
        community_office,
    )
    response = client.post(
        reverse("risk:designate"),
        {"node": rcity.luze.pk, "level": "medium", "day": "2022-11-20"},
        follow=True,
    )
    assert "二十条不能划定中风险区" in response.content.decode()
    assert Decision.objects.count() == 1


def test_the_city_office_drafts_and_publishes_the_notice(client, rcity, office):
    areas.approve(areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2)), office)
    client.force_login(office)
    client.post(reverse("risk:draft"))
    notice = Notice.objects.get()
    page = client.get(reverse("risk:draft")).content.decode()
    assert "路泽苑小区7号楼" in page and notice.status == "draft"
    client.post(reverse("risk:publish", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PUBLISHED
    public = client.get(reverse("risk:notice", args=[notice.pk])).content.decode()
    assert "新增高风险区1个" in public


def test_other_offices_cannot_draft_notices(client, rcity, community_office):
    client.force_login(community_office)
    assert client.get(reverse("risk:draft")).status_code == 403
    assert client.post(reverse("risk:draft")).status_code == 403


def test_an_office_working_in_english_reads_refusals_and_outcomes_in_english(
    client, rcity, community_office
):
    client.force_login(community_office)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(
        reverse("risk:designate"),
        {"node": rcity.luze.pk, "level": "medium", "day": "2022-11-20"},
        follow=True,
    )
    assert "二十条 does not designate a medium-risk area" in response.content.decode()
    mine = areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2))
    page = client.post(reverse("risk:approve", args=[mine.pk]), follow=True).content.decode()
    assert "Approved: " in page
    page = client.post(reverse("risk:approve", args=[mine.pk]), follow=True).content.decode()
    assert "it cannot be approved" in page
