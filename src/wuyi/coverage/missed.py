"""Missed lists (漏检名单): who under a grid, building or community is still to be sampled.

Ordered by building, unit and room (the household's code path sorts that way), so the grid
worker climbs each stairwell once. ID numbers and phones are always masked: no role sees
full values on a list (``wuyi.accounts.reveal`` shows one value on request, logged).
Every query goes through ``scoped`` with the user asking. The same list, for the class
"reported sampled elsewhere", is what an office verifies before closing a round.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext, pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from wuyi.accounts.scoping import scoped
from wuyi.coverage.models import DoorKnock, KnockResult
from wuyi.coverage.rollup import (
    MISSING,
    REPORTED,
    area_q,
    class_expression,
    registered,
    with_round,
)
from wuyi.people.masking import mask_id_number, mask_phone
from wuyi.people.models import FLAGS, Gender, Resident
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
    # For people reported sampled elsewhere: where and when, as the knock said.
    elsewhere: str = ""

    @property
    def place(self) -> str:
        return f"{self.building}{self.unit}{self.room}"


def missing_residents(
    round_, user, *, node: Node | None = None, grid: Grid | None = None, cls: str = MISSING
) -> QuerySet:
    """The residents under ``node`` or in ``grid`` in class ``cls`` (missing), scoped."""
    if (node is None) == (grid is None):
        raise ValueError("give exactly one of node or grid")
    if node is not None:
        base = Resident.objects.filter(area_q(round_, node.path))
    else:
        base = Resident.objects.filter(grid=grid).filter(area_q(round_, grid.path))
    qs = with_round(registered(scoped(base, user)), round_).annotate(cls=class_expression(round_))
    return qs.filter(cls=cls)


def place_labels(row: dict) -> tuple[str, str, str]:
    """(building, unit, room) names of a household, for a stairwell list."""
    building = unit = ""
    level = "household__parent"
    if row[f"{level}__kind"] == Kind.UNIT:
        unit = row[f"{level}__name"]
        level += "__parent"
    if row[f"{level}__kind"] == Kind.BUILDING:
        # Not prefixed by the compound: a grid worker's grants may not cover the compound.
        building = row[f"{level}__name"]
    return building, unit, row["household__name"]


_GENDERS = dict(Gender.choices)


def person_columns(row: dict, prefix: str = "") -> dict:
    """A listed person's place, name, gender, birth year, and masked ID number and phone.

    ``row`` is a ``values()`` row with the resident's fields under ``prefix`` (``""`` for a
    resident queryset, ``"resident__"`` for rows that point at a resident), including
    ``PLACE_FIELDS``. The missed list and the home-sampling list show the same columns.
    """
    building, unit, room = place_labels({f: row[prefix + f] for f in PLACE_FIELDS})
    gender, born = row[prefix + "gender"], row[prefix + "birth_date"]
    return {
        "building": building,
        "unit": unit,
        "room": room,
        "name": row[prefix + "name"],
        "gender": gettext(_GENDERS[gender]) if gender in _GENDERS and gender else "",
        "birth_year": born.year if born else None,
        "id_number": mask_id_number(row[prefix + "id_number"]),
        "phone": mask_phone(row[prefix + "phone"]),
    }


# The household and up to two levels above it: unit, building.
PLACE_FIELDS = [
    "household__name",
    *(f"household{'__parent' * depth}__{field}" for depth in (1, 2) for field in ("name", "kind")),
]
_FLAG_FIELDS = list(FLAGS)


def missed_list(
    round_,
    user,
    *,
    node: Node | None = None,
    grid: Grid | None = None,
    limit: int = 20000,
    cls: str = MISSING,
) -> list[MissedRow]:
    """The missed list, in stair-walking order, with each person's last door-knock result.

    Rows are read as dictionaries (``values``), not model instances: a community's list is
    hundreds of people and must be ready in well under the 300 ms an office waits.
    """
    residents = list(
        missing_residents(round_, user, node=node, grid=grid, cls=cls)
        .order_by("path", "birth_date", "id")
        .values(
            "id",
            "household_id",
            "path",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            *PLACE_FIELDS,
            *_FLAG_FIELDS,
        )[:limit]
    )
    knocks = DoorKnock.objects.filter(round=round_)
    knocks = knocks.filter(subtree_q(node.path)) if node is not None else knocks.filter(grid=grid)
    household_ids = {r["household_id"] for r in residents}
    last_by_resident: dict[int, str] = {}
    last_by_household: dict[int, str] = {}
    elsewhere: dict[int, str] = {}
    tz = timezone.get_current_timezone()
    for resident_id, household_id, result, at, where, when in (
        scoped(knocks, user)
        .filter(household_id__in=household_ids)
        .order_by("recorded_at", "id")
        .values_list(
            "resident_id", "household_id", "result", "recorded_at", "sampled_where", "sampled_when"
        )
    ):
        label = f"{KnockResult(result).label} {at.astimezone(tz):%m-%d %H:%M}"
        if resident_id:
            last_by_resident[resident_id] = label
            elsewhere[resident_id] = (
                f"{where} {when.astimezone(tz):%m-%d %H:%M}" if when else where
            ).strip()
        else:
            last_by_household[household_id] = label
    rows = []
    for r in residents:
        rows.append(
            MissedRow(
                resident_id=r["id"],
                household_id=r["household_id"],
                household_path=r["path"],
                **person_columns(r),
                flags=[gettext(label) for field, label in FLAGS.items() if r[field]],
                last_knock=last_by_resident.get(r["id"])
                or last_by_household.get(r["household_id"], ""),
                elsewhere=elsewhere.get(r["id"], "") if cls == REPORTED else "",
            )
        )
    return rows


HEADERS = [
    gettext_lazy("楼栋"),
    gettext_lazy("单元"),
    gettext_lazy("门牌"),
    gettext_lazy("姓名"),
    gettext_lazy("性别"),
    gettext_lazy("出生年份"),
    gettext_lazy("证件号码"),
    pgettext_lazy("column", "联系电话"),  # "phone number" in sentences
    gettext_lazy("特殊情况"),
    gettext_lazy("最近敲门结果"),
]


def to_xlsx(rows: list[MissedRow], title: str) -> bytes:
    """The missed list as an Excel workbook (masked values, the same order as the page)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=gettext("漏检名单"))
    sheet.append([title])
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=str(text))
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
                pgettext("list separator", "、").join(row.flags),
                row.last_knock,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
