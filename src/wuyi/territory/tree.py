"""The one helper for "in this territory or below", and the rules for adding nodes.

Every query that expands a node to everything beneath it goes through ``under``:
a prefix match on the materialised code path, answered from the path index on
SQLite (case-sensitive LIKE) and PostgreSQL (the ``varchar_pattern_ops`` index
Django adds to indexed text columns).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext

from wuyi.territory.models import ALLOWED_PARENTS, PATH_SEPARATOR, Grid, Kind, Node


class TerritoryError(ValueError):
    """A node that cannot be placed where it was asked to go."""


def subtree_q(path: str, field: str = "path", include_self: bool = True) -> Q:
    """A filter for rows whose ``field`` path is ``path`` or below it."""
    below = Q(**{f"{field}__startswith": path + PATH_SEPARATOR})
    if include_self:
        return Q(**{field: path}) | below
    return below


def under(
    queryset: models.QuerySet, node: Node | str, field: str = "path", include_self: bool = True
) -> models.QuerySet:
    """Restrict ``queryset`` to rows at ``node`` or beneath it (``node`` or its path)."""
    path = node.path if isinstance(node, Node) else node
    return queryset.filter(subtree_q(path, field, include_self))


def under_any(
    queryset: models.QuerySet, paths: Iterable[str], field: str = "path"
) -> models.QuerySet:
    """Rows beneath any of ``paths`` (a user with several grants, a round over several areas)."""
    q = Q(pk__in=[])
    for path in paths:
        q |= subtree_q(path, field)
    return queryset.filter(q)


def ancestors_paths(path: str) -> list[str]:
    """The paths of every ancestor of ``path``, from the district down, then ``path`` itself."""
    parts = path.split(PATH_SEPARATOR)
    return [PATH_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]


def check_code(kind: str, code: str, parent: Node | None) -> None:
    if not code or not code.isalnum() or not code.isascii() or code.upper() != code:
        raise TerritoryError(
            gettext("编码 %(code)s 只能由数字和大写字母组成") % {"code": repr(code)}
        )
    admin_lengths = {Kind.DISTRICT: 6, Kind.STREET: 9, Kind.COMMUNITY: 12}
    if kind in admin_lengths:
        if len(code) != admin_lengths[kind] or not code.isdigit():
            raise TerritoryError(
                gettext("%(kind)s的行政区划代码应为%(length)s位数字,收到 %(code)s")
                % {
                    "kind": Kind(kind).label,
                    "length": admin_lengths[kind],
                    "code": repr(code),
                }
            )
        if parent is not None and parent.kind in admin_lengths and not code.startswith(parent.code):
            raise TerritoryError(
                gettext("代码 %(code)s 不在上级 %(parent)s(%(parent_code)s)之下")
                % {"code": code, "parent": parent.name, "parent_code": parent.code}
            )


def build_node(kind: str, name: str, code: str, parent: Node | None = None, **fields) -> Node:
    """An unsaved node with its path, depth and district code worked out and checked."""
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        if parent_kind:
            raise TerritoryError(
                gettext("%(kind)s不能直接放在%(parent_kind)s下")
                % {
                    "kind": Kind(kind).label,
                    "parent_kind": Kind(parent_kind).label,
                }
            )
        raise TerritoryError(gettext("%(kind)s不能直接放在顶层下") % {"kind": Kind(kind).label})
    name = name.strip()
    if not name:
        raise TerritoryError(gettext("名称不能为空"))
    check_code(kind, code, parent)
    path = code if parent is None else parent.path + PATH_SEPARATOR + code
    district_code = code if parent is None else parent.district_code
    grid = fields.pop("grid", None)
    if grid is None and parent is not None and kind != Kind.SITE:
        grid = parent.grid if parent.kind in (Kind.BUILDING, Kind.UNIT) else None
    return Node(
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        path=path,
        depth=0 if parent is None else parent.depth + 1,
        district_code=district_code,
        grid=grid,
        **fields,
    )


def add_node(kind: str, name: str, code: str, parent: Node | None = None, **fields) -> Node:
    """Create a node under ``parent``; names are unique among siblings."""
    node = build_node(kind, name, code, parent, **fields)
    siblings = Node.objects.filter(parent=parent)
    if siblings.filter(name=node.name).exists():
        if parent:
            message = gettext("%(parent)s下已有名为“%(name)s”的节点")
        else:
            message = gettext("顶层下已有名为“%(name)s”的节点")
        raise TerritoryError(message % {"parent": parent.name if parent else "", "name": node.name})
    node.save()
    return node


def assign_to_grid(grid: Grid, nodes: Iterable[Node]) -> int:
    """Put buildings (or village households) into ``grid``, with everything beneath them.

    The grid is denormalised onto the nodes and residents below so that a grid
    worker's list is one indexed lookup, not a prefix match per building.
    """
    from wuyi.people.models import Resident

    count = 0
    for node in nodes:
        if node.kind not in (Kind.BUILDING, Kind.HOUSEHOLD, Kind.UNIT):
            raise TerritoryError(
                gettext("网格由楼栋或户组成,%(name)s是%(kind)s")
                % {"name": node.name, "kind": node.get_kind_display()}
            )
        if not node.path.startswith(grid.path + PATH_SEPARATOR):
            raise TerritoryError(
                gettext("%(name)s不在网格所属社区%(community)s内")
                % {"name": node.name, "community": grid.community.name}
            )
        under(Node.objects.all(), node).update(grid=grid)
        under(Resident.objects.all(), node).update(grid=grid)
        node.grid = grid
        count += 1
    return count
