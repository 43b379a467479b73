"""The risk API: parse a notice, draft the next one, list current areas; scope and limits."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import make_user
from wuyi.accounts.models import Role
from wuyi.risk import areas
from wuyi.risk.api import MAX_BODY_BYTES, MAX_TEXT_CHARS
from wuyi.risk.models import Decision, Level, Notice
from wuyi.risk.notice_parser import parse_notice
from wuyi.risk.resolve import Gazetteer, resolve_notice

D = dt.date
SEED = Path(__file__).parent / "data" / "taiyuan-evening-news-2022-12-03.txt"
PARSE = "/api/v1/risk/notices/parse"
DRAFT = "/api/v1/risk/notices/draft"
AREAS = "/api/v1/risk/areas"
# One place in 小店区 (路泽苑小区7号楼) and one in 清徐县 (清源镇孔村).
TWO_DISTRICTS = "新增高风险区2个,分别是:\n小店区(1个):路泽苑小区7号楼。\n清徐县(1个):清源镇孔村。\n"


def post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body, ensure_ascii=False), "application/json")


@pytest.fixture
def district_office(rcity):
    return make_user("xiaodian", Role.DISTRICT_OFFICE, node=rcity.district)


@pytest.fixture
def as_city(client, office):
    client.force_login(office)
    return client


def test_the_urls_are_the_documented_ones():
    assert reverse("api:risk_notice_parse") == PARSE
    assert reverse("api:risk_draft") == reverse("api:risk_draft_state") == DRAFT
    assert reverse("api:risk_areas") == AREAS


def test_parse_returns_what_the_command_prints(as_city, rcity):
    text = SEED.read_text(encoding="utf-8")
    response = post(as_city, PARSE, {"text": text, "year": 2022})
    assert response.status_code == 200
    got = response.json()
    gazetteer = Gazetteer()
    expected = resolve_notice(parse_notice(text, year=2022, gazetteer=gazetteer), gazetteer)
    expected["outside_scope"] = []  # the city office sees the whole city
    assert got == json.loads(json.dumps(expected, ensure_ascii=False))
    assert (got["number"], got["date"], got["mismatches"]) == (198, "2022-12-02", [])
    luze = next(
        i
        for d in got["sections"][0]["districts"]
        for i in d["items"]
        if i["text"] == "路泽苑小区7号楼"
    )
    assert luze["node"]["id"] == rcity.luze7.pk


def test_parse_without_resolving_touches_no_registry(as_city, rcity):
    response = post(as_city, PARSE, {"text": TWO_DISTRICTS, "resolve": False})
    assert response.status_code == 200
    items = [i for d in response.json()["sections"][0]["districts"] for i in d["items"]]
    assert [i["node"] for i in items] == [None, None]
    assert response.json()["unresolved"] == []


def test_a_district_office_gets_only_its_own_nodes(client, rcity, district_office):
    client.force_login(district_office)
    got = post(client, PARSE, {"text": TWO_DISTRICTS}).json()
    xiaodian, qingxu = got["sections"][0]["districts"]
    assert xiaodian["items"][0]["node"]["id"] == rcity.luze7.pk
    kong = qingxu["items"][0]
    assert kong["node"] is None and "nodes" not in kong
    assert got["outside_scope"] == [
        {"section": 0, "district": "清徐县", "item": 0, "text": "清源镇孔村"}
    ]
    assert rcity.kongcun.path not in json.dumps(got)


def test_a_notice_the_parser_cannot_read_is_a_422_saying_why(as_city):
    response = post(as_city, PARSE, {"text": "本报讯 今天天气晴。"})
    assert response.status_code == 422
    assert "没有找到风险区清单" in response.json()["detail"]
    response = post(as_city, PARSE, {"text": "新增高风险区1个:\n小店区(1个):甲小区(1号楼。"})
    assert response.status_code == 422
    assert "小店区第1项" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": "x", "year": 99}, "year")],
)
def test_a_missing_or_bad_field_is_a_422_naming_it(as_city, body, field):
    response = post(as_city, PARSE, body)
    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]


def test_a_text_over_the_limit_is_a_422_and_a_body_over_the_limit_a_413(as_city):
    response = post(as_city, PARSE, {"text": "啊" * (MAX_TEXT_CHARS + 1)})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "string_too_long"
    body = json.dumps({"text": "a" * (MAX_BODY_BYTES + 1)})
    response = as_city.post(PARSE, body, "application/json")
    assert response.status_code == 413
    assert "请求过大" in response.json()["detail"]


def test_anonymous_callers_get_401_even_for_an_oversized_body(rcity):
    client = Client()
    assert post(client, PARSE, {"text": TWO_DISTRICTS}).status_code == 401
    body = json.dumps({"text": "a" * (MAX_BODY_BYTES + 1)})
    assert client.post(PARSE, body, "application/json").status_code == 401


def test_posts_need_the_csrf_token(rcity, office):
    client = Client(enforce_csrf_checks=True)
    client.force_login(office)
    assert post(client, PARSE, {"text": TWO_DISTRICTS}).status_code == 403
    token = "a" * 32  # any 32-character secret works as cookie and header alike
    client.cookies["csrftoken"] = token
    response = client.post(
        PARSE, json.dumps({"text": TWO_DISTRICTS}), "application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.VOLUNTEER, Role.RESIDENT])
def test_only_offices_may_use_the_risk_api(client, rcity, role):
    client.force_login(make_user("someone", role, node=rcity.community))
    assert post(client, PARSE, {"text": TWO_DISTRICTS}).status_code == 403
    assert client.get(AREAS).status_code == 403
    assert client.get(DRAFT).status_code == 403
    assert post(client, DRAFT, {}).status_code == 403


DAY = D(2022, 12, 2)


def _approved(node, day=DAY, by=None) -> Decision:
    return areas.approve(areas.designate(node, Level.HIGH, day, reason="阳性"), by)


def test_the_city_office_drafts_the_next_notice_from_approved_decisions(as_city, rcity, office):
    assert as_city.get(DRAFT).json() == {"draft": None, "pending": 0}
    response = post(as_city, DRAFT, {"date": "2022-12-03"})
    assert response.status_code == 422
    assert response.json()["detail"] == "没有已批准但尚未通告的风险区决定"
    _approved(rcity.luze7, by=office)
    _approved(rcity.kongcun, by=office)
    response = post(as_city, DRAFT, {"date": "2022-12-03"})
    assert response.status_code == 200
    notice = response.json()
    assert (notice["number"], notice["year"], notice["status"]) == (1, 2022, "draft")
    assert notice["decisions"] == 2 and notice["date"] == "2022-12-03"
    assert "小店区(1个):路泽苑小区7号楼。" in notice["text"]
    state = as_city.get(DRAFT).json()
    assert state["draft"] == notice and state["pending"] == 2
    # Drafting again rewrites the same draft: it keeps its number.
    assert post(as_city, DRAFT, {"date": "2022-12-04"}).json()["number"] == 1
    assert Notice.objects.count() == 1


def test_a_district_office_may_not_draft(client, rcity, district_office):
    _approved(rcity.luze7)
    client.force_login(district_office)
    response = post(client, DRAFT, {"date": "2022-12-03"})
    assert response.status_code == 403
    assert "市疫情防控办公室" in response.json()["detail"]
    assert client.get(DRAFT).status_code == 403
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    "body", [{"date": "2022-13-01"}, {"city": ""}, {"city": "市" * 21}, {"date": 5}]
)
def test_a_bad_draft_request_is_a_422_and_writes_nothing(as_city, rcity, body):
    _approved(rcity.luze7)
    assert post(as_city, DRAFT, body).status_code == 422
    assert not Notice.objects.exists()


def test_areas_lists_the_active_areas_in_the_callers_scope(client, rcity, district_office):
    _approved(rcity.luze7)
    _approved(rcity.kongcun)
    pending = areas.designate(rcity.hotel, Level.HIGH, D(2022, 12, 2))  # proposed: not current
    client.force_login(district_office)
    got = client.get(AREAS).json()
    assert [a["label"] for a in got] == ["路泽苑小区7号楼"]
    area = got[0]
    assert (area["level"], area["district"], area["node_id"]) == ("high", "小店区", rcity.luze7.pk)
    assert area["designated_on"] == "2022-12-02"
    assert pending.area.node.name not in json.dumps(got, ensure_ascii=False)


def test_areas_filters_by_level_and_limits(as_city, rcity):
    for node in (rcity.luze7, rcity.kongcun, rcity.hotel):
        _approved(node)
    assert len(as_city.get(AREAS).json()) == 3
    assert len(as_city.get(AREAS, {"limit": 2}).json()) == 2
    assert as_city.get(AREAS, {"level": "medium"}).json() == []
    assert as_city.get(AREAS, {"level": "severe"}).status_code == 422
    assert as_city.get(AREAS, {"limit": 0}).status_code == 422


def test_the_routes_are_in_the_api_docs(client):
    schema = client.get("/api/openapi.json").json()
    assert {"post"} <= set(schema["paths"][PARSE])
    assert {"get", "post"} <= set(schema["paths"][DRAFT])
    assert "get" in schema["paths"][AREAS]
    text = schema["components"]["schemas"]["ParseIn"]["properties"]["text"]
    assert text["maxLength"] == MAX_TEXT_CHARS
