"""High-risk areas get daily testing: one single-tube round a day covering every such area.

Sealed areas were tested every day, one person a tube (the national guide's 单管单采 for
封控区): a positive tube names its person at once, with no pool to retest. So each day has
one round ``GFX-YYYYMMDD`` ("高风险区每日核酸") whose zones are the nodes of the areas that
are high-risk that day, each at pool size 1, with the sampling sites nearest each area
added to the round to sample there.

When a day's round is made:
* on approval of a designation (the ``area_designated`` signal): today's round, created if
  need be, gets the area at once, so the area is sampled from the day it is sealed;
* by the background job ``risk.daily_testing`` (every ten minutes, idempotent): the first
  run of a day makes that day's round from the areas high-risk then, and any area a missed
  signal left out is added.

A lowering (``area_lowered``: to low, or 第九版's high → medium) takes effect from the day
after its decision: rounds of later days drop the area's zone; the decision day's round,
if already made, keeps it (that day's sampling has begun). Only rows are added or removed
here; sampling, tubes and results stay with the testing app.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from wuyi.core import background
from wuyi.risk.models import AreaStatus, Level, RiskArea
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import ancestors_paths, under
from wuyi.testing.models import (
    PoolSize,
    RoundSite,
    RoundStatus,
    RoundZone,
    SamplingSite,
    TestingRound,
)

log = logging.getLogger(__name__)

CODE_PREFIX = "GFX-"  # 高风险区 每日 核酸
JOB_SECONDS = 600


def round_code(day: dt.date) -> str:
    """The code of ``day``'s round: one per day, so it is found again, never duplicated."""
    return f"{CODE_PREFIX}{day:%Y%m%d}"


def areas_due(day: dt.date):
    """Areas to test on ``day``: high-risk and in force, designated on or before that day."""
    return RiskArea.objects.filter(
        status=AreaStatus.ACTIVE, level=Level.HIGH, designated_on__lte=day
    ).select_related("node")


def sites_for(node: Node) -> list[SamplingSite]:
    """The active sampling sites nearest ``node``: in its community, else in its street.

    Sealed areas are sampled door to door by the teams of the nearest site; a site far away
    would be of no use, so an area with none in its street gets none (and is reported).
    """
    chain = {n.kind: n for n in Node.objects.filter(path__in=ancestors_paths(node.path))}
    for kind in (Kind.COMMUNITY, Kind.STREET):
        if kind in chain:
            sites = list(
                under(SamplingSite.objects.filter(active=True), chain[kind]).order_by("code")
            )
            if sites:
                return sites
    return []


@transaction.atomic
def ensure_daily_round(day: dt.date, by=None) -> dict:
    """``day``'s round holding every area due that day at single tubes; what was added.

    Idempotent: a second call adds nothing. No round is made for a day without any
    high-risk area.
    """
    due = list(areas_due(day).order_by("path"))
    code = round_code(day)
    report: dict = {
        "date": day.isoformat(),
        "round": None,
        "created": False,
        "areas": len(due),
        "zones_added": [],
        "sites_added": [],
        "without_site": [],
    }
    if not due:
        return report
    round_, created = TestingRound.objects.get_or_create(
        code=code,
        defaults={
            "name": f"高风险区每日核酸 {day.isoformat()}",
            "status": RoundStatus.ACTIVE,
            "start_date": day,
            "end_date": day,
            "default_pool_size": PoolSize.SINGLE,
            "created_by": by,
        },
    )
    report["round"], report["created"] = round_.code, created
    zoned = set(RoundZone.objects.filter(round=round_).values_list("node_id", flat=True))
    site_rows = {rs.site_id: rs for rs in RoundSite.objects.filter(round=round_)}
    for area in due:
        if area.node_id in zoned:
            continue  # already in (or two areas on one node: floors of one unit)
        zoned.add(area.node_id)
        RoundZone.objects.create(
            round=round_,
            node=area.node,
            path=area.path,
            district_code=area.district_code,
            pool_size=PoolSize.SINGLE,
        )
        report["zones_added"].append({"area": area.pk, "node": area.node_id, "path": area.path})
        sites = sites_for(area.node)
        if not sites:
            report["without_site"].append({"area": area.pk, "path": area.path})
        for site in sites:
            row = site_rows.get(site.pk)
            if row is None:
                row = RoundSite.objects.create(round=round_, site=site, pool_size=PoolSize.SINGLE)
                site_rows[site.pk] = row
                report["sites_added"].append(site.code)
            row.served_nodes.add(area.node)
    return report


@transaction.atomic
def drop_lowered(area: RiskArea, decided_on: dt.date) -> list[str]:
    """Take ``area`` out of the daily rounds after ``decided_on``; the codes of those rounds.

    Another area still due on the same node (another floor of the unit) keeps the zone.
    """
    dropped = []
    rounds = TestingRound.objects.filter(code__startswith=CODE_PREFIX, start_date__gt=decided_on)
    for round_ in rounds.order_by("start_date"):
        if areas_due(round_.start_date).filter(node_id=area.node_id).exists():
            continue
        deleted, _ = RoundZone.objects.filter(round=round_, node_id=area.node_id).delete()
        for row in RoundSite.objects.filter(round=round_, served_nodes=area.node_id):
            row.served_nodes.remove(area.node_id)
        if deleted:
            dropped.append(round_.code)
    return dropped


def on_area_designated(sender, area: RiskArea, decision, **kwargs) -> None:
    """A high-risk area approved: today's round gets it (a future designation waits for the
    job on its day). A failure is logged, not raised: the decision is already committed and
    the next run of the job adds the area."""
    if area.level != Level.HIGH:
        return
    today = timezone.localdate()
    if area.designated_on > today:
        return
    try:
        ensure_daily_round(today, by=decision.approved_by)
    except Exception:
        log.exception(
            "daily testing: could not add risk area %s to the round of %s", area.pk, today
        )


def on_area_lowered(sender, area: RiskArea, decision, **kwargs) -> None:
    """A lowered area (to low, or high → medium) leaves the rounds after the decision's day."""
    if area.status == AreaStatus.ACTIVE and area.level == Level.HIGH:
        return
    try:
        drop_lowered(area, decision.decided_on)
    except Exception:
        log.exception("daily testing: could not drop lowered risk area %s", area.pk)


@background.every(JOB_SECONDS, "risk.daily_testing")
def daily_job() -> dict:
    """Today's round, made on the first run of the day and completed on every later one."""
    return ensure_daily_round(timezone.localdate())
