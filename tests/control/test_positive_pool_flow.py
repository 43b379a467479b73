"""Positive pool → retest → case or release, end to end with the testing simulator."""

from __future__ import annotations

import pytest

from wuyi.control import intake
from wuyi.control.models import RiskPerson
from wuyi.territory import synthetic
from wuyi.testing.models import RetestTask
from wuyi.testing.simulation import simulate_round

pytestmark = pytest.mark.django_db


def test_a_simulated_round_ends_with_cases_escalated_and_the_rest_released():
    synthetic.generate(200, 3)
    report = simulate_round(prevalence=0.02, invalid_share=0.0, seed=7)
    assert report.positive_pools > 0 and report.confirmed > 0

    counts = intake.sync_retests()
    tasks = RetestTask.objects.filter(reason="positive_pool", resident__isnull=False)
    members = set(tasks.values_list("resident_id", flat=True))
    confirmed = set(tasks.filter(control="confirmed").values_list("resident_id", flat=True))
    assert counts["entered"] == len(members)
    assert counts["cases"] == len(confirmed) == report.confirmed
    assert counts["released"] == len(members - confirmed)

    pool = RiskPerson.objects.filter(category="positive_pool_member")
    assert set(pool.values_list("resident_id", flat=True)) == members
    assert set(pool.filter(state="escalated").values_list("resident_id", flat=True)) == confirmed
    assert set(pool.filter(state="released").values_list("resident_id", flat=True)) == (
        members - confirmed
    )
    # Each case is a new episode in hospital, linked to the pool episode it came from.
    cases = RiskPerson.objects.filter(category="confirmed", state="identified")
    assert set(cases.values_list("resident_id", flat=True)) == confirmed
    assert all(c.escalated_from.source == "positive_pool" for c in cases)
    assert all(c.place == "hospital" for c in cases)

    # Running it again changes nothing.
    before = RiskPerson.objects.count()
    assert not any(intake.sync_retests().values())
    assert RiskPerson.objects.count() == before
