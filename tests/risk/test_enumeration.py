"""Items listed with 、 alone, as several cities print them ("甲小区、乙小区、丙村").

The 、 is also how a single item lists its buildings ("5、6、8号楼"), so the parser must
tell the two apart; the declared counts are then checked against what it found.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.risk.strategies import DISTRICTS, address_parts
from wuyi.risk.notice_parser import NoticeError, parse_notice
from wuyi.territory.addresses import format_address

SEED = Path(__file__).parent / "data" / "taiyuan-evening-news-2022-12-03.txt"


def _items(result: dict, section: int = 0, district: int = 0) -> list[dict]:
    return result["sections"][section]["districts"][district]["items"]


def test_a_district_line_of_items_separated_by_dunhao_alone_is_split():
    result = parse_notice("新增高风险区3个:\n小店区(3个):坞城路1号院、亲贤街2号、许西村。")
    items = _items(result)
    assert [i["text"] for i in items] == ["坞城路1号院", "亲贤街2号", "许西村"]
    assert items[0]["parts"] == {"road": "坞城路", "number": "1号院"}
    assert items[2]["parts"] == {"village": "许西村"}
    assert result["mismatches"] == []


def test_a_building_list_inside_an_item_stays_one_item():
    result = parse_notice(
        "新增高风险区3个:\n朝阳区(3个):驼房营南里3号院5、6、8号楼、芳园里小区1、2单元、"
        "望京西园四区411号楼。"
    )
    items = _items(result)
    assert [i["text"] for i in items] == [
        "驼房营南里3号院5、6、8号楼",
        "芳园里小区1、2单元",
        "望京西园四区411号楼",
    ]
    assert items[0]["parts"]["buildings"] == ["5号楼", "6号楼", "8号楼"]
    assert items[1]["parts"]["units"] == ["1单元", "2单元"]
    assert result["mismatches"] == []


def test_a_dunhao_inside_brackets_does_not_split():
    result = parse_notice("新增高风险区2个:\n小店区(2个):华阳小区(1号楼、2号楼除外)、龙凤苑。")
    items = _items(result)
    assert [i["text"] for i in items] == ["华阳小区(1号楼、2号楼除外)", "龙凤苑"]
    assert items[0]["exclusions"] == ["1号楼", "2号楼"]


def test_a_building_after_dunhao_continues_the_compound_before_it():
    # Taiyuan lists each building as its own area; "甲小区1号楼、2号楼3单元" is two of them.
    result = parse_notice("新增高风险区2个:\n小店区(2个):甲小区1号楼、2号楼3单元。")
    items = _items(result)
    assert [i["text"] for i in items] == ["甲小区1号楼", "甲小区2号楼3单元"]
    assert items[1]["parts"] == {"compound": "甲小区", "building": "2号楼", "unit": "3单元"}
    assert result["mismatches"] == []


def test_another_house_number_continues_the_road():
    result = parse_notice("新增高风险区2个:\n迎泽区(2个):亲贤街2号、5号。")
    assert [i["parts"] for i in _items(result)] == [
        {"road": "亲贤街", "number": "2号"},
        {"road": "亲贤街", "number": "5号"},
    ]


def test_a_name_that_starts_with_a_numeral_is_a_new_item():
    # "501、二营盘村": 二 is a numeral, but 二营盘村 is no list member.
    result = parse_notice("新增高风险区2个:\n小店区(2个):乙小区3号楼2单元501、二营盘村。")
    items = _items(result)
    assert [i["text"] for i in items] == ["乙小区3号楼2单元501", "二营盘村"]
    assert items[0]["parts"]["room"] == "501"


def test_dunhao_numbered_lines_and_dunhao_lists_together():
    # Chengdu style: numbered lines "1、…", each listing places with 、.
    text = (
        "成都市新冠肺炎疫情防控指挥部办公室\n关于调整风险区的通告\n(第90号)\n"
        "一、新增高风险区(5个)\n"
        "1、武侯区:玉林北路2号、玉林北路5号院、芳草街道桐梓林村。\n"
        "2、成华区:万科城市花园12、14栋、东郊记忆。\n"
        "成都市新冠肺炎疫情防控指挥部办公室\n2022年9月1日\n"
    )
    result = parse_notice(text)
    assert result["number"] == 90
    wuhou, chenghua = result["sections"][0]["districts"]
    assert [i["text"] for i in wuhou["items"]] == [
        "玉林北路2号",
        "玉林北路5号院",
        "芳草街道桐梓林村",
    ]
    assert [i["text"] for i in chenghua["items"]] == ["万科城市花园12、14栋", "东郊记忆"]
    assert chenghua["items"][0]["parts"]["buildings"] == ["12号楼", "14号楼"]
    assert result["mismatches"] == []


def test_a_dunhao_list_that_disagrees_with_its_count_is_reported():
    result = parse_notice("新增高风险区4个:\n小店区(4个):坞城路1号院、亲贤街2号、许西村。")
    assert {"where": "新增高风险区4个 · 小店区", "declared": 4, "found": 3} in result["mismatches"]
    assert {"where": "新增高风险区4个", "declared": 4, "found": 3} in result["mismatches"]


def test_a_bad_item_in_a_dunhao_list_is_named_by_its_place():
    with pytest.raises(NoticeError, match=r"小店区第2项.*左括号没有闭合"):
        parse_notice("新增高风险区3个:\n小店区(3个):甲小区、乙小区(1号楼除外、丙村。")


def test_the_seed_notice_reads_as_before():
    result = parse_notice(SEED.read_bytes(), year=2022)
    totals = [sum(len(d["items"]) for d in s["districts"]) for s in result["sections"]]
    assert totals == [42, 33]
    assert result["mismatches"] == []


def test_a_flood_of_dunhao_items_is_refused_or_read_in_time():
    items = "、".join(f"甲{i}小区" for i in range(60_000))
    with pytest.raises(NoticeError, match="超过"):
        parse_notice(f"新增高风险区1个:\n小店区:{items}。")


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(DISTRICTS), st.lists(address_parts, min_size=1, max_size=12))
def test_items_joined_by_dunhao_parse_back_one_by_one(district, parts_list):
    text = "、".join(format_address(parts) for parts in parts_list)
    n = len(parts_list)
    result = parse_notice(f"新增高风险区{n}个,分别是:\n{district}({n}个):{text}。")
    items = _items(result)
    assert [i["parts"] for i in items] == parts_list
    assert result["mismatches"] == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(address_parts, min_size=1, max_size=8),
    st.lists(address_parts, min_size=1, max_size=8),
)
def test_dunhao_and_comma_lists_read_the_same(first, second):
    parts_list = first + second
    texts = [format_address(p) for p in parts_list]
    n = len(parts_list)
    head = f"新增高风险区{n}个:\n小店区({n}个):"
    by_dunhao = parse_notice(head + "、".join(texts) + "。")
    mixed = parse_notice(
        head + "、".join(texts[: len(first)]) + "," + "、".join(texts[len(first) :])
    )
    assert by_dunhao["sections"] == mixed["sections"]
    assert len(_items(by_dunhao)) == n
