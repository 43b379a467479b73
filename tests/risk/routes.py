"""Permission-matrix entries for the risk app.

The public page needs no login: area names are public by nature (notices print them); the
world gets a published notice and no areas there, so the matrix checks that nothing else of
the world leaks. The office pages are scoped: a decision on 1号楼 (zone a) and one on
柳巷3号楼 (zone yz); notices are the city office's alone.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.permissions.matrix import OFFICE, PUBLIC, Route
from wuyi.risk import areas
from wuyi.risk.models import Level, Notice

CITY = frozenset({"city_office"})


def _notice(world, status=Notice.Status.PUBLISHED, tag="risk_notice", zone="city") -> None:
    notice = Notice.objects.create(
        issuer="太原市疫情防控办公室",
        year=2022,
        number=1 if status == Notice.Status.PUBLISHED else 2,
        dated=dt.date(2022, 12, 2),
        text="通告正文",
        status=status,
        published_at=timezone.now() if status == Notice.Status.PUBLISHED else None,
    )
    world.add(tag, notice, zone)


def _decisions(world) -> None:
    day = dt.date(2022, 12, 2)
    world.add("risk_decision_a", areas.designate(world["building1"], Level.HIGH, day), "a", "1号楼")
    world.add(
        "risk_decision_yz", areas.designate(world["building3"], Level.HIGH, day), "yz", "柳巷3号楼"
    )


def _draft(world) -> None:
    _notice(world, Notice.Status.DRAFT, "risk_draft", "xd")


DECISIONS = ("risk_decision_a", "risk_decision_yz")

ROUTES = {
    "risk:public": Route(
        PUBLIC,
        url=lambda w, o: [reverse("risk:public"), reverse("risk:public") + "?q=路泽苑小区7号楼"],
        setup=_notice,
    ),
    "risk:search": Route(PUBLIC, url=lambda w, o: reverse("risk:search") + "?q=((("),
    "risk:notice": Route(
        PUBLIC,
        url=lambda w, o: reverse("risk:notice", kwargs={"pk": w["risk_notice"].pk}),
        setup=_notice,
    ),
    "risk:office": Route(OFFICE, shows=DECISIONS, setup=_decisions),
    "risk:approve": Route(
        OFFICE,
        method="POST",
        objects=DECISIONS,
        kwargs=lambda d: {"pk": d.pk},
        writes=True,
        setup=_decisions,
    ),
    "risk:reject": Route(
        OFFICE,
        method="POST",
        objects=DECISIONS,
        kwargs=lambda d: {"pk": d.pk},
        data=lambda w, o: {"reason": "核实为误报"},
        writes=True,
        setup=_decisions,
    ),
    "risk:designate": Route(
        OFFICE,
        method="POST",
        objects=("building2", "building3"),
        url=lambda w, o: reverse("risk:designate"),
        data=lambda w, o: {"node": o.pk, "level": "high", "day": "2022-12-02", "reason": "阳性"},
        writes=True,
        note="creates a proposal for a node inside the scope; outside nodes are 404",
    ),
    "risk:draft": Route(OFFICE, allowed=CITY, setup=_decisions),
    "risk:publish": Route(
        OFFICE,
        method="POST",
        objects=("risk_draft",),
        kwargs=lambda n: {"pk": n.pk},
        allowed=CITY,
        writes=True,
        setup=_draft,
    ),
}
