"""Pages of the accounts app: the audit log (offices), its export, and revealing one value."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_http_methods

from wuyi.accounts import audit
from wuyi.accounts.auditlog import export_csv, export_xlsx, visible_events
from wuyi.accounts.models import Action, AuditEvent
from wuyi.accounts.reveal import REVEALABLE, RevealError, reveal
from wuyi.accounts.scoping import is_office
from wuyi.people.masking import mask_record

# The labels of the fields in ``REVEALABLE``, marked here so that `make messages` puts them in
# the catalog; the reveal pages show them translated (labels registered elsewhere show as is).
FIELD_LABELS = (gettext_noop("证件号码"), gettext_noop("联系电话"))


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filtered(request: HttpRequest):
    if not is_office(request.user):
        raise PermissionDenied(gettext("只有各级防控办和社区可以查看审计日志"))
    params = request.GET
    action = params.get("action", "")
    return visible_events(
        request.user,
        action=action if action in Action.values else "",
        model=params.get("model", "")[:64],
        since=_date(params.get("since")),
        until=_date(params.get("until")),
    )


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    events = _filtered(request)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    rows = [(e, mask_record(e.before), mask_record(e.after)) for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_list.html",
        {"page": page, "rows": rows, "actions": Action.choices, "query": query.urlencode()},
    )


@login_required
def audit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404(gettext("导出格式只能是 csv 或 xlsx"))
    events = _filtered(request)
    count = events.count()
    audit.record(
        Action.EXPORT,
        None,
        request=request,
        model="accounts.auditevent",
        object_repr=f"审计日志导出 {count} 条",
        after={"format": fmt, "filters": request.GET.dict(), "rows": count},
    )
    stamp = dt.date.today().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(
            export_xlsx(events),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(export_csv(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def reveal_value(request: HttpRequest, label: str, pk: int, field: str) -> HttpResponse:
    """GET: the form asking for a reason. POST: the full value (an htmx fragment)."""
    field_label = REVEALABLE.get(label.lower(), {}).get(field)
    if field_label is None:
        raise Http404(gettext("没有这个字段"))
    context = {"label": label, "pk": pk, "field": field, "field_label": gettext(field_label)}
    if request.method == "GET":
        return render(request, "accounts/reveal_form.html", context)
    try:
        context["value"] = reveal(
            request.user, label, pk, field, request.POST.get("reason", ""), request=request
        )
    except RevealError as error:
        if error.not_found:
            raise Http404(str(error)) from error
        context["error"] = str(error)
        return render(request, "accounts/reveal_form.html", context, status=403)
    return render(request, "accounts/reveal_value.html", context)


def event_dict(event: AuditEvent) -> dict:
    """An event for the API: personal values masked."""
    return {
        "id": event.pk,
        "at": event.at.isoformat(),
        "actor": event.actor_name,
        "action": event.action,
        "model": event.model,
        "object_pk": event.object_pk,
        "object": event.object_repr,
        "path": event.path,
        "reason": event.reason,
        "before": mask_record(event.before),
        "after": mask_record(event.after),
    }
