"""Permission matrix entries for the sampling routes (codes, cards, sampling page, scan API)."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.permissions.matrix import DEVICE, LOGIN, Route


def _round(world) -> None:
    """An active round at both sites, and two unregistered persons sampled, one per site."""
    from wuyi.testing.ingest import ingest
    from wuyi.testing.models import RoundSite, RoundStatus, TestingRound

    today = dt.date.today()
    rnd = TestingRound.objects.create(
        code="PM1", name="矩阵轮次", status=RoundStatus.ACTIVE, start_date=today, end_date=today
    )
    for tag in ("site_a", "site_b"):
        RoundSite.objects.create(round=rnd, site=world[tag])
    from wuyi.people import id_numbers
    from wuyi.people.masking import mask_id_number
    from wuyi.testing.models import Scan

    for tag, site, name, seq in (
        ("stranger_a", "SA01", "吴八", 1),
        ("stranger_b", "SB01", "周九", 2),
    ):
        number = id_numbers.make("140107", dt.date(1991, 3, seq), 40 + seq, "M")
        event = {
            "event_id": str(uuid.uuid4()),
            "round": "PM1",
            "site": site,
            "tube": f"PMT{seq}",
            "id_number": number,
            "name": name,
        }
        assert ingest([event])[0].status == "accepted"
        scan = Scan.objects.get(event_id=event["event_id"])
        zone = "sa" if site == "SA01" else "sb"
        world.add(tag, scan, zone, name, mask_id_number(number))
        world.secrets[f"{tag}.id_number"] = number


def _events(world, count: int) -> list[dict]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "round": "PM1",
            "site": "SA01",
            "tube": "PMX1",
            "token": world["alice"].code_token,
        }
        for _ in range(count)
    ]


ROUTES = {
    "testing:resident_code": Route(
        LOGIN, objects=("alice", "bob", "carol"), kwargs=lambda r: {"pk": r.pk}
    ),
    "testing:household_card": Route(
        LOGIN, objects=("home1", "home2", "home3"), kwargs=lambda n: {"pk": n.pk}
    ),
    "testing:sampling": Route(LOGIN, setup=_round),
    "testing:sampling_scans": Route(
        LOGIN,
        method="POST",
        json=True,
        data=lambda world, _obj: {"events": _events(world, 1)},
        allowed=frozenset({"site_staff"}),
        setup=_round,
    ),
    "testing:follow_up": Route(
        LOGIN, url=lambda _world, _obj: "/testing/rounds/PM1/follow-up", setup=_round
    ),
    "api:post_scans": Route(
        DEVICE,
        method="POST",
        json=True,
        data=lambda world, _obj: {"events": _events(world, 2)},
        setup=_round,
    ),
    "api:post_scan": Route(
        DEVICE,
        method="POST",
        json=True,
        data=lambda world, _obj: _events(world, 1)[0],
        setup=_round,
    ),
}
