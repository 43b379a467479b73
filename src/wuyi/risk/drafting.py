"""Writing a notice from approved decisions: ``wuyi notice draft`` and the office's page.

The official form, as Taiyuan's 第198号通告 has it: the basis sentence naming the policy
versions, the totals, then per section ("新增高风险区N个,分别是:") each district with its
count and its items in decision order, exclusions in brackets, and the signature and
date. ``compose_notice`` writes the text from plain data so that the round trip
draft → ``parse_notice`` can be tested without a database; ``draft_notice`` collects the
decisions and stores a numbered draft; ``publish`` freezes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from wuyi.accounts import audit
from wuyi.risk import policy as policies
from wuyi.risk.models import Decision, Level, Notice
from wuyi.territory.addresses import format_address
from wuyi.territory.models import Kind, Node
from wuyi.territory.tree import ancestors_paths

LEVEL_WORDS = {Level.HIGH: "高", Level.MEDIUM: "中", Level.LOW: "低"}
SECTION_ORDER = [
    ("new", Level.HIGH),
    ("new", Level.MEDIUM),
    ("lowered", Level.MEDIUM),
    ("lowered", Level.LOW),
]


class DraftError(ValueError):
    """Nothing to announce, or a notice that cannot be drafted; message in Chinese."""


@dataclass
class DraftItem:
    district: str
    change: str  # "new" | "lowered"
    level: str  # the level after the notice
    parts: dict
    decision_id: int | None = None


@dataclass
class DraftSpec:
    issuer: str
    number: int
    dated: dt.date
    policies: list[str] = field(default_factory=list)  # version codes, for the basis sentence
    items: list[DraftItem] = field(default_factory=list)
    city: str = "我市"


def _section_title(change: str, level: str, count: int) -> str:
    word = LEVEL_WORDS[level]
    if change == "new":
        return f"新增{word}风险区{count}个"
    return f"调整为{word}风险区{count}个"


def compose_notice(spec: DraftSpec) -> str:
    """The notice text for ``spec``; districts in first-appearance order, items in order."""
    sections: dict[tuple[str, str], dict[str, list[DraftItem]]] = {}
    for item in spec.items:
        sections.setdefault((item.change, item.level), {}).setdefault(item.district, []).append(
            item
        )
    ordered = [key for key in SECTION_ORDER if key in sections]
    basis = "和".join(policies.get(code).basis for code in spec.policies)
    totals = ",".join(
        _section_title(c, lv, sum(len(v) for v in sections[(c, lv)].values())) for c, lv in ordered
    )
    lines = [spec.issuer, "通告", f"(第{spec.number}号)", ""]
    lead = f"根据{basis}有关规定," if basis else ""
    lines.append(f"{lead}结合当前疫情防控工作实际,经专家组研判,即日起{spec.city}{totals}。")
    for change, level in ordered:
        districts = sections[(change, level)]
        lines.append("")
        lines.append(
            _section_title(change, level, sum(len(v) for v in districts.values())) + ",分别是:"
        )
        for district, items in districts.items():
            texts = ",".join(format_address(item.parts) for item in items)
            lines.append(f"{district}({len(items)}个):{texts}。")
    lines += ["", spec.issuer, f"{spec.dated.year}年{spec.dated.month}月{spec.dated.day}日", ""]
    return "\n".join(lines)


def node_parts(node: Node, exclusions: str = "", floor: int | None = None) -> tuple[str, dict]:
    """(district name, address parts) as a notice names ``node``.

    Notices name a compound and what is inside it, a site by its name (with its compound
    when it is in one), and a village by its town and village; streets and communities of
    the city proper are left out, as the offices write them.
    """
    chain = list(Node.objects.filter(path__in=ancestors_paths(node.path)).order_by("depth"))
    district = chain[0].name
    parts: dict = {}
    by_kind = {n.kind: n for n in chain}
    community = by_kind.get(Kind.COMMUNITY)
    compound = by_kind.get(Kind.COMPOUND)
    is_village = community is not None and community.name.endswith("村")
    if compound is None and is_village:
        parts["street"] = by_kind[Kind.STREET].name
        parts["village"] = community.name
    elif compound is None and community is not None and node.kind in (Kind.COMMUNITY,):
        parts["compound"] = community.name
    if compound is not None:
        parts["compound"] = compound.name
    if Kind.BUILDING in by_kind:
        parts["building"] = by_kind[Kind.BUILDING].name
    if Kind.UNIT in by_kind:
        parts["unit"] = by_kind[Kind.UNIT].name
    if floor is not None:
        parts["floor"] = f"{floor}层"
    if node.kind == Kind.HOUSEHOLD:
        parts["room"] = node.name
    if node.kind == Kind.SITE:
        parts.pop("compound", None) if compound is None else None
        parts["site"] = node.name
    if exclusions:
        parts["exclusions"] = [e for e in exclusions.replace(",", "、").split("、") if e]
    return district, parts


def pending_decisions(issuer: str | None = None):
    """Approved decisions not yet in a published notice, in the order they were decided."""
    return (
        Decision.objects.filter(status=Decision.Status.APPROVED)
        .exclude(notice__status=Notice.Status.PUBLISHED)
        .select_related("area", "area__node")
        .order_by("district_code", "decided_on", "id")
    )


@transaction.atomic
def draft_notice(issuer: str, dated: dt.date, by=None, city: str = "我市") -> Notice:
    """The next numbered draft of ``issuer`` for ``dated``'s year, from the pending decisions.

    An existing unpublished draft of the same issuer is rewritten (it keeps its number)."""
    decisions = list(pending_decisions())
    if not decisions:
        raise DraftError(gettext("没有已批准但尚未通告的风险区决定"))
    draft = (
        Notice.objects.select_for_update()
        .filter(issuer=issuer, year=dated.year, status=Notice.Status.DRAFT)
        .order_by("number")
        .first()
    )
    if draft is None:
        last = Notice.objects.filter(issuer=issuer, year=dated.year).aggregate(n=Max("number"))["n"]
        draft = Notice(issuer=issuer, year=dated.year, number=(last or 0) + 1, created_by=by)
    items = []
    used: list[str] = []
    for decision in decisions:
        district, parts = node_parts(
            decision.area.node,
            decision.area.exclusions if decision.action == Decision.Action.DESIGNATE else "",
            decision.area.floor,
        )
        change = "new" if decision.action == Decision.Action.DESIGNATE else "lowered"
        items.append(DraftItem(district, change, decision.level, parts, decision.pk))
        if decision.policy not in used:
            used.append(decision.policy)
    order = {v.code: v.effective for v in policies.versions()}
    used.sort(key=lambda code: order.get(code, dt.date.max), reverse=True)
    draft.dated = dated
    draft.text = compose_notice(DraftSpec(issuer, draft.number, dated, used, items, city))
    draft.save()
    Decision.objects.filter(notice=draft).update(notice=None)
    Decision.objects.filter(pk__in=[d.pk for d in decisions]).update(notice=draft)
    return draft


@transaction.atomic
def publish(notice: Notice) -> Notice:
    """Freeze ``notice``: its text is the public record from now on."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == Notice.Status.PUBLISHED:
        raise DraftError(gettext("%(notice)s已发布") % {"notice": notice})
    notice.status = Notice.Status.PUBLISHED
    notice.published_at = timezone.now()
    Notice.objects.filter(pk=notice.pk).update(
        status=notice.status, published_at=notice.published_at
    )
    audit.record("status", notice, after={"status": notice.status}, district_code="")
    return notice


def notice_json(notice: Notice) -> dict:
    """A notice as ``wuyi notice draft --json`` prints it and the API returns it."""
    return {
        "id": notice.pk,
        "issuer": notice.issuer,
        "year": notice.year,
        "number": notice.number,
        "date": notice.dated.isoformat(),
        "status": notice.status,
        "published_at": notice.published_at.isoformat() if notice.published_at else None,
        "decisions": notice.decisions.count(),
        "text": notice.text,
    }
