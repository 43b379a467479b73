"""Coverage pages: node drill-down, the grid worker's round view, households, lists, pictures.

Each view parses, finds the node or grid inside the user's grants (``scoped``), calls a
function of this app and renders. A node or grid outside the grants is "not found".
"""

from __future__ import annotations

import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from wuyi.accounts.models import Role
from wuyi.accounts.reveal import REVEAL_ROLES
from wuyi.accounts.scoping import has_role, scoped, user_grants
from wuyi.coverage import (
    charts,
    close,
    door_knocking,
    door_notes,
    home_sampling,
    jobs,
    missed,
    rollup,
    status,
    tallies,
)
from wuyi.coverage.models import (
    ExemptReason,
    HomeSamplingRequest,
    HomeSamplingStatus,
    KnockResult,
    NoteSource,
)
from wuyi.people.models import Resident
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import ancestors_paths
from wuyi.testing.models import RoundStatus, TestingRound

DOOR_SALT = "wuyi.coverage.door"
# Who may record door knocks and grant exemptions: grid workers and the offices.
WORKER_ROLES = {
    Role.GRID_WORKER,
    Role.COMMUNITY_OFFICE,
    Role.STREET_OFFICE,
    Role.DISTRICT_OFFICE,
    Role.CITY_OFFICE,
}


def _round(code: str) -> TestingRound:
    return get_object_or_404(TestingRound, code=code)


def _node(request: HttpRequest, pk: int) -> Node:
    node = scoped(Node.objects.select_related("grid", "parent"), request.user).filter(pk=pk).first()
    if node is None:
        raise Http404(gettext("没有这个地点,或不在您的辖区内"))
    return node


def _grid(request: HttpRequest, code: str) -> Grid:
    grid = scoped(Grid.objects.select_related("community"), request.user).filter(code=code).first()
    if grid is None:
        raise Http404(gettext("没有这个网格,或不在您的辖区内"))
    return grid


def _crumbs(request: HttpRequest, node: Node) -> list[Node]:
    return list(
        scoped(
            Node.objects.filter(path__in=ancestors_paths(node.path)[:-1]), request.user
        ).order_by("depth")
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Rounds under way and where this user starts: their grids or their top nodes."""
    rounds = TestingRound.objects.exclude(status=RoundStatus.DRAFT).order_by("-start_date")[:20]
    grids = scoped(Grid.objects.select_related("community"), request.user).order_by("code")[:50]
    paths = [g.node_path for g in user_grants(request.user) if g.node_path]
    nodes = Node.objects.filter(path__in=paths).order_by("path")
    if request.user.is_superuser or not paths:
        nodes = scoped(Node.objects.filter(kind=Kind.DISTRICT), request.user).order_by("code")
    return render(
        request,
        "coverage/index.html",
        {
            "rounds": rounds,
            "grids": grids,
            "nodes": nodes,
            "can_work": has_role(request.user, WORKER_ROLES),
        },
    )


@login_required
def node_view(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    if node.kind == Kind.HOUSEHOLD:
        return redirect("coverage:household", round_code, pk)
    children = scoped(Node.objects.filter(parent=node), request.user).values_list("pk", flat=True)
    visible = set(children)
    # A district or street sums its community tallies (seconds live, milliseconds so).
    summed = tallies.node_rollup(round_, node)
    if summed is not None:
        tally, child_tallies = summed.tally, summed.children
    else:
        tally, child_tallies = (
            rollup.node_tally(round_, node),
            rollup.children_tallies(round_, node),
        )
    context = {
        "round": round_,
        "node": node,
        "crumbs": _crumbs(request, node),
        "tally": tally,
        "children": [t for t in child_tallies if t.pk in visible],
        "refreshed_at": summed.refreshed_at if summed is not None else None,
        "refresh_seconds": jobs.REFRESH_SECONDS,
        "can_work": has_role(request.user, WORKER_ROLES),
    }
    return render(request, "coverage/node.html", context)


@login_required
def grid_view(request: HttpRequest, round_code: str, code: str) -> HttpResponse:
    """The grid worker's round view; htmx re-fetches the body every 30 s while the round runs."""
    round_ = _round(round_code)
    grid = _grid(request, code)
    households = status.grid_households(round_, grid, request.user)
    # One reverse() for the page, not one per household: a grid has hundreds.
    household_url = reverse("coverage:household", args=[round_.code, 0])[: -len("0/")]
    done = [h for h in households if not h.attention]
    context = {
        "round": round_,
        "grid": grid,
        "can_work": has_role(request.user, WORKER_ROLES),
        "tally": rollup.grid_tally(round_, grid),
        "households": households,
        "attention": [h for h in households if h.attention],
        "done_count": len(done),
        # The finished households are chips; built in one call, not a template loop.
        "done_chips": format_html_join(
            " ",
            '<a class="badge ok" href="{}{}/">{}{}</a>',
            ((household_url, h.pk, h.place, h.name) for h in done),
        ),
        "household_url": household_url,
        "now": timezone.now(),
    }
    template = (
        "coverage/_grid_body.html" if request.headers.get("HX-Request") else "coverage/grid.html"
    )
    return render(request, template, context)


def _household_context(request: HttpRequest, round_, node: Node) -> dict:
    people = status.person_statuses(round_, Resident.objects.filter(household=node), request.user)
    from wuyi.coverage.models import DoorKnock, DoorNote

    door_link = request.build_absolute_uri(
        reverse("coverage:door", args=[signing.dumps([round_.pk, node.pk], salt=DOOR_SALT)])
    )
    return {
        "round": round_,
        "node": node,
        "crumbs": _crumbs(request, node),
        "people": people,
        "door_link": door_link,
        # The sticker for the door: a QR code of the link (SVG, printed from the page).
        "door_qr": mark_safe(segno.make(door_link, error="m").svg_inline(scale=3)),  # noqa: S308 (segno's own SVG)
        "knocks": scoped(DoorKnock.objects.filter(round=round_, household=node), request.user)
        .select_related("resident", "recorded_by")
        .order_by("-recorded_at")[:20],
        "notes": scoped(
            DoorNote.objects.filter(round=round_, household=node), request.user
        ).order_by("-submitted_at")[:5],
        "results": KnockResult.choices,
        "reasons": ExemptReason.choices,
        "can_work": has_role(request.user, WORKER_ROLES),
        # The grid link only for those whose grants cover the grid (not a resident's).
        "grid": scoped(Grid.objects.filter(pk=node.grid_id), request.user).first(),
    }


@login_required
def household_view(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    if node.kind != Kind.HOUSEHOLD:
        raise Http404(gettext("这不是一户"))
    return render(request, "coverage/household.html", _household_context(request, round_, node))


@login_required
@require_POST
def exempt(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    """Grant (or change) a person's exemption from the round, recording who granted it."""
    round_ = _round(round_code)
    node = _node(request, pk)
    if not has_role(request.user, WORKER_ROLES):
        raise Http404(gettext("只有网格员和社区以上工作人员可以登记免检"))
    resident = (
        scoped(Resident.objects.filter(household=node), request.user)
        .filter(pk=request.POST.get("resident") or 0)
        .first()
    )
    if resident is None:
        messages.error(request, gettext("请选择这户的一位居民"))
        return redirect("coverage:household", round_code, pk)
    try:
        door_knocking.grant_exemption(
            round_,
            resident,
            request.POST.get("reason", ""),
            request.user,
            request.POST.get("note", ""),
        )
    except door_knocking.KnockError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("已登记免检:%(name)s") % {"name": resident.name})
    return redirect("coverage:household", round_code, pk)


@login_required
@require_POST
def knock(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    if not has_role(request.user, WORKER_ROLES):
        raise Http404(gettext("只有网格员和社区以上工作人员可以登记敲门结果"))
    post = request.POST
    resident = None
    if post.get("resident"):
        resident = (
            scoped(Resident.objects.filter(household=node), request.user)
            .filter(pk=post.get("resident"))
            .first()
        )
    moved_to = None
    if post.get("moved_to"):
        moved_to = (
            scoped(Node.objects.filter(kind=Kind.HOUSEHOLD), request.user)
            .filter(path=post["moved_to"].strip())
            .first()
        )
        if moved_to is None:
            messages.error(request, gettext("找不到迁入的户:%(path)s") % {"path": post["moved_to"]})
            return redirect("coverage:household", round_code, pk)
    when = None
    if post.get("sampled_when"):
        when = parse_datetime(post["sampled_when"])
        if when is None:
            messages.error(request, gettext("采样时间格式应为 年-月-日 时:分"))
            return redirect("coverage:household", round_code, pk)
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
    occupant = None
    if post.get("result") == KnockResult.NEW_OCCUPANT:
        occupant = door_knocking.NewOccupant(
            post.get("new_name", ""), post.get("new_id_number", ""), post.get("new_phone", "")
        )
    try:
        door_knocking.record(
            round_,
            node,
            post.get("result", ""),
            request.user,
            resident,
            sampled_where=post.get("sampled_where", ""),
            sampled_when=when,
            note=post.get("note", ""),
            moved_to=moved_to,
            new_occupant=occupant,
        )
    except door_knocking.KnockError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, gettext("已记录:%(result)s") % {"result": KnockResult(post["result"]).label}
        )
    return redirect("coverage:household", round_code, pk)


def _note_from_post(post) -> door_notes.Note:
    count = post.get("reported_count", "").strip()
    if count and not count.isdigit():
        raise door_notes.NoteError(gettext("人数应为数字,收到:%(count)s") % {"count": count})
    return door_notes.Note(
        reported_count=int(count) if count else None,
        all_sampled=post.get("all_sampled") == "on",
        listed=tuple(door_notes.parse_listed(post.get("listed", ""))),
    )


@login_required
@require_POST
def note(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    source = (
        NoteSource.RESIDENT if has_role(request.user, {Role.RESIDENT}) else NoteSource.GRID_WORKER
    )
    try:
        saved = door_notes.submit(round_, node, _note_from_post(request.POST), source, request.user)
    except door_notes.NoteError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, gettext("门贴已核对:%(status)s") % {"status": saved.get_status_display()}
        )
    return redirect("coverage:household", round_code, pk)


def door(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the QR code on a household's door: the household reports its note.

    It shows nothing of the registry (anyone can scan a door); the verdict goes to the
    grid worker, the household only learns that the note was received.
    """
    try:
        round_pk, node_pk = signing.loads(token, salt=DOOR_SALT, max_age=dt.timedelta(days=30))
    except signing.BadSignature as error:
        raise Http404(gettext("二维码无效或已过期")) from error
    round_ = get_object_or_404(TestingRound, pk=round_pk)
    node = get_object_or_404(Node, pk=node_pk, kind=Kind.HOUSEHOLD)
    context = {"round": round_, "node": node, "done": False}
    if request.method == "POST":
        try:
            door_notes.submit(round_, node, _note_from_post(request.POST), NoteSource.DOOR_QR)
            context["done"] = True
        except door_notes.NoteError as error:
            context["error"] = str(error)
    return render(request, "coverage/door.html", context)


def _missed(request: HttpRequest, round_, title: str, **where) -> HttpResponse:
    rows = missed.missed_list(round_, request.user, **where)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            missed.to_xlsx(rows, title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = "attachment; filename*=UTF-8''missed.xlsx"
        return response
    return render(
        request,
        "coverage/missed.html",
        {"round": round_, "title": title, "rows": rows, "where": where, "now": timezone.now()},
    )


@login_required
def missed_grid(request: HttpRequest, round_code: str, code: str) -> HttpResponse:
    round_ = _round(round_code)
    grid = _grid(request, code)
    return _missed(request, round_, gettext("%(place)s 漏检名单") % {"place": grid.name}, grid=grid)


@login_required
def missed_node(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    return _missed(request, round_, gettext("%(place)s 漏检名单") % {"place": node.name}, node=node)


@login_required
def compound_picture(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    if node.kind != Kind.COMPOUND:
        raise Http404(gettext("楼栋图只针对小区"))
    return render(
        request,
        "coverage/compound.html",
        {"round": round_, "node": node, "rows": charts.compound_cells(round_, node)},
    )


@login_required
def chart(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    if node.kind not in (Kind.STREET, Kind.DISTRICT):
        raise Http404(gettext("分时覆盖图只针对街道或区县"))
    return render(
        request,
        "coverage/chart.html",
        {"round": round_, "node": node, "data": charts.hourly_chart(round_, node)},
    )


@login_required
def close_view(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    round_ = _round(round_code)
    node = _node(request, pk)
    report = close.close_report(round_, node)
    visible = set(
        scoped(Node.objects.filter(parent=node), request.user).values_list("pk", flat=True)
    )
    report.children = [c for c in report.children if c.pk in visible]
    return render(
        request,
        "coverage/close.html",
        {
            "round": round_,
            "node": node,
            "report": report,
            "knock_rows": [(r.label, report.knocks[r.value]) for r in KnockResult],
            # The people to verify: reported sampled elsewhere, no scan yet (masked, scoped).
            "reported_rows": missed.missed_list(
                round_, request.user, node=node, cls=rollup.REPORTED, limit=2000
            ),
        },
    )


def _home_sampling_where(request: HttpRequest) -> dict:
    """The optional ``grid``/``node`` narrowing of the home-sampling list, inside the grants."""
    if request.GET.get("grid"):
        return {"grid": _grid(request, request.GET["grid"])}
    if request.GET.get("node", "").isdigit():
        return {"node": _node(request, int(request.GET["node"]))}
    return {}


@login_required
def home_sampling_list(request: HttpRequest, round_code: str) -> HttpResponse:
    """Open home-sampling requests under the user's grants, building by building.

    ``?status=closed`` lists the worked ones instead (newest first is not needed: the
    same stair order lets a team check a building's visits at a glance).
    """
    round_ = _round(round_code)
    if not has_role(request.user, WORKER_ROLES):
        raise Http404(gettext("只有网格员和社区以上工作人员可以查看上门采样申请"))
    where = _home_sampling_where(request)
    qs = home_sampling.requests_in_scope(round_, request.user, **where)
    show_closed = request.GET.get("status") == "closed"
    if show_closed:
        qs = qs.exclude(status=HomeSamplingStatus.OPEN)
    else:
        qs = qs.filter(status=HomeSamplingStatus.OPEN)
    return render(
        request,
        "coverage/home_sampling.html",
        {
            "round": round_,
            "rows": home_sampling.request_rows(qs),
            "show_closed": show_closed,
            "grid": where.get("grid"),
            "node": where.get("node"),
            # The same narrowing for the open/closed switch.
            "scope_query": "&".join(
                f"{key}={request.GET[key]}" for key in ("grid", "node") if key in where
            ),
            "can_reveal": has_role(request.user, REVEAL_ROLES),
        },
    )


@login_required
@require_POST
def home_sampling_close(request: HttpRequest, round_code: str, pk: int) -> HttpResponse:
    """Mark one request done (tube barcode or note) or cancelled (reason); htmx gets the row."""
    round_ = _round(round_code)
    if not has_role(request.user, WORKER_ROLES):
        raise Http404(gettext("只有网格员和社区以上工作人员可以处理上门采样申请"))
    item = home_sampling.requests_in_scope(round_, request.user).filter(pk=pk).first()
    if item is None:
        raise Http404(gettext("没有这条上门采样申请,或不在您的辖区内"))
    post = request.POST
    error = ""
    try:
        if post.get("action") == "done":
            home_sampling.mark_done(
                item, request.user, post.get("tube_barcode", ""), post.get("note", "")
            )
        elif post.get("action") == "cancel":
            home_sampling.cancel(
                item, request.user, post.get("reason", ""), post.get("lift_exemption") == "on"
            )
        else:
            raise home_sampling.HomeSamplingError(gettext("请选择“已上门采样”或“取消”"))
    except home_sampling.HomeSamplingError as exc:
        error = str(exc)
    if request.headers.get("HX-Request"):
        [row] = home_sampling.request_rows(HomeSamplingRequest.objects.filter(pk=item.pk))
        return render(
            request,
            "coverage/_home_sampling_row.html",
            {
                "round": round_,
                "r": row,
                "error": error,
                "can_reveal": has_role(request.user, REVEAL_ROLES),
            },
        )
    if error:
        messages.error(request, error)
    else:
        item.refresh_from_db()
        messages.success(
            request,
            gettext("%(name)s:%(status)s")
            % {"name": item.resident.name, "status": item.get_status_display()},
        )
    return redirect(reverse("coverage:home_sampling", args=[round_code]))
