"""The one place that limits data to what the current user's grants cover.

Every view, API handler, export and admin page filters through ``scoped(queryset, user)``.
A page or route that reads personal data any other way is a bug (the permission matrix
in ``tests/test_permissions.py`` exercises every route to catch it).

How a grant covers rows
-----------------------
* a grant over a territory **node** covers the rows whose path is the node's path or
  below it (``wuyi.territory.tree.subtree_q``, a prefix match on the code path);
* a grant over a **grid** covers the rows whose (denormalised) grid is that grid;
* a grant over a **sampling site** or a **lab** covers the rows whose site / lab field
  is that site or lab;
* a **city office** grant without a scope covers the whole city;
* superusers see everything; anonymous users and users without grants see nothing.

Declaring how a model is scoped
-------------------------------
``scoped`` refuses a model it has no rule for (``LookupError``), so a new model cannot
be read unscoped by accident. Declare the rule next to the model's app, for example in
the app's ``apps.py`` ``ready()`` or at the bottom of its ``models.py``::

    from wuyi.accounts.scoping import declare

    declare("testing.tube", path="path", grid=None, site="site", lab="lab")
    declare("testing.scan", path="path", grid="grid", site="site")
    declare("accounts.auditevent", path="path", grid=None, roles=OFFICE_ROLES)

Each keyword names the field (a lookup such as ``"tube__lab"`` works too) through which
the model reaches that kind of scope; ``None`` means grants of that kind cover nothing of
the model. ``grid="pk"`` is for the Grid model itself. ``roles`` limits which roles'
grants count at all (for example only offices read the audit log).

The older form still works and means ``declare(label, path=..., grid=...)``::

    SCOPE_FIELDS["people.resident"] = ("path", "grid")

Devices and other principals
----------------------------
``user`` may be anything with a ``scope_grants()`` method returning ``ScopeGrant``
values, for example a sampling device's token bound to one site::

    def scope_grants(self):
        return [ScopeGrant(role=Role.SITE_STAFF, site_id=self.site_id)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from wuyi.accounts.models import OFFICE_ROLES, Grant, Role
from wuyi.territory.tree import subtree_q


@dataclass(frozen=True)
class ScopeRule:
    """Which field of a model leads to each kind of scope (``None``: that kind covers nothing)."""

    path: str | None = "path"
    grid: str | None = "grid"
    site: str | None = None
    lab: str | None = None
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class ScopeGrant:
    """A grant as scoping sees it: a role and at most one scope (node path, grid, site, lab)."""

    role: str
    node_path: str | None = None
    grid_id: int | None = None
    site_id: int | None = None
    lab_id: int | None = None


# The older territory-only rules: label → (path field, grid field). Others add to it.
SCOPE_FIELDS: dict[str, tuple[str | None, str | None]] = {
    "territory.node": ("path", "grid"),
    "territory.grid": ("path", "pk"),
    "people.resident": ("path", "grid"),
    "people.residence": ("household__path", "household__grid"),
}

# Full rules, including site and lab scopes and role limits.
SCOPE_RULES: dict[str, ScopeRule] = {
    "accounts.auditevent": ScopeRule(path="path", grid=None, roles=OFFICE_ROLES),
}


def declare(
    label: str,
    *,
    path: str | None = None,
    grid: str | None = None,
    site: str | None = None,
    lab: str | None = None,
    roles: Iterable[str] | None = None,
) -> None:
    """Say how rows of ``label`` (``"app.model"``, lower case) are reached by grants."""
    SCOPE_RULES[label.lower()] = ScopeRule(
        path=path,
        grid=grid,
        site=site,
        lab=lab,
        roles=frozenset(roles) if roles is not None else None,
    )


def rule_for(label: str) -> ScopeRule:
    label = label.lower()
    if label in SCOPE_RULES:
        return SCOPE_RULES[label]
    if label in SCOPE_FIELDS:
        path_field, grid_field = SCOPE_FIELDS[label]
        return ScopeRule(path=path_field, grid=grid_field)
    raise LookupError(f"{label} has no scope rule: declare it with wuyi.accounts.scoping.declare")


def user_grants(user) -> list[ScopeGrant]:
    """The user's grants (cached on the user object for the request)."""
    if hasattr(user, "scope_grants"):
        return list(user.scope_grants())
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_wuyi_grants", None)
    if cached is None:
        cached = [
            ScopeGrant(
                role=g.role,
                node_path=g.node.path if g.node_id is not None else None,
                grid_id=g.grid_id,
                site_id=getattr(g, "site_id", None),
                lab_id=getattr(g, "lab_id", None),
            )
            for g in Grant.objects.select_related("node").filter(user=user)
        ]
        user._wuyi_grants = cached
    return cached


def user_roles(user) -> set[str]:
    return {g.role for g in user_grants(user)}


def has_role(user, roles: Iterable[str]) -> bool:
    """Whether the user holds any of ``roles`` (superusers hold them all)."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & set(roles))


def is_office(user) -> bool:
    return has_role(user, OFFICE_ROLES)


def sees_whole_city(user) -> bool:
    """A superuser, or a city office granted the whole city (no narrower scope)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(_is_whole_city(grant) for grant in user_grants(user))


def _is_whole_city(grant: ScopeGrant) -> bool:
    return grant.role == Role.CITY_OFFICE and not (
        grant.node_path or grant.grid_id or grant.site_id or grant.lab_id
    )


def grants_q(user, rule: ScopeRule) -> Q:
    """A filter for the rows inside the user's grants under ``rule``; nothing without grants."""
    if getattr(user, "is_superuser", False):
        return Q()
    q = Q(pk__in=[])
    for grant in user_grants(user):
        if rule.roles is not None and grant.role not in rule.roles:
            continue
        if _is_whole_city(grant):
            return Q()
        if grant.node_path is not None and rule.path is not None:
            q |= subtree_q(grant.node_path, rule.path)
        elif grant.grid_id is not None and rule.grid is not None:
            q |= Q(**{rule.grid: grant.grid_id})
        elif grant.site_id is not None and rule.site is not None:
            q |= Q(**{rule.site: grant.site_id})
        elif grant.lab_id is not None and rule.lab is not None:
            q |= Q(**{rule.lab: grant.lab_id})
    return q


def territory_q(user, path_field: str = "path", grid_field: str | None = "grid") -> Q:
    """A filter for rows inside the user's territory grants (``grid_field="pk"`` for grids)."""
    return grants_q(user, ScopeRule(path=path_field, grid=grid_field))


def scoped(queryset: models.QuerySet, user) -> models.QuerySet:
    """``queryset`` limited to the user's grants; every personal-data query goes through here."""
    rule = rule_for(queryset.model._meta.label_lower)
    return queryset.filter(grants_q(user, rule))


def can_see(user, obj: models.Model) -> bool:
    """Whether ``obj`` lies inside the user's grants (one indexed query)."""
    return scoped(type(obj)._default_manager.filter(pk=obj.pk), user).exists()
