"""The round's closing report for a node: coverage, missing by reason, door notes, speed.

What a street or community reports when a round closes: the share covered, who is
still missing and who was exempt and why, how many households were confirmed by their
door note without a visit and how many needed one, what the door knocks found, and how
long the round took to reach 95% and 99% of its target (counted from the first sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count

from wuyi.coverage.models import DoorKnock, DoorNote, KnockResult, NoteStatus
from wuyi.coverage.rollup import Tally, area_q, children_tallies, node_tally
from wuyi.territory.models import Node
from wuyi.territory.tree import subtree_q
from wuyi.testing.models import Sampled


@dataclass
class Milestone:
    share: float
    reached_at: object | None  # datetime, None when not reached
    hours: float | None  # hours from the first sample


@dataclass
class CloseReport:
    node: Node
    tally: Tally
    children: list[Tally]
    notes_confirmed: int
    notes_visit: int
    knocks: dict[str, int]
    first_sample_at: object | None
    milestones: list[Milestone]

    def as_dict(self) -> dict:
        return {
            "node": {"path": self.node.path, "name": self.node.name, "kind": self.node.kind},
            "coverage": self.tally.as_dict(),
            "children": [c.as_dict() for c in self.children],
            "door_notes": {"confirmed": self.notes_confirmed, "visit": self.notes_visit},
            "door_knocks": self.knocks,
            "first_sample_at": self.first_sample_at.isoformat() if self.first_sample_at else None,
            "milestones": [
                {
                    "share": m.share,
                    "reached_at": m.reached_at.isoformat() if m.reached_at else None,
                    "hours": None if m.hours is None else round(m.hours, 2),
                }
                for m in self.milestones
            ],
        }


def time_to_share(round_, node: Node, target: int, share: float, first) -> Milestone:
    """When the k-th person under ``node`` was sampled, k = ⌈share × target⌉."""
    needed = math.ceil(share * target)
    if target == 0 or needed == 0:
        return Milestone(share, None, None)
    reached = (
        Sampled.objects.filter(round=round_)
        .filter(subtree_q(node.path))
        .filter(area_q(round_, node.path))
        .order_by("sampled_at")
        .values_list("sampled_at", flat=True)[needed - 1 : needed]
    )
    moment = next(iter(reached), None)
    if moment is None:
        return Milestone(share, None, None)
    return Milestone(share, moment, (moment - first).total_seconds() / 3600)


def close_report(round_, node: Node) -> CloseReport:
    tally = node_tally(round_, node)
    notes = dict(
        DoorNote.objects.filter(round=round_)
        .filter(subtree_q(node.path))
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    knocks = dict(
        DoorKnock.objects.filter(round=round_)
        .filter(subtree_q(node.path))
        .values_list("result")
        .annotate(n=Count("id"))
        .order_by()
    )
    first = (
        Sampled.objects.filter(round=round_)
        .filter(subtree_q(node.path))
        .order_by("sampled_at")
        .values_list("sampled_at", flat=True)
        .first()
    )
    milestones = [
        time_to_share(round_, node, tally.target, share, first)
        if first
        else Milestone(share, None, None)
        for share in (0.95, 0.99)
    ]
    return CloseReport(
        node=node,
        tally=tally,
        children=children_tallies(round_, node),
        notes_confirmed=notes.get(NoteStatus.CONFIRMED, 0),
        notes_visit=notes.get(NoteStatus.VISIT, 0),
        knocks={r.value: knocks.get(r.value, 0) for r in KnockResult},
        first_sample_at=first,
        milestones=milestones,
    )
