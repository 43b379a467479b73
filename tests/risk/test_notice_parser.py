"""Reading notices: the Taiyuan seed, other cities' styles, and hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from wuyi.risk.notice_parser import MAX_NOTICE_CHARS, NoticeError, join_lines, parse_notice
from wuyi.risk.resolve import Gazetteer

SEED = Path(__file__).parent / "data" / "taiyuan-evening-news-2022-12-03.txt"

NEW_HIGH = {
    "小店区": 8,
    "迎泽区": 10,
    "杏花岭区": 5,
    "尖草坪区": 5,
    "万柏林区": 3,
    "晋源区": 5,
    "清徐县": 6,
}
LOWERED = {"小店区": 17, "迎泽区": 3, "杏花岭区": 10, "尖草坪区": 1, "万柏林区": 1, "晋源区": 1}


@pytest.fixture(scope="module")
def seed() -> dict:
    return parse_notice(SEED.read_bytes(), year=2022)


def _counts(section: dict) -> dict[str, int]:
    return {d["name"]: len(d["items"]) for d in section["districts"]}


def test_it_reads_the_seed_notice_from_the_end_of_a_newspaper_page(seed):
    assert seed["issuer"] == "市疫情防控办"
    assert seed["number"] == 198
    assert seed["date"] == "2022-12-02"
    assert [b["policy"] for b in seed["basis"]] == ["ershitiao", "fangan9"]


def test_the_seed_has_42_new_high_risk_areas_by_district(seed):
    new = seed["sections"][0]
    assert (new["change"], new["level"], new["declared_total"]) == ("new", "high", 42)
    assert _counts(new) == NEW_HIGH
    assert {d["name"]: d["declared"] for d in new["districts"]} == NEW_HIGH


def test_the_seed_lowers_33_areas_by_district(seed):
    lowered = seed["sections"][1]
    assert (lowered["change"], lowered["level"], lowered["declared_total"]) == (
        "lowered",
        "low",
        33,
    )
    assert _counts(lowered) == LOWERED
    assert len(seed["sections"]) == 2


def test_the_seed_reports_no_count_mismatch(seed):
    assert seed["mismatches"] == []
    assert seed["problems"] == []


def test_every_seed_item_is_parsed_into_parts(seed):
    items = [i for s in seed["sections"] for d in s["districts"] for i in d["items"]]
    assert len(items) == 75
    for item in items:
        assert item["parts"], item["text"]
        named = {"compound", "site", "village", "road"} & set(item["parts"])
        assert named, item


def test_a_line_break_in_the_middle_of_an_item_is_joined(seed):
    jinyuan = seed["sections"][0]["districts"][5]
    texts = [i["text"] for i in jinyuan["items"]]
    assert "怡佳天一城小区12号楼1单元" in texts
    parts = jinyuan["items"][texts.index("怡佳天一城小区12号楼1单元")]["parts"]
    assert parts == {"compound": "怡佳天一城小区", "building": "12号楼", "unit": "1单元"}


def test_the_seed_keeps_its_exclusion(seed):
    xiaodian = seed["sections"][1]["districts"][0]
    item = next(i for i in xiaodian["items"] if "除外" in i["text"])
    assert item["exclusions"] == ["1号楼2单元"]
    assert item["parts"]["compound"] == "西吴御龙庭小区"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "保利东郡2期11号楼2单元",
            {"compound": "保利东郡", "phase": "2期", "building": "11号楼", "unit": "2单元"},
        ),
        (
            "老军营小区南区甲5号楼",
            {"compound": "老军营小区", "zone": "南区", "building": "甲5号楼"},
        ),
        (
            "清源镇北营村北辰苑小区9号楼2单元",
            {
                "street": "清源镇",
                "village": "北营村",
                "compound": "北辰苑小区",
                "building": "9号楼",
                "unit": "2单元",
            },
        ),
        (
            "坞城中路47号煤校宿舍2号楼",
            {"road": "坞城中路", "number": "47号", "compound": "煤校宿舍", "building": "2号楼"},
        ),
        (
            "东湖街道春苑社区晋夏公路南段39号",
            {
                "street": "东湖街道",
                "community": "春苑社区",
                "road": "晋夏公路南段",
                "number": "39号",
            },
        ),
        ("营村小区1栋1单元", {"compound": "营村小区", "building": "1号楼", "unit": "1单元"}),
        ("胜景天地2号楼底商", {"compound": "胜景天地", "building": "2号楼", "shop": "底商"}),
        ("丽枫酒店", {"site": "丽枫酒店", "site_type": "hotel"}),
    ],
)
def test_seed_items_split_into_the_right_parts(seed, text, parts):
    items = {i["text"]: i for s in seed["sections"] for d in s["districts"] for i in d["items"]}
    assert items[text]["parts"] == parts


BEIJING_STYLE = """北京市朝阳区人民政府
关于划定高风险区的通告
(第58号)

根据《新型冠状病毒肺炎防控方案(第九版)》有关要求,经研究决定,划定以下区域为高风险区:
一、新增高风险区(3个)
朝阳区:
1.望京街道望京西园四区411号楼
2.将台地区驼房营南里3号院5、6、8号楼
3.东湖街道利泽西园101号楼2单元5层
二、新增中风险区(2个)
朝阳区:
1.望京街道花家地北里
2.将台地区芳园里小区(1号楼除外)
特此通告。
北京市朝阳区人民政府
2022年11月20日
"""


def test_it_reads_a_numbered_one_item_per_line_notice():
    result = parse_notice(BEIJING_STYLE)
    assert result["number"] == 58
    assert result["issuer"] == "北京市朝阳区人民政府"
    assert result["date"] == "2022-11-20"
    assert [(s["change"], s["level"], s["declared_total"]) for s in result["sections"]] == [
        ("new", "high", 3),
        ("new", "medium", 2),
    ]
    high = result["sections"][0]["districts"][0]["items"]
    assert [i["text"] for i in high][2] == "东湖街道利泽西园101号楼2单元5层"
    assert high[1]["parts"]["buildings"] == ["5号楼", "6号楼", "8号楼"]
    assert high[2]["parts"]["floor"] == "5层"
    assert result["sections"][1]["districts"][0]["items"][1]["exclusions"] == ["1号楼"]
    assert result["mismatches"] == []


SHIJIAZHUANG_STYLE = """石家庄市新冠肺炎疫情防控工作领导小组办公室发布第12号通告
根据国务院联防联控机制优化疫情防控工作二十条措施有关规定,即日起我市新增高风险区5个,调整为低风险区2个。
新增高风险区5个:长安区(2个):翠屏山小区63至76号楼;建华南大街89号院1-4号楼2单元。桥西区(八个):
裕华小区A区3号楼,东岗路(含东岗路小区;不含12号楼)。新华区:西三庄村。
调整为低风险区2个:裕华区(2个):槐安路以南区域:东至体育大街,西至建设大街,南至南二环,北至槐安路围合区域,塔坛小区(3号楼2单元除外)。
"""


def test_it_reads_semicolons_ranges_inclusions_and_bounded_areas():
    result = parse_notice(SHIJIAZHUANG_STYLE, year=2022)
    new, lowered = result["sections"]
    changan, qiaoxi, xinhua = new["districts"]
    assert changan["items"][0]["parts"]["buildings"] == [f"{n}号楼" for n in range(63, 77)]
    assert changan["items"][1]["parts"]["buildings"] == ["1号楼", "2号楼", "3号楼", "4号楼"]
    assert changan["items"][1]["parts"]["unit"] == "2单元"
    dong = qiaoxi["items"][1]
    assert dong["parts"]["includes"] == ["东岗路小区"] and dong["exclusions"] == ["12号楼"]
    assert xinhua["declared"] is None and xinhua["items"][0]["parts"]["village"] == "西三庄村"
    bounded = lowered["districts"][0]["items"][0]["parts"]
    assert bounded["bounds"] == {
        "east": "体育大街",
        "west": "建设大街",
        "south": "南二环",
        "north": "槐安路",
    }
    assert bounded["name"] == "槐安路以南区域"
    # 桥西区 declares 八个 and lists two; the section declares 5 and lists 5.
    assert result["mismatches"] == [
        {"where": "新增高风险区5个 · 桥西区", "declared": 8, "found": 2}
    ]


def test_it_reports_a_district_count_the_items_do_not_match():
    text = "新增高风险区3个,分别是:\n小店区(3个):A小区1号楼,B小区2号楼。\n"
    result = parse_notice(text)
    assert {"where": "新增高风险区3个,分别是 · 小店区", "declared": 3, "found": 2} in result[
        "mismatches"
    ]
    assert {"where": "新增高风险区3个,分别是", "declared": 3, "found": 2} in result["mismatches"]


def test_a_count_the_text_does_not_state_is_null():
    result = parse_notice("新增高风险区:\n小店区:A小区1号楼。\n")
    section = result["sections"][0]
    assert section["declared_total"] is None
    assert section["districts"][0]["declared"] is None
    assert result["mismatches"] == []


def test_ascii_and_full_width_punctuation_read_the_same():
    full = parse_notice("新增高风险区2个:\n小店区（2个）：甲小区（1号楼除外），乙小区3号楼。")
    ascii_ = parse_notice("新增高风险区2个:\n小店区(2个):甲小区(1号楼除外),乙小区3号楼.")
    assert full["sections"] == ascii_["sections"]
    assert full["sections"][0]["districts"][0]["items"][0]["exclusions"] == ["1号楼"]


def test_items_without_a_district_get_it_from_the_gazetteer():
    gazetteer = Gazetteer(
        {
            "districts": [
                {
                    "name": "清徐县",
                    "streets": [{"name": "清源镇", "communities": [{"name": "孔村"}]}],
                },
                {"name": "晋源区", "streets": [{"name": "晋祠镇", "communities": []}]},
            ]
        }
    )
    result = parse_notice("新增高风险区2个:清源镇孔村,晋祠镇赤桥村。", gazetteer=gazetteer)
    items = result["sections"][0]["districts"][0]["items"]
    assert [i["district"] for i in items] == ["清徐县", "晋源区"]


def test_the_shipped_gazetteer_places_qingyuan_kongcun_in_qingxu():
    result = parse_notice("新增高风险区1个:清源镇孔村。", gazetteer=Gazetteer())
    assert result["sections"][0]["districts"][0]["items"][0]["district"] == "清徐县"


def test_soft_line_breaks_join_but_headers_and_numbered_items_do_not():
    assert join_lines("甲小区,怡\n\n佳小区。\n小店区(1个):\n1.A\n2.B") == (
        "甲小区,怡佳小区。\n小店区(1个):\n1.A\n2.B"
    )


@pytest.mark.parametrize("data", [b"", "   \n\n  ", "\n"])
def test_empty_input_is_a_clear_error(data):
    with pytest.raises(NoticeError, match="通告为空"):
        parse_notice(data)


def test_binary_input_is_a_clear_error():
    with pytest.raises(NoticeError, match="不是文本文件"):
        parse_notice(bytes(range(256)) * 40)


def test_undecodable_bytes_are_a_clear_error():
    with pytest.raises(NoticeError, match="编码"):
        parse_notice(b"\xff\xfe\xfa" * 100 + b"\x81")


def test_huge_input_is_refused_before_parsing():
    with pytest.raises(NoticeError, match="过长"):
        parse_notice("新增高风险区1个:小店区:A小区。" + "啊" * MAX_NOTICE_CHARS)


def test_an_unclosed_bracket_names_the_item():
    with pytest.raises(NoticeError, match=r"小店区第2项.*左括号没有闭合"):
        parse_notice("新增高风险区2个:\n小店区(2个):甲小区,乙小区(1号楼除外,丙小区。")


def test_a_stray_closing_bracket_names_the_item():
    with pytest.raises(NoticeError, match="右括号"):
        parse_notice("新增高风险区1个:\n小店区(1个):甲小区1号楼)。")


def test_text_without_any_list_is_a_clear_error():
    with pytest.raises(NoticeError, match="没有找到风险区清单"):
        parse_notice("本报讯 今天天气晴。" * 50)


def test_an_absurd_item_is_refused_not_expanded():
    with pytest.raises(NoticeError, match="范围"):
        parse_notice("新增高风险区1个:小店区:甲小区1-9999号楼。")
    with pytest.raises(NoticeError, match="过长"):
        parse_notice("新增高风险区1个:小店区:" + "1、" * 2000 + "号楼。")


def test_large_well_formed_notices_parse_in_one_pass():
    # 5,000 items (weeks of a megacity's notices) parse without blowing up.
    items = ",".join(f"甲{i}小区{i % 40 + 1}号楼{i % 6 + 1}单元" for i in range(5_000))
    result = parse_notice(f"新增高风险区5000个:\n小店区(5000个):{items}。")
    assert result["mismatches"] == []
    assert len(result["sections"][0]["districts"][0]["items"]) == 5_000


def test_pathological_repetition_finishes():
    # Inputs shaped to make a backtracking regex explode: long runs of near-matches.
    for text in [
        "新增高风险区1个:小店区:" + "区" * 400 + "。",
        "新增高风险区1个:小店区:" + "东至" * 200 + "。",
        "新增高风险区" * 20000,
        "(" * 100 + "新增高风险区1个:A小区",
        "新增高风险区1个:小店区:甲," + "东至乙," * 50_000,  # once quadratic: now refused at once
        "新增高风险区1个:小店区:" + "(" * 200_000,
    ]:
        try:
            parse_notice(text)
        except NoticeError as exc:
            assert str(exc)


def test_a_flood_of_district_headers_is_refused():
    with pytest.raises(NoticeError, match="区县标题超过"):
        parse_notice("新增高风险区1个:\n" + "小店区:" * 5000)


GUANGZHOU_STYLE = """广州市海珠区新冠肺炎疫情防控指挥部
关于调整海珠区风险区的通告
(第十号)
一、高风险区调整为中风险区(2个)
(一)海珠区:华洲街道土华村,凤阳街道康乐村(含康乐中约;不含康乐南约)。
二、解除高风险区1个:
(二)番禺区:东环街道蔡二村,东至丽江路,西至蔡二新街,南至市新路,北至沙溪大道围合区域。
海珠区新冠肺炎疫情防控指挥部
2022年11月30日
"""


def test_it_reads_lowering_to_medium_lifting_and_chinese_ordinals():
    result = parse_notice(GUANGZHOU_STYLE)
    assert result["number"] == 10
    assert result["issuer"] == "海珠区新冠肺炎疫情防控指挥部"
    medium, lifted = result["sections"]
    assert (medium["change"], medium["level"], medium["declared_total"]) == ("lowered", "medium", 2)
    assert (lifted["change"], lifted["level"]) == ("lowered", "low")
    kangle = medium["districts"][0]["items"][1]
    assert kangle["parts"]["includes"] == ["康乐中约"] and kangle["exclusions"] == ["康乐南约"]
    [caier] = lifted["districts"][0]["items"]
    assert caier["parts"]["name"] == "东环街道蔡二村"
    assert caier["parts"]["bounds"]["north"] == "沙溪大道"
    assert result["mismatches"] == []
