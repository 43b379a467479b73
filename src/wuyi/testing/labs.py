"""Transport and labs: boxing sealed tubes, the handovers site → transport → lab, receipt.

Every step stamps its time on the box and on each tube (``sealed_at`` → ``received_at`` →
``resulted_at``), so a tube's way from the desk to its result can be read off one row, and
``overdue_tubes`` can list those stuck against the round's limits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from wuyi.testing.models import (
    BoxStatus,
    Lab,
    TaskStatus,
    TestingRound,
    TransportBox,
    Tube,
    TubeStatus,
)


class LabError(ValueError):
    """A transport or receipt step that cannot happen; the message is for staff."""


@dataclass
class ReceiptReport:
    """What a lab's scan-in of tubes did, per barcode."""

    received: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (barcode, reason)

    def as_dict(self) -> dict:
        return {
            "received": len(self.received),
            "already_received": len(self.already),
            "rejected": [{"barcode": b, "reason": r} for b, r in self.rejected],
        }


@transaction.atomic
def pack_box(
    code: str, barcodes: list[str], lab: Lab | None = None, at: dt.datetime | None = None
) -> TransportBox:
    """A transport box of sealed tubes of one site and round, addressed to ``lab``.

    All or nothing: one tube that is unknown, still open, already boxed or of another site
    refuses the box, with every problem named.
    """
    code = code.strip()
    if not code:
        raise LabError(gettext("转运箱编号不能为空"))
    if TransportBox.objects.filter(code=code).exists():
        raise LabError(gettext("转运箱 %(code)s 已存在") % {"code": code})
    barcodes = list(dict.fromkeys(b.strip() for b in barcodes if b.strip()))
    if not barcodes:
        raise LabError(gettext("转运箱里至少要有一管"))
    tubes = list(Tube.objects.select_for_update().filter(barcode__in=barcodes))
    found = {t.barcode: t for t in tubes}
    unknown = gettext("%(tube)s:系统中没有这个试管")
    problems = [unknown % {"tube": b} for b in barcodes if b not in found]
    for tube in tubes:
        if tube.status == TubeStatus.OPEN:
            problems.append(gettext("%(tube)s:尚未封管") % {"tube": tube.barcode})
        elif tube.box_id is not None:
            problems.append(gettext("%(tube)s:已装入其他转运箱") % {"tube": tube.barcode})
    sites = {(t.round_id, t.site_id) for t in tubes}
    if len(sites) > 1:
        problems.append(gettext("一个转运箱只能装同一采样点、同一轮次的试管"))
    if problems:
        separator = pgettext("list separator", ";")
        raise LabError(
            gettext("不能装箱:%(problems)s") % {"problems": separator.join(problems[:20])}
        )
    first = tubes[0]
    box = TransportBox.objects.create(
        code=code,
        round_id=first.round_id,
        site_id=first.site_id,
        lab=lab,
        district_code=first.district_code,
    )
    if at is not None:
        TransportBox.objects.filter(pk=box.pk).update(created_at=at)
    Tube.objects.filter(pk__in=[t.pk for t in tubes]).update(box=box)
    return box


@transaction.atomic
def hand_to_transport(
    box: TransportBox, transporter: str, lab: Lab | None = None, at: dt.datetime | None = None
) -> TransportBox:
    """The site hands the box to the transporter: box and its tubes are in transit."""
    box = TransportBox.objects.select_for_update().get(pk=box.pk)
    if box.status != BoxStatus.PACKING:
        raise LabError(
            gettext("转运箱 %(box)s 已交接(%(status)s)")
            % {"box": box.code, "status": box.get_status_display()}
        )
    if lab is not None:
        box.lab = lab
    if box.lab_id is None:
        raise LabError(gettext("转运箱 %(box)s 未指定送往的实验室") % {"box": box.code})
    box.status = BoxStatus.IN_TRANSIT
    box.handed_to_transport_at = at or timezone.now()
    box.transporter = transporter.strip()
    box.save(update_fields=["status", "handed_to_transport_at", "transporter", "lab"])
    box.tubes.filter(status=TubeStatus.SEALED).update(status=TubeStatus.IN_TRANSIT)
    return box


@transaction.atomic
def receive_box(
    lab: Lab, code: str, received_by: str = "", at: dt.datetime | None = None
) -> tuple[TransportBox, ReceiptReport]:
    """The lab takes the box: every tube in it is received. Receiving twice changes nothing."""
    box = TransportBox.objects.select_for_update().filter(code=code.strip()).first()
    if box is None:
        raise LabError(gettext("没有编号为 %(box)s 的转运箱") % {"box": code})
    if box.lab_id is not None and box.lab_id != lab.pk:
        raise LabError(gettext("转运箱 %(box)s 是送往其他实验室的") % {"box": box.code})
    at = at or timezone.now()
    if box.status != BoxStatus.RECEIVED:
        box.status = BoxStatus.RECEIVED
        box.lab = lab
        box.received_at = at
        box.received_by = received_by.strip()
        box.save(update_fields=["status", "lab", "received_at", "received_by"])
    barcodes = list(box.tubes.values_list("barcode", flat=True))
    return box, receive_tubes(lab, barcodes, at=at)


@transaction.atomic
def receive_tubes(lab: Lab, barcodes: list[str], at: dt.datetime | None = None) -> ReceiptReport:
    """The lab scans tubes in one by one (or a box's at once). Idempotent per tube.

    A tube must be sealed; a tube boxed for another lab, or already received by another,
    is refused. Open retest tasks whose person is in a received tube count as sampled.
    """
    at = at or timezone.now()
    report = ReceiptReport()
    wanted = list(dict.fromkeys(b.strip() for b in barcodes if b and b.strip()))
    tubes = {
        t.barcode: t
        # of=self: the box is joined nullable (a tube may be unboxed); lock the tubes only.
        for t in Tube.objects.select_for_update(of=("self",))
        .select_related("box")
        .filter(barcode__in=wanted)
        .only("id", "barcode", "status", "lab_id", "box__lab_id", "received_at")
    }
    to_receive = []
    for barcode in wanted:
        tube = tubes.get(barcode)
        if tube is None:
            report.rejected.append((barcode, gettext("系统中没有这个试管")))
        elif tube.lab_id is not None and tube.lab_id != lab.pk:
            report.rejected.append((barcode, gettext("该管已由其他实验室接收")))
        elif tube.box is not None and tube.box.lab_id not in (None, lab.pk):
            report.rejected.append((barcode, gettext("该管所在转运箱是送往其他实验室的")))
        elif tube.status == TubeStatus.OPEN:
            report.rejected.append((barcode, gettext("该管尚未封管")))
        elif tube.received_at is not None:
            report.already.append(barcode)
        else:
            to_receive.append(tube.pk)
            report.received.append(barcode)
    if to_receive:
        Tube.objects.filter(pk__in=to_receive).update(
            lab=lab, received_at=at, status=TubeStatus.RECEIVED
        )
        _mark_retests_sampled(to_receive)
    return report


def _mark_retests_sampled(tube_ids: list[int]) -> None:
    """Open retest/resample tasks whose person is in one of these tubes have been sampled."""
    from wuyi.testing.results import bindings_with_open_tasks, tasks_of_person

    for scan in bindings_with_open_tasks(tube_ids):
        tasks_of_person(scan).filter(status=TaskStatus.OPEN).update(
            status=TaskStatus.SAMPLED, new_tube_id=scan.tube_id
        )


@dataclass
class Overdue:
    """Tubes stuck against their round's limits."""

    not_received: QuerySet  # sealed, not received within seal_to_receipt_hours
    no_result: QuerySet  # received, no result within receipt_to_result_hours


def overdue_tubes(
    rounds: QuerySet | None = None, now: dt.datetime | None = None, tubes: QuerySet | None = None
) -> Overdue:
    """Overdue tubes of the active rounds (or ``rounds``), each round with its own limits.

    ``tubes`` narrows the search (a lab's tubes, a user's scoped tubes). Both lists use
    the (status, sealed_at) and (status, received_at) indexes.
    """
    now = now or timezone.now()
    if rounds is None:
        rounds = TestingRound.objects.filter(status="active")
    base = tubes if tubes is not None else Tube.objects.all()
    late_seal = Q(pk__in=[])
    late_receipt = Q(pk__in=[])
    for rnd in rounds.only("id", "seal_to_receipt_hours", "receipt_to_result_hours"):
        late_seal |= Q(
            round_id=rnd.pk, sealed_at__lt=now - dt.timedelta(hours=rnd.seal_to_receipt_hours)
        )
        late_receipt |= Q(
            round_id=rnd.pk,
            received_at__lt=now - dt.timedelta(hours=rnd.receipt_to_result_hours),
        )
    return Overdue(
        not_received=base.filter(late_seal, status__in=[TubeStatus.SEALED, TubeStatus.IN_TRANSIT])
        .select_related("site", "box")
        .order_by("sealed_at"),
        no_result=base.filter(late_receipt, status=TubeStatus.RECEIVED)
        .select_related("site", "lab")
        .order_by("received_at"),
    )


def tube_timeline(tube: Tube) -> list[tuple[str, dt.datetime | None]]:
    """A tube's timestamps from first scan to result, for its page (None: not yet)."""
    box = tube.box
    result = getattr(tube, "result", None)  # None when there is none yet
    return [
        (pgettext("tube timeline", "开管(首次采样)"), tube.opened_at),
        (pgettext("tube timeline", "封管"), tube.sealed_at),
        (pgettext("tube timeline", "装箱"), box.created_at if box else None),
        (pgettext("tube timeline", "交接转运"), box.handed_to_transport_at if box else None),
        (pgettext("tube timeline", "实验室接收"), tube.received_at),
        (pgettext("tube timeline", "检测完成"), result.reported_at if result else None),
        (pgettext("tube timeline", "结果入库"), tube.resulted_at),
    ]


def is_overdue(tube: Tube) -> bool:
    """Whether the tube is late against its round's limits, as the overdue list counts it."""
    found = overdue_tubes(tubes=Tube.objects.filter(pk=tube.pk))
    return found.not_received.exists() or found.no_result.exists()
