"""Which registry node a notice item names: "路泽苑小区7号楼" → the 7号楼 node of 路泽苑小区.

Two sources: the gazetteer shipped with wuyi (``wuyi.territory.gazetteer``) names the
district of an item given only by town and village ("清源镇孔村" → 清徐县), and the
territory tree in the database holds compounds, buildings, units and households. Names
match exactly first, then tolerantly (full-width/half-width, "小区" or not, zone written
into the compound name or not); buildings and units through ``normalise_building`` and
``normalise_unit`` so "5栋" finds "5号楼".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wuyi.territory import gazetteer as territory_gazetteer
from wuyi.territory.addresses import clean, normalise_building, normalise_room, normalise_unit
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import under


class Gazetteer:
    """District lookup by street/town and community/village name.

    Built from the shipped gazetteer by default; tests pass a small dict of the same schema.
    """

    def __init__(self, data: dict | None = None) -> None:
        data = data if data is not None else territory_gazetteer.load()
        self.by_street: dict[str, set[str]] = {}
        self.by_community: dict[str, set[str]] = {}
        self.districts: set[str] = set()
        for district in data.get("districts", []):
            self.districts.add(district["name"])
            for street in district.get("streets", []):
                self.by_street.setdefault(street["name"], set()).add(district["name"])
                for community in street.get("communities", []):
                    self.by_community.setdefault(community["name"], set()).add(district["name"])

    def district_of(self, parts: dict) -> str | None:
        """The one district the item's street or village belongs to; None when unknown or ambiguous."""
        found: set[str] | None = None
        for key, index in (
            ("street", self.by_street),
            ("village", self.by_community),
            ("community", self.by_community),
        ):
            name = parts.get(key)
            if name and name in index:
                found = index[name] if found is None else (found & index[name]) or found
        if found and len(found) == 1:
            return next(iter(found))
        return None


_SUFFIXES = ("小区", "社区", "家属院", "宿舍", "院")


def tolerant(name: str) -> str:
    """A name stripped of what offices add or leave out: brackets' content kept, spaces, "小区"."""
    text = clean(name).replace("(", "").replace(")", "")
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def _node_json(node: Node) -> dict:
    return {"id": node.pk, "path": node.path, "name": node.name, "kind": node.kind}


class Resolver:
    """Resolves parsed items against the territory tree, caching per district."""

    PLACE_KINDS = (Kind.COMPOUND, Kind.SITE, Kind.COMMUNITY, Kind.BUILDING)

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer
        self._districts = {n.name: n for n in Node.objects.filter(kind=Kind.DISTRICT)}
        self._places: dict[str, dict[str, list[Node]]] = {}

    def _places_in(self, district: Node) -> dict[str, list[Node]]:
        """Tolerant name → nodes for every compound, site, community and street in a district."""
        if district.path not in self._places:
            index: dict[str, list[Node]] = {}
            queryset = under(Node.objects.all(), district).filter(
                kind__in=[Kind.STREET, Kind.COMMUNITY, Kind.COMPOUND, Kind.SITE]
            )
            for node in queryset.only("id", "path", "name", "kind", "parent_id", "district_code"):
                index.setdefault(tolerant(node.name), []).append(node)
            self._places[district.path] = index
        return self._places[district.path]

    def resolve(self, parts: dict, district_name: str | None) -> tuple[list[Node], str | None]:
        """The nodes the item covers (usually one) or ([], the reason in Chinese)."""
        if not district_name and self.gazetteer is not None:
            district_name = self.gazetteer.district_of(parts)
        district = self._districts.get(district_name or "")
        if district is None:
            return [], f"登记库中没有区县“{district_name or '(未注明)'}”"
        places = self._places_in(district)
        scope = district

        def pick(name: str, kinds) -> Node | None:
            matches = [
                n
                for n in places.get(tolerant(name), [])
                if n.kind in kinds and (n.path + ".").startswith(scope.path + ".")
            ]
            return matches[0] if len(matches) == 1 else None

        for key, kinds in (
            ("street", (Kind.STREET,)),
            ("community", (Kind.COMMUNITY,)),
            ("village", (Kind.COMMUNITY,)),
        ):
            if parts.get(key):
                found = pick(parts[key], kinds)
                if found is not None:
                    scope = found
                elif key == "village" and not (parts.get("compound") or parts.get("site")):
                    return [], f"在{scope.name}找不到村“{parts[key]}”"
        place = None
        name = parts.get("compound") or parts.get("site")
        if name:
            candidates = [
                name + parts.get("phase", "") + parts.get("zone", ""),
                name + parts.get("zone", ""),
                name,
            ]
            if parts.get("road"):
                candidates += [parts["road"] + parts.get("number", "") + name, parts["road"] + name]
            for candidate in candidates:
                place = pick(candidate, (Kind.COMPOUND, Kind.SITE, Kind.COMMUNITY))
                if place is not None:
                    break
            if place is None:
                return [], f"在{scope.name}找不到“{name}”"
        elif parts.get("road") and parts.get("number"):
            place = pick(parts["road"] + parts["number"], (Kind.COMPOUND, Kind.SITE))
            if place is None:
                return [], f"在{scope.name}找不到“{parts['road']}{parts['number']}”"
        elif scope.kind == Kind.COMMUNITY:
            place = scope
        else:
            return [], "没有可对照的小区、场所或村名"
        nodes = [place]
        nodes = self._descend(
            nodes,
            parts.get("buildings") or ([parts["building"]] if parts.get("building") else []),
            normalise_building,
            Kind.BUILDING,
            "楼栋",
        )
        if isinstance(nodes, str):
            return [], nodes
        units = parts.get("units") or ([parts["unit"]] if parts.get("unit") else [])
        nodes = self._descend(nodes, units, normalise_unit, Kind.UNIT, "单元")
        if isinstance(nodes, str):
            return [], nodes
        if parts.get("room"):
            nodes = self._descend(nodes, [parts["room"]], normalise_room, Kind.HOUSEHOLD, "户")
            if isinstance(nodes, str):
                return [], nodes
        elif parts.get("floor"):
            floor = re.match(r"\d+", parts["floor"])
            households = [
                h
                for parent in nodes
                for h in under(Node.objects.filter(kind=Kind.HOUSEHOLD), parent)
                if floor and h.floor == int(floor.group(0))
            ]
            if not households:
                return [], f"{nodes[0].name}没有{parts['floor']}的住户"
            nodes = households
        return nodes, None

    @staticmethod
    def _descend(parents: list[Node], names: list[str], normalise: Callable, kind: str, label: str):
        if not names:
            return parents
        wanted = [normalise(n) or n for n in names]
        found = list(
            Node.objects.filter(parent__in=parents, kind=kind, name__in=wanted).order_by("path")
        )
        missing = set(wanted) - {n.name for n in found}
        if missing:
            where = "、".join(p.name for p in parents[:3])
            return f"{where}下找不到{label}:{'、'.join(sorted(missing))}"
        return found


def resolve_notice(result: dict, gazetteer: Gazetteer | None = None) -> dict:
    """Fill each item's ``node`` (and ``nodes`` when it covers several) and the ``unresolved`` list."""
    resolver = Resolver(gazetteer)
    result["unresolved"] = []
    for s_index, section in enumerate(result["sections"]):
        for district in section["districts"]:
            for i_index, item in enumerate(district["items"]):
                nodes, reason = resolver.resolve(
                    item["parts"], district["name"] or item.get("district")
                )
                if nodes:
                    item["node"] = _node_json(nodes[0]) if len(nodes) == 1 else None
                    item["nodes"] = [_node_json(n) for n in nodes]
                else:
                    item["node"] = None
                    result["unresolved"].append(
                        {
                            "section": s_index,
                            "district": district["name"] or item.get("district"),
                            "item": i_index,
                            "text": item["text"],
                            "reason": reason,
                        }
                    )
    return result
