"""Designating, lowering and proposing to lower risk areas under the policy in force.

Counting days, as every version words it ("连续N天无新增感染者"): the clean days are the
days after the last new infection in the area (or after the designation when there was
none). An area qualifies on day D when the N days before D were all clean, that is when
D ≥ last + N + 1; where the version also asks for a negative screening, it must have been
done on the N-th clean day or later, and before D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from wuyi.accounts import audit
from wuyi.risk import policy as policies
from wuyi.risk.effects import area_designated, area_lowered
from wuyi.risk.models import AreaStatus, Decision, Level, RiskArea
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import ancestors_paths, under


class RiskError(ValueError):
    """A decision the rules do not allow; the message says why, in Chinese."""


LEVEL_NAMES = {Level.HIGH: "高风险区", Level.MEDIUM: "中风险区", Level.LOW: "低风险区"}


@dataclass(frozen=True)
class Qualification:
    qualifies: bool
    to: str | None
    reason: str
    first_day: dt.date | None  # the first day it qualifies (screening permitting)


def qualification(
    level: str,
    designated_on: dt.date,
    last_infection_on: dt.date | None,
    screening_negative_on: dt.date | None,
    day: dt.date,
    version: policies.PolicyVersion,
) -> Qualification:
    """Whether an area at ``level`` may be lowered on ``day`` under ``version``, and to what."""
    if level not in version.levels:
        # 二十条 abolished medium-risk areas: a medium area left over is lowered at once.
        return Qualification(
            True, version.levels[-1], f"{version.name}不设{LEVEL_NAMES[level]}", day
        )
    rule = version.lowering_rule(level)
    if rule is None:
        return Qualification(False, None, f"{version.name}没有{LEVEL_NAMES[level]}的降级规则", None)
    last = max(designated_on, last_infection_on or designated_on)
    first_day = last + dt.timedelta(days=rule.days + 1)
    if day < first_day:
        clean = max(0, (day - last).days - 1)
        return Qualification(
            False,
            rule.to,
            f"连续{clean}天无新增感染者,{version.name}要求{rule.days}天(最早{first_day.isoformat()})",
            first_day,
        )
    if rule.negative_screening:
        needed = last + dt.timedelta(days=rule.days)
        if screening_negative_on is None or not (needed <= screening_negative_on < day):
            return Qualification(
                False,
                rule.to,
                f"需在第{rule.days}天({needed.isoformat()})或之后完成一轮全员核酸筛查且均为阴性",
                first_day,
            )
    return Qualification(True, rule.to, f"连续{(day - last).days - 1}天无新增感染者", first_day)


@transaction.atomic
def designate(
    node: Node,
    level: str,
    day: dt.date,
    reason: str = "",
    by=None,
    exclusions: str = "",
    excluded_nodes: list[Node] | None = None,
    floor: int | None = None,
) -> Decision:
    """Propose ``node`` (or one ``floor`` of a unit or building) as a risk area at ``level``
    under the version in force on ``day``."""
    version = policies.version_in_force(day)
    if level not in version.levels or level == Level.LOW:
        raise RiskError(
            gettext("%(version)s不能划定%(level)s")
            % {"version": version.name, "level": gettext(LEVEL_NAMES.get(level, level))}
        )
    if floor is not None:
        if not version.designation_by_floor:
            raise RiskError(gettext("%(version)s不按楼层划定风险区") % {"version": version.name})
        if node.kind not in (Kind.UNIT, Kind.BUILDING):
            raise RiskError(
                gettext("按楼层划定须选单元或楼栋,“%(node)s”是%(kind)s")
                % {"node": node.name, "kind": node.get_kind_display()}
            )
        if not under(Node.objects.filter(kind=Kind.HOUSEHOLD, floor=floor), node).exists():
            raise RiskError(
                gettext("“%(node)s”没有%(floor)s层的住户") % {"node": node.name, "floor": floor}
            )
    wider_allowed = node.kind in version.designation_kinds_with_reason and reason.strip()
    if (
        version.designation_kinds
        and node.kind not in version.designation_kinds
        and not wider_allowed
    ):
        raise RiskError(
            gettext("%(version)s规定风险区划定到%(kinds)s,“%(node)s”是%(kind)s")
            % {
                "version": version.name,
                "kinds": pgettext("list separator", "、").join(
                    _kind_names(version.designation_kinds)
                ),
                "node": node.name,
                "kind": node.get_kind_display(),
            }
        )
    for other in excluded_nodes or []:
        if not other.path.startswith(node.path + "."):
            raise RiskError(
                gettext("除外的“%(other)s”不在“%(node)s”内")
                % {"other": other.name, "node": node.name}
            )
    if RiskArea.objects.filter(
        node=node, floor=floor, status__in=[AreaStatus.PROPOSED, AreaStatus.ACTIVE]
    ).exists():
        place = node.name + (gettext("%(floor)s层") % {"floor": floor} if floor else "")
        raise RiskError(gettext("“%(place)s”已是风险区或已在待批准中") % {"place": place})
    area = RiskArea.objects.create(
        node=node,
        path=node.path,
        district_code=node.district_code,
        level=level,
        floor=floor,
        policy=version.code,
        reason=reason,
        designated_on=day,
        exclusions=exclusions,
    )
    if excluded_nodes:
        area.excluded_nodes.set(excluded_nodes)
    decision = Decision.objects.create(
        area=area,
        district_code=area.district_code,
        path=area.path,
        action=Decision.Action.DESIGNATE,
        level=level,
        policy=version.code,
        decided_on=day,
        reason=reason,
        proposed_by=by,
    )
    audit.record("create", decision, user=by, after=audit.snapshot(decision))
    return decision


def _kind_names(kinds) -> list[str]:
    return [str(Kind(k).label) for k in kinds]


@transaction.atomic
def approve(decision: Decision, by) -> Decision:
    """An office approves a proposed decision; the area changes and the effects are sent."""
    decision = Decision.objects.select_for_update().select_related("area").get(pk=decision.pk)
    if decision.status != Decision.Status.PROPOSED:
        raise RiskError(
            gettext("该决定状态为“%(status)s”,不能再批准")
            % {"status": decision.get_status_display()}
        )
    area = decision.area
    decision.status = Decision.Status.APPROVED
    decision.approved_by = by
    decision.approved_at = timezone.now()
    decision.save(update_fields=["status", "approved_by", "approved_at"])
    if decision.action == Decision.Action.DESIGNATE:
        area.status = AreaStatus.ACTIVE
        area.save(update_fields=["status"])
        transaction.on_commit(lambda: area_designated.send(RiskArea, area=area, decision=decision))
    else:
        area.level = decision.level
        if decision.level == Level.LOW:
            area.status = AreaStatus.LOWERED
            area.lowered_on = decision.decided_on
        else:  # 第九版: high → medium; its own clock starts again from this day
            area.designated_on = decision.decided_on
            area.policy = decision.policy
        area.save(update_fields=["level", "status", "lowered_on", "designated_on", "policy"])
        transaction.on_commit(lambda: area_lowered.send(RiskArea, area=area, decision=decision))
    audit.record("status", decision, user=by, after={"status": decision.status})
    return decision


@transaction.atomic
def reject(decision: Decision, by, reason: str = "") -> Decision:
    decision = Decision.objects.select_for_update().select_related("area").get(pk=decision.pk)
    if decision.status != Decision.Status.PROPOSED:
        raise RiskError(
            gettext("该决定状态为“%(status)s”,不能驳回") % {"status": decision.get_status_display()}
        )
    decision.status = Decision.Status.REJECTED
    decision.approved_by = by
    decision.approved_at = timezone.now()
    decision.reason = (decision.reason + "\n" + reason).strip()
    decision.save(update_fields=["status", "approved_by", "approved_at", "reason"])
    if decision.action == Decision.Action.DESIGNATE:
        decision.area.status = AreaStatus.REJECTED
        decision.area.save(update_fields=["status"])
    audit.record("status", decision, user=by, after={"status": decision.status}, reason=reason)
    return decision


def _covering(node: Node):
    """Areas containing ``node``; a floor area only when the node is on that floor."""
    areas = RiskArea.objects.filter(
        path__in=ancestors_paths(node.path), status__in=[AreaStatus.PROPOSED, AreaStatus.ACTIVE]
    )
    return areas.filter(Q(floor__isnull=True) | Q(floor=node.floor))


@transaction.atomic
def record_infection(node: Node, day: dt.date) -> int:
    """A new infection found at ``node`` on ``day``: every area covering it restarts its count.

    A pending lowering proposal for such an area no longer holds and is withdrawn.
    The testing app calls this when a pool's retest finds a case.
    """
    count = 0
    for area in _covering(node).select_for_update():
        if area.last_infection_on is None or area.last_infection_on < day:
            area.last_infection_on = day
            area.save(update_fields=["last_infection_on"])
        area.decisions.filter(action=Decision.Action.LOWER, status=Decision.Status.PROPOSED).update(
            status=Decision.Status.REJECTED, reason=f"{day.isoformat()}出现新增感染者,撤回"
        )
        count += 1
    return count


def record_screening(area: RiskArea, day: dt.date, all_negative: bool) -> None:
    """An area-wide screening round finished on ``day`` (第九版's condition for lowering)."""
    if all_negative and (area.screening_negative_on is None or area.screening_negative_on < day):
        area.screening_negative_on = day
        area.save(update_fields=["screening_negative_on"])


@transaction.atomic
def propose_lowerings(day: dt.date, by=None) -> list[Decision]:
    """Every active area that qualifies on ``day`` under the version in force then, proposed
    for lowering (once: an area with a pending proposal is skipped)."""
    version = policies.version_in_force(day)
    proposals = []
    pending = set(
        Decision.objects.filter(
            action=Decision.Action.LOWER, status=Decision.Status.PROPOSED
        ).values_list("area_id", flat=True)
    )
    active = RiskArea.objects.filter(status=AreaStatus.ACTIVE).exclude(pk__in=pending)
    for area in active.order_by("path"):
        q = qualification(
            area.level,
            area.designated_on,
            area.last_infection_on,
            area.screening_negative_on,
            day,
            version,
        )
        if not q.qualifies:
            continue
        proposals.append(
            Decision.objects.create(
                area=area,
                district_code=area.district_code,
                path=area.path,
                action=Decision.Action.LOWER,
                level=q.to,
                policy=version.code,
                decided_on=day,
                reason=q.reason,
                proposed_by=by,
            )
        )
    return proposals
