"""API routes of the accounts app: who am I, the audit log, revealing one value.

Every route authenticates by the Django session (``django_auth``: the CSRF token is
required for POST) and reads through ``scoping.scoped``; personal values are masked.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from wuyi.accounts.auditlog import visible_events
from wuyi.accounts.models import Action, Grant
from wuyi.accounts.reveal import RevealError, reveal
from wuyi.accounts.scoping import is_office
from wuyi.accounts.views import event_dict

router = Router(tags=["accounts"], auth=django_auth)


class GrantOut(Schema):
    role: str
    role_label: str
    scope: str


class MeOut(Schema):
    username: str
    display_name: str
    grants: list[GrantOut]


class AuditEventOut(Schema):
    id: int
    at: str
    actor: str
    action: str
    model: str
    object_pk: str
    object: str
    path: str
    reason: str
    before: dict | None
    after: dict | None


class RevealIn(Schema):
    model: str = Field(..., max_length=64, examples=["people.resident"])
    pk: int = Field(..., ge=1)
    field: str = Field(..., max_length=64, examples=["phone"])
    reason: str = Field(..., max_length=500)


class RevealOut(Schema):
    value: str


@router.get("/me", response=MeOut, summary="当前账号与授权")
def me(request: HttpRequest) -> dict:
    grants = Grant.objects.filter(user=request.user).select_related("node", "grid")
    return {
        "username": request.user.get_username(),
        "display_name": request.user.display_name,
        "grants": [
            {"role": g.role, "role_label": g.get_role_display(), "scope": g.scope_label}
            for g in grants
        ],
    }


@router.get("/audit", response=list[AuditEventOut], summary="审计日志(辖区内,已脱敏)")
def audit_events(
    request: HttpRequest,
    action: str = "",
    model: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[dict]:
    if not is_office(request.user):
        raise HttpError(403, gettext("只有各级防控办和社区可以查看审计日志"))
    if action and action not in Action.values:
        raise HttpError(
            422, gettext("action 应为 %(actions)s 之一") % {"actions": ", ".join(Action.values)}
        )
    events = visible_events(request.user, action=action, model=model[:64], since=since, until=until)
    return [event_dict(e) for e in events[:limit]]


class DetailOut(Schema):
    detail: str


@router.post(
    "/reveal",
    response={200: RevealOut, 404: DetailOut},
    summary="查看一条记录的完整证件号码或电话(记入审计)",
)
def reveal_api(request: HttpRequest, payload: RevealIn) -> dict:
    try:
        value = reveal(
            request.user, payload.model, payload.pk, payload.field, payload.reason, request=request
        )
    except RevealError as error:
        raise HttpError(404 if error.not_found else 403, str(error)) from error
    return {"value": value}
