""" "Is my address in a risk area?": the public search over current risk areas.

The query goes through the same grammar as notices (``parse_address``) and is compared
with each current area's parts, so "路泽苑7栋2单元502" finds the area "路泽苑小区7号楼":
the area covers the address when the place names match tolerantly and every part the
area names (building, unit, room) is the address's too, unless an exclusion names it.
Only area names are shown, never anything about people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext

from wuyi.risk.models import AreaStatus, RiskArea
from wuyi.risk.resolve import tolerant
from wuyi.territory.addresses import (
    AddressError,
    format_address,
    normalise_building,
    normalise_room,
    normalise_unit,
    parse_address,
    room_floor,
)
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import ancestors_paths

MAX_QUERY = 100

NORMALISERS = (("building", normalise_building), ("unit", normalise_unit), ("room", normalise_room))


@dataclass(frozen=True)
class Hit:
    area: RiskArea
    district: str
    label: str
    verdict: str  # "in" | "part" | "excluded"

    @property
    def message(self) -> str:
        level = gettext(self.area.get_level_display())
        if self.verdict == "in":
            return gettext("该地址在%(level)s内") % {"level": level}
        if self.verdict == "part":
            return gettext("该地址所在的%(place)s有%(level)s(只涉及部分楼栋或单元,请核对楼号)") % {
                "place": self.label.split("(")[0],
                "level": level,
            }
        return gettext("该地址属于“%(label)s”的除外部分,不在%(level)s内") % {
            "label": self.label,
            "level": level,
        }


def current_areas(
    queryset: QuerySet | None = None, limit: int | None = None
) -> list[tuple[RiskArea, str, dict]]:
    """Each active area with its district and the parts a notice names it by (3 queries).

    ``queryset`` narrows the areas and ``limit`` caps them (the API passes the caller's
    scoped areas: the public page lists every area, a district office only its own).
    """
    if queryset is None:
        queryset = RiskArea.objects.all()
    active = queryset.filter(status=AreaStatus.ACTIVE).select_related("node").order_by("path")
    areas = list(active[:limit] if limit is not None else active)
    paths = {p for area in areas for p in ancestors_paths(area.path)}
    nodes = {n.path: n for n in Node.objects.filter(path__in=paths)}
    out = []
    for area in areas:
        chain = [nodes[p] for p in ancestors_paths(area.path) if p in nodes]
        out.append((area, chain[0].name, _parts(chain, area)))
    return out


def _parts(chain: list[Node], area: RiskArea) -> dict:
    by_kind = {n.kind: n for n in chain}
    parts: dict = {}
    community = by_kind.get(Kind.COMMUNITY)
    if Kind.COMPOUND in by_kind:
        parts["compound"] = by_kind[Kind.COMPOUND].name
    elif community is not None and community.name.endswith("村"):
        parts["street"] = by_kind[Kind.STREET].name
        parts["village"] = community.name
    elif community is not None and area.node.kind == Kind.COMMUNITY:
        parts["compound"] = community.name
    if area.node.kind == Kind.SITE:
        parts["site"] = area.node.name
    for kind, key in ((Kind.BUILDING, "building"), (Kind.UNIT, "unit"), (Kind.HOUSEHOLD, "room")):
        if kind in by_kind:
            parts[key] = by_kind[kind].name
    if area.floor is not None:
        parts["floor"] = f"{area.floor}层"
    if area.exclusions:
        parts["exclusions"] = [e for e in area.exclusions.replace(",", "、").split("、") if e]
    return parts


def _place(parts: dict) -> set[str]:
    names = set()
    for key in ("site", "compound", "village"):
        if parts.get(key):
            base = parts[key]
            names |= {
                tolerant(base),
                tolerant(base + parts.get("phase", "") + parts.get("zone", "")),
            }
    return names


def _same(key: str, normalise, a: str, b: str) -> bool:
    return (normalise(a) or a) == (normalise(b) or b)


def _floor(parts: dict) -> int | None:
    if parts.get("floor"):
        digits = re.match(r"\d+", parts["floor"])
        return int(digits.group(0)) if digits else None
    return room_floor(parts["room"]) if parts.get("room") else None


def covers(area_parts: dict, query: dict) -> str | None:
    """ "in", "part", "excluded" or None: how the area relates to the queried address."""
    if not (_place(area_parts) & _place(query)):
        return None
    for key, normalise in NORMALISERS:
        if key not in area_parts:
            continue
        if key not in query:
            return "part"
        if not _same(key, normalise, area_parts[key], query[key]):
            return None
    if "floor" in area_parts:  # a floor area: the query's floor, or its room's floor
        asked = _floor(query)
        if asked is None:
            return "part"
        if asked != _floor(area_parts):
            return None
    for excluded in area_parts.get("exclusions", []):
        try:
            ex = parse_address(excluded)
        except AddressError:
            continue
        keys = [k for k, _ in NORMALISERS if k in ex]
        if keys and all(
            k in query and _same(k, n, ex[k], query[k]) for k, n in NORMALISERS if k in ex
        ):
            return "excluded"
    return "in"


def search(text: str) -> tuple[list[Hit], str | None]:
    """Hits for ``text`` (best first) or ([], a message saying why nothing was looked up)."""
    text = (text or "").strip()[:MAX_QUERY]
    if not text:
        return [], None
    try:
        query = parse_address(text)
    except AddressError as exc:
        return [], str(exc)
    if not _place(query):
        return [], gettext("请写出小区、村或场所的名称,例如“路泽苑小区7号楼”")
    order = {"in": 0, "excluded": 1, "part": 2}
    hits = []
    for area, district, parts in current_areas():
        verdict = covers(parts, query)
        if verdict:
            hits.append(Hit(area, district, format_address(parts), verdict))
    hits.sort(key=lambda h: order[h.verdict])
    return hits, None
