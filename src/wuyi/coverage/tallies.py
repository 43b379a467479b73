"""Per-community tallies of a round, for city-wide rollups by district and street.

Counting a city of 5.4M residents against 5M sampled markers per page view takes seconds
on either database (measured by ``wuyi bench coverage``), far over the one second an
office waits. So each community's counts are kept in ``CommunityTally`` and refreshed
while the round runs: ``refresh_changed`` recounts only the communities that gained
sampled markers, exemptions or door knocks since the last refresh (found from the
``Sampled`` id watermark and the exemption and knock times), each one a small exact query from ``rollup``.
``city_rollup`` then sums a few thousand rows, and ``node_rollup`` the rows of one
district or street for its page, which shows the refresh time. The background job
``coverage.refresh`` (``coverage.jobs``) refreshes every active round every 30 seconds.
Pages at community level and below never use tallies: they count live.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone

from wuyi.coverage.models import CommunityTally, DoorKnock, Exemption, TallyMark
from wuyi.coverage.rollup import Tally, node_tally
from wuyi.territory.models import PATH_SEPARATOR, Kind, Node
from wuyi.testing.models import Sampled

# District (6) + "." + street (9) + "." + community (12): the fixed-length path prefixes.
DISTRICT_LEN = 6
STREET_LEN = 16
COMMUNITY_LEN = 29

FIELDS = ("away", "isolated", "bedridden", "infant", "round_rule")


def refresh(round_, community_paths: Iterable[str] | None = None) -> int:
    """Recount the given communities (all communities of the city when None)."""
    communities = Node.objects.filter(kind=Kind.COMMUNITY)
    if community_paths is not None:
        communities = communities.filter(path__in=list(community_paths))
    now = timezone.now()
    count = 0
    for community in communities.iterator():
        tally = node_tally(round_, community)
        CommunityTally.objects.update_or_create(
            round=round_,
            path=community.path,
            defaults={
                "district_code": community.district_code,
                "sampled": tally.sampled,
                "missing": tally.missing,
                "reported": tally.reported,
                "refreshed_at": now,
                **{name: tally.exempt.get(name, 0) for name in FIELDS},
            },
        )
        count += 1
    return count


# More than the ids all web workers can hold in uncommitted batches at once
# (workers × the largest batch, 2,000 events).
LATE_COMMIT_MARGIN = 20_000
# Longer than any ingest transaction (a batch is stamped before it commits).
LATE_COMMIT_WINDOW = dt.timedelta(minutes=1)


@transaction.atomic
def refresh_changed(round_) -> int:
    """Recount the communities that changed since the last refresh; returns how many."""
    mark, _ = TallyMark.objects.select_for_update().get_or_create(round=round_)
    # The newest marker by walking the primary key backwards, not MAX() over the round's
    # millions of rows through the (round, path) index.
    upto = (
        Sampled.objects.filter(round=round_).order_by("-id").values_list("id", flat=True).first()
        or 0
    )
    new = Q(id__gt=mark.sampled_upto, id__lte=upto)
    if mark.refreshed_at is not None:
        # On PostgreSQL a batch that took its ids before the last refresh may have
        # committed after it, below the mark: look back LATE_COMMIT_MARGIN ids, but only
        # at markers stamped around or after that refresh, so a quiet round costs nothing.
        new |= Q(
            id__gt=max(mark.sampled_upto - LATE_COMMIT_MARGIN, 0),
            id__lte=mark.sampled_upto,
            sampled_at__gte=mark.refreshed_at - LATE_COMMIT_WINDOW,
        )
    changed = set(
        Sampled.objects.filter(new, round=round_)
        .annotate(c=Substr("path", 1, COMMUNITY_LEN))
        .values_list("c", flat=True)
        .distinct()
    )
    # A knock can move people in or out, or report them sampled elsewhere.
    for model, stamp in ((Exemption, "granted_at"), (DoorKnock, "recorded_at")):
        rows = model.objects.filter(round=round_)
        if mark.refreshed_at is not None:
            rows = rows.filter(**{f"{stamp}__gte": mark.refreshed_at})
        changed |= set(
            rows.annotate(c=Substr("path", 1, COMMUNITY_LEN)).values_list("c", flat=True)
        )
    if mark.refreshed_at is None:
        changed = None  # first refresh of the round: every community
    started = timezone.now()
    count = refresh(round_, changed)
    mark.sampled_upto = upto
    mark.refreshed_at = started
    mark.save()
    return count


def _part(row: dict) -> Tally:
    part = Tally(key=row["path"], name="")
    part.sampled, part.missing, part.reported = row["sampled"], row["missing"], row["reported"]
    part.exempt = {name: row[name] for name in FIELDS if row[name]}
    return part


def last_refresh(round_):
    """When the round's tallies were last refreshed (None: never, so pages count live)."""
    return (
        TallyMark.objects.filter(round=round_, refreshed_at__isnull=False)
        .values_list("refreshed_at", flat=True)
        .first()
    )


@dataclass
class NodeRollup:
    tally: Tally
    children: list[Tally]
    refreshed_at: object  # datetime


def node_rollup(round_, node: Node) -> NodeRollup | None:
    """A district's or street's coverage and its children's, summed from the tallies.

    None for other kinds of node and for a round never refreshed: the caller counts live.
    A district of 600k residents counted live takes seconds; its few hundred tally rows
    take milliseconds, at the price of figures up to one refresh old (the page says when).
    """
    if node.kind == Kind.DISTRICT:
        child_len = STREET_LEN
    elif node.kind == Kind.STREET:
        child_len = COMMUNITY_LEN
    else:
        return None
    refreshed = last_refresh(round_)
    if refreshed is None:
        return None
    total = Tally(key=node.path, name=node.name, kind=node.kind, pk=node.pk)
    parts: dict[str, Tally] = {}
    prefix = node.path + PATH_SEPARATOR
    for row in CommunityTally.objects.filter(round=round_, path__startswith=prefix).values():
        part = _part(row)
        total.merge(part)
        parts.setdefault(row["path"][:child_len], Tally(key="", name="")).merge(part)
    children = []
    for child in (
        Node.objects.filter(parent=node).exclude(kind=Kind.SITE).order_by("sort_key", "code")
    ):
        tally = Tally(key=child.path, name=child.name, kind=child.kind, pk=child.pk)
        if child.path in parts:
            tally.merge(parts[child.path])
        children.append(tally)
    return NodeRollup(total, children, refreshed)


def city_rollup(round_) -> dict:
    """Coverage of every district and street, summed from the community tallies."""
    districts: dict[str, Tally] = {}
    streets: dict[str, Tally] = {}
    refreshed = None
    for row in CommunityTally.objects.filter(round=round_).values():
        part = _part(row)
        for key, table in (
            (row["path"][:DISTRICT_LEN], districts),
            (row["path"][:STREET_LEN], streets),
        ):
            table.setdefault(key, Tally(key=key, name="")).merge(part)
        if refreshed is None or row["refreshed_at"] > refreshed:
            refreshed = row["refreshed_at"]
    names = dict(Node.objects.filter(path__in=[*districts, *streets]).values_list("path", "name"))
    for table in (districts, streets):
        for key, tally in table.items():
            tally.name = names.get(key, key)
            tally.kind = Kind.DISTRICT if len(key) == DISTRICT_LEN else Kind.STREET
    return {
        "refreshed_at": refreshed,
        "districts": [districts[k] for k in sorted(districts)],
        "streets": [streets[k] for k in sorted(streets)],
    }
