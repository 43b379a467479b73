"""Permission matrix entries for the lab pages and the lab devices' API."""

from __future__ import annotations

import datetime as dt

from tests.permissions.matrix import DEVICE, LOGIN, Route
from tests.permissions.world import OFFICES

LAB_STAFF = frozenset({"lab_staff"})
OFFICES_AND_LABS = OFFICES | LAB_STAFF


def _round(world) -> None:
    from wuyi.testing.models import RoundStatus, TestingRound

    today = dt.date.today()
    TestingRound.objects.create(
        code="PL1",
        name="实验室矩阵轮次",
        status=RoundStatus.ACTIVE,
        start_date=today,
        end_date=today,
    )


ROUTES = {
    "lab:home": Route(LOGIN, allowed=LAB_STAFF),
    "lab:upload": Route(LOGIN, method="POST", allowed=LAB_STAFF),
    "lab:receive": Route(
        LOGIN, method="POST", data=lambda _w, _o: {"barcodes": "NOPE1"}, allowed=LAB_STAFF
    ),
    "lab:enter": Route(
        LOGIN,
        method="POST",
        data=lambda _w, _o: {"barcode": "NOPE1", "outcome": "negative"},
        allowed=LAB_STAFF,
    ),
    "lab:template": Route(LOGIN),
    "lab:overdue": Route(LOGIN, allowed=OFFICES_AND_LABS),
    # The world has no tubes: the form only; tests/testing/test_lab_pages.py looks tubes up
    # inside and outside a lab's and an office's scope.
    "lab:tube": Route(LOGIN, allowed=OFFICES_AND_LABS),
    "lab:positives": Route(LOGIN, note="no positive pool in the world yet"),
    "lab:pool_plan": Route(LOGIN),
    "lab:round": Route(
        LOGIN, url=lambda _w, _o: "/lab/rounds/PL1/", allowed=OFFICES_AND_LABS, setup=_round
    ),
    "api:receive": Route(
        DEVICE,
        method="POST",
        json=True,
        data=lambda _w, _o: {"barcodes": ["NOPE1"]},
        allowed=frozenset({"lab_device"}),
    ),
    "api:post_results": Route(
        DEVICE,
        method="POST",
        json=True,
        data=lambda _w, _o: {"results": [{"barcode": "NOPE1", "outcome": "negative"}]},
        allowed=frozenset({"lab_device"}),
    ),
    "api:post_result_file": Route(DEVICE, method="POST", allowed=frozenset({"lab_device"})),
}
