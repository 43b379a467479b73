"""Permission-matrix entries for the control pages.

Risk persons for 张丽 (1号楼 甲户101, grid A), 李强 (2号楼, grid B) and 王芳 (迎泽区):
identified three days ago as close contacts under the version in force, so each has
overdue health checks, a release due tomorrow and a health check today. Counts, release
and overdue lists are the offices'; a person's page and the grid worker's day are for any
account, scoped to its grants; a health check can be completed by anyone whose grants
cover the household.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tests.permissions.matrix import LOGIN, OFFICE, Route
from wuyi.control import chain
from wuyi.control.models import Task, TaskKind

PEOPLE = {"alice": "h1", "bob": "h2", "carol": "yz"}


def _people(world) -> None:
    today = timezone.localdate()
    at = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=3), dt.time(9)))
    for tag, zone in PEOPLE.items():
        resident = world[tag]
        person = chain.identify(resident, "close_contact", at=at)
        world.add(f"rp_{tag}", person, zone, resident.name)
        check = Task.objects.get(risk_person=person, kind=TaskKind.HEALTH_CHECK, day=today)
        world.add(f"check_{tag}", check, zone)


RISK_PERSONS = tuple(f"rp_{t}" for t in PEOPLE)
CHECKS = tuple(f"check_{t}" for t in PEOPLE)

ROUTES = {
    "control:overview": Route(OFFICE, setup=_people),
    "control:person": Route(
        LOGIN, objects=RISK_PERSONS, kwargs=lambda p: {"pk": p.pk}, setup=_people
    ),
    "control:grid": Route(LOGIN, setup=_people, note="the first grid of the user's grants"),
    "control:health_check": Route(
        LOGIN,
        method="POST",
        objects=CHECKS,
        url=lambda w, t: reverse("control:health_check", kwargs={"pk": t.pk}),
        data=lambda w, t: {"temperature": "36.5"},
        writes=True,
        setup=_people,
    ),
    "control:releases": Route(OFFICE, shows=("rp_alice",), setup=_people),
    "control:overdue": Route(OFFICE, shows=("rp_alice",), setup=_people),
    "control:team": Route(
        OFFICE, objects=("home1", "home2", "home3"), kwargs=lambda h: {"pk": h.pk}, setup=_people
    ),
    "control:my_tasks": Route(LOGIN, setup=_people, note="tasks assigned to the user's staff"),
}
