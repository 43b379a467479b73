"""Dorfman pool advice: the formula, the guidance's thresholds, the plan and its command."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from wuyi.testing import pooling
from wuyi.testing.pooling import (
    best_pool_size,
    parse_prevalence,
    plan,
    prevalence_from_pool_rate,
    threshold,
)

# Under its own name (test…) pytest would collect it as a test.
per_person = pooling.tests_per_person


def test_dorfmans_formula_gives_the_textbook_values():
    assert per_person(1, 0.3) == 1.0
    # Dorfman (1943), p = 1%: pools of 10 cost about 0.196 tests per person.
    assert per_person(10, 0.01) == pytest.approx(0.1956, abs=1e-4)
    assert per_person(20, 0.0) == pytest.approx(0.05)


def test_twenty_in_one_pays_below_about_half_a_percent():
    assert threshold(10, 20) == pytest.approx(0.005, abs=0.0006)
    assert best_pool_size(0.001) == 20
    assert best_pool_size(0.0049) == 20
    assert best_pool_size(0.006) == 10


def test_ten_in_one_pays_up_to_about_two_point_four_percent():
    assert threshold(5, 10) == pytest.approx(0.024, abs=0.0006)
    assert best_pool_size(0.023) == 10
    assert best_pool_size(0.025) == 5


def test_above_that_smaller_pools_and_at_last_single_tubes():
    assert best_pool_size(0.10) == 5
    assert threshold(1, 5, hi=0.5) == pytest.approx(0.275, abs=0.002)
    assert best_pool_size(0.30) == 1


def test_a_plan_counts_the_tubes_a_round_needs_a_day():
    result = plan(0.005, population=1_000_000, days=2, lab_capacity=50_000)
    assert result.best == 20
    row = {r.pool_size: r for r in result.rows}[20]
    assert row.first_stage_tubes == 50_000
    assert row.retest_tubes == round(1_000_000 * (1 - 0.995**20))
    assert result.needed_per_day == -(-(row.total_tubes) // 2)
    assert result.capacity_enough is False
    assert plan(0.005, 1000, lab_capacity=None).capacity_enough is None


def test_a_rounds_pool_rate_gives_back_the_prevalence():
    p = 0.004
    rate = 1 - (1 - p) ** 10
    assert prevalence_from_pool_rate(rate, 10) == pytest.approx(p)


@pytest.mark.parametrize(("text", "value"), [("0.5%", 0.005), ("0.005", 0.005), ("5e-3", 0.005)])
def test_a_prevalence_may_be_typed_as_a_share_or_a_percentage(text, value):
    assert parse_prevalence(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "150%", "-0.1", "nan"])
def test_a_wrong_prevalence_is_refused_in_chinese(text):
    with pytest.raises(ValueError, match="患病率"):
        parse_prevalence(text)


@pytest.mark.django_db
def test_the_command_prints_one_json_document(capsys):
    call_command("pool", "plan", "--prevalence", "2%", "--population", "20000", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["best_pool_size"] == 10
    assert [s["pool_size"] for s in data["sizes"]] == [1, 5, 10, 20]
    with pytest.raises(CommandError, match="患病率"):
        call_command("pool", "plan", "--prevalence", "lots")
