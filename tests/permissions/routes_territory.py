"""Matrix entries for the territory pages (the grid worker's walk).

Kept here until the territory app has its own ``tests/territory/routes.py``; move them
there when you change these routes.
"""

from __future__ import annotations

from tests.permissions.matrix import LOGIN, Route

ROUTES = {
    "territory:my_grids": Route(LOGIN, shows=("grid_a", "grid_b", "grid_c")),
    "territory:grid": Route(
        LOGIN, objects=("grid_a", "grid_b", "grid_c"), kwargs=lambda g: {"code": g.code}
    ),
    "territory:node": Route(
        LOGIN,
        objects=("district", "community", "building1", "building2", "home1", "home2", "home3"),
        kwargs=lambda n: {"pk": n.pk},
    ),
}
