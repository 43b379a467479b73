"""The devices page: site staff, lab staff and offices issue and revoke device tokens.

Every list and lookup goes through ``scoped``: a site's staff see that site's devices, a
lab's staff that lab's, an office the devices of the sites under it (and the city office
every lab's too). The secret is shown once, on the page that answers the issue request.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from wuyi.accounts.models import OFFICE_ROLES, Role
from wuyi.accounts.scoping import has_role, scoped
from wuyi.testing import devices
from wuyi.testing.models import DeviceToken, Lab, SamplingSite

MANAGERS = frozenset({Role.SITE_STAFF, Role.LAB_STAFF}) | OFFICE_ROLES


def _require_manager(request: HttpRequest) -> None:
    if not has_role(request.user, MANAGERS):
        raise PermissionDenied(gettext("只有采样点人员、实验室人员和防控办可以管理设备"))


def _targets(request: HttpRequest) -> tuple[list[SamplingSite], list[Lab]]:
    """The sites and labs the user may issue tokens for (inside their grants)."""
    sites = list(scoped(SamplingSite.objects.filter(active=True), request.user).order_by("code"))
    labs = list(scoped(Lab.objects.filter(active=True), request.user).order_by("code"))
    return sites, labs


def _render_list(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    tokens = scoped(
        DeviceToken.objects.select_related("site", "lab", "created_by"), request.user
    ).order_by("revoked_at", "-created_at", "-id")
    sites, labs = _targets(request)
    context = {
        "tokens": tokens,
        "sites": sites,
        "labs": labs,
        "error": error,
        "name": request.POST.get("name", ""),
    }
    return render(request, "testing/devices/list.html", context, status=status)


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    return _render_list(request)


@login_required
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    kind, _, code = request.POST.get("target", "").partition(":")
    sites, labs = _targets(request)
    site = next((s for s in sites if kind == "site" and s.code == code), None)
    lab = next((x for x in labs if kind == "lab" and x.code == code), None)
    if site is None and lab is None:
        return _render_list(request, gettext("请选择您有权限的采样点或实验室"), status=400)
    try:
        token, secret = devices.issue_token(
            request.POST.get("name", ""), site=site, lab=lab, request=request
        )
    except ValueError as exc:
        return _render_list(request, str(exc), status=400)
    response = render(request, "testing/devices/issued.html", {"token": token, "secret": secret})
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    token = scoped(DeviceToken.objects.filter(pk=pk), request.user).first()
    if token is None:
        raise Http404(gettext("没有这个设备令牌,或不在您的管辖范围内"))
    if devices.revoke_token(token, request=request):
        messages.success(
            request,
            gettext("已吊销「%(name)s」,该设备下一次请求起即被拒绝") % {"name": token.name},
        )
    else:
        messages.info(request, gettext("「%(name)s」此前已吊销") % {"name": token.name})
    return redirect("devices:list")
