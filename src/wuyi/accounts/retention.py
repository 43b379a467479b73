"""Retention: which personal records ``wuyi purge --before DATE`` removes, and the counts it keeps.

When an emergency is closed its personal records are no longer needed: residents' test
records, risk-person records, service requests. Each app that owns such records registers
them, usually in its ``apps.py`` ``ready()``::

    from wuyi.accounts import retention

    retention.register(
        "testing.scan",                      # category, also the model label by convention
        "居民采样记录",                        # what the operator reads
        lambda before: Scan.objects.filter(scanned_at__date__lt=before),
        day_field="scanned_at",              # counts are kept per day ...
        district_field="district_code",      # ... per district ...
        group_field="result",                # ... and optionally per a non-personal field
    )

``purge`` groups the rows it is about to delete into anonymous counts (``PurgedCount``:
category, day, district, group, count), deletes them in one transaction, and writes one
audit event. ``--dry-run`` reports the same numbers and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from wuyi.accounts import audit
from wuyi.accounts.models import Action, PurgedCount


@dataclass(frozen=True)
class Purgeable:
    category: str
    label: str
    queryset: Callable[[dt.date], models.QuerySet]
    day_field: str
    district_field: str | None = "district_code"
    group_field: str | None = None


REGISTRY: dict[str, Purgeable] = {}


def register(
    category: str,
    label: str,
    queryset: Callable[[dt.date], models.QuerySet],
    *,
    day_field: str,
    district_field: str | None = "district_code",
    group_field: str | None = None,
) -> None:
    """Register personal records of one kind that ``purge --before DATE`` may remove."""
    REGISTRY[category] = Purgeable(
        category, label, queryset, day_field, district_field, group_field
    )


def register_builtin() -> None:
    """Hook for records whose app registers nothing itself (none at present)."""


def _counts(item: Purgeable, before: dt.date) -> list[dict]:
    queryset = item.queryset(before)
    field = queryset.model._meta.get_field(item.day_field.split("__")[0])
    day = (
        TruncDate(item.day_field)
        if isinstance(field, models.DateTimeField)
        else models.F(item.day_field)
    )
    keys = {"day": day}
    if item.district_field:
        keys["district"] = models.F(item.district_field)
    if item.group_field:
        keys["group"] = models.F(item.group_field)
    rows = (
        queryset.order_by().annotate(**keys).values(*keys).annotate(n=Count("pk")).order_by(*keys)
    )
    return list(rows)


def purge(before: dt.date, *, dry_run: bool = False, user=None) -> dict:
    """Remove registered personal records dated before ``before``; keep anonymous counts."""
    report: dict = {"before": before.isoformat(), "dry_run": dry_run, "categories": []}
    with transaction.atomic():
        for item in REGISTRY.values():
            groups = _counts(item, before)
            total = sum(g["n"] for g in groups)
            entry = {"category": item.category, "label": item.label, "count": total}
            report["categories"].append(entry)
            if dry_run or total == 0:
                continue
            PurgedCount.objects.bulk_create(
                PurgedCount(
                    category=item.category,
                    day=g["day"],
                    district_code=str(g.get("district") or "")[:6],
                    label=str(g.get("group") or "")[:64],
                    count=g["n"],
                )
                for g in groups
            )
            deleted, _ = item.queryset(before).delete()
            entry["deleted_rows"] = deleted
        report["total"] = sum(c["count"] for c in report["categories"])
        if not dry_run:
            audit.record(
                Action.PURGE,
                None,
                user=user,
                model="accounts.purgedcount",
                object_repr=f"清除 {before.isoformat()} 之前的个人数据 {report['total']} 条",
                after=report,
            )
    return report
