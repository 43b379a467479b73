"""Pages for control: counts with drill-down, a person's timeline, the grid worker's day,
tomorrow's releases and the overdue list. Each view: parse, scope, call a domain function,
render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from wuyi.accounts.scoping import is_office, scoped, sees_whole_city, user_grants
from wuyi.control import lists, overdue, teams
from wuyi.control.models import RiskPerson, Task, TaskKind
from wuyi.control.tasks import TaskError, complete_health_check
from wuyi.territory.models import PATH_SEPARATOR, Grid, Node
from wuyi.territory.tree import ancestors_paths


@dataclass
class _Where:
    """Where an office's page is: a node, or (``node`` None) the user's whole territory,
    made of ``areas`` (the city's districts, or the several areas they were granted)."""

    node: Node | None
    areas: list[Node]
    top: str  # the whole territory's name when the user's pages start there, else ""
    crumbs: list[Node]

    def context(self) -> dict:
        place = self.top if self.node is None else self.node.name
        return {"node": self.node, "place": place, "crumbs": self.crumbs, "top": self.top}


def _where(request: HttpRequest) -> _Where:
    """The node asked for (?node=PK), or where the user's territory starts: their one top
    node, or all of it when that is the whole city or several areas (a city office granted
    every district, a street office granted two streets)."""
    if sees_whole_city(request.user):
        top, areas = gettext("全市"), None  # the districts, read only if shown
    else:
        areas = _top_nodes(request.user)
        top = gettext("我的辖区") if len(areas) > 1 else ""
    pk = request.GET.get("node")
    if pk:
        nodes = scoped(Node.objects.all(), request.user)
        node = nodes.filter(pk=pk).first() if pk.isdigit() else None
    elif top:
        if areas is None:
            areas = list(Node.objects.filter(parent__isnull=True).order_by("sort_key", "path"))
        return _Where(None, areas, top, [])
    else:
        node = areas[0] if areas else None
    if node is None:
        raise Http404(gettext("没有这个辖区,或不在您的辖区内"))
    crumbs = scoped(Node.objects.filter(path__in=ancestors_paths(node.path)[:-1]), request.user)
    return _Where(node, [], top, list(crumbs.order_by("depth")))


def _top_nodes(user) -> list[Node]:
    """The nodes of the user's territory grants that are not beneath another of them."""
    paths = sorted({g.node_path for g in user_grants(user) if g.node_path})
    tops = [p for p in paths if not any(p.startswith(q + PATH_SEPARATOR) for q in paths)]
    return list(Node.objects.filter(path__in=tops).order_by("sort_key", "path"))


def _office_only(request: HttpRequest) -> None:
    # Counts, release lists and overdue lists are the offices' tools; others get a 404.
    if not is_office(request.user):
        raise Http404(gettext("此页面仅供各级疫情防控办和街道、社区使用"))


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    where = _where(request)
    node = where.node
    people = scoped(RiskPerson.objects.all(), request.user)
    data = lists.counts(node, people, children=where.areas if node is None else None)
    return render(
        request,
        "control/overview.html",
        {
            **where.context(),
            "data": data,
            "incomplete": teams.incomplete_households(node, people)[:50],
        },
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = (
        scoped(RiskPerson.objects.select_related("resident", "household"), request.user)
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404(gettext("没有这个人员,或不在您的辖区内"))
    team = getattr(person.household, "control_team", None)
    return render(
        request,
        "control/person.html",
        {
            "person": person,
            "transitions": person.transitions.all(),
            "stages": person.stages.all(),
            "tasks": person.tasks.select_related("assignee").order_by("day", "kind"),
            "team": team,
            "members": team.members.select_related("staff") if team else [],
            "episodes": scoped(RiskPerson.objects.filter(resident=person.resident), request.user)
            .exclude(pk=person.pk)
            .order_by("identified_at"),
        },
    )


@login_required
def grid_today(request: HttpRequest) -> HttpResponse:
    grids = scoped(Grid.objects.select_related("community"), request.user).order_by("code")
    code = request.GET.get("grid")
    grid = grids.filter(code=code).first() if code else grids.first()
    if grid is None:
        raise Http404(gettext("您没有负责的网格"))
    today = timezone.localdate()
    households = lists.grid_households(
        grid.pk, today, scoped(RiskPerson.objects.all(), request.user)
    )
    return render(
        request,
        "control/grid.html",
        {"grid": grid, "grids": grids[:50], "today": today, "households": households},
    )


@login_required
@require_POST
def health_check(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(
        scoped(Task.objects.select_related("risk_person__resident"), request.user),
        pk=pk,
        kind=TaskKind.HEALTH_CHECK,
    )
    error = ""
    try:
        task = complete_health_check(
            task,
            request.POST.get("temperature", ""),
            request.POST.get("symptoms", ""),
            user=request.user,
        )
    except TaskError as exc:
        error = str(exc)
    if not request.headers.get("HX-Request"):
        # Without htmx (scripts off): back to the day's list, with the outcome as a message.
        if error:
            messages.error(request, error)
        else:
            messages.success(
                request,
                gettext("已完成%(name)s的健康监测") % {"name": task.risk_person.resident.name},
            )
        return redirect("control:grid")
    # htmx swaps only 2xx answers: the refusal is shown in the row, in place.
    return render(request, "control/_task.html", {"task": task, "error": error})


@login_required
def releases(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    where = _where(request)
    node = where.node
    day = timezone.localdate() + dt.timedelta(days=1)
    if request.GET.get("date"):
        try:
            day = dt.date.fromisoformat(request.GET["date"])
        except ValueError:
            raise Http404(gettext("日期格式应为 2022-12-03")) from None
    people = lists.releases_on(node, day, scoped(RiskPerson.objects.all(), request.user))
    return render(
        request,
        "control/releases.html",
        {
            **where.context(),
            "day": day,
            "people": people,
        },
    )


@login_required
def overdue_list(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    where = _where(request)
    node = where.node
    summary = overdue.overdue_summary(node, base=scoped(Task.objects.all(), request.user))
    return render(
        request,
        "control/overdue.html",
        {
            **where.context(),
            "summary": summary,
        },
    )


@login_required
def team(request: HttpRequest, pk: int) -> HttpResponse:
    """A controlled household's five-to-one team: suggestions least loaded first, then save."""
    _office_only(request)
    household = scoped(Node.objects.filter(kind="household"), request.user).filter(pk=pk).first()
    if household is None:
        raise Http404(gettext("没有这个户,或不在您的辖区内"))
    suggestions = teams.suggest(household)
    error = ""
    if request.method == "POST":
        # Each role's select names a staff id among that role's candidates.
        chosen = {}
        for role in teams.roles():
            value = request.POST.get(role, "")
            if value:
                staff = (
                    teams.candidates(household, role).filter(pk=value).first()
                    if value.isdigit()
                    else None
                )
                if staff is None:
                    error = gettext("%(role)s的人选不在候选名单中") % {
                        "role": teams.role_label(role)
                    }
                    break
                chosen[role] = staff
        if not error:
            try:
                teams.form_team(household, chosen, user=request.user)
            except teams.TeamError as exc:
                error = str(exc)
        if not error:
            messages.success(request, gettext("已保存五包一责任组"))
            return redirect("control:team", pk=household.pk)
    current = getattr(household, "control_team", None)
    members = dict(current.members.values_list("role", "staff_id")) if current else {}
    rows = [
        (role, teams.role_label(role), suggestions[role], members.get(role))
        for role in teams.roles()
    ]
    people = scoped(RiskPerson.objects.filter(household=household), request.user).select_related(
        "resident"
    )
    return render(
        request,
        "control/team.html",
        {"household": household, "rows": rows, "error": error, "people": people},
        status=422 if error else 200,
    )


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The open tasks the user owes as a member of five-to-one teams, due today or earlier."""
    today = timezone.localdate()
    tasks = (
        scoped(Task.objects.all(), request.user)
        .filter(assignee__user=request.user, status="open", day__lte=today)
        .select_related("risk_person__resident", "household")
        .order_by("due_at", "pk")[:200]
    )
    return render(request, "control/my_tasks.html", {"tasks": tasks, "today": today})
