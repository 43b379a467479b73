"""Importing residents from the spreadsheets offices keep (``wuyi import residents FILE``).

The import is three passes over the rows, all in memory, so the hot path never queries
per row: (1) every cell is checked on its own (ID number, phone, flags, ...), (2) ID numbers
repeated inside the file are rejected together, (3) each row is resolved to a household in
the territory tree, creating compounds, buildings, units, households and grids as needed
(in a plan, not yet in the database). Without ``commit`` that is the whole job: a report.
With it, the plan is written in one transaction with bulk operations, and rejected rows go
to a rejects file in the input's own format so the office can fix and re-import them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext

from wuyi.people import bulk, id_numbers
from wuyi.people.models import (
    FLAGS,
    Gender,
    IdType,
    Residence,
    Resident,
    Status,
    chinese_labels,
)
from wuyi.people.phones import PhoneError, normalise_phone
from wuyi.people.services import place
from wuyi.people.spreadsheets import (
    HEADERS,
    LostDigits,
    Table,
    cell_text,
    number_text,
    read_table,
    write_table,
)
from wuyi.territory.addresses import (
    clean,
    normalise_building,
    normalise_room,
    normalise_unit,
    room_floor,
)
from wuyi.territory.models import PATH_SEPARATOR, Grid, Kind, Node
from wuyi.territory.tree import TerritoryError, assign_to_grid, build_node, check_code, under

# Rows per query when prefetching residents and per batch when writing: well below
# SQLite's limit of host parameters in one statement.
CHUNK = 900
BATCH = 2000

ID_TYPES: dict[str, str] = {
    **{label: value for value, label in chinese_labels(IdType).items()},
    **{value: value for value, _ in IdType.choices},
    "身份证": IdType.RESIDENT_ID,
    "二代身份证": IdType.RESIDENT_ID,
    "居民身份证号": IdType.RESIDENT_ID,
    "港澳通行证": IdType.HK_MACAO,
    "台胞证": IdType.TAIWAN,
    "出生证明": IdType.BIRTH_CERT,
    "出生证": IdType.BIRTH_CERT,
}
STATUSES: dict[str, str] = {
    **{label: value for value, label in chinese_labels(Status).items()},
    **{value: value for value, _ in Status.choices},
    "正常": Status.PRESENT,
    "常住": Status.PRESENT,
    "迁出": Status.MOVED_OUT,
    "死亡": Status.DECEASED,
    "去世": Status.DECEASED,
}
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "M": Gender.MALE, "F": Gender.FEMALE, "": ""}
YES = {"是", "√", "✓", "✔", "1", "Y", "YES", "TRUE", "有"}
NO = {"否", "", "0", "N", "NO", "FALSE", "无", "×", "✗"}
ADMIN_LENGTHS = {"district_code": 6, "street_code": 9, "community_code": 12}
STEP_COLUMNS = {
    Kind.COMPOUND: "compound",
    Kind.BUILDING: "building",
    Kind.UNIT: "unit",
    Kind.HOUSEHOLD: "room",
}


@dataclass
class Rejected:
    row: int
    reason: str
    values: list[Any]

    @property
    def message(self) -> str:
        return gettext("第%(row)s行 %(reason)s") % {"row": self.row, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import found and (with ``commit``) did; ``as_dict`` is the --json document."""

    path: str
    committed: bool = False
    rows: int = 0
    valid: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rejects_path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "committed": self.committed,
            "rows": self.rows,
            "valid": self.valid,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "rejected": len(self.rejected),
            "rejected_rows": [{"row": r.row, "reason": r.reason} for r in self.rejected],
            "created": self.created,
            "warnings": self.warnings,
            "rejects_file": self.rejects_path,
        }


@dataclass
class Record:
    """One data row: its cells as read, then the checked values, then its household."""

    row: int
    values: list[Any]
    errors: list[str] = field(default_factory=list)
    name: str = ""
    id_type: str = IdType.RESIDENT_ID
    id_number: str = ""
    gender: str | None = None  # None: not given (and not derived)
    birth_date: dt.date | None = None
    phone: str | None = None  # None: the file has no phone column
    status: str | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    district: str = ""
    street: str = ""
    community: str = ""
    codes: dict[str, str] = field(default_factory=dict)
    grid: str = ""
    compound: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    household: Node | None = None


# --- pass 1: every cell on its own -------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


def natural_key(text: str) -> str:
    """A sort key where "2号楼" comes before "10号楼": every run of digits zero-padded."""
    return re.sub(r"\d+", lambda m: m.group().zfill(6), text)[:64]


def clean_name(raw: str) -> str:
    """A person's name: NFKC, spaces dropped between Chinese characters, kept between words."""
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    if all(not ch.isascii() for ch in text.replace(" ", "")):
        text = text.replace(" ", "")
    return text


def _id_detail(message: str) -> str:
    for prefix in ("身份证号中的", "身份证号的", "身份证号"):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _parse_date(text: str) -> dt.date:
    value = clean(text)
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


class _Row:
    """Access to one row's cells by canonical field, remembering the file's own header text."""

    def __init__(self, table: Table, record: Record) -> None:
        self.table = table
        self.record = record

    def has(self, name: str) -> bool:
        return name in self.table.columns

    def header(self, name: str) -> str:
        index = self.table.columns.get(name)
        if index is None:
            return HEADERS[name][0]
        return str(self.table.header[index]).strip() or HEADERS[name][0]

    def raw(self, name: str) -> str:
        index = self.table.columns.get(name)
        if index is None or index >= len(self.record.values):
            return ""
        return cell_text(self.record.values[index]).strip()

    def error(self, name: str, detail: str, raw: str | None = None) -> None:
        value = self.raw(name) if raw is None else raw
        if value:
            shown = value if len(value) <= 40 else value[:40] + "…"
            self.record.errors.append(
                gettext("%(column)s“%(value)s”:%(detail)s")
                % {"column": self.header(name), "value": shown, "detail": detail}
            )
        else:
            self.record.errors.append(
                gettext("%(column)s%(detail)s") % {"column": self.header(name), "detail": detail}
            )

    def number(self, name: str) -> str | None:
        """A code-like cell with Excel's number formatting undone; None (and an error) if lost."""
        try:
            return number_text(self.raw(name))
        except LostDigits:
            self.error(
                name, gettext("被Excel存成了科学计数法,数字已丢失;请把该列设为文本后重新填写")
            )
            return None


def check_cells(table: Table, record: Record, today: dt.date | None = None) -> None:
    """Fill ``record`` from its cells, appending a precise message for every bad cell."""
    row = _Row(table, record)

    record.name = clean_name(row.raw("name"))
    if not record.name:
        row.error("name", gettext("不能为空"))
    elif len(record.name) > 64:
        row.error("name", gettext("太长(最多64个字)"))

    id_type_raw = clean(row.raw("id_type"))
    if id_type_raw:
        if id_type_raw in ID_TYPES:
            record.id_type = ID_TYPES[id_type_raw]
        else:
            labels = pgettext("list separator", "、").join(chinese_labels(IdType).values())
            row.error(
                "id_type", gettext("不认识的证件类型,应为%(labels)s之一") % {"labels": labels}
            )

    number = row.number("id_number")
    if number is not None:
        number = number.lstrip("'")
        if record.id_type == IdType.RESIDENT_ID:
            try:
                parsed = id_numbers.parse(number, today=today)
            except id_numbers.IdNumberError as exc:
                row.error("id_number", _id_detail(str(exc)) if number else gettext("不能为空"))
            else:
                record.id_number = parsed.number
                record.gender = parsed.gender
                record.birth_date = parsed.birth_date
        else:
            value = id_numbers.normalise(number)
            if not value:
                row.error("id_number", gettext("不能为空"))
            elif len(value) > 32 or not re.fullmatch(r"[0-9A-Z-]+", value):
                row.error("id_number", gettext("证件号码只能由字母、数字和“-”组成,最多32位"))
            else:
                record.id_number = value
            if row.has("gender"):
                gender = clean(row.raw("gender")).upper()
                if gender in GENDERS:
                    record.gender = GENDERS[gender]
                else:
                    row.error("gender", gettext("应为“男”或“女”"))
            if row.has("birth_date") and row.raw("birth_date"):
                try:
                    record.birth_date = _parse_date(row.raw("birth_date"))
                except ValueError:
                    row.error("birth_date", gettext("日期格式不正确,应为如 1990-01-31"))

    if row.has("phone"):
        phone = row.number("phone")
        if phone is not None:
            try:
                record.phone = normalise_phone(phone)
            except PhoneError:
                row.error("phone", gettext("格式不正确:应为11位手机号(1开头)或带区号的固定电话"))

    if row.has("status"):
        status = clean(row.raw("status"))
        if not status:
            record.status = Status.PRESENT
        elif status in STATUSES:
            record.status = STATUSES[status]
        else:
            labels = pgettext("list separator", "、").join(chinese_labels(Status).values())
            row.error("status", gettext("不认识的状态,应为%(labels)s之一") % {"labels": labels})

    for flag in FLAGS:
        if not row.has(flag):
            continue
        word = clean(row.raw(flag)).upper()
        if word in YES:
            record.flags[flag] = True
        elif word in NO:
            record.flags[flag] = False
        else:
            row.error(flag, gettext("应填“是”或“否”(也可用√、1表示是,留空表示否)"))

    record.district = clean(row.raw("district"))
    record.street = clean(row.raw("street"))
    record.community = clean(row.raw("community"))
    record.grid = clean(row.raw("grid"))
    record.compound = clean(row.raw("compound"))
    record.building = normalise_building(row.raw("building"))
    record.unit = normalise_unit(row.raw("unit"))
    room = row.number("room")
    record.room = normalise_room(room) if room is not None else ""
    for name in ("street", "community"):
        if not getattr(record, name):
            row.error(name, gettext("不能为空"))
    if room is not None and not record.room:
        row.error("room", gettext("不能为空"))
    if record.unit and not record.building:
        row.error("unit", gettext("填写了单元,但没有填写楼栋"))

    if all(name in table.columns for name in ADMIN_LENGTHS):
        codes = {name: clean(row.number(name) or "") for name in ADMIN_LENGTHS}
        if any(codes.values()):
            for name, length in ADMIN_LENGTHS.items():
                if len(codes[name]) != length or not codes[name].isdigit():
                    row.error(name, gettext("应为%(length)s位数字") % {"length": length})
            if not record.district:
                row.error("district", gettext("不能为空(填写了区县代码时需要区县名称)"))
            record.codes = codes


def reject_duplicates(records: list[Record], table: Table) -> None:
    """Rows sharing an ID number are all rejected: which one is right is the office's call."""
    rows_by_id: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        if record.id_number:
            rows_by_id[(record.id_type, record.id_number)].append(record)
    for group in rows_by_id.values():
        if len(group) < 2:
            continue
        for record in group:
            others = [str(other.row) for other in group if other is not record]
            _Row(table, record).error(
                "id_number",
                ngettext("与第%(rows)s行身份证号重复", "与第%(rows)s行身份证号重复", len(others))
                % {"rows": pgettext("list separator", "、").join(others)},
            )


# --- pass 3: resolving rows to households --------------------------------------------------


def _parent_path(path: str) -> str | None:
    head, sep, _ = path.rpartition(PATH_SEPARATOR)
    return head if sep else None


NORMALISERS = {
    Kind.BUILDING: normalise_building,
    Kind.UNIT: normalise_unit,
    Kind.HOUSEHOLD: normalise_room,
}
CODE_PREFIX = {Kind.COMPOUND: "C", Kind.BUILDING: "B", Kind.UNIT: "U", Kind.HOUSEHOLD: "H"}


def local_code(kind: str, name: str, taken: set[str]) -> str:
    """A short code for a new node, derived from its name alone so re-imports agree.

    Numbered names keep their number ("7号楼" → B7, "2单元" → U2, "502" → H502, "A座" → BA);
    other names get a few characters of a hash. A code already used by a sibling with
    another name is lengthened, still deterministically.
    """
    prefix = CODE_PREFIX[kind]
    digest = _digest(name)
    stem = re.sub(r"(号楼|座|单元)$", "", name) if kind != Kind.COMPOUND else ""
    candidates = []
    if stem and stem.isascii() and stem.isalnum() and len(stem) <= 8:
        candidates.append(prefix + stem.upper())
    candidates += [prefix + digest[:n] for n in (5, 7, 9, 12)]
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    number = 2
    while f"{candidates[-1]}{number}" in taken:
        number += 1
    return f"{candidates[-1]}{number}"


class Plan:
    """The territory as loaded from the database plus the nodes and grids this import adds."""

    def __init__(self) -> None:
        self.by_path: dict[str, Node] = {}
        self.children: dict[tuple[str | None, str], Node] = {}
        self.codes: dict[str | None, set[str]] = defaultdict(set)
        self.streets: dict[str, list[Node]] = defaultdict(list)
        self.loaded: set[str] = set()
        self.new_nodes: list[Node] = []
        self.grids: dict[tuple[str, str], Grid] = {}
        self.grids_by_id: dict[int, Grid] = {}
        self.grid_codes: set[str] = set()
        self.new_grids: list[Grid] = []
        self.node_grid: dict[str, Grid | None] = {}
        self.assign: dict[str, tuple[Node, Grid]] = {}

        for node in Node.objects.filter(
            kind__in=[Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY]
        ).order_by("path"):
            self._register(node)
        for grid in Grid.objects.all():
            self.grids[(grid.path, clean(grid.name))] = grid
            self.grids_by_id[grid.pk] = grid
            self.grid_codes.add(grid.code)

    def _register(self, node: Node) -> None:
        parent = _parent_path(node.path)
        normalise = NORMALISERS.get(node.kind, clean)
        self.by_path[node.path] = node
        self.children.setdefault((parent, normalise(node.name)), node)
        self.codes[parent].add(node.code)
        if node.kind == Kind.STREET:
            self.streets[clean(node.name)].append(node)

    def load_community(self, community: Node) -> None:
        """Everything already beneath a community, once, the first time a row reaches it."""
        if community.path in self.loaded:
            return
        self.loaded.add(community.path)
        if community.pk is None:
            return
        for node in under(Node.objects.all(), community, include_self=False).order_by("path"):
            self._register(node)

    def grid_of(self, node: Node) -> Grid | None:
        if node.path in self.node_grid:
            return self.node_grid[node.path]
        return self.grids_by_id.get(node.grid_id) if node.grid_id else None


@dataclass
class _NewNode:
    kind: str
    name: str
    code: str | None = None


class Resolver:
    """Finds (or plans) the household of each row; a row is planned only if it is valid."""

    def __init__(self, plan: Plan, table: Table) -> None:
        self.plan = plan
        self.table = table

    def resolve(self, record: Record) -> None:
        row = _Row(self.table, record)
        plan = self.plan
        try:
            anchor, pending = self._admin(record, row)
        except _RowFailed:
            return
        community = None if pending else anchor
        chain: list[_NewNode] = []
        if record.compound:
            chain.append(_NewNode(Kind.COMPOUND, record.compound))
        if record.building:
            chain.append(_NewNode(Kind.BUILDING, record.building))
        if record.unit:
            chain.append(_NewNode(Kind.UNIT, record.unit))
        chain.append(_NewNode(Kind.HOUSEHOLD, record.room))

        # Walk down through what exists; the rest of the chain is new.
        parent = anchor
        found: list[Node] = []
        if community is not None:
            plan.load_community(community)
            for step in chain:
                node = plan.children.get((parent.path, step.name))
                if node is None:
                    break
                if node.kind != step.kind:
                    row.error(
                        STEP_COLUMNS[step.kind],
                        gettext("%(parent)s下已有同名的%(kind)s,不能再作为%(new_kind)s")
                        % {
                            "parent": parent.name,
                            "kind": node.get_kind_display(),
                            "new_kind": Kind(step.kind).label,
                        },
                    )
                    return
                found.append(node)
                parent = node
            chain = chain[len(found) :]

        # The grid unit is the building, or the household where there is no building. One
        # already in another grid is not moved by an import: that is a decision for a person.
        community_path = (
            community.path
            if community is not None
            else PATH_SEPARATOR.join(record.codes[name] for name in ADMIN_LENGTHS)
        )
        unit_kind = Kind.BUILDING if record.building else Kind.HOUSEHOLD
        unit_node = next((n for n in found if n.kind == unit_kind), None)
        current = plan.grid_of(unit_node) if unit_node is not None else None
        grid = plan.grids.get((community_path, record.grid)) if record.grid else None
        if record.grid and current is not None and current is not grid:
            if unit_kind == Kind.BUILDING:
                message = gettext("楼栋“%(name)s”已属于“%(grid)s”,与本行的网格不符")
            else:
                message = gettext("户“%(name)s”已属于“%(grid)s”,与本行的网格不符")
            row.error(
                "grid", message % {"name": unit_node.name, "grid": current.name}, raw=record.grid
            )
            return

        # Build every new node first; nothing is registered unless all of them could be.
        try:
            built, new_grid = self._build(record, parent, pending + chain, grid or current)
        except TerritoryError as exc:
            record.errors.append(str(exc))
            return
        if new_grid is not None:
            plan.new_grids.append(new_grid)
            plan.grids[(community_path, record.grid)] = new_grid
            plan.grid_codes.add(new_grid.code)
        for node in built:
            plan._register(node)
            plan.new_nodes.append(node)
            if node.kind == Kind.COMMUNITY:
                plan.loaded.add(node.path)
            if node.kind in (Kind.BUILDING, Kind.UNIT, Kind.HOUSEHOLD):
                plan.node_grid[node.path] = node.grid
        if record.grid and unit_node is not None and current is None:
            chosen = grid or new_grid
            plan.node_grid[unit_node.path] = chosen
            plan.assign[unit_node.path] = (unit_node, chosen)
        record.household = built[-1] if built else found[-1]

    def _admin(self, record: Record, row: _Row) -> tuple[Node | None, list[_NewNode]]:
        """The record's community, or the district/street/community nodes to create."""
        plan = self.plan
        if record.codes:
            return self._admin_by_code(record, row)
        district = None
        if record.district:
            district = plan.children.get((None, record.district))
            if district is None or district.kind != Kind.DISTRICT:
                row.error("district", gettext("辖区中没有这个区县"))
                raise _RowFailed
        if district is not None:
            street = plan.children.get((district.path, record.street))
            streets = [street] if street is not None and street.kind == Kind.STREET else []
        else:
            streets = plan.streets.get(record.street, [])
        if not streets:
            if district:
                message = gettext("%(district)s下没有这个街道(乡镇)") % {"district": district.name}
            else:
                message = gettext("辖区中没有这个街道(乡镇)")
            row.error("street", message)
            raise _RowFailed
        if len(streets) > 1:
            names = pgettext("list separator", "、").join(
                plan.by_path[_parent_path(s.path)].name for s in streets
            )
            row.error(
                "street", gettext("在多个区县都有(%(names)s),请填写区县列") % {"names": names}
            )
            raise _RowFailed
        street = streets[0]
        community = plan.children.get((street.path, record.community))
        if community is None or community.kind != Kind.COMMUNITY:
            row.error(
                "community", gettext("%(street)s下没有这个社区(村)") % {"street": street.name}
            )
            raise _RowFailed
        return community, []

    def _admin_by_code(self, record: Record, row: _Row) -> tuple[Node | None, list[_NewNode]]:
        """With the export's code columns, missing districts, streets and communities are made."""
        plan = self.plan
        codes = record.codes
        levels = [
            ("district", Kind.DISTRICT, codes["district_code"], record.district),
            ("street", Kind.STREET, codes["street_code"], record.street),
            ("community", Kind.COMMUNITY, codes["community_code"], record.community),
        ]
        path_parts: list[str] = []
        parent: Node | None = None
        pending: list[_NewNode] = []
        for column, kind, code, name in levels:
            path_parts.append(code)
            path = PATH_SEPARATOR.join(path_parts)
            node = plan.by_path.get(path)
            parent_path = PATH_SEPARATOR.join(path_parts[:-1]) or None
            if node is not None:
                if clean(node.name) != name:
                    row.error(
                        column,
                        gettext("代码%(code)s在辖区中是“%(name)s”,与表中名称不符")
                        % {"code": code, "name": node.name},
                        raw=name,
                    )
                    raise _RowFailed
                parent = node
                continue
            try:
                check_code(kind, code, parent)
            except TerritoryError as exc:
                row.error(f"{column}_code", str(exc), raw=code)
                raise _RowFailed from None
            if pending and pending[-1].code and not code.startswith(pending[-1].code):
                row.error(
                    f"{column}_code",
                    gettext("不在上级代码%(parent)s之下") % {"parent": pending[-1].code},
                    raw=code,
                )
                raise _RowFailed
            sibling = plan.children.get((parent_path, name)) if not pending else None
            if sibling is not None:
                row.error(
                    column,
                    gettext("上级下已有同名节点,代码是%(existing)s而不是%(code)s")
                    % {"existing": sibling.code, "code": code},
                    raw=name,
                )
                raise _RowFailed
            pending.append(_NewNode(kind, name, code))
        return parent, pending

    def _build(
        self, record: Record, parent: Node | None, steps: list[_NewNode], grid: Grid | None
    ) -> tuple[list[Node], Grid | None]:
        """Unsaved nodes for ``steps`` below ``parent``, and the row's grid if it is new."""
        plan = self.plan
        built: list[Node] = []
        new_grid = None

        def community() -> Node:
            # Paths start with district.street.community; a community made by this row is
            # not in the plan yet.
            for node in built:
                if node.kind == Kind.COMMUNITY:
                    return node
            return plan.by_path[PATH_SEPARATOR.join(parent.path.split(PATH_SEPARATOR)[:3])]

        for step in steps:
            if step.kind in (Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY):
                parent = build_node(step.kind, step.name, step.code, parent)
                built.append(parent)
                continue
            if record.grid and grid is None and new_grid is None:
                new_grid = self._new_grid(community(), record.grid)
            fields: dict[str, Any] = {"sort_key": natural_key(step.name)}
            if step.kind != Kind.COMPOUND:
                fields["grid"] = grid or new_grid
            if step.kind == Kind.HOUSEHOLD and parent.kind in (Kind.BUILDING, Kind.UNIT):
                fields["floor"] = room_floor(step.name)
            code = local_code(step.kind, step.name, plan.codes[parent.path])
            parent = build_node(step.kind, step.name, code, parent, **fields)
            built.append(parent)
        if record.grid and grid is None and new_grid is None:
            new_grid = self._new_grid(community(), record.grid)
        return built, new_grid

    def _new_grid(self, community: Node, name: str) -> Grid:
        taken = self.plan.grid_codes
        number = 1
        while f"{community.code}G{number:02d}" in taken:
            number += 1
        return Grid(
            community=community,
            code=f"{community.code}G{number:02d}",
            name=name,
            path=community.path,
            district_code=community.district_code,
        )


class _RowFailed(Exception):
    pass


# --- the import ------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _changes(resident: Resident, record: Record) -> list[str]:
    """The fields of ``resident`` that ``record`` changes (columns absent from the file keep)."""
    changed = []
    if resident.name != record.name:
        changed.append("name")
    if record.phone is not None and resident.phone != record.phone:
        changed.append("phone")
    if record.status is not None and resident.status != record.status:
        changed.append("status")
    for flag, value in record.flags.items():
        if getattr(resident, flag) != value:
            changed.append(flag)
    if record.id_type != IdType.RESIDENT_ID:
        if record.gender is not None and resident.gender != record.gender:
            changed.append("gender")
        if record.birth_date is not None and resident.birth_date != record.birth_date:
            changed.append("birth_date")
    return changed


def import_residents(
    path: str | Path,
    *,
    commit: bool = False,
    rejects_path: str | Path | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    """Check every row of ``path``; with ``commit``, write the valid ones in one transaction."""
    table = read_table(path)
    report = ImportReport(path=str(path), warnings=list(table.warnings))
    records = [Record(row=number, values=values) for number, values in table.rows]
    report.rows = len(records)

    for record in records:
        check_cells(table, record, today=today)
    reject_duplicates(records, table)
    plan = Plan()
    resolver = Resolver(plan, table)
    for record in records:
        if not record.errors:
            resolver.resolve(record)

    valid = [r for r in records if not r.errors]
    report.rejected = [Rejected(r.row, ";".join(r.errors), r.values) for r in records if r.errors]
    existing = _existing_residents(valid)
    new: list[Record] = []
    updates: list[tuple[Resident, Record, list[str]]] = []
    for record in valid:
        resident = existing.get((record.id_type, record.id_number))
        if resident is None:
            new.append(record)
            continue
        changed = _changes(resident, record)
        household = record.household
        if household.pk is None or resident.household_id != household.pk:
            changed.append("household")
        if changed:
            updates.append((resident, record, changed))
        else:
            report.unchanged += 1
    report.valid = len(valid)
    report.new = len(new)
    report.updated = len(updates)
    report.moved = sum(1 for _, _, changed in updates if "household" in changed)
    created: dict[str, int] = defaultdict(int)
    for node in plan.new_nodes:
        created[str(Kind(node.kind).label)] += 1
    if plan.new_grids:
        created[gettext("网格")] = len(plan.new_grids)
    report.created = dict(created)

    if commit:
        _write(plan, new, updates, today=timezone.localdate())
        report.committed = True
        if report.rejected:
            target = Path(rejects_path) if rejects_path else default_rejects_path(table.path)
            write_rejects(table, report.rejected, target)
            report.rejects_path = str(target)
    return report


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects{path.suffix}")


def write_rejects(table: Table, rejected: list[Rejected], target: Path) -> None:
    """The rejected rows, as they were, plus 错误原因 and 原行号: fix them and import this file."""
    width = len(table.header)
    header = [*table.header, "错误原因", "原行号"]
    rows = (
        [*(list(r.values[:width]) + [None] * (width - len(r.values))), r.reason, r.row]
        for r in rejected
    )
    write_table(
        target,
        header,
        rows,
        encoding=table.encoding or "utf-8-sig",
        delimiter=table.delimiter,
    )


def _existing_residents(records: list[Record]) -> dict[tuple[str, str], Resident]:
    """The residents the file names, fetched by ID number in chunks (one query per chunk)."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for record in records:
        by_type[record.id_type].add(record.id_number)
    found: dict[tuple[str, str], Resident] = {}
    for id_type, numbers in by_type.items():
        # Filtering on both columns lets the (id_type, id_number) unique index answer.
        for chunk in _chunks(sorted(numbers), CHUNK):
            for resident in Resident.objects.filter(id_type=id_type, id_number__in=chunk):
                found[(resident.id_type, resident.id_number)] = resident
    return found


def _fill(resident: Resident, record: Record) -> None:
    resident.name = record.name
    if record.phone is not None:
        resident.phone = record.phone
    if record.status is not None:
        resident.status = record.status
    for flag, value in record.flags.items():
        setattr(resident, flag, value)
    if record.gender is not None:
        resident.gender = record.gender
    if record.birth_date is not None:
        resident.birth_date = record.birth_date


def _write(
    plan: Plan,
    new: list[Record],
    updates: list[tuple[Resident, Record, list[str]]],
    today: dt.date,
) -> None:
    """Write the plan in one transaction: nodes, grids, residents, their residence history."""
    with transaction.atomic():
        by_depth: dict[int, list[Node]] = defaultdict(list)
        for node in plan.new_nodes:
            by_depth[node.depth].append(node)
        # Districts, streets and communities first: new grids belong to a community, and
        # the nodes below point at their grid.
        for depth in sorted(d for d in by_depth if d <= 2):
            bulk.insert_nodes(by_depth[depth])
        Grid.objects.bulk_create(plan.new_grids, batch_size=BATCH)
        for depth in sorted(d for d in by_depth if d > 2):
            bulk.insert_nodes(by_depth[depth])

        residents = []
        for record in new:
            resident = Resident(id_type=record.id_type, id_number=record.id_number)
            _fill(resident, record)
            place(resident, record.household)
            residents.append(resident)
        bulk.insert_residents(residents, moved_in=today)

        now = timezone.now()
        fields: set[str] = {"updated_at"}
        moved: list[Resident] = []
        changed_residents = []
        for resident, record, changed in updates:
            _fill(resident, record)
            if "household" in changed:
                place(resident, record.household)
                moved.append(resident)
                fields |= {"household", "path", "grid", "district_code"}
            fields |= {name for name in changed if name != "household"}
            resident.updated_at = now
            changed_residents.append(resident)
        if changed_residents:
            Resident.objects.bulk_update(changed_residents, sorted(fields), batch_size=500)
        # A move closes the current stay and opens the next, as services.move does one by one.
        for chunk in _chunks([r.pk for r in moved], CHUNK):
            Residence.objects.filter(resident_id__in=chunk, moved_out__isnull=True).update(
                moved_out=today
            )
        bulk.insert_stays(moved, today)

        # Existing buildings (or village households) that had no grid join the row's grid,
        # with everything beneath them, residents included.
        by_grid: dict[int, tuple[Grid, list[Node]]] = {}
        for node, grid in plan.assign.values():
            by_grid.setdefault(id(grid), (grid, []))[1].append(node)
        for grid, nodes in by_grid.values():
            assign_to_grid(grid, nodes)
