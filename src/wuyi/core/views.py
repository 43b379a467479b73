"""The landing page and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from wuyi.accounts.models import Grant, Role
from wuyi.accounts.scoping import has_role, is_office


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Everyone starts from their own grants: what they hold, and where each leads.
    grants = Grant.objects.filter(user=request.user).select_related("node", "grid")
    return render(
        request,
        "core/home.html",
        {
            "grants": grants,
            "is_office": is_office(request.user),
            # Where each role's daily work starts; the pages themselves check scope again.
            "is_grid_worker": has_role(request.user, [Role.GRID_WORKER, Role.BUILDING_CAPTAIN]),
            # Control's grid list is for the grid's own worker (a building captain has no grid).
            "has_grid": has_role(request.user, [Role.GRID_WORKER]),
            "is_site_staff": has_role(request.user, [Role.SITE_STAFF]),
            "is_lab_staff": has_role(request.user, [Role.LAB_STAFF]),
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
