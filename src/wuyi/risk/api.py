"""The offices' risk-area API: read a notice, draft the next one, list current areas.

Mounted at ``/api/v1/risk/`` (see ``wuyi/api.py``). Every route authenticates by the Django
session (``django_auth``: POST needs the CSRF token) and is for the offices only, as the
risk pages are; what a route returns is limited to the caller's territory through
``scoping.scoped``. Drafting speaks for the whole city, so it is the city office's alone,
as on the drafting page. The handlers only check, call the risk modules and shape JSON.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import django_auth

from wuyi.accounts.models import Role
from wuyi.accounts.scoping import has_role, is_office, scoped
from wuyi.risk.drafting import DraftError, draft_notice, notice_json, pending_decisions
from wuyi.risk.models import Level, Notice, RiskArea
from wuyi.risk.notice_parser import NoticeError, parse_notice
from wuyi.risk.office_views import ISSUER
from wuyi.risk.resolve import Gazetteer, resolve_notice
from wuyi.risk.search import current_areas
from wuyi.territory.addresses import format_address
from wuyi.territory.models import Node

router = Router(tags=["risk"], auth=django_auth)

# A newspaper page is ~10,000 characters; twenty of them is more than any one notice.
MAX_TEXT_CHARS = 200_000
# The request body: the text JSON-escaped ("\uXXXX" is 6 bytes a character) and a margin.
MAX_BODY_BYTES = 6 * MAX_TEXT_CHARS + 64 * 1024
MAX_AREAS = 5000


class ErrorOut(Schema):
    detail: str


class ParseIn(Schema):
    text: str = Field(
        ...,
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="通告全文,或转载通告的新闻页全文",
    )
    year: int | None = Field(
        None, ge=2000, le=2100, description="日期只写“12月2日”时补全的年份(新闻转载常省略年份)"
    )
    resolve: bool = Field(True, description="是否对照登记库,找出每一项对应的地点")


class DraftIn(Schema):
    date: dt.date | None = Field(None, description="通告落款日期,默认今天")
    city: str = Field("我市", min_length=1, max_length=20, description="正文对本市的称呼")


class DraftStateOut(Schema):
    draft: dict | None = Field(..., description="尚未发布的草稿(与 POST 的返回相同),没有则为 null")
    pending: int = Field(..., description="已批准但尚未通告的决定数")


class AreaOut(Schema):
    id: int
    level: str
    level_label: str
    label: str = Field(..., description="通告里的写法,如“路泽苑小区7号楼”")
    district: str
    path: str
    node_id: int
    node_kind: str
    floor: int | None
    exclusions: str
    policy: str
    designated_on: dt.date
    last_infection_on: dt.date | None


def _limit_body(run):
    """Refuse an oversized body (413) before Ninja reads and parses it.

    Anonymous callers go on to the 401 of the route's authentication: the size of a body
    tells nothing to someone who may not use the route anyway.
    """

    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES and request.user.is_authenticated:
            detail = gettext("请求过大(%(size)s字节),通告正文最多%(max)s字") % {
                "size": length,
                "max": MAX_TEXT_CHARS,
            }
            return JsonResponse({"detail": detail}, status=413)
        return run(request, *args, **kwargs)

    return wrapper


def _office(request: HttpRequest) -> None:
    if not is_office(request.user):
        raise HttpError(403, gettext("只有疫情防控办公室和街道、社区可以处理风险区"))


def _city_office(request: HttpRequest) -> None:
    if not has_role(request.user, {Role.CITY_OFFICE}):
        raise HttpError(403, gettext("通告由市疫情防控办公室起草和发布"))


def withhold_outside(result: dict, user) -> dict:
    """Keep only the registry nodes inside the user's territory in a resolved notice.

    A district office reading a city notice learns which of the items are its own places;
    the nodes of other districts (ids, codes) stay with their offices. Items whose nodes are
    all outside are listed in ``outside_scope`` instead.
    """
    items = [
        (s_index, d, i_index, item)
        for s_index, section in enumerate(result["sections"])
        for d in section["districts"]
        for i_index, item in enumerate(d["items"])
    ]
    ids = {node["id"] for *_, item in items for node in item.get("nodes", [])}
    visible = set(scoped(Node.objects.filter(pk__in=ids), user).values_list("pk", flat=True))
    result["outside_scope"] = []
    for s_index, district, i_index, item in items:
        if "nodes" not in item:
            continue
        kept = [node for node in item["nodes"] if node["id"] in visible]
        if len(kept) < len(item["nodes"]):
            item["node"] = kept[0] if len(kept) == 1 else None
            item["nodes"] = kept
        if not kept:
            del item["nodes"]
            result["outside_scope"].append(
                {
                    "section": s_index,
                    "district": district["name"] or item.get("district"),
                    "item": i_index,
                    "text": item["text"],
                }
            )
    return result


@router.post(
    "/notices/parse",
    response={200: dict, 413: ErrorOut, 422: ErrorOut},
    url_name="risk_notice_parse",
    summary="解析风险区通告(与 wuyi notice parse --json 相同)",
)
@decorate_view(_limit_body)
def parse(request: HttpRequest, payload: ParseIn):
    """Issuer, number, date, basis, sections, districts and items with their address parts,
    and every count that disagrees with the items found (``mismatches``).

    With ``resolve`` the items are looked up in the registry; a node outside the caller's
    territory is withheld and the item listed in ``outside_scope``. Nothing is stored.
    """
    _office(request)
    gazetteer = Gazetteer()
    try:
        result = parse_notice(payload.text, year=payload.year, gazetteer=gazetteer)
    except NoticeError as exc:
        return Status(422, {"detail": str(exc)})
    if payload.resolve:
        withhold_outside(resolve_notice(result, gazetteer), request.user)
    return Status(200, result)


@router.get(
    "/notices/draft",
    response=DraftStateOut,
    url_name="risk_draft_state",
    summary="当前通告草稿与待通告决定数",
)
def draft_state(request: HttpRequest) -> dict:
    """The unpublished draft (if any) and how many approved decisions wait for a notice."""
    _city_office(request)
    notice = Notice.objects.filter(status=Notice.Status.DRAFT).order_by("-year", "-number").first()
    pending = pending_decisions().count()
    return {"draft": notice_json(notice) if notice else None, "pending": pending}


@router.post(
    "/notices/draft",
    response={200: dict, 422: ErrorOut},
    url_name="risk_draft",
    summary="由已批准的决定起草下一号通告(与 wuyi notice draft --json 相同)",
)
def draft(request: HttpRequest, payload: DraftIn):
    """Write (or rewrite) the next numbered draft from every approved decision not yet in a
    published notice; an existing draft keeps its number. Publishing stays on the page."""
    _city_office(request)
    dated = payload.date or timezone.localdate()
    try:
        notice = draft_notice(ISSUER, dated, by=request.user, city=payload.city.strip() or "我市")
    except DraftError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(200, notice_json(notice))


@router.get("/areas", response=list[AreaOut], url_name="risk_areas", summary="辖区内当前的风险区")
def risk_areas(
    request: HttpRequest,
    level: Level | None = None,
    limit: int = Query(1000, ge=1, le=MAX_AREAS),
) -> list[dict]:
    """Active areas inside the caller's territory, in registry order, named as a notice
    names them."""
    _office(request)
    queryset = scoped(RiskArea.objects.all(), request.user)
    if level is not None:
        queryset = queryset.filter(level=level)
    return [
        {
            "id": area.pk,
            "level": area.level,
            "level_label": area.get_level_display(),
            "label": format_address(parts),
            "district": district,
            "path": area.path,
            "node_id": area.node_id,
            "node_kind": area.node.kind,
            "floor": area.floor,
            "exclusions": area.exclusions,
            "policy": area.policy,
            "designated_on": area.designated_on,
            "last_infection_on": area.last_infection_on,
        }
        for area, district, parts in current_areas(queryset, limit)
    ]
