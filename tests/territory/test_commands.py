"""wuyi stats, wuyi demo and wuyi bench generate."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from wuyi.accounts.models import Grant, Role, User
from wuyi.core import bench
from wuyi.people.models import Resident
from wuyi.territory import synthetic
from wuyi.territory.demo import DEMO_PASSWORD
from wuyi.territory.models import Grid, Node

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_stats_counts_every_kind_and_residents_per_district_as_json():
    synthetic.generate(2000, seed=11)
    data = json.loads(run("stats", "--json"))
    total = data["total"]
    assert total["residents"]["total"] == 2000
    assert total["residents"]["present"] + total["residents"]["away"] == 2000
    assert total["nodes"]["district"] == 10
    assert total["nodes"]["household"] == Node.objects.filter(kind="household").count()
    assert total["grids"] == Grid.objects.count()
    by_code = {d["code"]: d for d in data["districts"]}
    assert by_code["140105"]["name"] == "小店区"
    assert (
        by_code["140105"]["residents"]["total"]
        == Resident.objects.filter(district_code="140105").count()
    )
    assert sum(d["residents"]["total"] for d in data["districts"]) == 2000
    assert "小店区" in run("stats")


def test_stats_of_an_empty_registry_are_zero():
    data = json.loads(run("stats", "--json"))
    assert data["districts"] == []
    assert data["total"]["residents"]["total"] == 0


def test_generate_prints_one_json_document():
    data = json.loads(run("generate", "--residents", "500", "--seed", "2", "--json"))
    assert data["residents"] == 500
    assert data["tables"]["residents"]["rows"] == 500
    assert data["rows"] > 500


def test_demo_sets_up_a_city_and_one_account_per_role_and_is_idempotent():
    first = run("demo", "--no-serve", "--no-simulate", "--residents", "1500")
    assert DEMO_PASSWORD in first
    residents = Resident.objects.count()
    users = User.objects.count()
    grants = Grant.objects.count()
    assert residents == 1500
    roles = set(
        Grant.objects.filter(user__username__startswith="demo-").values_list("role", flat=True)
    )
    assert roles == {role.value for role in Role}
    city = User.objects.get(username="demo-city")
    assert city.check_password(DEMO_PASSWORD)
    assert city.grants.filter(role=Role.CITY_OFFICE).count() == 10
    community = Grant.objects.get(user__username="demo-community").node
    assert community.name == "光华街社区" and community.parent.name == "小井峪街道"
    resident = Grant.objects.get(user__username="demo-resident").node
    assert resident.kind == "household" and resident.residents.exists()
    worker = User.objects.get(username="demo-grid")
    assert worker.grids.exists()

    second = run("demo", "--no-serve", "--no-simulate", "--residents", "1500")
    assert "沿用" in second
    assert (Resident.objects.count(), User.objects.count(), Grant.objects.count()) == (
        residents,
        users,
        grants,
    )


def test_bench_options_are_parsed_and_unknown_benches_named():
    assert bench.parse_options(["--residents", "200", "--in-place", "--seed=3"]) == {
        "residents": "200",
        "in_place": True,
        "seed": "3",
    }
    with pytest.raises(CommandError, match="generate"):
        run("bench", "nonsense")


def test_bench_generate_in_place_reports_rows_per_second_and_size():
    data = json.loads(run("bench", "generate", "--residents", "800", "--in-place", "--json"))
    assert data["residents"] == 800
    assert data["rows_per_s"] > 0
    assert data["tables"]["residents"]["rows"] == 800
    assert data["database"]["size_bytes"] > 0
    assert Resident.objects.count() == 800
