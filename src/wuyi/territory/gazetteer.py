"""The gazetteer of 太原市: its districts, streets/towns and known communities/villages.

The synthetic city is built on it and the notice parser resolves place names with it
("清源镇孔村" → 清徐县 › 清源镇 › 孔村), so both agree on names and codes. The data lives in
``data/taiyuan.json``::

    {"city": {"code", "name"},
     "districts": [{"code", "name", "kind": "district"|"county"|"city",
                    "streets": [{"code", "name", "kind": "street"|"town"|"township",
                                 "communities": [{"code", "name", "kind": "community"|"village"}]}]}]}

Districts carry 6-digit codes, streets 9 and communities 12, each starting with its parent's.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "taiyuan.json"

Entry = dict[str, Any]


@cache
def load() -> Entry:
    """The whole gazetteer, read once per process (treat it as read-only)."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def districts() -> list[Entry]:
    return load()["districts"]


@cache
def _indexes() -> tuple[dict, dict, dict, dict]:
    by_district: dict[str, Entry] = {}
    by_street: dict[str, list[tuple[Entry, Entry]]] = {}
    by_community: dict[str, list[tuple[Entry, Entry, Entry]]] = {}
    by_code: dict[str, Entry] = {}
    for district in districts():
        by_district[district["name"]] = district
        by_code[district["code"]] = district
        for street in district["streets"]:
            by_street.setdefault(street["name"], []).append((district, street))
            by_code[street["code"]] = street
            for community in street["communities"]:
                by_community.setdefault(community["name"], []).append((district, street, community))
                by_code[community["code"]] = community
    return by_district, by_street, by_community, by_code


def district_by_name(name: str) -> Entry | None:
    """The district, county or county-level city called ``name`` ("小店区"), or None."""
    return _indexes()[0].get(name.strip())


def streets_by_name(name: str) -> list[tuple[Entry, Entry]]:
    """Every (district, street) whose street is called ``name``: names can repeat across districts."""
    return list(_indexes()[1].get(name.strip(), []))


def communities_by_name(name: str) -> list[tuple[Entry, Entry, Entry]]:
    """Every (district, street, community) whose community or village is called ``name``."""
    return list(_indexes()[2].get(name.strip(), []))


def by_code(code: str) -> Entry | None:
    """The district, street or community with this administrative code, or None."""
    return _indexes()[3].get(code.strip())
