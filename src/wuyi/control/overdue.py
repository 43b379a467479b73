"""What is overdue, where, and escalating what has waited too long.

A task is overdue once its deadline has passed and it is still open: a test day's
sample not taken by 18:00, a health check not done by 20:00, a release not done by the
end of its day. Overdue tasks appear at once on the lists of the community and the
street they lie under (both are prefix queries on the task's copied path, answered from
the partial index of open tasks). One that stays open ``CONTROL_ESCALATE_AFTER_HOURS``
past its deadline is escalated: stamped, audited, and shown to the district as well.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from wuyi.accounts import audit
from wuyi.control.models import ACTIVE_STATES, Task, TaskStatus
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import under


def escalate_after() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "CONTROL_ESCALATE_AFTER_HOURS", 2)))


def within(queryset: QuerySet, node: Node | str | None) -> QuerySet:
    """Rows of ``queryset`` (with a household ``path``) under ``node`` (``None``: the whole city).

    Tasks and risk persons carry household paths, so below anything but a household only
    the prefix match is needed: without the ``path = X`` alternative the database answers
    with one range scan of the path index instead of a scan of the whole index.
    """
    if node is None:
        return queryset
    own = isinstance(node, Node) and node.kind == Kind.HOUSEHOLD
    return under(queryset, node, include_self=own)


def overdue(
    node: Node | str | None, now: dt.datetime | None = None, base: QuerySet | None = None
) -> QuerySet[Task]:
    """Open tasks under ``node`` whose deadline has passed, oldest first."""
    now = now or timezone.now()
    tasks = base if base is not None else Task.objects.all()
    return within(tasks.filter(status=TaskStatus.OPEN, due_at__lt=now), node).order_by(
        "due_at", "pk"
    )


def overdue_summary(
    node: Node | str | None,
    now: dt.datetime | None = None,
    limit: int = 100,
    base: QuerySet | None = None,
) -> dict:
    """Counts by task kind and the first ``limit`` overdue tasks with person and household."""
    now = now or timezone.now()
    qs = overdue(node, now, base)
    by_kind = dict(qs.order_by().values_list("kind").annotate(n=Count("pk")))
    rows = list(qs.select_related("risk_person__resident", "household", "assignee")[:limit])
    return {"total": sum(by_kind.values()), "by_kind": by_kind, "rows": rows}


@transaction.atomic
def escalate_overdue(now: dt.datetime | None = None, user=None) -> int:
    """Stamp tasks overdue for longer than the setting as escalated; returns how many."""
    now = now or timezone.now()
    cutoff = now - escalate_after()
    stale = Task.objects.filter(
        status=TaskStatus.OPEN,
        due_at__lt=cutoff,
        escalated_at__isnull=True,
        risk_person__state__in=ACTIVE_STATES,
    )
    ids = list(stale.values_list("pk", flat=True)[:50000])
    if not ids:
        return 0
    count = Task.objects.filter(pk__in=ids).update(escalated_at=now)
    audit.record(
        "status",
        None,
        user=user,
        model="control.task",
        object_repr=f"{count}项逾期任务上报",
        after={"escalated": count},
        reason=f"逾期超过{escalate_after()}未办",
    )
    return count
