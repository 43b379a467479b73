"""Five-to-one teams (五包一): named people in configured roles for each controlled household.

The roles come from the ``CONTROL_TEAM_ROLES`` setting (default: community cadre, grid
worker, community doctor, community police officer, volunteer; cities that ran "四包一"
drop one). Candidates for a role are the active staff of that role serving the
household's territory: staff whose node is the household's street, community or an
ancestor of it, and for grid workers those of the household's grid. The suggestion puts
the least loaded first, load being the number of households under control whose team
they are on, so no one ends up answering for forty households while a colleague has two.

A household with someone under control and no full team is an alert in itself
(``incomplete_households``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext, pgettext

from wuyi.control.models import (
    ACTIVE_STATES,
    FiveToOneTeam,
    RiskPerson,
    Task,
    TaskKind,
    TaskStatus,
    TeamMember,
)
from wuyi.territory.models import Node
from wuyi.territory.tree import ancestors_paths, under
from wuyi.workforce.models import Staff, StaffRole

DEFAULT_ROLES = (
    StaffRole.COMMUNITY_CADRE,
    StaffRole.GRID_WORKER,
    StaffRole.COMMUNITY_DOCTOR,
    StaffRole.POLICE_OFFICER,
    StaffRole.VOLUNTEER,
)
# Who owes which task: the doctor samples, the grid worker checks health, the cadre releases.
TASK_ROLES = {
    TaskKind.SAMPLING: StaffRole.COMMUNITY_DOCTOR,
    TaskKind.HEALTH_CHECK: StaffRole.GRID_WORKER,
    TaskKind.RELEASE: StaffRole.COMMUNITY_CADRE,
}


class TeamError(ValueError):
    """A team that cannot be formed as asked; the message says which role and why."""


def roles() -> tuple[str, ...]:
    """The roles every team must fill, from settings (checked against the known roles)."""
    configured = tuple(getattr(settings, "CONTROL_TEAM_ROLES", None) or DEFAULT_ROLES)
    unknown = [r for r in configured if r not in StaffRole.values]
    if unknown:
        raise TeamError(
            gettext("CONTROL_TEAM_ROLES 中有未知角色:%(unknown)s;可选 %(known)s")
            % {"unknown": unknown, "known": StaffRole.values}
        )
    return configured


def role_label(role: str) -> str:
    return str(StaffRole(role).label)


def candidates(household: Node, role: str) -> QuerySet[Staff]:
    """Active staff of ``role`` serving ``household``, least loaded first (annotated ``load``)."""
    paths = ancestors_paths(household.path)
    q = Q(path__in=paths)
    if role == StaffRole.GRID_WORKER and household.grid_id:
        q = Q(grid_id=household.grid_id) | q
    return (
        Staff.objects.filter(q, role=role, active=True)
        .annotate(load=Count("team_memberships", filter=Q(team_memberships__team__active=True)))
        .order_by("load", "name", "pk")
    )


def suggest(household: Node) -> dict[str, list[Staff]]:
    """For each role, up to five candidates, the least loaded first."""
    return {role: list(candidates(household, role)[:5]) for role in roles()}


@transaction.atomic
def form_team(household: Node, chosen: dict[str, Staff], *, user=None) -> FiveToOneTeam:
    """Fill the household's team with ``chosen`` staff per role; open tasks get assignees.

    A role may be left out (the team then stays on the incomplete list) but a staff member
    must hold the role they fill and serve the household's territory.
    """
    from wuyi.accounts import audit

    wanted = roles()
    for role, staff in chosen.items():
        if role not in wanted:
            raise TeamError(
                gettext("“%(role)s”不是责任组的角色;本市的角色为 %(roles)s")
                % {
                    "role": role,
                    "roles": pgettext("list separator", "、").join(map(role_label, wanted)),
                }
            )
        if staff.role != role:
            raise TeamError(
                gettext("%(name)s的岗位是%(post)s,不能担任%(role)s")
                % {"name": staff.name, "post": staff.get_role_display(), "role": role_label(role)}
            )
        if not candidates(household, role).filter(pk=staff.pk).exists():
            raise TeamError(
                gettext("%(name)s不在%(household)s所在辖区的工作力量中,或已不在岗")
                % {"name": staff.name, "household": household.name}
            )
    team, _ = FiveToOneTeam.objects.get_or_create(
        household=household,
        defaults={
            "path": household.path,
            "grid_id": household.grid_id,
            "district_code": household.district_code,
        },
    )
    for role, staff in chosen.items():
        TeamMember.objects.update_or_create(team=team, role=role, defaults={"staff": staff})
    team.active = _household_active(household.pk)
    team.save(update_fields=["active"])
    _assign_open_tasks(team)
    audit.record(
        "change",
        team,
        user=user,
        after={role: staff.pk for role, staff in chosen.items()},
        reason="组建/调整五包一责任组",
    )
    return team


def auto_form_team(household: Node, *, user=None) -> FiveToOneTeam:
    """Form the team from the least-loaded candidate of each role (roles without one stay empty)."""
    chosen = {}
    for role in roles():
        first = candidates(household, role).first()
        if first is not None:
            chosen[role] = first
    return form_team(household, chosen, user=user)


def assignee_map(household_id: int) -> dict[str, int]:
    """Task kind → staff id owing it, from the household's team (empty without a team)."""
    members = dict(
        TeamMember.objects.filter(team__household_id=household_id).values_list("role", "staff_id")
    )
    if not members:
        return {}
    fallback = next(iter(members.values()))
    return {kind: members.get(role, fallback) for kind, role in TASK_ROLES.items()}


def assignee_maps(household_ids: set[int] | list[int]) -> dict[int, dict[str, int]]:
    """``assignee_map`` for many households in one query (bulk intake of a positive pool)."""
    by_household: dict[int, dict[str, int]] = {}
    rows = TeamMember.objects.filter(team__household_id__in=list(household_ids)).values_list(
        "team__household_id", "role", "staff_id"
    )
    for household_id, role, staff_id in rows.order_by("team__household_id", "id"):
        by_household.setdefault(household_id, {})[role] = staff_id
    maps = {}
    for household_id, members in by_household.items():
        fallback = next(iter(members.values()))
        maps[household_id] = {
            kind: members.get(role, fallback) for kind, role in TASK_ROLES.items()
        }
    return maps


def _assign_open_tasks(team: FiveToOneTeam) -> None:
    for kind, staff_id in assignee_map(team.household_id).items():
        Task.objects.filter(
            household_id=team.household_id, kind=kind, status=TaskStatus.OPEN
        ).update(assignee_id=staff_id)


def _household_active(household_id: int) -> bool:
    return RiskPerson.objects.filter(household_id=household_id, state__in=ACTIVE_STATES).exists()


def mark_household_active(household_id: int, active: bool) -> None:
    FiveToOneTeam.objects.filter(household_id=household_id).update(active=active)


def refresh_household(household_id: int) -> None:
    """After a release or escalation: the team stays active while anyone there is controlled."""
    mark_household_active(household_id, _household_active(household_id))


def is_full(team: FiveToOneTeam | None) -> bool:
    if team is None:
        return False
    filled = set(team.members.values_list("role", flat=True))
    return set(roles()) <= filled


def incomplete_households(node: Node | str | None, base: QuerySet | None = None) -> list[dict]:
    """Households under ``node`` (``None``: all of ``base``, the risk persons the user may
    see) with someone under control and no full team: an alert list."""
    wanted = set(roles())
    active = (base if base is not None else RiskPerson.objects.all()).filter(
        state__in=ACTIVE_STATES
    )
    controlled = (
        (active if node is None else under(active, node))
        .values_list("household_id", flat=True)
        .distinct()
    )
    household_ids = set(controlled)
    filled: dict[int, set[str]] = {}
    for household_id, role in TeamMember.objects.filter(
        team__household_id__in=household_ids
    ).values_list("team__household_id", "role"):
        filled.setdefault(household_id, set()).add(role)
    nodes = {n.pk: n for n in Node.objects.filter(pk__in=household_ids)}
    alerts = []
    for household_id in sorted(household_ids, key=lambda pk: nodes[pk].path):
        missing = wanted - filled.get(household_id, set())
        if missing:
            alerts.append(
                {
                    "household": nodes[household_id],
                    "missing": [role_label(r) for r in roles() if r in missing],
                }
            )
    return alerts
