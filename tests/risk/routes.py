"""Permission-matrix entries for the risk app: the public risk-area page needs no login.

Area names are public by nature (notices print them); the world gets a published notice
and no areas, so the matrix checks that nothing else of the world leaks through these pages.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.permissions.matrix import PUBLIC, Route
from wuyi.risk.models import Notice


def _notice(world) -> None:
    notice = Notice.objects.create(
        issuer="太原市疫情防控办公室",
        year=2022,
        number=1,
        dated=dt.date(2022, 12, 2),
        text="通告正文",
        status=Notice.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    world.add("risk_notice", notice, "city")


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
}
