"""The round simulator: a whole round through the real API, the same for the same seed."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from wuyi.territory import synthetic
from wuyi.testing.models import Result, RetestTask, Scan, TestingRound
from wuyi.testing.simulation import simulate_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city(db):
    synthetic.generate(200, 3)


def test_a_simulated_round_runs_from_scans_to_decided_retests(small_city):
    report = simulate_round(prevalence=0.02, invalid_share=0.02, seed=7)
    rnd = TestingRound.objects.get(code=report.round_code)
    assert report.sampled == report.residents > 0
    assert report.rejected == 0
    bindings = Scan.objects.filter(round=rnd, kind="bind", outcome="accepted").count()
    assert bindings == report.sampled + report.retest_tubes
    # Every first-stage tube and every retest tube has a result, and every task is decided.
    assert Result.objects.filter(tube__round=rnd).count() == report.tubes + report.retest_tubes
    assert report.positive_pools > 0 and report.retest_tasks > 0
    assert report.open_tasks == 0
    assert not RetestTask.objects.filter(round=rnd, control="temporary").exists()
    # Everyone infected who came was found: confirmed by a single tube.
    assert report.confirmed == report.infected


def test_the_same_seed_gives_the_same_round_and_another_seed_another(small_city):
    first = simulate_round(residents_share=0.5, prevalence=0.02, seed=11)
    second = simulate_round(residents_share=0.5, prevalence=0.02, seed=11)
    other = simulate_round(residents_share=0.5, prevalence=0.02, seed=12)
    assert first.round_code != second.round_code
    keys = ("sampled", "tubes", "infected", "positive_pools", "invalid_tubes", "confirmed")
    assert [getattr(first, k) for k in keys] == [getattr(second, k) for k in keys]
    assert first.fingerprint == second.fingerprint
    assert other.fingerprint != first.fingerprint


def test_the_command_prints_one_json_document(small_city, capsys):
    call_command("simulate", "round", "--residents-share", "0.2", "--seed", "3", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["round_code"] == "SIM3-1" and data["rejected"] == 0
    with pytest.raises(CommandError, match="0 到 1"):
        call_command("simulate", "round", "--prevalence", "2")


def test_without_a_city_it_says_so_and_leaves_no_round_behind():
    with pytest.raises(CommandError, match="还没有城市"):
        call_command("simulate", "round")
    assert not TestingRound.objects.exists()
