"""Each person's status in a round, for the grid worker's round view and the household page.

One pass over a grid (or a household): the class from ``rollup``, then the sampled time and
site, the exemption reason, an open positive-pool retest and the last door knock, each one
set-based query, so a grid of a thousand people is a handful of queries, not thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from wuyi.accounts.scoping import scoped
from wuyi.coverage.models import DoorKnock, DoorNote, Exemption
from wuyi.coverage.rollup import MISSING, SAMPLED, class_expression, registered, with_round
from wuyi.people.masking import mask_phone
from wuyi.territory.models import Kind, Node
from wuyi.testing.models import RetestTask, Sampled, TaskReason, TaskStatus

# Shown to grid workers; the exempt reasons use ExemptReason's labels.
STATUS_LABELS = {SAMPLED: "已采样", MISSING: "未采样", "positive_pool": "混管阳性待复核"}


@dataclass
class PersonStatus:
    resident_id: int
    name: str
    gender: str
    birth_year: int | None
    phone: str  # masked
    cls: str
    label: str
    sampled_at: object | None = None
    site: str = ""
    positive_pool: bool = False
    last_knock: str = ""

    @property
    def css(self) -> str:
        if self.positive_pool:
            return "bad"
        return {SAMPLED: "ok", MISSING: "warn"}.get(self.cls, "")


@dataclass
class HouseholdStatus:
    node: Node
    people: list[PersonStatus] = field(default_factory=list)
    note: str = ""

    @property
    def missing(self) -> int:
        return sum(p.cls == MISSING for p in self.people)

    @property
    def sampled(self) -> int:
        return sum(p.cls == SAMPLED for p in self.people)


def person_statuses(round_, residents: QuerySet, user) -> list[PersonStatus]:
    """The status of each resident of ``residents`` (already limited to a grid or household)."""
    from wuyi.coverage.models import ExemptReason

    rows = list(
        with_round(registered(scoped(residents, user)), round_)
        .annotate(cls=class_expression(round_))
        .order_by("path", "birth_date", "id")
    )
    ids = [r.pk for r in rows]
    sampled = {
        s.resident_id: s
        for s in Sampled.objects.filter(round=round_, resident_id__in=ids).select_related(
            "first_scan__site"
        )
    }
    notes = dict(
        Exemption.objects.filter(round=round_, resident_id__in=ids).values_list(
            "resident_id", "note"
        )
    )
    pending = set(
        RetestTask.objects.filter(
            round=round_,
            resident_id__in=ids,
            reason=TaskReason.POSITIVE_POOL,
            status__in=[TaskStatus.OPEN, TaskStatus.SAMPLED],
        ).values_list("resident_id", flat=True)
    )
    knocks: dict[int, str] = {}
    for knock in DoorKnock.objects.filter(round=round_, resident_id__in=ids).order_by(
        "recorded_at"
    ):
        knocks[knock.resident_id] = f"{knock.get_result_display()} {knock.recorded_at:%m-%d %H:%M}"
    reasons = dict(ExemptReason.choices)
    result = []
    for r in rows:
        mark = sampled.get(r.pk)
        label = STATUS_LABELS.get(r.cls) or reasons.get(r.cls, r.cls)
        if r.cls in reasons and notes.get(r.pk):
            label = f"{label}({notes[r.pk]})"
        status = PersonStatus(
            resident_id=r.pk,
            name=r.name,
            gender=r.get_gender_display() if r.gender else "",
            birth_year=r.birth_date.year if r.birth_date else None,
            phone=mask_phone(r.phone),
            cls=r.cls,
            label=label,
            sampled_at=mark.sampled_at if mark else None,
            site=mark.first_scan.site.name if mark and mark.first_scan.site_id else "",
            positive_pool=r.pk in pending,
            last_knock=knocks.get(r.pk, ""),
        )
        if status.positive_pool:
            status.label = STATUS_LABELS["positive_pool"]
        status.household_id = r.household_id  # type: ignore[attr-defined]
        result.append(status)
    return result


def grid_households(round_, grid, user) -> list[HouseholdStatus]:
    """The grid's households with their people's statuses, households with missing first."""
    from wuyi.people.models import Resident

    households = {
        n.pk: HouseholdStatus(node=n)
        for n in scoped(Node.objects.filter(grid=grid, kind=Kind.HOUSEHOLD), user).select_related(
            "parent__parent"
        )
    }
    for person in person_statuses(round_, Resident.objects.filter(grid=grid), user):
        home = households.get(person.household_id)  # type: ignore[attr-defined]
        if home is not None:
            home.people.append(person)
    last_notes = {}
    for note in DoorNote.objects.filter(round=round_, grid=grid).order_by("submitted_at"):
        last_notes[note.household_id] = note.get_status_display()
    for pk, note in last_notes.items():
        if pk in households:
            households[pk].note = note
    ordered = sorted(households.values(), key=lambda h: (h.missing == 0, h.node.path))
    return ordered
