"""The offices' risk-area pages: decisions to approve, designating a place, drafting notices.

Every query goes through ``scoped``: an office sees and decides the areas under its grants.
Notices speak for the whole city, so drafting and publishing are for the city office.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from wuyi.accounts.models import Role
from wuyi.accounts.scoping import has_role, is_office, scoped
from wuyi.risk import areas
from wuyi.risk.drafting import DraftError, draft_notice, node_parts, publish
from wuyi.risk.models import AreaStatus, Decision, Level, Notice, RiskArea
from wuyi.territory.addresses import format_address
from wuyi.territory.models import Node

ISSUER = "太原市疫情防控办公室"


def _office(request: HttpRequest) -> None:
    if not is_office(request.user):
        raise PermissionDenied(gettext("只有疫情防控办公室和街道、社区可以处理风险区"))


def _city_office(request: HttpRequest) -> None:
    if not has_role(request.user, {Role.CITY_OFFICE}):
        raise PermissionDenied(gettext("通告由市疫情防控办公室起草和发布"))


def _label(node: Node, exclusions: str = "", floor: int | None = None) -> str:
    return format_address(node_parts(node, exclusions, floor)[1])


@login_required
def office(request: HttpRequest) -> HttpResponse:
    _office(request)
    proposed = (
        scoped(Decision.objects.filter(status=Decision.Status.PROPOSED), request.user)
        .select_related("area__node")
        .order_by("decided_on", "id")[:500]
    )
    active = (
        scoped(RiskArea.objects.filter(status=AreaStatus.ACTIVE), request.user)
        .select_related("node")
        .order_by("path")[:500]
    )
    context = {
        "proposed": [(d, _label(d.area.node, d.area.exclusions, d.area.floor)) for d in proposed],
        "active": [(a, _label(a.node, a.exclusions, a.floor)) for a in active],
        "levels": Level.choices,
        "is_city_office": has_role(request.user, {Role.CITY_OFFICE}),
    }
    return render(request, "risk/office.html", context)


def _decision(request: HttpRequest, pk: int) -> Decision:
    decision = scoped(Decision.objects.select_related("area"), request.user).filter(pk=pk).first()
    if decision is None:
        raise Http404(gettext("没有这项决定,或不在您的辖区内"))
    return decision


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    decision = _decision(request, pk)
    try:
        areas.approve(decision, request.user)
        messages.success(request, gettext("已批准:%(decision)s") % {"decision": decision})
    except areas.RiskError as exc:
        messages.error(request, str(exc))
    return redirect("risk:office")


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    decision = _decision(request, pk)
    try:
        areas.reject(decision, request.user, request.POST.get("reason", "")[:500])
        messages.success(request, gettext("已驳回:%(decision)s") % {"decision": decision})
    except areas.RiskError as exc:
        messages.error(request, str(exc))
    return redirect("risk:office")


@login_required
@require_POST
def designate(request: HttpRequest) -> HttpResponse:
    _office(request)
    node = scoped(Node.objects.all(), request.user).filter(pk=request.POST.get("node") or 0).first()
    if node is None:
        raise Http404(gettext("没有这个地点,或不在您的辖区内"))
    try:
        day = dt.date.fromisoformat(request.POST.get("day") or dt.date.today().isoformat())
        floor = int(request.POST["floor"]) if request.POST.get("floor") else None
        decision = areas.designate(
            node,
            request.POST.get("level", Level.HIGH),
            day,
            reason=request.POST.get("reason", "")[:2000],
            by=request.user,
            exclusions=request.POST.get("exclusions", "")[:500],
            floor=floor,
        )
        messages.success(request, gettext("已提出:%(decision)s,待批准") % {"decision": decision})
    except (ValueError, areas.RiskError) as exc:
        messages.error(request, str(exc))
    return redirect("risk:office")


@login_required
def draft(request: HttpRequest) -> HttpResponse:
    """The next notice: GET shows the current draft, POST (re)writes it from approved decisions."""
    _city_office(request)
    if request.method == "POST":
        try:
            draft_notice(ISSUER, dt.date.today(), by=request.user)
        except DraftError as exc:
            messages.error(request, str(exc))
        return redirect("risk:draft")
    notice = Notice.objects.filter(status=Notice.Status.DRAFT).order_by("-year", "-number").first()
    published = Notice.objects.filter(status=Notice.Status.PUBLISHED).order_by("-published_at")[:10]
    return render(request, "risk/draft.html", {"notice": notice, "published": published})


@login_required
@require_POST
def publish_notice(request: HttpRequest, pk: int) -> HttpResponse:
    _city_office(request)
    notice = Notice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404(gettext("没有这份通告"))
    try:
        publish(notice)
        messages.success(request, gettext("已发布:%(notice)s") % {"notice": notice})
    except DraftError as exc:
        messages.error(request, str(exc))
    return redirect("risk:draft")
