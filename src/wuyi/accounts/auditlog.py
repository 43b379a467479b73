"""Reading the audit log: the events an office may see, filtered, masked, as rows or a file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wuyi.accounts.models import Action, AuditEvent
from wuyi.accounts.scoping import scoped
from wuyi.people.masking import mask_record

EXPORT_COLUMNS = [
    _("时间"),
    _("操作人"),
    _("操作"),
    _("对象类型"),
    _("对象ID"),
    _("对象"),
    _("辖区编码路径"),
    _("事由"),
    _("修改前"),
    _("修改后"),
]


def _header() -> list[str]:
    """The export's column names, in the language of the request."""
    return [str(column) for column in EXPORT_COLUMNS]


def visible_events(
    user,
    *,
    action: str = "",
    model: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> models.QuerySet:
    """The events under the user's offices, newest first, with the given filters."""
    events = scoped(AuditEvent.objects.all(), user)
    if action:
        events = events.filter(action=action)
    if model:
        events = events.filter(model=model)
    tz = timezone.get_current_timezone()
    if since:
        events = events.filter(at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz))
    if until:
        events = events.filter(
            at__lt=dt.datetime.combine(until, dt.time.min, tzinfo=tz) + dt.timedelta(days=1)
        )
    return events.order_by("-at", "-id")


def event_row(event: AuditEvent) -> list[str]:
    """One event as an export row; personal values in before/after are masked."""
    return [
        timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
        event.actor_name,
        str(Action(event.action).label) if event.action in Action.values else event.action,
        event.model,
        event.object_pk,
        event.object_repr,
        event.path,
        event.reason,
        json.dumps(mask_record(event.before), ensure_ascii=False) if event.before else "",
        json.dumps(mask_record(event.after), ensure_ascii=False) if event.after else "",
    ]


def export_csv(events: models.QuerySet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for event in events.iterator(chunk_size=2000):
        writer.writerow(event_row(event))
    # A BOM so that Excel opens the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(events: models.QuerySet) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("审计日志"))
    sheet.append(_header())
    for event in events.iterator(chunk_size=2000):
        sheet.append(event_row(event))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
