"""Permission-matrix entries for the coverage pages.

An active round ``CV1`` over the whole city in which nobody is sampled yet, so every
resident is on the missed lists. Door knocks and exemptions are for grid workers and the
offices; door notes for anyone whose grants cover the household (a resident for their own);
the door page behind the QR code is public and shows nothing of the registry. Each of
the three residents has a home-sampling request; the list and closing them are for grid
workers and the offices, scoped like the requests' households.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.urls import reverse

from tests.permissions.matrix import LOGIN, PUBLIC, Route

ROUND = "CV1"
NODES = ("district", "street", "community", "compound", "building1", "building2", "building3")
HOMES = ("home1", "home2", "home3")
WORKERS = frozenset(
    {
        "city_office",
        "district_office",
        "street_office",
        "community_office",
        "grid_worker",
        "superuser",
    }
)


def _round(world) -> None:
    from wuyi.testing.models import RoundStatus, TestingRound

    today = dt.date.today()
    world.round = TestingRound.objects.create(
        code=ROUND, name="覆盖矩阵轮次", status=RoundStatus.ACTIVE, start_date=today, end_date=today
    )


def _home_sampling(world) -> None:
    from wuyi.coverage.models import HomeSamplingRequest

    _round(world)
    for tag, zone in (("alice", "h1"), ("bob", "h2"), ("carol", "yz")):
        person = world[tag]
        request = HomeSamplingRequest.objects.create(
            round=world.round,
            resident=person,
            path=person.path,
            grid_id=person.grid_id,
            district_code=person.district_code,
        )
        world.add(f"hsr_{tag}", request, zone, person.name)


def _home_sampling_url(world, request) -> str:
    if request is None:
        return reverse("coverage:home_sampling", kwargs={"round_code": ROUND})
    return reverse("coverage:home_sampling_close", kwargs={"round_code": ROUND, "pk": request.pk})


def _node_url(name):
    return lambda world, node: reverse(name, kwargs={"round_code": ROUND, "pk": node.pk})


def _grid_url(name):
    return lambda world, grid: reverse(name, kwargs={"round_code": ROUND, "code": grid.code})


def _door_url(world, _obj) -> str:
    from wuyi.coverage.views import DOOR_SALT

    token = signing.dumps([world.round.pk, world["home1"].pk], salt=DOOR_SALT)
    return reverse("coverage:door", kwargs={"token": token})


def _first_resident(world, home) -> dict:
    return {"resident": home.residents.first().pk, "reason": "isolated", "note": "矩阵"}


ROUTES = {
    "coverage:index": Route(LOGIN, shows=("grid_a", "grid_b", "grid_c"), setup=_round),
    "coverage:node": Route(LOGIN, objects=NODES, url=_node_url("coverage:node"), setup=_round),
    "coverage:grid": Route(
        LOGIN, objects=("grid_a", "grid_b", "grid_c"), url=_grid_url("coverage:grid"), setup=_round
    ),
    "coverage:household": Route(
        LOGIN, objects=HOMES, url=_node_url("coverage:household"), setup=_round
    ),
    "coverage:knock": Route(
        LOGIN,
        method="POST",
        objects=HOMES,
        url=_node_url("coverage:knock"),
        data=lambda world, home: {"result": "nobody_home"},
        allowed=WORKERS,
        writes=True,
        setup=_round,
    ),
    "coverage:exempt": Route(
        LOGIN,
        method="POST",
        objects=HOMES,
        url=_node_url("coverage:exempt"),
        data=_first_resident,
        allowed=WORKERS,
        writes=True,
        setup=_round,
    ),
    "coverage:note": Route(
        LOGIN,
        method="POST",
        objects=HOMES,
        url=_node_url("coverage:note"),
        data=lambda world, home: {"reported_count": "1", "all_sampled": "on"},
        writes=True,
        setup=_round,
    ),
    "coverage:door": Route(PUBLIC, url=_door_url, setup=_round),
    "coverage:missed_grid": Route(
        LOGIN,
        objects=("grid_a", "grid_b", "grid_c"),
        url=_grid_url("coverage:missed_grid"),
        setup=_round,
    ),
    "coverage:missed_node": Route(
        LOGIN, objects=NODES, url=_node_url("coverage:missed_node"), setup=_round
    ),
    "coverage:compound": Route(
        LOGIN, objects=("compound",), url=_node_url("coverage:compound"), setup=_round
    ),
    "coverage:chart": Route(
        LOGIN,
        objects=("district", "street", "other_district"),
        url=_node_url("coverage:chart"),
        setup=_round,
    ),
    "coverage:close": Route(LOGIN, objects=NODES, url=_node_url("coverage:close"), setup=_round),
    "coverage:home_sampling": Route(
        LOGIN,
        url=_home_sampling_url,
        shows=("hsr_alice", "hsr_bob", "hsr_carol"),
        allowed=WORKERS,
        setup=_home_sampling,
    ),
    "coverage:home_sampling_close": Route(
        LOGIN,
        method="POST",
        objects=("hsr_alice", "hsr_bob", "hsr_carol"),
        url=_home_sampling_url,
        data=lambda world, request: {"action": "done", "note": "矩阵上门"},
        allowed=WORKERS,
        writes=True,
        setup=_home_sampling,
    ),
}
