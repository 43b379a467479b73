"""The ways into control, as plain functions other apps call.

* ``from_positive_pool(tube)``: every registered member of a positive pooled tube is put
  under temporary control (awaiting a single-tube retest). The testing app's results
  flow calls it when a pool comes back positive.
* ``retest_result(resident, positive)``: the single-tube retest decides: positive →
  escalated to a case; negative → released from temporary control.
* ``from_risk_area(node)`` / ``area_lowered(node)``: residents of a designated high-risk
  area come under the area's measure, and are released when it is lowered.
* ``chain.identify`` by hand and ``contact_import`` for the tracing team's lists.

Each returns an ``Intake`` saying who was put under control and who was skipped and why,
so a repeated call (a retried result upload) changes nothing and says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from wuyi.control.chain import ChainError, advance_to_measure, escalate, identify, transition
from wuyi.control.models import ACTIVE_STATES, Category, RiskPerson, Source, State
from wuyi.people.models import Resident, Status
from wuyi.territory.models import Node
from wuyi.territory.tree import subtree_q, under


@dataclass
class Intake:
    created: list[RiskPerson] = field(default_factory=list)
    skipped: list[tuple[Resident, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": len(self.created),
            "skipped": [{"resident": r.pk, "reason": reason} for r, reason in self.skipped],
        }


def _take(
    intake: Intake, residents, category: str, *, at, source, source_ref, user, advance: bool
) -> Intake:
    for resident in residents:
        current = RiskPerson.objects.filter(resident=resident, state__in=ACTIVE_STATES).first()
        if current is not None:
            intake.skipped.append((resident, f"已在管控中({current.get_category_display()})"))
            continue
        try:
            person = identify(
                resident, category, at=at, source=source, source_ref=source_ref, user=user
            )
        except ChainError as exc:
            intake.skipped.append((resident, str(exc)))
            continue
        if advance:
            person = advance_to_measure(person, user=user, at=at, note="原地管控")
        intake.created.append(person)
    return intake


@transaction.atomic
def from_positive_pool(tube, *, user=None, at: dt.datetime | None = None) -> Intake:
    """Put the registered members of positive pooled ``tube`` under temporary control.

    They stay where they are (home isolation awaiting the retest), so they move straight
    to "under measure"; their retest is the sampling task on day 1. Members sampled
    without being in the registry cannot be controlled here: the testing app lists them
    for follow-up.
    """
    from wuyi.testing.models import Outcome, Scan, ScanKind

    at = at or timezone.now()
    resident_ids = (
        Scan.objects.filter(
            tube=tube, kind=ScanKind.BIND, outcome=Outcome.ACCEPTED, resident__isnull=False
        )
        .values_list("resident_id", flat=True)
        .distinct()
    )
    residents = Resident.objects.filter(pk__in=list(resident_ids)).order_by("path", "pk")
    return _take(
        Intake(),
        residents,
        Category.POSITIVE_POOL_MEMBER,
        at=at,
        source=Source.POSITIVE_POOL,
        source_ref=tube.barcode,
        user=user,
        advance=True,
    )


@transaction.atomic
def retest_result(
    resident: Resident, positive: bool, *, user=None, at: dt.datetime | None = None
) -> RiskPerson | None:
    """Apply a single-tube retest: positive → a case (returned); negative → released.

    Returns the case, or None after a release. A resident not awaiting a retest is refused.
    """
    from wuyi.control.models import Task, TaskKind, TaskResult, TaskStatus

    at = at or timezone.now()
    person = RiskPerson.objects.filter(
        resident=resident, state__in=ACTIVE_STATES, category=Category.POSITIVE_POOL_MEMBER
    ).first()
    if person is None:
        raise ChainError(f"{resident.name}不在混管阳性待复核人员中,无法登记复核结果")
    result = TaskResult.POSITIVE if positive else TaskResult.NEGATIVE
    Task.objects.filter(risk_person=person, kind=TaskKind.SAMPLING, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, result=result, done_at=at
    )
    if positive:
        return escalate(person, user=user, at=at, note="单管复核阳性")
    advance_to_measure(person, user=user, at=at)
    transition(
        person, State.RELEASED, user=user, at=at, note="单管复核阴性", event="retest_negative"
    )
    return None


@transaction.atomic
def from_risk_area(
    node: Node,
    *,
    user=None,
    at: dt.datetime | None = None,
    source_ref: str = "",
    exclude: list[Node] | tuple[Node, ...] = (),
) -> Intake:
    """Residents present under a designated high-risk ``node`` come under its measure.

    ``exclude`` are the parts the notice names as excepted ("1号楼2单元除外").
    """
    at = at or timezone.now()
    residents = under(Resident.objects.filter(status=Status.PRESENT), node)
    for part in exclude:
        residents = residents.exclude(subtree_q(part.path))
    residents = residents.order_by("path", "pk")
    return _take(
        Intake(),
        residents.iterator(chunk_size=2000),
        Category.HIGH_RISK_RESIDENT,
        at=at,
        source=Source.RISK_AREA,
        source_ref=source_ref or node.path,
        user=user,
        advance=True,
    )


@transaction.atomic
def area_lowered(node: Node, *, user=None, at: dt.datetime | None = None) -> int:
    """Release the high-risk area residents under ``node``: the event their measure waits for."""
    at = at or timezone.now()
    people = under(
        RiskPerson.objects.filter(category=Category.HIGH_RISK_RESIDENT, state__in=ACTIVE_STATES),
        node,
    )
    released = 0
    for person in people.select_related("resident"):
        person = advance_to_measure(person, user=user, at=at)
        transition(
            person,
            State.RELEASED,
            user=user,
            at=at,
            note="所在区域降为低风险",
            event="area_lowered",
        )
        released += 1
    return released


@transaction.atomic
def sync_retests(round=None, *, user=None) -> dict:
    """Bring the testing app's positive-pool retests into control; safe to run repeatedly.

    The results flow (``testing/results.py``) marks each member of a positive pool on
    their retest task: ``temporary`` until the single tube decides, then ``confirmed`` or
    ``released``. For each such task, in the order they were created, the member enters
    control as a positive-pool member (from the task's time, under the tube's barcode),
    and a decided retest escalates them to a case or releases them. A member already
    under control for another reason (a close contact, say) is not entered twice; a
    confirmed retest escalates that episode instead.
    """
    from wuyi.testing.models import ControlState, RetestTask, TaskReason

    tasks = (
        RetestTask.objects.filter(
            reason=TaskReason.POSITIVE_POOL,
            resident__isnull=False,
            control__in=[ControlState.TEMPORARY, ControlState.CONFIRMED, ControlState.RELEASED],
        )
        .select_related("source_tube", "resident")
        .order_by("created_at", "pk")
    )
    if round is not None:
        tasks = tasks.filter(round=round)
    counts = {"entered": 0, "cases": 0, "released": 0, "already": 0}
    for task in tasks.iterator(chunk_size=1000):
        resident, ref = task.resident, task.source_tube.barcode
        person = RiskPerson.objects.filter(
            resident=resident, source=Source.POSITIVE_POOL, source_ref=ref
        ).first()
        if person is None:
            active = RiskPerson.objects.filter(resident=resident, state__in=ACTIVE_STATES).first()
            if active is not None:
                counts["already"] += 1
                if task.control == ControlState.CONFIRMED and active.category not in (
                    Category.CONFIRMED,
                    Category.ASYMPTOMATIC,
                ):
                    escalate(active, user=user, at=task.done_at, note=f"单管复核阳性({ref})")
                    counts["cases"] += 1
                continue
            person = identify(
                resident,
                Category.POSITIVE_POOL_MEMBER,
                at=task.created_at,
                source=Source.POSITIVE_POOL,
                source_ref=ref,
                user=user,
            )
            advance_to_measure(person, user=user, at=task.created_at, note="原地管控")
            counts["entered"] += 1
        person.refresh_from_db()
        if not person.is_active or task.control == ControlState.TEMPORARY:
            continue
        positive = task.control == ControlState.CONFIRMED
        retest_result(resident, positive, user=user, at=task.done_at or timezone.now())
        counts["cases" if positive else "released"] += 1
    return counts
