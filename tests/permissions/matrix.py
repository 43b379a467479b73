"""Entries of the permission matrix: how each route is expected to treat each persona.

See the docstring of ``tests/permissions/test_matrix.py`` for how to add an entry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PUBLIC = "public"  # anyone, and it returns no personal data to anyone
LOGIN = "login"  # any logged-in account; what it returns is scoped to the account's grants
OFFICE = "office"  # the offices (city, district, street, community) only, scoped
SUPERUSER = "superuser"  # superusers only (the admin)
DEVICE = "device"  # sampling devices and lab PCs with a bearer token, scoped to site/lab


@dataclass(frozen=True)
class Route:
    """What one URL pattern (or API operation) may return to whom.

    access     one of PUBLIC, LOGIN, OFFICE, SUPERUSER, DEVICE (who may use it at all).
    objects    tags of world objects to request it for, one request each (for URLs with
               arguments); ``kwargs(obj)`` gives the URL arguments for one object.
    shows      tags a list page must show (their first marker) when inside the scope.
    method     "GET" or "POST"; ``data(world, obj)`` gives the form or JSON body.
    allowed    personas that may use it, when narrower than ``access`` says.
    reveals    the response may contain the full ID number / phone of an inside object.
    writes     a request may change inside objects (outside ones must never change).
    also_sees  persona → tags it may see though outside its zones (e.g. a scanned person
               shown to the sampling desk that scanned them).
    setup      ``setup(world)`` adds the route's own objects to the world (``world.add``).
    headers    extra request headers (``HTTP_...``) for every request.
    personas   the personas to try, when not all (only where one check refuses them all
               alike, as the admin site's ``has_permission`` does).
    """

    access: str
    objects: tuple[str, ...] = ()
    kwargs: Callable | None = None
    url: Callable | None = None
    shows: tuple[str, ...] = ()
    method: str = "GET"
    data: Callable | None = None
    json: bool = False
    allowed: frozenset[str] | None = None
    reveals: bool = False
    writes: bool = False
    also_sees: dict[str, tuple[str, ...]] = field(default_factory=dict)
    setup: Callable | None = None
    headers: dict[str, str] = field(default_factory=dict)
    personas: tuple[str, ...] | None = None
    note: str = ""


def collect() -> dict[str, Route]:
    """Every ``ROUTES`` dict in ``tests/**/routes*.py``, merged; a key declared twice fails."""
    tests_dir = Path(__file__).resolve().parent.parent
    found: dict[str, Route] = {}
    where: dict[str, str] = {}
    for path in sorted(tests_dir.rglob("routes*.py")):
        relative = path.relative_to(tests_dir.parent).with_suffix("")
        module = importlib.import_module(".".join(relative.parts))
        for key, route in getattr(module, "ROUTES", {}).items():
            if key in found:
                raise AssertionError(
                    f"route {key!r} has entries in both {where[key]} and {module.__name__}"
                )
            found[key] = route
            where[key] = module.__name__
    return found
