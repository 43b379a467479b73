"""Missed lists (漏检名单): who under a grid, building or community is still to be sampled.

Ordered by building, unit and room (the household's code path sorts that way), so the grid
worker climbs each stairwell once. ID numbers and phones are always masked: no role sees
full values on a list (``wuyi.accounts.reveal`` shows one value on request, logged).
Every query goes through ``scoped`` with the user asking.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from wuyi.accounts.scoping import scoped
from wuyi.coverage.models import DoorKnock
from wuyi.coverage.rollup import MISSING, area_q, class_expression, registered, with_round
from wuyi.people.masking import mask_id_number, mask_phone
from wuyi.people.models import Resident
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import subtree_q


@dataclass
class MissedRow:
    resident_id: int
    household_id: int
    household_path: str
    building: str
    unit: str
    room: str
    name: str
    gender: str
    birth_year: int | None
    id_number: str  # masked
    phone: str  # masked
    flags: list[str]
    last_knock: str

    @property
    def place(self) -> str:
        return f"{self.building}{self.unit}{self.room}"


def missing_residents(
    round_, user, *, node: Node | None = None, grid: Grid | None = None
) -> QuerySet:
    """The residents under ``node`` or in ``grid`` who are missing in ``round_``, scoped."""
    if (node is None) == (grid is None):
        raise ValueError("give exactly one of node or grid")
    if node is not None:
        base = Resident.objects.filter(area_q(round_, node.path))
    else:
        base = Resident.objects.filter(grid=grid).filter(area_q(round_, grid.path))
    qs = with_round(registered(scoped(base, user)), round_).annotate(cls=class_expression(round_))
    return qs.filter(cls=MISSING)


def _labels(household: Node) -> tuple[str, str, str]:
    """(building, unit, room) names of a household, for a stairwell list."""
    building = unit = ""
    parent = household.parent
    if parent is not None and parent.kind == Kind.UNIT:
        unit = parent.name
        parent = parent.parent
    if parent is not None and parent.kind == Kind.BUILDING:
        building = parent.name
        if parent.parent is not None and parent.parent.kind == Kind.COMPOUND:
            building = parent.parent.name + building
    return building, unit, household.name


def missed_list(
    round_, user, *, node: Node | None = None, grid: Grid | None = None, limit: int = 20000
) -> list[MissedRow]:
    """The missed list, in stair-walking order, with each person's last door-knock result."""
    residents = list(
        missing_residents(round_, user, node=node, grid=grid)
        .select_related("household__parent__parent__parent")
        .order_by("path", "birth_date", "id")[:limit]
    )
    knock_q = subtree_q(node.path) if node is not None else None
    knocks = DoorKnock.objects.filter(round=round_)
    knocks = knocks.filter(knock_q) if knock_q is not None else knocks.filter(grid=grid)
    household_ids = {r.household_id for r in residents}
    last_by_resident: dict[int, str] = {}
    last_by_household: dict[int, str] = {}
    for knock in (
        scoped(knocks, user).filter(household_id__in=household_ids).order_by("recorded_at")
    ):
        label = f"{knock.get_result_display()} {knock.recorded_at:%m-%d %H:%M}"
        if knock.resident_id:
            last_by_resident[knock.resident_id] = label
        else:
            last_by_household[knock.household_id] = label
    rows = []
    for r in residents:
        building, unit, room = _labels(r.household)
        rows.append(
            MissedRow(
                resident_id=r.pk,
                household_id=r.household_id,
                household_path=r.path,
                building=building,
                unit=unit,
                room=room,
                name=r.name,
                gender=r.get_gender_display() if r.gender else "",
                birth_year=r.birth_date.year if r.birth_date else None,
                id_number=mask_id_number(r.id_number),
                phone=mask_phone(r.phone),
                flags=r.flags,
                last_knock=last_by_resident.get(r.pk) or last_by_household.get(r.household_id, ""),
            )
        )
    return rows


HEADERS = [
    "楼栋",
    "单元",
    "门牌",
    "姓名",
    "性别",
    "出生年份",
    "证件号码",
    "联系电话",
    "特殊情况",
    "最近敲门结果",
]


def to_xlsx(rows: list[MissedRow], title: str) -> bytes:
    """The missed list as an Excel workbook (masked values, the same order as the page)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="漏检名单")
    sheet.append([title])
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                row.building,
                row.unit,
                row.room,
                row.name,
                row.gender,
                row.birth_year,
                row.id_number,
                row.phone,
                "、".join(row.flags),
                row.last_knock,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
