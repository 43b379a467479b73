"""Completing a task: a health check done, a sample taken, a release carried out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wuyi.accounts import audit
from wuyi.control.models import Task, TaskKind, TaskResult, TaskStatus

# A temperature outside this range is a typing error, not a fever.
TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
FEVER = Decimal("37.3")


class TaskError(ValueError):
    """A task that cannot be completed as asked; the message says why."""


def parse_temperature(raw: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace("℃", "")).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise TaskError(
            gettext("体温“%(value)s”不是数字,应为如 36.5 的摄氏度") % {"value": raw}
        ) from None
    low, high = TEMPERATURE_RANGE
    if not low <= value <= high:
        raise TaskError(
            gettext("体温%(value)s℃不在%(low)s–%(high)s℃之间,请核对")
            % {"value": value, "low": low, "high": high}
        )
    return value


@transaction.atomic
def complete_health_check(
    task: Task, temperature: str, symptoms: str = "", *, user=None, at: dt.datetime | None = None
) -> Task:
    """Record a daily health check; a fever or symptoms mark it abnormal for the doctor."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.kind != TaskKind.HEALTH_CHECK:
        raise TaskError(gettext("这不是健康监测任务"))
    if task.status != TaskStatus.OPEN:
        raise TaskError(
            gettext("该任务状态为“%(status)s”,不能重复登记") % {"status": task.get_status_display()}
        )
    value = parse_temperature(temperature)
    symptoms = symptoms.strip()[:200]
    task.temperature = value
    task.symptoms = symptoms
    task.result = TaskResult.ABNORMAL if value >= FEVER or symptoms else TaskResult.NORMAL
    task.status = TaskStatus.DONE
    task.done_at = at or timezone.now()
    task.done_by = user if getattr(user, "pk", None) else None
    task.save(update_fields=["temperature", "symptoms", "result", "status", "done_at", "done_by"])
    audit.record(
        "change",
        task,
        user=user,
        after={"temperature": str(value), "symptoms": symptoms, "result": task.result},
        reason="健康监测",
    )
    return task
