"""The one place that limits data to what the current user's grants cover.

Every view, API handler, export and admin page filters through ``scoped`` (or the
``territory_q`` it is built on). A grant over a territory node covers the node and
everything beneath it (a prefix match on the code path); a grant over a grid covers
the rows whose denormalised grid is that grid.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from wuyi.accounts.models import Grant
from wuyi.territory.tree import subtree_q

# How each scoped model reaches the territory: its path field and its grid field.
SCOPE_FIELDS: dict[str, tuple[str, str | None]] = {
    "territory.node": ("path", "grid"),
    "territory.grid": ("path", None),
    "people.resident": ("path", "grid"),
}


def user_grants(user) -> list[Grant]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_wuyi_grants", None)
    if cached is None:
        cached = list(Grant.objects.select_related("node", "grid").filter(user=user))
        user._wuyi_grants = cached
    return cached


def territory_q(user, path_field: str = "path", grid_field: str | None = "grid") -> Q:
    """A filter for the rows inside the user's grants; matches nothing without grants."""
    if getattr(user, "is_superuser", False):
        return Q()
    q = Q(pk__in=[])
    for grant in user_grants(user):
        if grant.node_id is not None:
            q |= subtree_q(grant.node.path, path_field)
        elif grant.grid_id is not None:
            if grid_field is not None:
                q |= Q(**{grid_field: grant.grid_id})
            else:  # the grid itself
                q |= Q(pk=grant.grid_id)
    return q


def scoped(queryset: models.QuerySet, user) -> models.QuerySet:
    """``queryset`` limited to the user's grants; every personal-data query goes through here."""
    label = queryset.model._meta.label_lower
    if label not in SCOPE_FIELDS:
        raise LookupError(f"{label} has no scope rule: add it to SCOPE_FIELDS")
    path_field, grid_field = SCOPE_FIELDS[label]
    return queryset.filter(territory_q(user, path_field, grid_field))
