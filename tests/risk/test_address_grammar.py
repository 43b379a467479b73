"""The address grammar shared by notices, imports and the search box (territory.addresses)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.risk.strategies import address_parts
from wuyi.territory.addresses import (
    AddressError,
    format_address,
    normalise_building,
    normalise_unit,
    parse_address,
)


# No deadline: CI machines are shared and a slow example is not a wrong one.
@settings(deadline=None)
@given(address_parts)
def test_formatting_then_parsing_gives_back_the_parts(parts):
    assert parse_address(format_address(parts)) == parts


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_an_address_error(text):
    try:
        parts = parse_address(text)
    except AddressError as exc:
        assert str(exc)
    else:
        assert isinstance(parts, dict)


@settings(deadline=None)
@given(st.text(alphabet="0123456789、-至号楼栋单元层()除外含不;,区期村镇路街", max_size=120))
def test_grammar_characters_in_any_order_never_crash(text):
    try:
        parts = parse_address(text)
    except AddressError as exc:
        assert str(exc)
    else:
        assert isinstance(parts, dict)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("石林苑2号楼2单元", {"compound": "石林苑", "building": "2号楼", "unit": "2单元"}),
        ("滨河苑5栋2单元", {"compound": "滨河苑", "building": "5号楼", "unit": "2单元"}),
        ("金泽华府A座1单元", {"compound": "金泽华府", "building": "A座", "unit": "1单元"}),
        ("嘉兴小区南楼", {"compound": "嘉兴小区", "building": "南楼"}),
        ("凯越龙城苑F区6号楼", {"compound": "凯越龙城苑", "zone": "F区", "building": "6号楼"}),
        (
            "程家村矿机宿舍北区26号楼4单元",
            {
                "village": "程家村",
                "compound": "矿机宿舍",
                "zone": "北区",
                "building": "26号楼",
                "unit": "4单元",
            },
        ),
        ("王村南街阳光华庭", {"road": "王村南街", "compound": "阳光华庭"}),
        (
            "云路街8号院2号楼1单元",
            {"road": "云路街", "number": "8号院", "building": "2号楼", "unit": "1单元"},
        ),
        ("寇庄南街北二巷", {"road": "寇庄南街北二巷"}),
        (
            "平阳路44-4号万民药房(西一巷店)",
            {
                "road": "平阳路",
                "number": "44-4号",
                "site": "万民药房(西一巷店)",
                "site_type": "other",
            },
        ),
        ("山西工商学院(龙城校区)", {"site": "山西工商学院(龙城校区)", "site_type": "school"}),
        (
            "上马街89号文庙社区卫生服务中心",
            {
                "road": "上马街",
                "number": "89号",
                "site": "文庙社区卫生服务中心",
                "site_type": "hospital",
            },
        ),
        ("太原机务段北区职工单身楼", {"compound": "太原机务段北区职工单身楼"}),
        (
            "阳光小区3号楼2单元501室",
            {"compound": "阳光小区", "building": "3号楼", "unit": "2单元", "room": "501"},
        ),
        (
            "阳光小区1、2单元",
            {"compound": "阳光小区", "unit": "1、2单元", "units": ["1单元", "2单元"]},
        ),
        (
            "阳光小区(含1号楼;不含2号楼、3号楼)",
            {"compound": "阳光小区", "includes": ["1号楼"], "exclusions": ["2号楼", "3号楼"]},
        ),
        ("阳光小区,5号楼除外", {"compound": "阳光小区", "exclusions": ["5号楼"]}),
    ],
)
def test_it_splits_the_forms_offices_write(text, expected):
    assert parse_address(text) == expected


def test_buildings_and_units_in_a_list_are_normalised_like_the_registry():
    parts = parse_address("某小区五、6、8栋")
    assert parts["buildings"] == [normalise_building(b) for b in ("5栋", "6", "8号")]
    assert parse_address("某小区二单元")["unit"] == normalise_unit("2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "为空"),
        ("阳光小区(1号楼除外", "左括号没有闭合"),
        ("阳光小区1号楼)", "右括号"),
        ("阳光小区" + "楼" * 600, "过长"),
        ("阳光小区1-5000号楼", "范围"),
    ],
)
def test_bad_addresses_are_clear_errors(text, message):
    with pytest.raises(AddressError, match=message):
        parse_address(text)


def test_the_existing_normalisers_keep_their_behaviour():
    assert normalise_building("7栋") == "7号楼"
    assert normalise_building("a") == "A座"
    assert normalise_unit("二单元") == "2单元"
