"""The lists offices and grid workers read: counts with drill-down, releases, today's tasks.

Every function takes the base queryset it may read (``scoped(...)`` in views; the whole
table in commands) so that scoping stays the caller's one decision, and expands nodes
only through ``territory.tree.under``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, QuerySet

from wuyi.control.models import (
    ACTIVE_STATES,
    Category,
    Place,
    RiskPerson,
    State,
    Task,
    TaskStatus,
)
from wuyi.control.overdue import within
from wuyi.territory.models import Node


def _persons(base: QuerySet | None) -> QuerySet:
    return base if base is not None else RiskPerson.objects.all()


def counts(
    node: Node | None, base: QuerySet | None = None, children: list[Node] | None = None
) -> dict:
    """Under ``node`` (``None``: all of ``base``): counts by category, state and place, and
    active counts per child (the node's own, or ``children`` as given: the districts of the
    city, the areas of a user granted several)."""
    qs = within(_persons(base), node)
    by = {}
    for field, choices in (("category", Category), ("state", State), ("place", Place)):
        found = dict(qs.order_by().values_list(field).annotate(n=Count("pk")))
        by[field] = [(value, label, found.get(value, 0)) for value, label in choices.choices]
    active = qs.filter(state__in=ACTIVE_STATES)
    if children is None:
        below = Node.objects.filter(parent__isnull=True) if node is None else node.children.all()
        children = list(below.order_by("sort_key", "path")[:200])
    counted = []
    for child in children:
        n = within(active, child).count()
        if n:
            counted.append((child, n))
    return {
        "total": qs.count(),
        "active": active.count(),
        "by": by,
        "children": counted,
    }


def releases_on(node: Node | None, day: dt.date, base: QuerySet | None = None) -> list[RiskPerson]:
    """People under ``node`` whose release is due on ``day`` (tomorrow's list is day + 1)."""
    return list(
        within(_persons(base), node)
        .filter(release_on=day, state__in=ACTIVE_STATES)
        .select_related("resident", "household")
        .order_by("path", "pk")
    )


def grid_households(grid_id: int, day: dt.date, base: QuerySet | None = None) -> list[dict]:
    """Controlled households of a grid, each with its people and the day's tasks.

    Two queries for the whole grid, whatever its size: the people under control, then
    the day's tasks of those people.
    """
    people = list(
        _persons(base)
        .filter(grid_id=grid_id, state__in=ACTIVE_STATES)
        .select_related("resident", "household")
        .order_by("path", "pk")
    )
    tasks: dict[int, list[Task]] = defaultdict(list)
    for task in (
        Task.objects.filter(risk_person__in=[p.pk for p in people], day=day)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by("kind", "pk")
    ):
        tasks[task.risk_person_id].append(task)
    households: dict[int, dict] = {}
    for person in people:
        entry = households.setdefault(
            person.household_id, {"household": person.household, "people": [], "open": 0}
        )
        person.today_tasks = tasks.get(person.pk, [])
        entry["people"].append(person)
        entry["open"] += sum(1 for t in person.today_tasks if t.status == TaskStatus.OPEN)
    return list(households.values())
