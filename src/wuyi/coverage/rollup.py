"""Coverage of a round under any node or grid: target, sampled, exempt by reason, missing.

Every person registered under the node (status present or away) falls in exactly one class,
decided in this order, so a person is counted once whatever else is recorded about them:

1. ``sampled`` — has a ``testing.Sampled`` row for the round (sampling beats an exemption);
2. an exemption granted for the round (``coverage.Exemption``), by its reason;
3. ``away`` — the registry says the person is away from the city;
4. ``infant`` / ``round_rule`` — outside the round's age limits (infants below the minimum
   age are exempt by rule, people above a maximum age by the round's own rule);
5. ``reported_elsewhere`` — the person's latest door knock of the round says "sampled
   elsewhere" (where, when) but no scan of theirs has arrived: the grid worker's word, not
   a scan, so neither sampled nor missing, but a class of its own the office verifies (a
   scan arriving makes them sampled; a later knock with another result undoes it);
6. ``missing`` — everyone else: the people grid workers go and find.

``target`` is everyone registered minus the exempt; ``share`` is sampled / target, so a
round whose last people are only reported elsewhere shows below 100% until verified.

The counts are one aggregated query per call (``GROUP BY`` child × class), built with the
ORM so the same code runs on SQLite and PostgreSQL; the joins to ``Sampled`` and
``Exemption`` are ``LEFT JOIN``s on their unique (round, resident) indexes. For a whole
city by district and street the per-community tallies (``coverage.tallies``) are summed
instead, because scanning 5.4M residents per page view cannot answer in under a second.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from wuyi.coverage.models import DoorKnock, ExemptReason, KnockResult
from wuyi.people.models import Resident, Status
from wuyi.territory.models import PATH_SEPARATOR, Grid, Kind, Node
from wuyi.territory.tree import subtree_q

# The classes a registered person can fall in; exempt reasons are ExemptReason values.
SAMPLED = "sampled"
MISSING = "missing"
REPORTED = "reported_elsewhere"
REPORTED_LABEL = _("已在别处采样(待核实)")
REGISTERED_STATUSES = (Status.PRESENT, Status.AWAY)
EXEMPT_REASONS = [reason.value for reason in ExemptReason]


@dataclass
class Tally:
    """The coverage counts of one node, grid or building for one round."""

    key: str
    name: str
    kind: str = ""
    pk: int | None = None
    sampled: int = 0
    missing: int = 0
    reported: int = 0  # reported sampled elsewhere by a door knock, not yet verified
    exempt: dict[str, int] = field(default_factory=dict)

    def add(self, cls: str, count: int) -> None:
        if cls == SAMPLED:
            self.sampled += count
        elif cls == MISSING:
            self.missing += count
        elif cls == REPORTED:
            self.reported += count
        else:
            self.exempt[cls] = self.exempt.get(cls, 0) + count

    def merge(self, other: Tally) -> None:
        self.sampled += other.sampled
        self.missing += other.missing
        self.reported += other.reported
        for reason, count in other.exempt.items():
            self.exempt[reason] = self.exempt.get(reason, 0) + count

    @property
    def exempt_total(self) -> int:
        return sum(self.exempt.values())

    @property
    def registered(self) -> int:
        return self.sampled + self.reported + self.missing + self.exempt_total

    @property
    def target(self) -> int:
        return self.sampled + self.reported + self.missing

    @property
    def share(self) -> float | None:
        """Sampled / target, or None when nobody here is to be sampled."""
        return self.sampled / self.target if self.target else None

    @property
    def exempt_rows(self) -> list[tuple[str, int]]:
        """(label, count) per exempt reason, in the order of ``ExemptReason``."""
        return [(r.label, self.exempt.get(r.value, 0)) for r in ExemptReason]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "registered": self.registered,
            "target": self.target,
            "sampled": self.sampled,
            "exempt": self.exempt_total,
            "exempt_by_reason": {r.value: self.exempt.get(r.value, 0) for r in ExemptReason},
            "reported_elsewhere": self.reported,
            "missing": self.missing,
            "share": None if self.share is None else round(self.share, 4),
        }


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def age_cutoffs(round_) -> tuple[dt.date | None, dt.date | None]:
    """(born after this: below the minimum age; born on or before this: above the maximum).

    Ages are taken on the round's first day, the day the notice counts from.
    """
    young = (
        _years_before(round_.start_date, round_.min_age_years)
        if round_.min_age_years is not None
        else None
    )
    old = (
        _years_before(round_.start_date, round_.max_age_years + 1)
        if round_.max_age_years is not None
        else None
    )
    return young, old


def class_expression(round_) -> Case:
    """The SQL ``CASE`` putting each resident in one class (see the module docstring).

    Needs the queryset annotated by ``with_round``.
    """
    young, old = age_cutoffs(round_)
    whens = [
        When(round_sampled__id__isnull=False, then=Value(SAMPLED)),
        When(round_exemption__id__isnull=False, then=F("round_exemption__reason")),
        When(status=Status.AWAY, then=Value(ExemptReason.AWAY.value)),
    ]
    if young is not None:
        whens.append(When(birth_date__gt=young, then=Value(ExemptReason.INFANT.value)))
    if old is not None:
        whens.append(When(birth_date__lte=old, then=Value(ExemptReason.ROUND_RULE.value)))
    whens.append(
        When(Exact(latest_knock(round_), KnockResult.SAMPLED_ELSEWHERE.value), then=Value(REPORTED))
    )
    return Case(*whens, default=Value(MISSING), output_field=CharField())


def latest_knock(round_) -> Subquery:
    """The result of the resident's latest door knock about them in the round (or NULL).

    A correlated subquery on the knock's resident index; inside the ``CASE`` it runs only
    for the people no earlier class took, the few percent otherwise missing.
    """
    return Subquery(
        DoorKnock.objects.filter(round=round_, resident=OuterRef("pk"))
        .order_by("-recorded_at", "-id")
        .values("result")[:1],
        output_field=CharField(),
    )


def with_round(queryset: QuerySet, round_) -> QuerySet:
    """Residents with the round's sampled marker and exemption joined (LEFT JOINs)."""
    return queryset.annotate(
        round_sampled=FilteredRelation("sampled", condition=Q(sampled__round=round_)),
        round_exemption=FilteredRelation("exemptions", condition=Q(exemptions__round=round_)),
    )


def area_q(round_, path: str | None = None) -> Q:
    """Residents inside the round's area (its zones), and under ``path`` when given.

    A round without zones covers the whole city.
    """
    zones = list(round_.zones.values_list("path", flat=True))
    if not zones:
        return subtree_q(path) if path else Q()
    if path is None:
        q = Q(pk__in=[])
        for zone in zones:
            q |= subtree_q(zone)
        return q
    q = Q(pk__in=[])
    for zone in zones:
        if path == zone or path.startswith(zone + PATH_SEPARATOR):
            return subtree_q(path)  # the node lies inside a zone: all of it counts
        if zone.startswith(path + PATH_SEPARATOR):
            q |= subtree_q(zone)  # a zone inside the node: that zone counts
    return q


def registered(queryset: QuerySet | None = None) -> QuerySet:
    """Residents coverage counts at all: present in, or away from, their household."""
    queryset = Resident.objects.all() if queryset is None else queryset
    return queryset.filter(status__in=REGISTERED_STATUSES)


def _counts(queryset: QuerySet, round_, group: str | Substr | None) -> Iterable[dict]:
    qs = with_round(registered(queryset), round_).annotate(cls=class_expression(round_))
    if group is None:
        return qs.values("cls").annotate(n=Count("id")).order_by()
    if isinstance(group, str):
        group = F(group)
    return qs.annotate(k=group).values("k", "cls").annotate(n=Count("id")).order_by()


def node_tally(round_, node: Node) -> Tally:
    """The coverage of ``node`` (everything under it) in ``round_``."""
    tally = Tally(key=node.path, name=node.name, kind=node.kind, pk=node.pk)
    for row in _counts(Resident.objects.filter(area_q(round_, node.path)), round_, None):
        tally.add(row["cls"], row["n"])
    return tally


def grid_tally(round_, grid: Grid) -> Tally:
    tally = Tally(key=grid.code, name=grid.name, kind="grid", pk=grid.pk)
    qs = Resident.objects.filter(grid=grid).filter(area_q(round_, grid.path))
    for row in _counts(qs, round_, None):
        tally.add(row["cls"], row["n"])
    return tally


def children_tallies(round_, node: Node) -> list[Tally]:
    """One tally per child of ``node`` (the drill-down), in the children's order.

    When every child's path has the same length (always for districts, streets and
    communities) the database groups by that prefix; otherwise rows are grouped per
    household and mapped to children here (a community holds a few thousand households).
    """
    children = list(
        Node.objects.filter(parent=node).exclude(kind=Kind.SITE).order_by("sort_key", "code")
    )
    tallies = {c.path: Tally(key=c.path, name=c.name, kind=c.kind, pk=c.pk) for c in children}
    if not children:
        return []
    base = Resident.objects.filter(area_q(round_, node.path))
    lengths = {len(c.path) for c in children}
    if len(lengths) == 1:
        for row in _counts(base, round_, Substr("path", 1, lengths.pop())):
            if row["k"] in tallies:
                tallies[row["k"]].add(row["cls"], row["n"])
    else:
        start = len(node.path) + 1
        for row in _counts(base, round_, "path"):
            code = row["k"][start:].split(PATH_SEPARATOR, 1)[0]
            child = f"{node.path}{PATH_SEPARATOR}{code}"
            if child in tallies:
                tallies[child].add(row["cls"], row["n"])
    return [tallies[c.path] for c in children]


def grid_children_tallies(round_, grid: Grid) -> list[Tally]:
    """One tally per top-level member of the grid (its buildings, or a village's households)."""
    members = list(
        Node.objects.filter(grid=grid, kind__in=[Kind.BUILDING, Kind.HOUSEHOLD])
        .exclude(parent__grid=grid)
        .order_by("sort_key", "path")
    )
    tallies = {m.path: Tally(key=m.path, name=m.name, kind=m.kind, pk=m.pk) for m in members}
    qs = Resident.objects.filter(grid=grid).filter(area_q(round_, grid.path))
    for row in _counts(qs, round_, "path"):
        for member_path in _prefixes(row["k"]):
            if member_path in tallies:
                tallies[member_path].add(row["cls"], row["n"])
                break
    return [tallies[m.path] for m in members]


def household_tallies(round_, node: Node) -> dict[str, Tally]:
    """Coverage per household path under ``node`` (the compound picture's cells)."""
    result: dict[str, Tally] = defaultdict(lambda: Tally(key="", name=""))
    for row in _counts(Resident.objects.filter(area_q(round_, node.path)), round_, "path"):
        tally = result[row["k"]]
        tally.key = row["k"]
        tally.add(row["cls"], row["n"])
    return dict(result)


def _prefixes(path: str) -> list[str]:
    parts = path.split(PATH_SEPARATOR)
    return [PATH_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]


def resident_classes(round_, queryset: QuerySet) -> dict[int, str]:
    """The class of each resident of ``queryset`` (person by person, for lists)."""
    qs = with_round(registered(queryset), round_).annotate(cls=class_expression(round_))
    return dict(qs.values_list("id", "cls"))
