"""Pages of the testing app: residents' sampling codes, household cards, the sampling page.

Every read of residents goes through ``scoped``; the sampling page posts to
``sampling_scans``, which runs the same ``ingest`` as the device API, limited to the sites
the staff member holds a grant for.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from wuyi.accounts.models import Role
from wuyi.accounts.scoping import scoped, user_grants
from wuyi.people.models import Resident
from wuyi.territory.models import Kind, Node
from wuyi.testing import codes
from wuyi.testing.ingest import MAX_BATCH, BatchTooLarge, follow_up_scans, ingest
from wuyi.testing.models import Desk, RoundSite, RoundStatus, SamplingSite, TestingRound


@login_required
def resident_code(request: HttpRequest, pk: int) -> HttpResponse:
    """One resident's sampling code, full screen, to show at the sampling desk."""
    resident = get_object_or_404(scoped(Resident.objects.all(), request.user), pk=pk)
    return render(
        request,
        "testing/resident_code.html",
        {"resident": resident, "qr": codes.qr_svg(resident, scale=8)},
    )


@login_required
def household_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable card with the codes of everyone in one household (for people without phones)."""
    household = get_object_or_404(Node, pk=pk, kind=Kind.HOUSEHOLD)
    residents = list(
        scoped(Resident.objects.filter(household=household), request.user)
        .exclude(status__in=["moved_out", "deceased"])
        .order_by("birth_date", "pk")
    )
    if not residents:
        # Not in the user's scope, or nobody lives there: the same answer, so the page
        # does not reveal which households exist outside one's grants.
        raise Http404(gettext("没有可显示的居民"))
    members = [{"resident": r, "qr": codes.qr_svg(r, scale=4)} for r in residents]
    return render(
        request, "testing/household_card.html", {"household": household, "members": members}
    )


def _staff_site_ids(user) -> set[int] | None:
    """Sites the user may sample for; None means every site (superusers)."""
    if user.is_superuser:
        return None
    return {
        g.site_id for g in user_grants(user) if g.role == Role.SITE_STAFF and g.site_id is not None
    }


@login_required
def sampling_page(request: HttpRequest) -> HttpResponse:
    """The sampling staff's page: pick round, site and desk; scan a tube, then people; seal."""
    site_ids = _staff_site_ids(request.user)
    sites = SamplingSite.objects.filter(active=True).order_by("code")
    if site_ids is not None:
        sites = sites.filter(pk__in=site_ids)
    sites = list(sites)
    round_sites = (
        RoundSite.objects.filter(site__in=sites, round__status=RoundStatus.ACTIVE)
        .select_related("round")
        .order_by("round__code")
    )
    rounds: dict[str, dict] = {}
    for rs in round_sites:
        entry = rounds.setdefault(rs.round.code, {"code": rs.round.code, "name": rs.round.name})
        entry.setdefault("sites", []).append(rs.site_id)
    desks: dict[int, list] = {}
    for desk in Desk.objects.filter(site__in=sites).order_by("code"):
        desks.setdefault(desk.site_id, []).append({"code": desk.code, "name": desk.name})
    config = {
        "rounds": list(rounds.values()),
        "sites": [
            {"id": s.pk, "code": s.code, "name": s.name, "desks": desks.get(s.pk, [])}
            for s in sites
        ],
        "endpoint": reverse("testing:sampling_scans"),
        "batch": 200,
    }
    return render(request, "testing/sampling.html", {"config": config, "has_sites": bool(sites)})


@require_POST
def sampling_scans(request: HttpRequest) -> JsonResponse:
    """The page's queue posts here (session and CSRF token); one answer per event."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"detail": gettext("登录已过期,请重新登录;未上传的记录仍保存在本机")}, status=401
        )
    site_ids = _staff_site_ids(request.user)
    if site_ids is not None and not site_ids:
        return JsonResponse({"detail": gettext("您没有采样点的授权")}, status=403)
    try:
        body = json.loads(request.body or b"{}")
        events = body["events"]
        if not isinstance(events, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": gettext('请求格式错误:应为 {"events": [...]}')}, status=400)
    if len(events) > MAX_BATCH:
        return JsonResponse(
            {"detail": gettext("一批最多%(count)s条") % {"count": MAX_BATCH}}, status=413
        )
    try:
        answers = ingest(events, allowed_site_ids=site_ids)
    except BatchTooLarge as exc:
        return JsonResponse({"detail": str(exc)}, status=413)
    return JsonResponse({"answers": [a.as_dict() for a in answers]})


@login_required
def follow_up(request: HttpRequest, code: str) -> HttpResponse:
    """Persons sampled in a round who are not in the registry: to be found and registered.

    Offices see those sampled at sites under their territory, site staff those of their
    site; ID numbers and phones are masked.
    """
    testing_round = get_object_or_404(TestingRound, code=code)
    scans = scoped(follow_up_scans(testing_round), request.user).select_related("site")
    return render(
        request,
        "testing/follow_up.html",
        {"round": testing_round, "scans": scans[:1000], "total": scans.count()},
    )
