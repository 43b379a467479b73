"""Approving a high-risk area brings its residents under control; lowering it releases them."""

from __future__ import annotations

import datetime as dt

from tests.conftest import make_user
from wuyi.accounts.models import Role
from wuyi.control.models import RiskPerson
from wuyi.risk import areas


def test_designation_and_lowering_drive_the_residents_measure(
    city, django_capture_on_commit_callbacks
):
    office = make_user("city", Role.CITY_OFFICE)
    designated = areas.designate(city.compound, "high", dt.date(2022, 12, 1), "阳性混管", by=office)
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(designated, by=office)
    people = RiskPerson.objects.order_by("resident__name")
    assert [(p.resident.name, p.category, p.state, p.policy_version) for p in people] == [
        ("张丽", "high_risk_resident", "under_measure", "ershitiao"),
        ("李强", "high_risk_resident", "under_measure", "ershitiao"),
    ]
    assert {p.identified_on for p in people} == {dt.date(2022, 12, 1)}
    assert {p.source_ref for p in people} == {f"riskarea:{designated.area_id}"}

    proposals = areas.propose_lowerings(dt.date(2022, 12, 7), by=office)
    assert [d.area_id for d in proposals] == [designated.area_id]
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(proposals[0], by=office)
    assert set(RiskPerson.objects.values_list("state", flat=True)) == {"released"}
    assert RiskPerson.objects.first().transitions.last().note == "所在区域降为低风险"


def test_an_excepted_unit_stays_out_of_control(city, django_capture_on_commit_callbacks):
    office = make_user("city", Role.CITY_OFFICE)
    decision = areas.designate(
        city.compound,
        "high",
        dt.date(2022, 12, 1),
        "阳性混管",
        by=office,
        exclusions="2号楼除外",
        excluded_nodes=[city.building2],
    )
    with django_capture_on_commit_callbacks(execute=True):
        areas.approve(decision, by=office)
    assert list(RiskPerson.objects.values_list("resident__name", flat=True)) == ["张丽"]
