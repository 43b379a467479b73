"""The grid worker's walk: my grids → buildings → units → households → residents."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from wuyi.accounts.scoping import scoped
from wuyi.people.models import Resident
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import ancestors_paths


@login_required
def my_grids(request: HttpRequest) -> HttpResponse:
    grids = (
        scoped(Grid.objects.all(), request.user)
        .select_related("community")
        .annotate(residents_count=Count("residents", filter=Q(residents__status="present")))
        .order_by("path", "code")[:500]
    )
    return render(request, "territory/my_grids.html", {"grids": grids})


@login_required
def grid_detail(request: HttpRequest, code: str) -> HttpResponse:
    grid = scoped(Grid.objects.select_related("community"), request.user).filter(code=code).first()
    if grid is None:
        raise Http404(gettext("没有这个网格,或不在您的辖区内"))
    # The grid's top-level members: buildings, or households of a village without buildings.
    members = (
        Node.objects.filter(grid=grid, kind__in=[Kind.BUILDING, Kind.HOUSEHOLD])
        .exclude(parent__grid=grid)
        .select_related("parent")
        .order_by("path")
    )
    # Count the grid's present residents per member from their paths: one query for the grid.
    member_paths = {node.path for node in members}
    counts: dict[str, int] = {}
    for resident_path in Resident.objects.filter(grid=grid, status="present").values_list(
        "path", flat=True
    ):
        for prefix in ancestors_paths(resident_path):
            if prefix in member_paths:
                counts[prefix] = counts.get(prefix, 0) + 1
                break
    rows = [(node, counts.get(node.path, 0)) for node in members]
    return render(request, "territory/grid.html", {"grid": grid, "rows": rows})


@login_required
def node_detail(request: HttpRequest, pk: int) -> HttpResponse:
    node = scoped(Node.objects.select_related("grid"), request.user).filter(pk=pk).first()
    if node is None:
        raise Http404(gettext("没有这个地点,或不在您的辖区内"))
    crumbs = list(
        scoped(
            Node.objects.filter(path__in=ancestors_paths(node.path)[:-1]), request.user
        ).order_by("depth")
    )
    context = {"node": node, "crumbs": crumbs}
    if node.kind == Kind.HOUSEHOLD:
        context["residents"] = scoped(
            Resident.objects.filter(household=node), request.user
        ).order_by("birth_date", "id")
        return render(request, "territory/household.html", context)
    children = (
        scoped(Node.objects.filter(parent=node), request.user)
        .annotate(residents_count=Count("residents", distinct=True))
        .order_by("sort_key", "code")
    )
    context["children"] = children
    return render(request, "territory/node.html", context)
