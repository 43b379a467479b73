"""The public risk-area page and its search: no login, area names only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from wuyi.risk import areas
from wuyi.risk.drafting import draft_notice, publish
from wuyi.risk.models import Level, Notice
from wuyi.risk.search import search

D = dt.date


@pytest.fixture
def current(rcity, office):
    for node, kwargs in [
        (rcity.luze7, {}),
        (rcity.baoli11u2, {}),
        (rcity.kongcun, {"reason": "多点散发"}),
        (rcity.xiwu, {"reason": "多点散发", "exclusions": "1号楼2单元"}),
    ]:
        areas.approve(areas.designate(node, Level.HIGH, D(2022, 12, 2), **kwargs), office)
    publish(draft_notice("太原市疫情防控办公室", D(2022, 12, 2)))
    return rcity


@pytest.mark.parametrize(
    ("query", "verdict"),
    [
        ("路泽苑小区7号楼", "in"),
        ("路泽苑7栋2单元502", "in"),
        ("路泽苑小区", "part"),
        ("保利东郡2期11号楼2单元", "in"),
        ("保利东郡2期11号楼1单元", None),
        ("西吴御龙庭小区2号楼1单元", "in"),
        ("西吴御龙庭小区1号楼2单元301", "excluded"),
        ("清源镇孔村", "in"),
        ("阳光小区3号楼", None),
    ],
)
def test_the_search_says_whether_an_address_is_in_a_risk_area(current, query, verdict):
    hits, message = search(query)
    assert message is None
    assert [h.verdict for h in hits][:1] == ([verdict] if verdict else [])


def test_a_query_without_a_place_name_is_explained(current):
    assert search("3号楼2单元")[1].startswith("请写出小区")
    assert "左括号" in search("路泽苑(")[1]


def test_the_page_lists_current_areas_and_the_published_notice_without_login(client, current):
    response = client.get(reverse("risk:public"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "路泽苑小区7号楼" in page and "清源镇孔村" in page
    assert "西吴御龙庭小区(1号楼2单元除外)" in page
    assert "太原市疫情防控办公室第1号通告" in page
    for resident in (current.alice, current.bob):
        assert resident.name not in page


def test_the_search_partial_answers_htmx(client, current):
    response = client.get(reverse("risk:search"), {"q": "路泽苑小区7号楼1单元"})
    assert "该地址在高风险区内" in response.content.decode()
    response = client.get(reverse("risk:search"), {"q": "阳光小区3号楼"})
    assert "不在当前任何风险区内" in response.content.decode()


def test_a_lowered_area_leaves_the_page(client, current, office):
    for proposal in areas.propose_lowerings(D(2022, 12, 8)):
        areas.approve(proposal, office)
    page = client.get(reverse("risk:public")).content.decode()
    assert "目前没有风险区" in page


def test_a_draft_notice_is_not_public(client, current, office):

    draft = Notice.objects.create(
        issuer="太原市疫情防控办公室", year=2022, number=9, dated=D(2022, 12, 9), text="草稿"
    )
    assert client.get(reverse("risk:notice", args=[draft.pk])).status_code == 404


def test_a_floor_area_covers_the_rooms_on_that_floor_only(rcity, office):
    areas.approve(areas.designate(rcity.baoli11u2, Level.HIGH, D(2022, 12, 8), floor=5), office)
    assert [h.verdict for h in search("保利东郡2期11号楼2单元502")[0]] == ["in"]
    assert [h.verdict for h in search("保利东郡2期11号楼2单元5层")[0]] == ["in"]
    assert search("保利东郡2期11号楼2单元601")[0] == []
    assert [h.verdict for h in search("保利东郡2期11号楼2单元")[0]] == ["part"]


def test_the_search_answers_in_english_when_english_is_chosen(client, current):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("risk:search"), {"q": "路泽苑小区7号楼1单元"})
    assert "This address is inside a high-risk area" in response.content.decode()
    response = client.get(reverse("risk:search"), {"q": "1号楼"})
    assert "Write the name of the compound, village or place" in response.content.decode()
