"""Each person's status in a round, for the grid worker's round view and the household page.

One pass over a grid (or a household): the class from ``rollup``, then the sampled time and
site, the exemption reason, an open positive-pool retest and the last door knock, each one
set-based query, so a grid of a thousand people is a handful of queries, not thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wuyi.accounts.scoping import scoped
from wuyi.coverage.models import DoorKnock, DoorNote, KnockResult, NoteStatus
from wuyi.coverage.rollup import (
    MISSING,
    REPORTED,
    REPORTED_LABEL,
    SAMPLED,
    class_expression,
    registered,
    with_round,
)
from wuyi.people.masking import mask_phone
from wuyi.people.models import Gender
from wuyi.territory.models import Kind, Node
from wuyi.testing.models import RetestTask, TaskReason, TaskStatus

# Shown to grid workers (translated when shown); the exempt reasons use ExemptReason's labels.
STATUS_LABELS = {
    SAMPLED: _("已采样"),
    MISSING: _("未采样"),
    REPORTED: REPORTED_LABEL,
    "positive_pool": _("混管阳性待复核"),
}


@dataclass
class PersonStatus:
    resident_id: int
    household_id: int
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
        return {SAMPLED: "ok", MISSING: "warn", REPORTED: "info"}.get(self.cls, "")


@dataclass
class HouseholdStatus:
    pk: int
    name: str
    path: str
    place: str  # building and unit, e.g. 1号楼2单元
    people: list[PersonStatus] = field(default_factory=list)
    note: str = ""
    # Someone missing or on a positive pool: listed first, person by person.
    attention: bool = False

    @property
    def missing(self) -> int:
        return sum(p.cls == MISSING for p in self.people)

    @property
    def sampled(self) -> int:
        return sum(p.cls == SAMPLED for p in self.people)


def person_statuses(round_, residents: QuerySet, user) -> list[PersonStatus]:
    """The status of each resident of ``residents`` (already limited to a grid or household).

    Rows come back as tuples (``values_list``), not model instances: a grid of a thousand
    people must be ready in a few milliseconds on the phone's next poll.
    """
    from wuyi.coverage.models import ExemptReason

    rows = list(
        with_round(registered(scoped(residents, user)), round_)
        .annotate(
            cls=class_expression(round_),
            sampled_at=F("round_sampled__sampled_at"),
            site=F("round_sampled__first_scan__site__name"),
            exempt_note=F("round_exemption__note"),
        )
        .order_by("path", "birth_date", "id")
        .values_list(
            "id",
            "name",
            "gender",
            "birth_date",
            "phone",
            "household_id",
            "cls",
            "sampled_at",
            "site",
            "exempt_note",
        )
    )
    # Subqueries, not lists of ids: a grid's thousand ids as parameters cost more than the SQL.
    ids = residents.values("id")
    pending = set(
        RetestTask.objects.filter(
            round=round_,
            resident_id__in=ids,
            reason=TaskReason.POSITIVE_POOL,
            status__in=[TaskStatus.OPEN, TaskStatus.SAMPLED],
        ).values_list("resident_id", flat=True)
    )
    tz = timezone.get_current_timezone()
    knocks: dict[int, str] = {}
    elsewhere: dict[int, str] = {}  # where the latest knock says the person was sampled
    for resident_id, result, at, where, when in (
        DoorKnock.objects.filter(round=round_, resident_id__in=ids)
        .order_by("recorded_at", "id")
        .values_list("resident_id", "result", "recorded_at", "sampled_where", "sampled_when")
    ):
        knocks[resident_id] = f"{KnockResult(result).label} {at.astimezone(tz):%m-%d %H:%M}"
        elsewhere[resident_id] = (
            f"{where} {when.astimezone(tz):%m-%d %H:%M}" if when else where
        ).strip()
    reasons = dict(ExemptReason.choices)
    genders = {code: gettext(label) for code, label in Gender.choices}
    # Looked up once, not per person: a grid has a thousand.
    with_note = gettext("%(status)s(%(note)s)")
    with_place = gettext("%(status)s:%(place)s")
    result = []
    for rid, name, gender, birth, phone, household_id, cls, at, site, note in rows:
        label = str(STATUS_LABELS.get(cls) or reasons.get(cls, cls))
        if cls in reasons and note:
            label = with_note % {"status": label, "note": note}
        elif cls == REPORTED and elsewhere.get(rid):
            label = with_place % {"status": label, "place": elsewhere[rid]}
        if rid in pending:
            label = str(STATUS_LABELS["positive_pool"])
        result.append(
            PersonStatus(
                resident_id=rid,
                household_id=household_id,
                name=name,
                gender=genders.get(gender, "") if gender else "",
                birth_year=birth.year if birth else None,
                phone=mask_phone(phone),
                cls=cls,
                label=label,
                sampled_at=at.astimezone(tz) if at else None,
                site=site or "",
                positive_pool=rid in pending,
                last_knock=knocks.get(rid, ""),
            )
        )
    return result


def grid_households(round_, grid, user) -> list[HouseholdStatus]:
    """The grid's households with their people's statuses, households with missing first."""
    from wuyi.people.models import Resident

    households = {
        pk: HouseholdStatus(pk=pk, name=name, path=path, place=f"{building or ''}{unit or ''}")
        for pk, name, path, unit, building in scoped(
            Node.objects.filter(grid=grid, kind=Kind.HOUSEHOLD), user
        ).values_list("pk", "name", "path", "parent__name", "parent__parent__name")
    }
    for person in person_statuses(round_, Resident.objects.filter(grid=grid), user):
        home = households.get(person.household_id)
        if home is not None:
            home.people.append(person)
            home.attention = home.attention or person.cls == MISSING or person.positive_pool
    for household_id, note_status in (
        DoorNote.objects.filter(round=round_, grid=grid)
        .order_by("submitted_at")
        .values_list("household_id", "status")
    ):
        if household_id in households:
            households[household_id].note = str(NoteStatus(note_status).label)
    return sorted(households.values(), key=lambda h: (not h.attention, h.path))
