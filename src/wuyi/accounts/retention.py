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

from django.db import connection, models, transaction
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
    bulk: bool = False


REGISTRY: dict[str, Purgeable] = {}


def register(
    category: str,
    label: str,
    queryset: Callable[[dt.date], models.QuerySet],
    *,
    day_field: str,
    district_field: str | None = "district_code",
    group_field: str | None = None,
    bulk: bool = False,
) -> None:
    """Register personal records of one kind that ``purge --before DATE`` may remove.

    ``bulk``: delete with one ``DELETE … WHERE pk IN (…)`` instead of the ORM's collector,
    which loads every row and asks each related table about it (100,000 scans: 4.3 s and
    112 MB; a city's round has millions). Only for records whose referrers are all purged
    before them; the database's own foreign keys are checked right after, so a referrer
    that is left makes the purge fail and roll back.
    """
    REGISTRY[category] = Purgeable(
        category, label, queryset, day_field, district_field, group_field, bulk
    )


def _before_midnight(before: dt.date) -> dt.datetime:
    from django.utils import timezone

    return dt.datetime.combine(before, dt.time.min, tzinfo=timezone.get_current_timezone())


def register_builtin() -> None:
    """The personal records of the apps that exist today, in a safe deletion order.

    Testing records go with their round: a round that ended before the date is closed.
    Retest tasks first, then the round's coverage records (door notes, door knocks,
    home-sampling requests, exemptions) (they protect the scans they came from), then the sampled markers,
    then the scans, which carry the scanned person's name, ID number and phone. Risk
    persons go once their control ended before the date (their transitions, stages and
    tasks cascade with them).
    """
    from django.apps import apps

    def model(label: str):
        try:
            return apps.get_model(label)
        except LookupError:
            return None

    # Records of a round go with their round, in this order (each may point at the next):
    # retest tasks; the coverage records (who was exempt and why, what was found at the
    # door, what a household's door note said), which are residents' test records too and
    # go before the scans a door note may point at; the sampled markers; the scans.
    # The sampled markers and the scans, a round's millions of rows, go in bulk.
    for label, text, day_field, group_field, bulk in (
        ("testing.RetestTask", "单管复核任务", "created_at", "status", False),
        ("coverage.DoorNote", "门贴核对记录", "submitted_at", "status", False),
        ("coverage.DoorKnock", "敲门记录", "recorded_at", "result", False),
        ("coverage.HomeSamplingRequest", "上门采样申请", "requested_at", "status", False),
        ("coverage.Exemption", "免检记录", "granted_at", "reason", False),
        ("testing.Sampled", "居民已采样记录", "sampled_at", None, True),
        ("testing.Scan", "居民采样扫码记录", "received_at", "outcome", True),
    ):
        round_model = model(label)
        if round_model is not None:
            register(
                label.lower(),
                text,
                lambda before, m=round_model: m.objects.filter(round__end_date__lt=before),
                day_field=day_field,
                group_field=group_field,
                bulk=bulk,
            )
    risk_person = model("control.RiskPerson")
    if risk_person is not None:
        register(
            "control.riskperson",
            "风险人员管控记录",
            lambda before: risk_person.objects.filter(ended_at__lt=_before_midnight(before)),
            day_field="identified_on",
            group_field="category",
        )


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


def _bulk_delete(queryset: models.QuerySet) -> int:
    """Delete the queryset's rows in the database without loading them; how many went."""
    meta = queryset.model._meta
    pks, params = queryset.order_by().values("pk").query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} IN ({pks})",  # noqa: S608 (our table; the subquery is the ORM's, its values bound)
            params,
        )
        deleted = cursor.rowcount
    # What the collector would have refused (a referrer left behind), the database refuses
    # now rather than at commit: the purge raises inside its transaction and rolls back.
    referrers = {
        rel.related_model._meta.db_table
        for rel in meta.get_fields(include_hidden=True)  # related_name="+" ones too
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    }
    connection.check_constraints(table_names=sorted(referrers))
    return deleted


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
            if item.bulk:
                entry["deleted_rows"] = _bulk_delete(item.queryset(before))
            else:
                entry["deleted_rows"], _ = item.queryset(before).delete()
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
