"""Control's answers to the risk app's signals: designation brings residents under control,
lowering releases them. Connected in ``ControlConfig.ready``; risk never imports control."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wuyi.control import intake


def _at(day: dt.date) -> dt.datetime:
    """The decision's day at the current local time: that day decides the policy version."""
    now = timezone.localtime()
    return timezone.make_aware(dt.datetime.combine(day, now.time().replace(microsecond=0)))


def on_area_designated(sender, area, decision, **kwargs) -> None:
    if area.level != "high":
        return  # medium-risk areas (第九版) have no resident measure in the policy files
    intake.from_risk_area(
        area.node,
        user=decision.approved_by,
        at=_at(decision.decided_on),
        source_ref=f"riskarea:{area.pk}",
        exclude=list(area.excluded_nodes.all()),
    )


def on_area_lowered(sender, area, decision, **kwargs) -> None:
    # 第九版 lowered high to medium first; residents stay home until the area is low.
    if area.level != "low":
        return
    intake.area_lowered(area.node, user=decision.approved_by, at=_at(decision.decided_on))
