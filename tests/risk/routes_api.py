"""Permission-matrix entries for the risk API (``/api/v1/risk/``).

Reading a notice and listing areas are for the offices, each within its territory: an
active area on 1号楼 (zone a) and one on 柳巷3号楼 (zone yz). Drafting is the city office's.
The notice sent to the parser names only places every office covers (its text comes back).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from tests.permissions.matrix import OFFICE, Route
from wuyi.risk import areas
from wuyi.risk.models import Level

CITY = frozenset({"city_office"})
AREAS = ("risk_area_a", "risk_area_yz")
NOTICE = "新增高风险区2个,分别是:\n小店区(2个):电子二所家属楼1号楼、电子二所家属楼2号楼。"


def _active_areas(world) -> None:
    day = dt.date(2022, 12, 2)
    for tag, node, zone, marker in (
        ("risk_area_a", world["building1"], "a", "1号楼"),
        ("risk_area_yz", world["building3"], "yz", "柳巷3号楼"),
    ):
        decision = areas.approve(areas.designate(node, Level.HIGH, day, reason="阳性"), None)
        world.add(tag, decision.area, zone, marker)


ROUTES = {
    "api:risk_notice_parse": Route(
        OFFICE,
        method="POST",
        json=True,
        url=lambda w, o: reverse("api:risk_notice_parse"),
        data=lambda w, o: {"text": NOTICE, "year": 2022},
        note="reads a notice; resolves its items to nodes inside the caller's territory only",
    ),
    "api:risk_draft_state": Route(OFFICE, allowed=CITY, setup=_active_areas),
    "api:risk_draft": Route(
        OFFICE,
        method="POST",
        json=True,
        url=lambda w, o: reverse("api:risk_draft"),
        data=lambda w, o: {"date": "2022-12-03"},
        allowed=CITY,
        writes=True,
        setup=_active_areas,
        note="the approved designations become the city's next draft notice",
    ),
    "api:risk_areas": Route(OFFICE, shows=AREAS, setup=_active_areas),
}
