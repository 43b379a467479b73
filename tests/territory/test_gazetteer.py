"""The Taiyuan gazetteer: well-formed codes and the places the notices name."""

from __future__ import annotations

from wuyi.territory import gazetteer

REAL_DISTRICTS = {
    "140105": "小店区",
    "140106": "迎泽区",
    "140107": "杏花岭区",
    "140108": "尖草坪区",
    "140109": "万柏林区",
    "140110": "晋源区",
    "140121": "清徐县",
    "140122": "阳曲县",
    "140123": "娄烦县",
    "140181": "古交市",
}


def test_it_lists_the_real_districts_of_taiyuan_with_their_codes():
    data = gazetteer.load()
    assert data["city"] == {"code": "140100", "name": "太原市"}
    assert {d["code"]: d["name"] for d in data["districts"]} == REAL_DISTRICTS


def test_every_code_is_well_formed_and_under_its_parent():
    seen = set()
    for district in gazetteer.districts():
        assert district["kind"] in {"district", "county", "city"}
        for street in district["streets"]:
            assert street["kind"] in {"street", "town", "township"}
            assert len(street["code"]) == 9 and street["code"].isdigit()
            assert street["code"].startswith(district["code"])
            for community in street["communities"]:
                assert community["kind"] in {"community", "village"}
                assert len(community["code"]) == 12 and community["code"].isdigit()
                assert community["code"].startswith(street["code"])
                assert community["code"] not in seen
                seen.add(community["code"])


def test_it_resolves_the_places_named_in_the_notices():
    (district, street, village), *_ = gazetteer.communities_by_name("孔村")
    assert (district["name"], street["name"], village["kind"]) == ("清徐县", "清源镇", "village")
    [(district, street, _)] = gazetteer.communities_by_name("光华街社区")
    assert (district["name"], street["name"]) == ("万柏林区", "小井峪街道")
    [(district, _)] = gazetteer.streets_by_name("东黄水镇")
    assert district["name"] == "阳曲县"
    assert gazetteer.district_by_name("小店区")["code"] == "140105"
    assert gazetteer.by_code("140121202")["name"] == "王答乡"
    assert gazetteer.district_by_name("海淀区") is None
