"""Exporting residents in the layout ``wuyi import residents`` reads (``wuyi export residents``).

The export carries the district, street and community codes beside their names, so a file
exported here imports into an empty database; and it is written in an order that depends
only on what the import reads (administrative codes, then names in natural order, then ID
number), never on database ids or local node codes, so export → import → export gives the
same file. It streams community by community, so memory stays flat for a whole city.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext, pgettext

from wuyi.accounts.scoping import scoped
from wuyi.people.importing import natural_key
from wuyi.people.models import FLAGS, Gender, IdType, Resident, Status, chinese_labels
from wuyi.people.spreadsheets import HEADERS, write_table
from wuyi.territory.models import PATH_SEPARATOR, Grid, Kind, Node
from wuyi.territory.tree import under

EXPORT_FIELDS = [
    "name",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "district_code",
    "district",
    "street_code",
    "street",
    "community_code",
    "community",
    "grid",
    "compound",
    "building",
    "unit",
    "room",
    "status",
    *FLAGS,
]
EXPORT_HEADER = [HEADERS[name][0] for name in EXPORT_FIELDS]
ADMIN_KINDS = (Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY)
RESIDENT_FIELDS = (
    "name",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "household_id",
    "grid_id",
    "status",
    *FLAGS,
)


class ExportError(ValueError):
    """An export that cannot be made as asked (unknown node, unsupported file type)."""


def find_node(code: str) -> Node:
    """The node named by an administrative code (unique) or by a full code path."""
    node = Node.objects.filter(path=code).first()
    if node is not None:
        return node
    matches = list(Node.objects.filter(code=code)[:5])
    if not matches:
        raise ExportError(gettext("找不到代码为“%(code)s”的辖区节点") % {"code": code})
    if len(matches) > 1:
        paths = pgettext("list separator", "、").join(m.path for m in matches)
        raise ExportError(
            gettext("代码“%(code)s”对应多个节点(%(paths)s……),请用完整的编码路径")
            % {"code": code, "paths": paths}
        )
    return matches[0]


def export_residents(path: str | Path, node: str | Node | None = None, user=None) -> dict:
    """Write the registry (or everything under ``node``) to ``path``; returns counts.

    With ``user``, only residents inside the user's grants are written (``scoped``); the
    command line runs as the operator of the whole database and passes none.
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise ExportError(
            gettext("不支持的文件类型“%(suffix)s”:请使用 .xlsx 或 .csv") % {"suffix": path.suffix}
        )
    root = find_node(node) if isinstance(node, str) else node
    counts = {"residents": 0, "communities": 0}
    # The labels in the import's words (Chinese), whatever the language in use.
    labels = {
        "id_type": chinese_labels(IdType),
        "gender": chinese_labels(Gender),
        "status": chinese_labels(Status),
    }
    write_table(path, EXPORT_HEADER, _rows(root, user, counts, labels), encoding="utf-8-sig")
    return {
        "file": str(path),
        "node": root.path if root is not None else None,
        "residents": counts["residents"],
        "communities": counts["communities"],
    }


def _communities(root: Node | None) -> tuple[list[Node], Node | None]:
    """The communities to walk, and the node to restrict residents to inside them."""
    communities = Node.objects.filter(kind=Kind.COMMUNITY).order_by("path")
    if root is None:
        return list(communities), None
    if root.kind in (Kind.DISTRICT, Kind.STREET):
        return list(under(communities, root)), None
    if root.kind == Kind.COMMUNITY:
        return [root], None
    community_path = PATH_SEPARATOR.join(root.path.split(PATH_SEPARATOR)[:3])
    return list(communities.filter(path=community_path)), root


def _rows(
    root: Node | None, user, counts: dict[str, int], labels: dict[str, dict[str, str]]
) -> Iterator[list[Any]]:
    communities, inner = _communities(root)
    admin = {
        n.path: n
        for n in Node.objects.filter(kind__in=[Kind.DISTRICT, Kind.STREET]).only(
            "path", "code", "name"
        )
    }
    for community in communities:
        parts = community.path.split(PATH_SEPARATOR)
        district = admin[parts[0]]
        street = admin[PATH_SEPARATOR.join(parts[:2])]
        nodes = {
            pk: (kind, name, parent_id, grid_id)
            for pk, kind, name, parent_id, grid_id in under(
                Node.objects.all(), community, include_self=False
            ).values_list("pk", "kind", "name", "parent_id", "grid_id")
        }
        grids = dict(Grid.objects.filter(community=community).values_list("pk", "name"))
        residents = under(Resident.objects.all(), inner or community)
        if user is not None:
            residents = scoped(residents, user)
        rows = []
        for values in residents.values_list(*RESIDENT_FIELDS):
            resident = dict(zip(RESIDENT_FIELDS, values, strict=True))
            rows.append(_row(resident, nodes, grids, district, street, community, labels))
        if not rows:
            continue
        rows.sort(key=lambda row: row[0])
        counts["communities"] += 1
        counts["residents"] += len(rows)
        for _, row in rows:
            yield row


def _row(
    resident: dict[str, Any],
    nodes: dict[int, tuple[str, str, int, int | None]],
    grids: dict[int, str],
    district: Node,
    street: Node,
    community: Node,
    labels: dict[str, dict[str, str]],
) -> tuple[tuple, list[Any]]:
    """(sort key, cells) for one resident."""
    place = {"compound": "", "building": "", "unit": "", "room": ""}
    column = {
        Kind.COMPOUND: "compound",
        Kind.BUILDING: "building",
        Kind.UNIT: "unit",
        Kind.HOUSEHOLD: "room",
    }
    household = nodes[resident["household_id"]]
    grid_id = household[3] or resident["grid_id"]
    node = household
    while node is not None:
        kind, name, parent_id, _ = node
        if kind in column:
            place[column[kind]] = name
        node = nodes.get(parent_id)
    cells: dict[str, Any] = {
        "name": resident["name"],
        "id_type": labels["id_type"].get(resident["id_type"], resident["id_type"]),
        "id_number": resident["id_number"],
        "gender": labels["gender"].get(resident["gender"], ""),
        "birth_date": resident["birth_date"].isoformat() if resident["birth_date"] else "",
        "phone": resident["phone"],
        "district_code": district.code,
        "district": district.name,
        "street_code": street.code,
        "street": street.name,
        "community_code": community.code,
        "community": community.name,
        "grid": grids.get(grid_id, "") if grid_id else "",
        **place,
        "status": labels["status"].get(resident["status"], resident["status"]),
        **{flag: "是" if resident[flag] else "" for flag in FLAGS},
    }
    key = (
        natural_key(place["compound"]),
        natural_key(place["building"]),
        natural_key(place["unit"]),
        natural_key(place["room"]),
        resident["id_type"],
        resident["id_number"],
    )
    return key, [cells[name] or None for name in EXPORT_FIELDS]
