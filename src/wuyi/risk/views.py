"""The public risk-area page (no login, area names only) with its address search."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wuyi.risk.models import Notice
from wuyi.risk.search import current_areas, search
from wuyi.territory.addresses import format_address


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    # Current areas grouped by district and level, in registry order, as a notice lists them.
    groups: dict[tuple[str, str], list[str]] = {}
    for area, district, parts in current_areas():
        groups.setdefault((district, area.get_level_display()), []).append(format_address(parts))
    rows = [(district, level, labels) for (district, level), labels in groups.items()]
    notices = Notice.objects.filter(status=Notice.Status.PUBLISHED).order_by("-published_at")[:5]
    query = request.GET.get("q", "")
    hits, message = search(query)
    context = {"rows": rows, "notices": notices, "q": query, "hits": hits, "message": message}
    return render(request, "risk/public.html", context)


@require_GET
def public_search(request: HttpRequest) -> HttpResponse:
    """The search box's results alone, for htmx (the full page works without JavaScript)."""
    query = request.GET.get("q", "")
    hits, message = search(query)
    context = {"q": query, "hits": hits, "message": message}
    return render(request, "risk/_search_results.html", context)


@require_GET
def notice_text(request: HttpRequest, pk: int) -> HttpResponse:
    """A published notice as issued (drafts are not public)."""
    from django.shortcuts import get_object_or_404

    notice = get_object_or_404(Notice, pk=pk, status=Notice.Status.PUBLISHED)
    return render(request, "risk/notice.html", {"notice": notice})
