"""The pictures offices look at: the compound's cell grid and the communities-by-hour chart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import Substr, TruncHour
from django.utils import timezone

from wuyi.coverage.rollup import Tally, area_q, children_tallies
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import subtree_q
from wuyi.testing.models import Sampled


@dataclass
class Cell:
    node: Node
    tally: Tally

    @property
    def colour(self) -> str:
        """Red below 80%, amber below 95%, light green below 100%, green when complete."""
        share = self.tally.share
        if share is None:
            return "#e5e8eb"
        if share >= 1:
            return "#1e8449"
        if share >= 0.95:
            return "#82e0aa"
        if share >= 0.8:
            return "#f5b041"
        return "#e74c3c"


def compound_cells(round_, compound: Node) -> list[tuple[Node, list[Cell]]]:
    """Buildings × units of a compound, each unit a cell with its coverage."""
    rows = []
    for building in children_tallies(round_, compound):
        node = Node.objects.get(pk=building.pk)
        if node.kind != Kind.BUILDING:
            continue
        units = children_tallies(round_, node)
        cells = [Cell(Node(pk=u.pk, name=u.name, kind=u.kind, path=u.key), u) for u in units]
        if not cells:  # a building without units: the building is its own cell
            cells = [Cell(node, building)]
        rows.append((node, cells))
    return rows


def hourly_chart(round_, node: Node) -> dict:
    """Cumulative coverage of each community under a street or district, hour by hour.

    Targets are today's (sampled + missing); the hourly sampled counts come from the
    sampled markers' times, grouped by community path prefix and hour in the database.
    """
    if node.kind == Kind.STREET:
        communities = children_tallies(round_, node)
    else:
        communities = [
            tally
            for street in Node.objects.filter(parent=node, kind=Kind.STREET).order_by("code")
            for tally in children_tallies(round_, street)
        ]
    communities = [c for c in communities if c.kind == Kind.COMMUNITY]
    if not communities:
        return {"hours": [], "communities": [], "series": []}
    length = len(communities[0].key)
    counts: dict[str, dict[dt.datetime, int]] = defaultdict(dict)
    rows = (
        Sampled.objects.filter(round=round_)
        .filter(subtree_q(node.path))
        .filter(area_q(round_, node.path))
        .annotate(c=Substr("path", 1, length), h=TruncHour("sampled_at"))
        .values("c", "h")
        .annotate(n=Count("id"))
        .order_by()
    )
    hours: set[dt.datetime] = set()
    for row in rows:
        counts[row["c"]][row["h"]] = row["n"]
        hours.add(row["h"])
    ordered = sorted(hours)
    labels = [timezone.localtime(h).strftime("%m-%d %H:00") for h in ordered]
    series = []
    for y, community in enumerate(communities):
        total = 0
        for x, hour in enumerate(ordered):
            total += counts[community.key].get(hour, 0)
            share = (
                round(100 * min(total, community.target) / community.target, 1)
                if community.target
                else 0
            )
            series.append([x, y, share])
    return {"hours": labels, "communities": [c.name for c in communities], "series": series}
