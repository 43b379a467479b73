"""What designating and lowering an area sets off in other parts of wuyi.

Control (issue 7) makes the residents inside risk persons under the area's measure,
``wuyi.risk.daily_testing`` puts a high-risk area into the daily single-tube round,
services give it priority. The other apps connect receivers to these signals instead of
risk importing them: the dependency points from them to risk, never back (daily testing
is risk's own and only writes the testing app's round rows). Each signal is sent after the decision's transaction commits,
with ``area`` (a RiskArea) and ``decision`` (the approved Decision).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.dispatch import Signal

# An area became a risk area (approved designation): residents inside come under control.
area_designated = Signal()
# An area's level changed or it was lowered to low: measures end or change.
area_lowered = Signal()


def households_in(area) -> QuerySet:
    """The households an area covers: its node and everything beneath, minus the exclusions.

    What a receiver of ``area_designated`` uses to find the residents who become risk
    persons ("西吴御龙庭小区(1号楼2单元除外)" leaves out that unit's households).
    """
    from wuyi.territory.models import Kind, Node
    from wuyi.territory.tree import subtree_q, under

    households = under(Node.objects.filter(kind=Kind.HOUSEHOLD), area.path)
    if area.floor is not None:
        households = households.filter(floor=area.floor)
    for excluded in area.excluded_nodes.all():
        households = households.exclude(subtree_q(excluded.path))
    return households
