"""``wuyi coverage``: one JSON document with --json, clear errors otherwise."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command


def run(*args) -> dict:
    out = io.StringIO()
    call_command("coverage", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_show_prints_the_nodes_coverage_and_its_children(city, rnd):
    rnd.sample(city.alice)
    result = run("show", rnd.round.code, "--node", "140105001")
    assert result["coverage"]["sampled"] == 1 and result["coverage"]["missing"] == 1
    assert [c["name"] for c in result["children"]] == ["光华街社区"]


def test_show_a_grid(city, rnd):
    result = run("show", rnd.round.code, "--grid", city.grid_b.code)
    assert result["coverage"]["missing"] == 1 and result["children"][0]["name"] == "2号楼"


def test_refresh_then_city(city, rnd):
    rnd.sample(city.bob)
    assert run("refresh", rnd.round.code)["communities_refreshed"] == 1
    city_result = run("city", rnd.round.code)
    assert city_result["districts"][0]["share"] == 0.5


def test_close_report(city, rnd):
    assert run("close", rnd.round.code, "--node", "140105")["coverage"]["target"] == 2


def test_unknown_round_and_node_are_named(city, rnd):
    with pytest.raises(CommandError, match=f"找不到轮次 NOPE;现有轮次:{rnd.round.code}"):
        run("show", "NOPE", "--node", "140105")
    # No round given: which to give, with an example.
    with pytest.raises(CommandError, match=f"wuyi coverage show {rnd.round.code}"):
        run("show", "--node", "140105")
    with pytest.raises(CommandError, match="找不到辖区 999"):
        run("show", rnd.round.code, "--node", "999")


@pytest.mark.django_db
def test_with_no_round_at_all_it_says_how_to_make_one():
    with pytest.raises(CommandError, match="还没有检测轮次"):
        run("show")


def test_the_city_rollup_before_any_refresh_says_how_to_get_one(city, rnd):
    out = io.StringIO()
    call_command("coverage", "city", rnd.round.code, stdout=out)
    assert f"wuyi coverage refresh {rnd.round.code}" in out.getvalue()
    rnd.sample(city.bob)
    call_command("coverage", "refresh", rnd.round.code, stdout=io.StringIO())
    out = io.StringIO()
    call_command("coverage", "city", rnd.round.code, stdout=out)
    assert "社区统计刷新于" in out.getvalue() and "覆盖" in out.getvalue()
