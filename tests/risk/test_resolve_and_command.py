"""Resolving notice items to registry nodes, and ``wuyi notice parse`` end to end."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wuyi.risk.notice_parser import parse_notice
from wuyi.risk.resolve import Gazetteer, resolve_notice, tolerant

SEED = Path(__file__).parent / "data" / "taiyuan-evening-news-2022-12-03.txt"


def test_seed_items_resolve_to_the_registry_nodes_they_name(rcity):
    result = resolve_notice(parse_notice(SEED.read_bytes(), year=2022), Gazetteer())
    items = {i["text"]: i for s in result["sections"] for d in s["districts"] for i in d["items"]}
    assert items["路泽苑小区7号楼"]["node"]["id"] == rcity.luze7.pk
    assert items["保利东郡2期11号楼2单元"]["node"]["id"] == rcity.baoli11u2.pk
    assert items["西吴御龙庭小区1号楼2单元"]["node"]["id"] == rcity.xiwu1u2.pk
    assert items["西吴御龙庭小区(1号楼2单元除外)"]["node"]["id"] == rcity.xiwu.pk
    assert items["清源镇孔村"]["node"]["id"] == rcity.kongcun.pk
    unresolved = {u["text"]: u["reason"] for u in result["unresolved"]}
    assert "路泽苑小区7号楼" not in unresolved
    assert unresolved["富力桃园9号楼1单元"] == "登记库中没有区县“杏花岭区”"
    assert "找不到“石林苑”" in unresolved["石林苑2号楼2单元"]
    assert len(unresolved) == 75 - 5


def test_tolerant_matching_finds_names_written_differently(rcity):
    text = "新增高风险区3个:\n小店区(3个):路泽苑7栋,西吴御龙庭1号楼二单元,丽枫酒店。"
    result = resolve_notice(parse_notice(text))
    assert result["unresolved"] == []
    assert tolerant("路泽苑小区") == tolerant("路泽苑") == "路泽苑"


def test_a_floor_resolves_to_the_households_on_it(rcity):
    result = resolve_notice(
        parse_notice("新增高风险区1个:\n小店区(1个):保利东郡2期11号楼2单元5层。")
    )
    item = result["sections"][0]["districts"][0]["items"][0]
    assert sorted(n["name"] for n in item["nodes"]) == ["501", "502"]


def test_a_missing_building_is_listed_with_where_it_was_looked_for(rcity):
    result = resolve_notice(parse_notice("新增高风险区1个:\n小店区(1个):路泽苑小区9号楼。"))
    assert result["unresolved"][0]["reason"] == "路泽苑小区下找不到楼栋:9号楼"


def test_the_parse_command_prints_the_acceptance_json(rcity, tmp_path):
    out = StringIO()
    call_command("notice", "parse", str(SEED), "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert set(document) >= {
        "issuer",
        "number",
        "date",
        "basis",
        "sections",
        "mismatches",
        "unresolved",
    }
    assert document["date"] == "2022-12-02"  # the year from the file name
    assert [s["declared_total"] for s in document["sections"]] == [42, 33]
    assert document["mismatches"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "通告为空"),
        (b"\x00\x01\x02" * 50, "不是文本文件"),
        ("新增高风险区1个:小店区:甲(".encode(), "括号"),
    ],
)
def test_the_parse_command_fails_clearly_on_bad_files(db, tmp_path, content, message):
    path = tmp_path / "notice.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("notice", "parse", str(path), "--json", stdout=StringIO())


def test_the_parse_command_names_a_missing_file(db):
    with pytest.raises(CommandError, match="无法读取"):
        call_command("notice", "parse", "/nonexistent/notice.txt", stdout=StringIO())
