"""Home sampling (上门采样): the bedridden people a team must visit, and how each visit ended.

A bedridden door knock exempts the person and opens a ``HomeSamplingRequest``
(``door_knocking``). This module lists the open requests under a user's grants in
stair-walking order (building, unit, room: the household's code path sorts that way) and
closes them: *done* when the team visited and sampled (the tube's barcode, or a note when
the tube is not at hand), *cancelled* with a reason. Closing a request records the visit;
it is not a sample: the person counts as sampled once the scan of their tube arrives
through ingest like any other (``testing.Sampled``), and until then stays exempt as
bedridden. A cancellation may lift that exemption (the person can walk to a site after
all), putting them back on the missed list.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from wuyi.accounts import audit
from wuyi.accounts.models import Action
from wuyi.accounts.scoping import scoped
from wuyi.coverage.missed import PLACE_FIELDS, person_columns
from wuyi.coverage.models import Exemption, ExemptReason, HomeSamplingRequest, HomeSamplingStatus
from wuyi.territory.models import Grid, Node
from wuyi.territory.tree import subtree_q
from wuyi.testing.models import Tube

# Printed tube barcodes: letters, digits and dashes (the same alphabet ingest accepts).
BARCODE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
MIN_REASON = 2


class HomeSamplingError(ValueError):
    """A request that cannot be closed as asked; the message says why (shown to the user)."""


@dataclass
class RequestRow:
    pk: int
    resident_id: int
    household_id: int
    building: str
    unit: str
    room: str
    name: str
    gender: str
    birth_year: int | None
    id_number: str  # masked
    phone: str  # masked
    status: str
    status_label: str
    requested_at: dt.datetime
    requested_by: str
    closed_at: dt.datetime | None
    closed_by: str
    tube_barcode: str
    outcome_note: str

    @property
    def place(self) -> str:
        return f"{self.building}{self.unit}{self.room}"

    @property
    def is_open(self) -> bool:
        return self.status == HomeSamplingStatus.OPEN


def requests_in_scope(
    round_, user, *, node: Node | None = None, grid: Grid | None = None
) -> QuerySet:
    """The round's home-sampling requests the user's grants cover, under ``node``/``grid``."""
    qs = scoped(HomeSamplingRequest.objects.filter(round=round_), user)
    if node is not None:
        qs = qs.filter(subtree_q(node.path))
    if grid is not None:
        qs = qs.filter(grid=grid)
    return qs


def request_rows(queryset: QuerySet, limit: int = 2000) -> list[RequestRow]:
    """Rows for the page, in stair-walking order; ID numbers and phones masked."""
    rows = queryset.order_by("path", "resident__birth_date", "id").values(
        "pk",
        "resident_id",
        "resident__household_id",
        "resident__name",
        "resident__gender",
        "resident__birth_date",
        "resident__id_number",
        "resident__phone",
        "status",
        "requested_at",
        "requested_by__username",
        "closed_at",
        "closed_by__username",
        "tube_barcode",
        "outcome_note",
        *(f"resident__{f}" for f in PLACE_FIELDS),
    )[:limit]
    statuses = dict(HomeSamplingStatus.choices)
    tz = timezone.get_current_timezone()
    result = []
    for r in rows:
        result.append(
            RequestRow(
                pk=r["pk"],
                resident_id=r["resident_id"],
                household_id=r["resident__household_id"],
                **person_columns(r, "resident__"),
                status=r["status"],
                status_label=statuses.get(r["status"], r["status"]),
                requested_at=r["requested_at"].astimezone(tz),
                requested_by=r["requested_by__username"] or "",
                closed_at=r["closed_at"].astimezone(tz) if r["closed_at"] else None,
                closed_by=r["closed_by__username"] or "",
                tube_barcode=r["tube_barcode"],
                outcome_note=r["outcome_note"],
            )
        )
    return result


def _locked_open(request: HomeSamplingRequest) -> HomeSamplingRequest:
    """The request re-read under a row lock; refused unless still open (two teams, one bed)."""
    locked = HomeSamplingRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != HomeSamplingStatus.OPEN:
        raise HomeSamplingError(
            gettext("这条申请已是“%(status)s”,不能再处理(处理人 %(by)s)")
            % {"status": locked.get_status_display(), "by": locked.closed_by or "—"}
        )
    return locked


def _close(locked: HomeSamplingRequest, status: str, user, **fields) -> HomeSamplingRequest:
    before = audit.snapshot(locked)
    locked.status = status
    locked.closed_at = timezone.now()
    locked.closed_by = user if getattr(user, "is_authenticated", False) else None
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    audit.record(Action.STATUS, locked, user=user, before=before, after=audit.snapshot(locked))
    return locked


@transaction.atomic
def mark_done(
    request: HomeSamplingRequest, user, tube_barcode: str = "", note: str = ""
) -> HomeSamplingRequest:
    """The team visited and sampled the person: the tube's barcode, or a note saying why not."""
    barcode = tube_barcode.strip()
    note = note.strip()
    if not barcode and not note:
        raise HomeSamplingError(gettext("请填写试管条码;条码不在手边时填写说明"))
    if barcode and not BARCODE.match(barcode):
        raise HomeSamplingError(
            gettext("试管条码“%(barcode)s”格式不对:应为4到32位字母、数字或连字符")
            % {"barcode": barcode[:40]}
        )
    if len(note) > 200:
        raise HomeSamplingError(gettext("说明最多200字,现有%(count)s字") % {"count": len(note)})
    locked = _locked_open(request)
    if barcode:
        tube = Tube.objects.filter(barcode=barcode).select_related("round").first()
        if tube is not None and tube.round_id != locked.round_id:
            raise HomeSamplingError(
                gettext("试管 %(barcode)s 属于另一轮次(%(round)s),请核对条码")
                % {"barcode": barcode, "round": tube.round.name}
            )
    return _close(locked, HomeSamplingStatus.DONE, user, tube_barcode=barcode, outcome_note=note)


@transaction.atomic
def cancel(
    request: HomeSamplingRequest, user, reason: str, lift_exemption: bool = False
) -> HomeSamplingRequest:
    """Cancel with a reason; ``lift_exemption`` puts the person back among those to sample."""
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise HomeSamplingError(
            gettext("请填写取消原因(至少%(count)s个字)") % {"count": MIN_REASON}
        )
    if len(reason) > 200:
        raise HomeSamplingError(
            gettext("取消原因最多200字,现有%(count)s字") % {"count": len(reason)}
        )
    locked = _locked_open(request)
    if lift_exemption:
        exemption = Exemption.objects.filter(
            round_id=locked.round_id, resident_id=locked.resident_id, reason=ExemptReason.BEDRIDDEN
        ).first()
        if exemption is not None:
            audit.record(
                Action.DELETE,
                exemption,
                user=user,
                before=audit.snapshot(exemption),
                reason=f"取消上门采样:{reason}",
            )
            exemption.delete()
    return _close(locked, HomeSamplingStatus.CANCELLED, user, outcome_note=reason)
