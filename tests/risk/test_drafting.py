"""Drafting notices from decisions, and the round trip draft → parse."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.risk.strategies import DISTRICTS, address_parts
from wuyi.risk import areas
from wuyi.risk.drafting import (
    DraftError,
    DraftItem,
    DraftSpec,
    compose_notice,
    draft_notice,
    publish,
)
from wuyi.risk.models import Level, Notice
from wuyi.risk.notice_parser import parse_notice
from wuyi.risk.resolve import resolve_notice

D = dt.date

changes = st.sampled_from(
    [("new", "high"), ("new", "medium"), ("lowered", "low"), ("lowered", "medium")]
)
draft_items = st.builds(
    lambda district, change, parts: DraftItem(district, change[0], change[1], parts),
    st.sampled_from(DISTRICTS),
    changes,
    address_parts,
)


def decisions_of(result: dict) -> list[tuple]:
    return sorted(
        (
            d["name"],
            s["change"],
            s["level"],
            json.dumps(i["parts"], sort_keys=True, ensure_ascii=False),
        )
        for s in result["sections"]
        for d in s["districts"]
        for i in d["items"]
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(draft_items, min_size=1, max_size=25),
    st.integers(1, 999),
    st.dates(D(2022, 6, 28), D(2023, 1, 7)),
    st.lists(st.sampled_from(["fangan9", "ershitiao", "xinshitiao"]), unique=True, max_size=3),
)
def test_a_drafted_notice_parses_back_to_the_same_decisions(items, number, dated, versions):
    text = compose_notice(DraftSpec("太原市疫情防控办公室", number, dated, versions, items))
    result = parse_notice(text)
    assert result["number"] == number
    assert result["issuer"] == "太原市疫情防控办公室"
    assert result["date"] == dated.isoformat()
    assert [b["policy"] for b in result["basis"]] == versions
    assert result["mismatches"] == []
    expected = sorted(
        (i.district, i.change, i.level, json.dumps(i.parts, sort_keys=True, ensure_ascii=False))
        for i in items
    )
    assert decisions_of(result) == expected


def test_the_draft_reads_like_the_official_form():
    items = [
        DraftItem("小店区", "new", "high", {"compound": "路泽苑小区", "building": "7号楼"}),
        DraftItem(
            "小店区", "lowered", "low", {"compound": "西吴御龙庭小区", "exclusions": ["1号楼2单元"]}
        ),
    ]
    text = compose_notice(
        DraftSpec("太原市疫情防控办公室", 199, D(2022, 12, 3), ["ershitiao"], items)
    )
    assert "根据国务院联防联控机制优化疫情防控工作二十条措施有关规定" in text
    assert "即日起我市新增高风险区1个,调整为低风险区1个。" in text
    assert "小店区(1个):路泽苑小区7号楼。" in text
    assert "小店区(1个):西吴御龙庭小区(1号楼2单元除外)。" in text
    assert text.rstrip().endswith("太原市疫情防控办公室\n2022年12月3日")


def approve(decision, office):
    return areas.approve(decision, office)


def test_decisions_become_a_numbered_draft_that_parses_back_to_their_nodes(rcity, office):
    day = D(2022, 12, 2)
    chosen = [rcity.luze7, rcity.baoli11u2, rcity.hotel, rcity.kongcun]
    for node in chosen:
        reason = "多点散发" if node == rcity.kongcun else ""
        approve(areas.designate(node, Level.HIGH, day, reason=reason), office)
    approve(
        areas.designate(
            rcity.xiwu,
            Level.HIGH,
            D(2022, 11, 20),
            reason="多点散发",
            exclusions="1号楼2单元",
            excluded_nodes=[rcity.xiwu1u2],
        ),
        office,
    )
    [lowering] = areas.propose_lowerings(day)
    approve(lowering, office)
    notice = draft_notice("太原市疫情防控办公室", D(2022, 12, 3), by=office)
    assert (notice.number, notice.year, notice.status) == (1, 2022, "draft")
    result = resolve_notice(parse_notice(notice.text))
    assert result["unresolved"] == []
    new, lowered = result["sections"]
    new_nodes = [i["node"]["id"] for d in new["districts"] for i in d["items"]]
    assert sorted(new_nodes) == sorted([n.pk for n in chosen] + [rcity.xiwu.pk])
    [xiwu] = lowered["districts"][0]["items"]
    assert xiwu["node"]["id"] == rcity.xiwu.pk and xiwu["text"] == "西吴御龙庭小区"
    assert {d["name"]: d["declared"] for d in new["districts"]} == {"小店区": 4, "清徐县": 1}


def test_the_next_draft_takes_the_next_number_and_only_new_decisions(rcity, office):
    approve(areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2)), office)
    first = draft_notice("太原市疫情防控办公室", D(2022, 12, 2))
    publish(first)
    with pytest.raises(DraftError, match="没有已批准"):
        draft_notice("太原市疫情防控办公室", D(2022, 12, 3))
    approve(areas.designate(rcity.baoli11u2, Level.HIGH, D(2022, 12, 3)), office)
    second = draft_notice("太原市疫情防控办公室", D(2022, 12, 3))
    assert second.number == 2
    assert "保利东郡2期11号楼2单元" in second.text and "路泽苑" not in second.text
    redrafted = draft_notice("太原市疫情防控办公室", D(2022, 12, 4))
    assert redrafted.pk == second.pk and "2022年12月4日" in redrafted.text


def test_a_published_notice_is_frozen(rcity, office):
    approve(areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2)), office)
    notice = publish(draft_notice("太原市疫情防控办公室", D(2022, 12, 2)))
    notice.refresh_from_db()
    notice.text = "改过的正文"
    with pytest.raises(ValidationError, match="已发布"):
        notice.save()
    with pytest.raises(ValidationError, match="不能删除"):
        notice.delete()
    with pytest.raises(DraftError, match="已发布"):
        publish(notice)
    assert Notice.objects.get().text != "改过的正文"


def test_the_draft_command_prints_one_json_document(rcity, office):
    approve(areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2)), office)
    out = StringIO()
    call_command("notice", "draft", "--date", "2022-12-02", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["number"] == 1 and document["status"] == "draft"
    assert "路泽苑小区7号楼" in document["text"]
    out = StringIO()
    call_command("notice", "publish", str(document["id"]), "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "published"


def test_a_floor_area_is_drafted_as_its_floor_and_read_back_as_its_households(rcity, office):
    approve(areas.designate(rcity.baoli11u2, Level.HIGH, D(2022, 12, 8), floor=5), office)
    notice = draft_notice("太原市疫情防控办公室", D(2022, 12, 8))
    assert "小店区(1个):保利东郡2期11号楼2单元5层。" in notice.text
    assert "《关于进一步优化落实新冠肺炎疫情防控措施的通知》(新十条)" in notice.text
    result = resolve_notice(parse_notice(notice.text))
    [item] = result["sections"][0]["districts"][0]["items"]
    assert item["parts"]["floor"] == "5层"
    assert sorted(n["name"] for n in item["nodes"]) == ["501", "502"]
