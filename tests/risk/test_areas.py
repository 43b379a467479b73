"""Designating, approving, lowering: decisions under the version in force, their history and effects."""

from __future__ import annotations

import datetime as dt

import pytest

from wuyi.risk import areas
from wuyi.risk.effects import area_designated, area_lowered
from wuyi.risk.models import AreaStatus, Decision, Level, RiskArea

D = dt.date


def designate_and_approve(node, level, day, office, **kwargs) -> RiskArea:
    decision = areas.designate(node, level, day, by=office, **kwargs)
    areas.approve(decision, office)
    return RiskArea.objects.get(pk=decision.area_id)


def test_a_designation_records_the_version_in_force_and_waits_for_approval(rcity, office):
    decision = areas.designate(
        rcity.luze7, Level.HIGH, D(2022, 12, 2), reason="阳性混管2管", by=office
    )
    area = decision.area
    assert (area.status, area.policy, area.district_code) == ("proposed", "ershitiao", "140105")
    assert decision.policy == "ershitiao" and decision.status == "proposed"
    areas.approve(decision, office)
    area.refresh_from_db()
    assert area.status == AreaStatus.ACTIVE


def test_twenty_measures_refuse_medium_and_whole_compounds_without_a_reason(rcity, office):
    with pytest.raises(areas.RiskError, match="不能划定中风险区"):
        areas.designate(rcity.luze7, Level.MEDIUM, D(2022, 11, 20))
    with pytest.raises(areas.RiskError, match="划定到楼栋、单元"):
        areas.designate(rcity.luze, Level.HIGH, D(2022, 11, 20))
    decision = areas.designate(rcity.luze, Level.HIGH, D(2022, 11, 20), reason="全小区多点散发")
    assert decision.area.node == rcity.luze


def test_the_ninth_version_allows_medium_areas(rcity, office):
    decision = areas.designate(rcity.luze, Level.MEDIUM, D(2022, 8, 1))
    assert decision.policy == "fangan9"


def test_the_new_ten_measures_refuse_a_compound_even_with_a_reason(rcity):
    with pytest.raises(areas.RiskError):
        areas.designate(rcity.luze, Level.HIGH, D(2022, 12, 8), reason="多点散发")
    assert areas.designate(rcity.home1, Level.HIGH, D(2022, 12, 8)).area.node == rcity.home1


def test_an_exclusion_must_lie_inside_the_area(rcity):
    with pytest.raises(areas.RiskError, match="不在"):
        areas.designate(
            rcity.xiwu, Level.HIGH, D(2022, 8, 1), exclusions="7号楼", excluded_nodes=[rcity.luze7]
        )


def test_the_same_place_cannot_be_designated_twice(rcity, office):
    areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2))
    with pytest.raises(areas.RiskError, match="已是风险区"):
        areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 3))


def test_lowering_is_proposed_on_the_first_qualifying_day_only(rcity, office):
    area = designate_and_approve(rcity.luze7, Level.HIGH, D(2022, 11, 20), office)
    assert areas.propose_lowerings(D(2022, 11, 25)) == []
    [proposal] = areas.propose_lowerings(D(2022, 11, 26))
    assert (proposal.level, proposal.policy, proposal.area_id) == ("low", "ershitiao", area.pk)
    assert areas.propose_lowerings(D(2022, 11, 27)) == []  # one pending proposal per area


def test_a_new_infection_withdraws_the_proposal_and_restarts_the_count(rcity, office):
    designate_and_approve(rcity.baoli11u2, Level.HIGH, D(2022, 11, 20), office)
    [proposal] = areas.propose_lowerings(D(2022, 11, 26))
    assert areas.record_infection(rcity.baoli11u2.children.first(), D(2022, 11, 26)) == 1
    proposal.refresh_from_db()
    assert proposal.status == Decision.Status.REJECTED
    assert areas.propose_lowerings(D(2022, 12, 1)) == []
    assert len(areas.propose_lowerings(D(2022, 12, 2))) == 1


def test_the_ninth_version_lowers_high_to_medium_then_to_low(rcity, office):
    area = designate_and_approve(rcity.luze, Level.HIGH, D(2022, 8, 1), office)
    assert areas.propose_lowerings(D(2022, 8, 9)) == []  # no screening yet
    areas.record_screening(area, D(2022, 8, 8), all_negative=True)
    [to_medium] = areas.propose_lowerings(D(2022, 8, 9))
    areas.approve(to_medium, office)
    area.refresh_from_db()
    assert (area.level, area.status) == (Level.MEDIUM, AreaStatus.ACTIVE)
    assert areas.propose_lowerings(D(2022, 8, 12)) == []
    [to_low] = areas.propose_lowerings(D(2022, 8, 13))
    areas.approve(to_low, office)
    area.refresh_from_db()
    assert (area.level, area.status, area.lowered_on) == ("low", "lowered", D(2022, 8, 13))
    assert list(area.decisions.values_list("action", "level")) == [
        ("designate", "high"),
        ("lower", "medium"),
        ("lower", "low"),
    ]


def test_an_approved_decision_cannot_be_approved_again(rcity, office):
    decision = areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2))
    areas.approve(decision, office)
    with pytest.raises(areas.RiskError, match="不能再批准"):
        areas.approve(decision, office)


def test_a_rejected_designation_leaves_no_active_area(rcity, office):
    decision = areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 2))
    areas.reject(decision, office, "核实为误报")
    assert RiskArea.objects.get().status == AreaStatus.REJECTED
    assert areas.designate(rcity.luze7, Level.HIGH, D(2022, 12, 3))


@pytest.mark.django_db(transaction=True)
def test_approval_sends_the_effects_other_apps_listen_to(rcity, office):
    seen = []

    def on_designated(sender, area, decision, **kwargs):
        seen.append(("designated", area.node.name, decision.level))

    def on_lowered(sender, area, decision, **kwargs):
        seen.append(("lowered", area.node.name, decision.level))

    area_designated.connect(on_designated)
    area_lowered.connect(on_lowered)
    try:
        area = designate_and_approve(rcity.luze7, Level.HIGH, D(2022, 11, 20), office)
        [proposal] = areas.propose_lowerings(D(2022, 11, 26))
        areas.approve(proposal, office)
    finally:
        area_designated.disconnect(on_designated)
        area_lowered.disconnect(on_lowered)
    assert seen == [("designated", "7号楼", "high"), ("lowered", "7号楼", "low")]
    assert area.pk


def test_the_households_of_an_area_leave_out_its_exclusions(rcity, office):
    from wuyi.risk.effects import households_in

    decision = areas.designate(rcity.baoli, Level.HIGH, D(2022, 8, 1), exclusions="11号楼2单元5层")
    area = decision.area
    assert households_in(area).count() == 4
    fifth = list(rcity.baoli11u2.children.filter(floor=5))
    area.excluded_nodes.set(fifth)
    assert sorted(households_in(area).values_list("name", flat=True)) == ["601", "602"]


def test_the_daily_command_proposes_lowerings_as_json(rcity, office):
    import json
    from io import StringIO

    from django.core.management import call_command

    designate_and_approve(rcity.luze7, Level.HIGH, D(2022, 11, 20), office)
    out = StringIO()
    call_command("notice", "propose", "--date", "2022-11-26", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["date"] == "2022-11-26"
    assert [(p["place"], p["to"], p["policy"]) for p in document["proposed"]] == [
        ("7号楼", "low", "ershitiao")
    ]


def test_the_new_ten_measures_draw_an_area_by_floor(rcity, office):
    from wuyi.risk.effects import households_in

    with pytest.raises(areas.RiskError, match="不按楼层"):
        areas.designate(rcity.baoli11u2, Level.HIGH, D(2022, 12, 6), floor=5)
    with pytest.raises(areas.RiskError, match="没有9层"):
        areas.designate(rcity.baoli11u2, Level.HIGH, D(2022, 12, 8), floor=9)
    area = designate_and_approve(rcity.baoli11u2, Level.HIGH, D(2022, 12, 8), office, floor=5)
    assert sorted(households_in(area).values_list("name", flat=True)) == ["501", "502"]
    sixth = rcity.baoli11u2.children.get(name="601")
    fifth = rcity.baoli11u2.children.get(name="501")
    assert areas.record_infection(sixth, D(2022, 12, 9)) == 0  # another floor: not this area
    assert areas.record_infection(fifth, D(2022, 12, 9)) == 1
    # The floor next to it can be its own area.
    assert areas.designate(rcity.baoli11u2, Level.HIGH, D(2022, 12, 9), floor=6)


def test_designating_and_approving_are_audited(rcity, office):
    from wuyi.accounts.models import AuditEvent

    decision = areas.designate(
        rcity.luze7, Level.HIGH, D(2022, 12, 2), reason="阳性混管", by=office
    )
    areas.approve(decision, office)
    events = AuditEvent.objects.filter(model="risk.decision", object_pk=str(decision.pk))
    assert list(events.order_by("pk").values_list("action", flat=True)) == ["create", "status"]
    assert events.order_by("pk").last().after == {"status": "approved"}
