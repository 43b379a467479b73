"""Importing the tracing team's list of contacts (Excel or CSV) into control.

The tracing team (流调组) sends a spreadsheet of contacts: name, ID number, phone, often
a category column and the date of judgement, with a title row above the header. Each
row is matched to the registry by ID number (or, when the ID is missing, by name and
phone together, only if exactly one resident matches). The run is all or nothing:

* a row that cannot be read (bad ID number, unknown category, a date that does not
  exist, an ID number Excel turned into 1.4E+17) is an **error**, reported with its row
  number and column; any error means nothing is written;
* a row that reads fine but matches nobody in the registry is **unmatched**: reported,
  not written (the office registers the person or passes the row to their city);
* a person already under control, or already taken from this same file, is **skipped**,
  so importing the same file twice changes nothing (idempotent).

Reading reuses the residents' spreadsheet helpers (``people.spreadsheets``): the same
encodings, header variants and Excel number repair offices already rely on.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from wuyi.control.chain import ChainError, identify
from wuyi.control.models import ACTIVE_STATES, Category, RiskPerson, Source
from wuyi.people import id_numbers
from wuyi.people.models import IdType, Resident
from wuyi.people.phones import PhoneError, normalise_phone
from wuyi.people.spreadsheets import (
    LostDigits,
    SpreadsheetError,
    cell_text,
    detect_encoding,
    normalise_header,
    number_text,
)

HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "人员姓名", "密接姓名", "接触者姓名"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证", "证件号"),
    "phone": ("手机号", "手机号码", "联系电话", "电话", "联系方式", "手机"),
    "category": ("人员类别", "类别", "人员类型", "判定类别", "类型"),
    "judged_on": ("判定日期", "判定时间", "接触日期", "末次接触日期", "日期"),
    "note": ("备注", "说明"),
}
_VARIANTS = {normalise_header(v): f for f, variants in HEADERS.items() for v in variants}
# The tracing teams' short words for a category; each category's own (Chinese) label is
# accepted too (see ``category_words``).
CATEGORY_ALIASES = {
    "密接": Category.CLOSE_CONTACT,
    "次密接": Category.SECONDARY_CONTACT,
    "密切接触": Category.CLOSE_CONTACT,
    "次密切接触": Category.SECONDARY_CONTACT,
    "外溢人员": Category.LEFT_HIGH_RISK_AREA,
    "入境": Category.INBOUND_TRAVELLER,
}
HEADER_SCAN_ROWS = 10
MAX_ROWS = 200_000


def category_words() -> dict[str, str]:
    """The words a file's category column may carry: every category's label as written in
    the models (Chinese, whatever language the reader chose), then the aliases."""
    with translation.override(None):
        labels = {str(c.label): c.value for c in Category}
    return {**labels, **CATEGORY_ALIASES}


@dataclass
class RowProblem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        if self.column:
            return gettext("第%(row)s行“%(column)s”:%(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return gettext("第%(row)s行:%(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ContactRow:
    row: int
    name: str
    id_number: str
    phone: str
    category: str
    judged_on: dt.date | None
    note: str
    resident: Resident | None = None


@dataclass
class ContactReport:
    file: str
    digest: str
    committed: bool = False
    rows: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    unmatched: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    created: int = 0
    would_create: int = 0

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "digest": self.digest,
            "committed": self.committed,
            "rows": self.rows,
            "created": self.created,
            "would_create": self.would_create,
            "errors": [p.as_dict() for p in self.errors],
            "unmatched": [p.as_dict() for p in self.unmatched],
            "skipped": [p.as_dict() for p in self.skipped],
        }


def _read_rows(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
            raise SpreadsheetError(
                gettext("无法读取Excel文件%(file)s:%(error)s") % {"file": path.name, "error": exc}
            ) from exc
        try:
            rows = []
            for row in book.worksheets[0].iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                    raise SpreadsheetError(
                        gettext("文件超过%(rows)s行,请分批导入") % {"rows": MAX_ROWS}
                    )
            return rows
        finally:
            book.close()
    if suffix == ".csv":
        data = path.read_bytes()
        text = data.decode(detect_encoding(data))
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",\t;").delimiter
        except csv.Error:
            delimiter = ","
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    raise SpreadsheetError(
        gettext("不支持的文件类型“%(suffix)s”:请另存为 .xlsx 或 .csv 后导入")
        % {"suffix": path.suffix}
    )


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            name = _VARIANTS.get(normalise_header(cell))
            if name and name not in columns:
                columns[name] = col
        if "name" in columns and ("id_number" in columns or "phone" in columns):
            return index, columns
    raise SpreadsheetError(
        gettext("前%(rows)s行中找不到表头:表头行至少要有“姓名”和“身份证号”(或“手机号”)")
        % {"rows": HEADER_SCAN_ROWS}
    )


def _date(text: str) -> dt.date:
    value = text.strip().replace("/", "-").replace(".", "-")
    for suffix in ("日",):
        value = value.replace(suffix, "")
    value = value.replace("年", "-").replace("月", "-")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        parts = value.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                pass
        raise ValueError(
            gettext("日期“%(text)s”无法识别或不存在,应为 2022-12-03 这样的格式") % {"text": text}
        ) from None


def read_contacts(
    path: str | Path, default_category: str | None, report: ContactReport
) -> list[ContactRow]:
    """Parse every row, collecting row-level errors in ``report`` (no database writes)."""
    path = Path(path)
    if not path.exists():
        raise SpreadsheetError(gettext("文件不存在:%(path)s") % {"path": path})
    rows = _read_rows(path)
    words = category_words()
    start, columns = _header(rows)
    header = rows[start]
    labels = {f: str(header[i]).strip() for f, i in columns.items()}
    parsed: list[ContactRow] = []
    for offset, raw in enumerate(rows[start + 1 :], start=start + 2):
        cells = {f: cell_text(raw[i] if i < len(raw) else None).strip() for f, i in columns.items()}
        if not any(cells.values()):
            continue
        report.rows += 1
        problems: list[RowProblem] = []

        def bad(field_name: str, message: str, row: int = offset, problems=problems) -> None:
            problems.append(RowProblem(row, labels.get(field_name, ""), message))

        name = cells.get("name", "")
        if not name:
            bad("name", gettext("姓名为空"))
        id_number = ""
        if cells.get("id_number"):
            try:
                id_number = id_numbers.parse(number_text(cells["id_number"])).number
            except LostDigits:
                bad(
                    "id_number",
                    gettext("身份证号被Excel存成了科学计数法,后几位已丢失;请把该列设为文本后重填"),
                )
            except id_numbers.IdNumberError as exc:
                bad("id_number", str(exc))
        phone = ""
        if cells.get("phone"):
            try:
                phone = normalise_phone(number_text(cells["phone"]))
            except (PhoneError, LostDigits) as exc:
                bad("phone", str(exc) or gettext("手机号无法识别"))
        if not id_number and not phone and not problems:
            bad("id_number", gettext("身份证号和手机号都为空,无法与居民名册匹配"))
        category = default_category or ""
        if cells.get("category"):
            word = cells["category"].replace(" ", "")
            category = words.get(word, "")
            if not category:
                # The file must carry the Chinese words, so they are listed as they are.
                accepted = "、".join(w for w, c in words.items() if w not in CATEGORY_ALIASES)
                bad(
                    "category",
                    gettext("未知的人员类别“%(value)s”;可填:%(accepted)s")
                    % {"value": cells["category"], "accepted": accepted},
                )
        elif not category:
            bad("category", gettext("人员类别为空,且导入时未指定默认类别"))
        judged_on = None
        if cells.get("judged_on"):
            try:
                judged_on = _date(cells["judged_on"])
            except ValueError as exc:
                bad("judged_on", str(exc))
        if problems:
            report.errors.extend(problems)
            continue
        parsed.append(
            ContactRow(offset, name, id_number, phone, category, judged_on, cells.get("note", ""))
        )
    return parsed


def _match(rows: list[ContactRow], report: ContactReport) -> list[ContactRow]:
    by_id = {
        r.id_number: r
        for r in Resident.objects.filter(
            id_type=IdType.RESIDENT_ID, id_number__in=[c.id_number for c in rows if c.id_number]
        )
    }
    matched = []
    for row in rows:
        if row.id_number:
            row.resident = by_id.get(row.id_number)
            if row.resident is not None and row.resident.name != row.name:
                report.errors.append(
                    RowProblem(
                        row.row,
                        "姓名",
                        gettext("姓名“%(name)s”与名册中该身份证号的姓名“%(registered)s”不一致")
                        % {"name": row.name, "registered": row.resident.name},
                    )
                )
                continue
        else:
            candidates = list(Resident.objects.filter(name=row.name, phone=row.phone)[:2])
            row.resident = candidates[0] if len(candidates) == 1 else None
            if len(candidates) > 1:
                report.unmatched.append(
                    RowProblem(
                        row.row,
                        "",
                        gettext("%(name)s:同名同手机号的居民不止一人,请补充身份证号")
                        % {"name": row.name},
                    )
                )
                continue
        if row.resident is None:
            message = gettext("%(name)s:居民名册中没有此人") % {"name": row.name}
            report.unmatched.append(RowProblem(row.row, "", message))
            continue
        matched.append(row)
    return matched


def import_contacts(
    path: str | Path,
    *,
    category: str | None = Category.CLOSE_CONTACT,
    commit: bool = False,
    user=None,
    at: dt.datetime | None = None,
) -> ContactReport:
    """Check (and with ``commit`` write, all or nothing) the contacts in ``path``."""
    path = Path(path)
    if category is not None and category not in Category.values:
        raise SpreadsheetError(
            gettext("未知的默认人员类别 %(category)s") % {"category": repr(category)}
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else ""
    report = ContactReport(file=path.name, digest=digest)
    rows = read_contacts(path, category, report)
    matched = _match(rows, report)
    ref = f"{path.name[:60]}#{digest}"
    seen: set[int] = set()
    todo: list[ContactRow] = []
    for row in matched:
        resident = row.resident
        assert resident is not None
        if resident.pk in seen:
            message = gettext("%(name)s:与前面的行重复") % {"name": row.name}
            report.skipped.append(RowProblem(row.row, "", message))
            continue
        seen.add(resident.pk)
        if RiskPerson.objects.filter(resident=resident, source_ref=ref).exists():
            message = gettext("%(name)s:已由本文件导入过") % {"name": row.name}
            report.skipped.append(RowProblem(row.row, "", message))
            continue
        current = RiskPerson.objects.filter(resident=resident, state__in=ACTIVE_STATES).first()
        if current is not None:
            message = gettext("%(name)s:已在管控中(%(category)s)") % {
                "name": row.name,
                "category": current.get_category_display(),
            }
            report.skipped.append(RowProblem(row.row, "", message))
            continue
        todo.append(row)
    report.would_create = len(todo)
    if not commit or report.errors:
        return report
    now = at or timezone.now()
    with transaction.atomic():
        for row in todo:
            when = now
            if row.judged_on is not None:
                # The judgement date decides the policy version; keep the time of day.
                local_now = timezone.localtime(now)
                when = local_now.replace(
                    year=row.judged_on.year, month=row.judged_on.month, day=row.judged_on.day
                )
            try:
                identify(
                    row.resident,
                    row.category,
                    at=when,
                    source=Source.CONTACT_LIST,
                    source_ref=ref,
                    user=user,
                    note=row.note or f"流调名单第{row.row}行",
                )
            except ChainError as exc:
                report.errors.append(RowProblem(row.row, "", str(exc)))
        if report.errors:
            # One bad row means nothing is written: roll the whole file back.
            transaction.set_rollback(True)
            return report
        report.created = len(todo)
        report.committed = True
    return report
