"""Counts of the registry: every territory kind, grids and residents by status, per district.

Used by ``wuyi stats`` (and the benchmarks) to see at a glance what a database holds. Each
count is one grouped query per table, so it stays quick on a city of millions.
"""

from __future__ import annotations

from django.db.models import Count

from wuyi.people.models import Resident, Status
from wuyi.territory.models import Grid, Kind, Node

KINDS = [kind.value for kind in Kind]
STATUSES = [status.value for status in Status]


def _empty() -> dict:
    return {
        "nodes": dict.fromkeys(KINDS, 0),
        "grids": 0,
        "residents": {"total": 0, **dict.fromkeys(STATUSES, 0)},
    }


def registry_stats() -> dict:
    """{"districts": [{"code", "name", "nodes": {kind: n}, "grids", "residents": {...}}],
    "total": {...}} with districts in code order."""
    names = dict(Node.objects.filter(kind=Kind.DISTRICT).values_list("district_code", "name"))
    rows: dict[str, dict] = {}

    def district(code: str) -> dict:
        if code not in rows:
            rows[code] = {"code": code, "name": names.get(code, ""), **_empty()}
        return rows[code]

    for code in names:
        district(code)
    for code, kind, n in (
        Node.objects.order_by().values_list("district_code", "kind").annotate(n=Count("id"))
    ):
        district(code)["nodes"][kind] = n
    for code, n in Grid.objects.order_by().values_list("district_code").annotate(n=Count("id")):
        district(code)["grids"] = n
    for code, status, n in (
        Resident.objects.order_by().values_list("district_code", "status").annotate(n=Count("id"))
    ):
        residents = district(code)["residents"]
        residents[status] = residents.get(status, 0) + n
        residents["total"] += n
    total = _empty()
    for row in rows.values():
        for kind, n in row["nodes"].items():
            total["nodes"][kind] = total["nodes"].get(kind, 0) + n
        total["grids"] += row["grids"]
        for status, n in row["residents"].items():
            total["residents"][status] = total["residents"].get(status, 0) + n
    return {"districts": [rows[code] for code in sorted(rows)], "total": total}
