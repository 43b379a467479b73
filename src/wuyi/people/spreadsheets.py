"""Reading and writing the residents' spreadsheets offices already keep.

Offices hand over .xlsx files with a title row or two above the header, headers in any
order and under a dozen names, and .csv files saved by Excel in GBK or UTF-8 (with or
without a BOM). This module turns any of them into rows of text keyed by a canonical
field name, and writes rows back in the format they came in (for the rejects file).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext, pgettext

from wuyi.people.models import FLAGS

# Canonical field → (the header export writes, the variants offices use).
# Variants are compared after ``normalise_header`` (NFKC, no spaces, no "*" marks).
HEADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("姓名", ("姓名", "居民姓名", "人员姓名")),
    "id_type": ("证件类型", ("证件类型", "证件种类")),
    "id_number": (
        "身份证号",
        ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证", "证件号"),
    ),
    "gender": ("性别", ("性别",)),
    "birth_date": ("出生日期", ("出生日期", "出生年月日")),
    "phone": (
        "手机号",
        ("手机号", "手机号码", "联系电话", "电话", "联系方式", "手机", "电话号码"),
    ),
    "district_code": ("区县代码", ("区县代码", "区代码")),
    "district": ("区", ("区", "区县", "县区", "区(县)", "所属区县")),
    "street_code": ("街道代码", ("街道代码", "乡镇代码")),
    "street": ("街道", ("街道", "街道(乡镇)", "乡镇", "街乡", "街道/乡镇", "乡镇(街道)")),
    "community_code": ("社区代码", ("社区代码", "村居代码")),
    "community": ("社区", ("社区", "社区(村)", "村", "村居", "社区/村", "村(社区)")),
    "grid": ("网格", ("网格", "网格名称")),
    "compound": ("小区", ("小区", "小区名称", "院落")),
    "building": ("楼栋", ("楼栋", "楼号", "楼栋号")),
    "unit": ("单元", ("单元", "单元号")),
    "room": ("门牌号", ("门牌号", "房号", "户号", "门牌")),
    "status": ("状态", ("状态", "人员状态", "居住状态")),
    **{flag: (label, (label,)) for flag, label in FLAGS.items()},
}
REQUIRED = ("name", "id_number", "street", "community", "room")
# How many rows at the top may be titles, notes or blank before the header row.
HEADER_SCAN_ROWS = 10


class SpreadsheetError(ValueError):
    """A file that cannot be read as a residents' table at all (not a row-level problem)."""


def normalise_header(text: Any) -> str:
    """Full-width → half-width, no whitespace, no required-marks (*, ※) or trailing colon."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = "".join(value.split()).strip("*※:")
    return value


_VARIANTS: dict[str, str] = {}
for _field, (_export, _variants) in HEADERS.items():
    for _variant in _variants:
        _VARIANTS[normalise_header(_variant)] = _field


def header_field(text: Any) -> str | None:
    """The canonical field a header cell names, or None for a column wuyi does not read.

    A trailing note in brackets ("身份证号(必填)") is ignored when the header is not itself a
    known variant with brackets ("社区(村)").
    """
    key = normalise_header(text)
    if not key:
        return None
    if key in _VARIANTS:
        return _VARIANTS[key]
    stripped = re.sub(r"\([^()]*\)$", "", key)
    return _VARIANTS.get(stripped)


def match_headers(cells: Sequence[Any]) -> tuple[dict[str, int], list[str]]:
    """Map canonical fields to column indexes; the first column wins, repeats are warned about."""
    columns: dict[str, int] = {}
    warnings: list[str] = []
    for index, cell in enumerate(cells):
        name = header_field(cell)
        if name is None:
            continue
        if name in columns:
            first = str(cells[columns[name]]).strip()
            warnings.append(
                gettext(
                    "表头“%(header)s”与“%(first)s”表示同一项(%(field)s),只读取第一列“%(first)s”"
                )
                % {"header": str(cell).strip(), "first": first, "field": HEADERS[name][0]}
            )
            continue
        columns[name] = index
    return columns, warnings


SCIENTIFIC = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$")


class LostDigits(ValueError):
    """A number Excel rounded (scientific notation, or a float past 15 digits)."""


def number_text(text: str) -> str:
    """Undo Excel's number formats in a code-like cell: "1.3812345678E+10" → "13812345678".

    A value in scientific notation is only trusted when every digit of the integer is
    written out; "1.40105E+17" for an ID number has lost its last 12 digits, and saying so
    is better than importing a wrong number.
    """
    value = text.strip()
    if value.endswith(".0") and value[:-2].isdigit():
        return value[:-2]
    match = SCIENTIFIC.match(value)
    if not match or not (match.group(2) or match.group(3)):
        return value
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if number != number.to_integral_value() or number < 0:
        raise LostDigits(value)
    integer = str(int(number))
    written = (match.group(2) + (match.group(3) or "")).lstrip("0")
    if len(written) < len(integer):
        raise LostDigits(value)
    return integer


def cell_text(value: Any) -> str:
    """A cell as text: integral floats without ".0", dates as ISO, large floats in E-notation.

    Floats past 15 significant digits come back in E-notation so that ``number_text`` can
    say the digits are lost (an 18-digit ID number Excel stored as a number).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class Table:
    """A residents' table as read: its header row and its data rows with their row numbers."""

    path: Path
    format: str  # "xlsx" or "csv"
    encoding: str | None  # for csv: the encoding it was read in (and rejects are written in)
    delimiter: str
    header_row: int  # 1-based, as the spreadsheet shows it
    header: list[Any]
    columns: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def detect_encoding(data: bytes) -> str:
    """UTF-8 with BOM, UTF-8, or GB18030 (the superset of GBK that Excel writes in China)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise SpreadsheetError(gettext("无法识别文件编码:既不是UTF-8也不是GBK/GB18030")) from None


def _csv_rows(path: Path) -> tuple[Iterator[list[str]], str, str]:
    data = path.read_bytes()
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), encoding, delimiter


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise SpreadsheetError(
            gettext("无法读取Excel文件%(file)s:%(error)s") % {"file": path.name, "error": exc}
        ) from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def read_table(path: str | Path) -> Table:
    """Read ``path`` (.xlsx or .csv), find its header row and return every non-empty data row."""
    path = Path(path)
    if not path.exists():
        raise SpreadsheetError(gettext("文件不存在:%(path)s") % {"path": path})
    suffix = path.suffix.lower()
    encoding: str | None = None
    delimiter = ","
    if suffix == ".xlsx":
        fmt = "xlsx"
        rows: Iterator[list[Any]] = _xlsx_rows(path)
    elif suffix == ".csv":
        fmt = "csv"
        rows, encoding, delimiter = _csv_rows(path)
    else:
        raise SpreadsheetError(
            gettext("不支持的文件类型“%(suffix)s”:请另存为 .xlsx 或 .csv 后导入")
            % {"suffix": path.suffix}
        )

    table: Table | None = None
    for number, row in enumerate(rows, start=1):
        if table is None:
            columns, warnings = match_headers(row)
            if "name" in columns and "id_number" in columns:
                table = Table(path, fmt, encoding, delimiter, number, list(row), columns, warnings)
                missing = [HEADERS[f][0] for f in REQUIRED if f not in columns]
                if missing:
                    raise SpreadsheetError(
                        gettext("第%(row)s行表头缺少必需的列:%(columns)s")
                        % {"row": number, "columns": pgettext("list separator", "、").join(missing)}
                    )
            elif number >= HEADER_SCAN_ROWS:
                break
            continue
        if any(cell_text(cell).strip() for cell in row):
            # Short rows (a csv line with fewer commas) are padded so every column exists.
            if len(row) < len(table.header):
                row = [*row, *([None] * (len(table.header) - len(row)))]
            table.rows.append((number, row))
    if table is None:
        raise SpreadsheetError(
            gettext("前%(rows)s行中找不到表头:表头行至少要有“姓名”和“身份证号”两列")
            % {"rows": HEADER_SCAN_ROWS}
        )
    return table


def write_table(
    path: str | Path,
    header: Sequence[Any],
    rows: Iterator[Sequence[Any]] | Sequence[Sequence[Any]],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
) -> None:
    """Stream ``rows`` under ``header`` to .xlsx (write-only) or .csv, by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("居民")
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        book.save(path)
    elif suffix == ".csv":
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if cell is None else cell for cell in row])
    else:
        raise SpreadsheetError(
            gettext("不支持的文件类型“%(suffix)s”:请使用 .xlsx 或 .csv") % {"suffix": path.suffix}
        )
