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
from django.utils.translation import gettext

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
            reason = gettext("已在管控中(%(category)s)") % {
                "category": current.get_category_display()
            }
            intake.skipped.append((resident, reason))
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
        raise ChainError(
            gettext("%(name)s不在混管阳性待复核人员中,无法登记复核结果") % {"name": resident.name}
        )
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


def sync_retests(round=None, *, user=None) -> dict:
    """Bring every positive-pool retest into control; safe to run repeatedly.

    The results flow (``testing/results.py``) marks each member of a positive pool on
    their retest task: ``temporary`` until the single tube decides, then ``confirmed`` or
    ``released``. Every such task not yet linked to a control episode enters control (a
    positive-pool member, from the task's time, under the tube's barcode; a member already
    under control for another reason is linked to that episode instead), and every
    decided retest escalates its member to a case or releases them. The background job
    (``pools.run``) does the same for queued pools within seconds; this full pass, run by
    ``wuyi control daily``, catches anything the queue never saw.
    """
    from wuyi.control import pools

    return pools.reconcile(round, user=user)
