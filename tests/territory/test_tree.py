import pytest
from django.db import connection

from wuyi.people.models import Resident
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import TerritoryError, add_node, ancestors_paths, under


def test_a_node_path_is_its_ancestors_codes(city):
    assert city.home1.path == "140105.140105001.140105001001.C01.B01.U1.H0101"
    assert city.home1.district_code == "140105"
    assert city.home1.grid == city.grid_a


def test_under_finds_the_subtree_and_nothing_beside_it(city):
    names = set(under(Node.objects.all(), city.building1).values_list("path", flat=True))
    assert city.home1.path in names
    assert city.home2.path not in names
    assert list(under(Resident.objects.all(), city.building2)) == [city.bob]


def test_under_does_not_match_a_sibling_whose_code_starts_the_same(city):
    b10 = add_node(Kind.BUILDING, "10号楼", "B010", city.compound)
    assert b10.path.startswith(city.building1.path[:-1])
    assert b10 not in under(Node.objects.all(), city.building1.path.replace("B01", "B0"))
    assert set(under(Node.objects.all(), city.building1)) == {
        city.building1,
        city.unit1,
        city.home1,
    }


def test_names_are_unique_among_siblings(city):
    with pytest.raises(TerritoryError, match="已有名为"):
        add_node(Kind.BUILDING, "1号楼", "B09", city.compound)
    # the same name under another parent is fine
    add_node(Kind.UNIT, "2单元", "U2", city.building1)
    add_node(Kind.UNIT, "2单元", "U2", city.building2)


@pytest.mark.parametrize(
    ("kind", "code", "parent_attr", "message"),
    [
        (Kind.STREET, "14010500", "district", "9位数字"),
        (Kind.STREET, "140106001", "district", "不在上级"),
        (Kind.UNIT, "U3", "compound", "不能直接放在"),
        (Kind.BUILDING, "b1", "compound", "大写字母"),
    ],
)
def test_it_refuses_a_misplaced_or_miscoded_node(city, kind, code, parent_attr, message):
    with pytest.raises(TerritoryError, match=message):
        add_node(kind, "x", code, getattr(city, parent_attr))


def test_a_village_may_hold_households_directly(city):
    village = add_node(Kind.COMMUNITY, "孔村", "140105001201", city.street)
    home = add_node(Kind.HOUSEHOLD, "孔村12号", "H012", village)
    assert home.parent == village


def test_ancestors_paths():
    assert ancestors_paths("1.2.3") == ["1", "1.2", "1.2.3"]


def test_the_prefix_query_uses_the_path_index(city):
    sql, params = under(
        Node.objects.all(), city.building1, include_self=False
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "USING INDEX" in plan and "path" in plan, plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan and "path" in plan, plan
