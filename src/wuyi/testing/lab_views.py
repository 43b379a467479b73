"""Lab staff pages (upload, receipt, hand entry), and the results pages offices and grid workers read.

Views stay thin: find the user's lab or scope, call ``labs`` / ``results`` / ``pooling``,
render. Lab pages act for the lab of the user's lab-staff grant; superusers pick a lab
with ``?lab=CODE``. Lists of people go through ``scoped`` and show ID and phone masked.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from wuyi.accounts.models import Role
from wuyi.accounts.scoping import has_role, is_office, scoped, user_grants
from wuyi.people.masking import mask_id_number, mask_phone
from wuyi.people.models import Resident
from wuyi.testing import labs, pooling
from wuyi.testing.models import Lab, Result, ResultSource, TestingRound, Tube
from wuyi.testing.result_files import (
    ResultFile,
    ResultFileError,
    parse_ct,
    parse_outcome,
    parse_time,
    write_wuyi_csv,
)
from wuyi.testing.results import (
    apply_results,
    pool_members,
    positive_pool_tasks,
    record_result,
    round_results,
)


def _lab_for(request: HttpRequest) -> Lab:
    """The lab the user works for; lab pages are for lab staff (and superusers) only."""
    code = request.GET.get("lab") or request.POST.get("lab")
    if request.user.is_superuser:
        labs_qs = Lab.objects.filter(active=True).order_by("code")
        lab = labs_qs.filter(code=code).first() if code else labs_qs.first()
        if lab is None:
            raise Http404(gettext("还没有登记实验室"))
        return lab
    ids = [g.lab_id for g in user_grants(request.user) if g.role == Role.LAB_STAFF and g.lab_id]
    if not ids:
        raise PermissionDenied(gettext("只有实验室人员可以使用此页面"))
    lab = Lab.objects.filter(pk__in=ids, active=True)
    lab = (lab.filter(code=code) if code else lab).order_by("code").first()
    if lab is None:
        raise PermissionDenied(gettext("您没有该实验室的权限"))
    return lab


def _render_home(request: HttpRequest, lab: Lab, **extra) -> HttpResponse:
    recent = (
        Result.objects.filter(lab=lab).select_related("tube").order_by("-created_at", "-id")[:20]
    )
    context = {
        "lab": lab,
        "recent": recent,
        "outcomes": [
            ("negative", gettext("阴性")),
            ("positive", gettext("阳性")),
            ("invalid", gettext("无效(需重采)")),
        ],
        "received_today": Tube.objects.filter(lab=lab, status="received").count(),
    }
    context.update(extra)
    return render(request, "testing/lab/home.html", context)


@login_required
def lab_home(request: HttpRequest) -> HttpResponse:
    return _render_home(request, _lab_for(request))


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """An instrument's result file: all of it is applied, or none and the refused rows listed."""
    lab = _lab_for(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _render_home(request, lab, upload_error=gettext("请选择要上传的结果文件"))
    try:
        parsed = ResultFile(upload, upload.name)
    except ResultFileError as exc:
        return _render_home(
            request,
            lab,
            upload_error=gettext("%(file)s:%(error)s") % {"file": upload.name, "error": exc},
        )
    report = apply_results(
        lab,
        parsed.rows(),
        source=ResultSource.FILE,
        source_name=upload.name,
        layout=parsed.layout,
        user=request.user,
    )
    return render(
        request,
        "testing/lab/report.html",
        {"lab": lab, "report": report, "layout_label": parsed.layout_label},
        status=200 if report.ok else 422,
    )


@login_required
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    """Scan tubes in (one barcode a line) or receive a whole transport box."""
    lab = _lab_for(request)
    box_code = request.POST.get("box", "").strip()
    try:
        if box_code:
            _, report = labs.receive_box(lab, box_code, request.user.get_username())
        else:
            barcodes = request.POST.get("barcodes", "").split()
            report = labs.receive_tubes(lab, barcodes)
    except labs.LabError as exc:
        return _render_home(request, lab, receive_error=str(exc))
    return _render_home(request, lab, receipt=report)


@login_required
@require_POST
def hand_entry(request: HttpRequest) -> HttpResponse:
    """One tube's result typed by hand: the same checks as a file."""
    lab = _lab_for(request)
    outcome = parse_outcome(request.POST.get("outcome"))
    try:
        if outcome is None:
            raise ValueError(gettext("请选择检测结果"))
        cts: dict[str, Decimal | None] = {
            name: parse_ct(request.POST.get(name)) for name in ("ct_orf1ab", "ct_n", "ct_e")
        }
        tested_at = parse_time(request.POST.get("tested_at"))
    except ValueError as exc:
        return _render_home(request, lab, entry_error=str(exc))
    report = record_result(
        lab,
        request.POST.get("barcode", ""),
        outcome,
        tested_at=tested_at,
        source=ResultSource.HAND,
        user=request.user,
        **cts,
    )
    if report.ok:
        barcode = request.POST.get("barcode", "").strip()
        if report.unchanged:
            text = gettext("已录入:%(barcode)s(与已有结果相同,未改变)") % {"barcode": barcode}
        else:
            text = gettext("已录入:%(barcode)s") % {"barcode": barcode}
        messages.success(request, text)
        return redirect(f"{reverse('lab:home')}?lab={lab.code}")
    return _render_home(request, lab, entry_error=report.errors[0].message)


@login_required
def template_csv(request: HttpRequest) -> HttpResponse:
    """An empty file in wuyi's format, with one example row."""
    out = io.StringIO()
    write_wuyi_csv(
        [{"barcode": "T00000001", "outcome": "negative", "tested_at": "2022-04-05 13:20:00"}],
        out,
    )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="wuyi-results-template.csv"'
    return response


def _visible_tubes(request: HttpRequest):
    if not (is_office(request.user) or has_role(request.user, [Role.LAB_STAFF])):
        raise PermissionDenied(gettext("只有防控办和实验室人员可以查看"))
    return scoped(Tube.objects.all(), request.user)


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Tubes sealed but not received, or received without result, past their round's limits."""
    found = labs.overdue_tubes(tubes=_visible_tubes(request))
    return render(
        request,
        "testing/lab/overdue.html",
        {
            "not_received": found.not_received[:500],
            "not_received_count": found.not_received.count(),
            "no_result": found.no_result[:500],
            "no_result_count": found.no_result.count(),
        },
    )


@login_required
def tube(request: HttpRequest) -> HttpResponse:
    """One tube by barcode (``?barcode=``): where it is, from first scan to result.

    What a lab or an office asks when a tube is late or a result is disputed. Only tubes
    in the user's scope are found (a lab's own, an office's territory); the members are
    not listed here, only counted.
    """
    tubes = _visible_tubes(request)
    barcode = request.GET.get("barcode", "").strip()
    context: dict = {"barcode": barcode}
    if barcode:
        found = (
            tubes.filter(barcode=barcode)
            .select_related("round", "site", "desk", "box", "box__lab", "lab", "result")
            .first()
        )
        if found is None:
            context["error"] = gettext("没有找到试管 %(barcode)s,或它不在您的范围内") % {
                "barcode": barcode
            }
        else:
            context.update(
                tube=found,
                timeline=labs.tube_timeline(found),
                result=getattr(found, "result", None),
                overdue=labs.is_overdue(found),
            )
    return render(
        request, "testing/lab/tube.html", context, status=404 if "error" in context else 200
    )


@login_required
def positives(request: HttpRequest) -> HttpResponse:
    """Positive pools in the user's area: members with household, unit, building and grid.

    What a grid worker or community office sees is limited by ``scoped`` on the retest
    tasks (by the members' grid or household path), so each sees their own people.
    """
    tasks = scoped(positive_pool_tasks(), request.user)
    show = request.GET.get("all") != "1"
    if show:
        tasks = tasks.filter(control="temporary")
    visible: OrderedDict[int, set[int]] = OrderedDict()
    for tube_id, scan_id in tasks.values_list("source_tube_id", "source_scan_id")[:2000]:
        visible.setdefault(tube_id, set()).add(scan_id)
    tubes = {t.pk: t for t in Tube.objects.filter(pk__in=list(visible)).select_related("site")}
    pools = []
    reveal = request.user.is_superuser
    for tube_id, scan_ids in list(visible.items())[:100]:
        tube = tubes[tube_id]
        members = [m for m in pool_members(tube) if m.scan.pk in scan_ids]
        for member in members:
            member.shown_id = member.id_number if reveal else mask_id_number(member.id_number)
            member.shown_phone = member.phone if reveal else mask_phone(member.phone)
        pools.append((tube, members))
    return render(
        request,
        "testing/lab/positives.html",
        {"pools": pools, "only_open": show, "pool_count": len(visible)},
    )


@login_required
def pool_plan(request: HttpRequest) -> HttpResponse:
    """Dorfman advice for a prevalence, population and days typed into the form."""
    error = None
    result = None
    prevalence_text = request.GET.get("prevalence", "0.5%")
    try:
        prevalence = pooling.parse_prevalence(prevalence_text)
        population = request.GET.get("population", "").strip()
        population = (
            int(population)
            if population
            else scoped(Resident.objects.filter(status="present"), request.user).count()
        )
        days = int(request.GET.get("days", "1") or 1)
        capacity = Lab.objects.filter(active=True).aggregate(c=Sum("daily_capacity"))["c"]
        result = pooling.plan(prevalence, population, days, capacity or None)
    except ValueError as exc:
        error = str(exc)
    return render(
        request,
        "testing/lab/pool_plan.html",
        {
            "result": result,
            "error": error,
            "prevalence_text": prevalence_text,
            "population": request.GET.get("population", ""),
            "days": request.GET.get("days", "1"),
            "thresholds": {
                "20_10": pooling.threshold(10, 20),
                "10_5": pooling.threshold(5, 10),
            },
        },
    )


@login_required
def round_results_page(request: HttpRequest, code: str) -> HttpResponse:
    """A round's results so far, its live positive-pool rate and the pool size it advises now."""
    rnd = TestingRound.objects.filter(code=code).first()
    if rnd is None:
        raise Http404(gettext("没有这个检测轮次"))
    counts = round_results(rnd, _visible_tubes(request))
    implied = pooling.prevalence_from_pool_rate(counts.positive_pool_rate, counts.mean_pool or 1)
    advice = pooling.best_pool_size(implied) if counts.pooled_resulted else None
    found = labs.overdue_tubes(
        rounds=TestingRound.objects.filter(pk=rnd.pk), tubes=_visible_tubes(request)
    )
    return render(
        request,
        "testing/lab/round.html",
        {
            "round": rnd,
            "counts": counts,
            "implied": implied,
            "advice": advice,
            "overdue_count": found.not_received.count() + found.no_result.count(),
        },
    )
