"""Reading the result files labs' instruments export: pure parsing, no database.

Two layouts are understood, told apart by their header row:

``wuyi`` — wuyi's own format (CSV in UTF-8 or GBK, or .xlsx), one row per tube::

    试管条码,检测结果,ORF1ab Ct,N Ct,E Ct,检测时间,实验室
    T0000001,阴性,,,,2022-04-05 13:20:00,LAB01
    T0000002,阳性,28.4,30.1,,2022-04-05 13:20:00,LAB01

``检测结果`` is 阴性 / 阳性 / 无效 (also 阴 / 阳 / 需重采 / 重采). ``E Ct`` and ``实验室``
may be left out; a Ct cell is empty, ``-`` or ``Undetermined`` when the target did not
amplify. ``实验室`` is the lab's code; a row naming another lab is refused.

``instrument`` — the plate export of common real-time PCR software (English headers, one
row per well)::

    Well,Sample ID,Result,Target 1 Ct,Target 2 Ct,Run Date
    A1,T0000001,Negative,Undetermined,Undetermined,2022/04/05 13:20
    A2,T0000002,Positive,28.40,30.10,2022/04/05 13:20

``Sample Name`` is read as ``Sample ID``; ``Target 1`` is ORF1ab and ``Target 2`` is N (the
two-target kits used in China); ``Target 3 Ct`` is E. Without a ``Result`` column the result
is read from the Ct values with the kits' cutoff: both targets below 40 is positive, neither
is negative, one alone is inconclusive and treated as invalid (resample). Control wells
(``NTC``, ``PC``, ``NC``, empty sample IDs) are skipped.

Rows come out one at a time (``ResultFile.rows()``), so a 100,000-tube file never sits in
memory whole: callers apply them in chunks. A row the parser cannot read is yielded as a
``RowError`` in place of a ``ResultRow``; the caller decides (wuyi refuses the whole file).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

NEGATIVE, POSITIVE, INVALID = "negative", "positive", "invalid"

# Ct cutoff of the two-target kits (Daan, BioGerm, Sansure …): amplification at a cycle
# below 40 counts as detected. Used only when an instrument file has no Result column.
CT_CUTOFF = Decimal("40")
# A Ct beyond 50 cycles is not something any run produces: a typo, refused.
CT_MAX = Decimal("50")

OUTCOME_WORDS = {
    "阴性": NEGATIVE,
    "阴": NEGATIVE,
    "negative": NEGATIVE,
    "neg": NEGATIVE,
    "not detected": NEGATIVE,
    "阳性": POSITIVE,
    "阳": POSITIVE,
    "positive": POSITIVE,
    "pos": POSITIVE,
    "detected": POSITIVE,
    "无效": INVALID,
    "无效(需重采)": INVALID,
    "需重采": INVALID,
    "重采": INVALID,
    "异常": INVALID,
    "invalid": INVALID,
    "inconclusive": INVALID,
    "rerun": INVALID,
}

NO_CT_WORDS = {"", "-", "—", "/", "undetermined", "undet", "no ct", "noct", "n/a", "na", "none"}

# Sample IDs of control wells in plate exports: not tubes.
CONTROL_WELLS = {"ntc", "pc", "nc", "pos ctrl", "neg ctrl", "positive control", "negative control"}

TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d%H%M%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


class ResultFileError(ValueError):
    """The file as a whole cannot be read: not CSV/xlsx, no header we know, missing columns."""


@dataclass(frozen=True)
class ResultRow:
    """One tube's result as the file states it; ``line`` is the spreadsheet row number."""

    line: int
    barcode: str
    outcome: str
    ct_orf1ab: Decimal | None = None
    ct_n: Decimal | None = None
    ct_e: Decimal | None = None
    tested_at: dt.datetime | None = None
    lab_code: str = ""


@dataclass(frozen=True)
class RowError:
    """A row that cannot be applied: where, which tube, why (``reason`` code, Chinese message)."""

    line: int
    barcode: str
    reason: str
    message: str


# Column names of each layout after normalising (lower case, no spaces or punctuation).
WUYI_COLUMNS = {
    "试管条码": "barcode",
    "采样管条码": "barcode",
    "条码": "barcode",
    "检测结果": "outcome",
    "结果": "outcome",
    "orf1abct": "ct_orf1ab",
    "orf1abct值": "ct_orf1ab",
    "nct": "ct_n",
    "nct值": "ct_n",
    "n基因ct": "ct_n",
    "n基因ct值": "ct_n",
    "ect": "ct_e",
    "ect值": "ct_e",
    "e基因ct": "ct_e",
    "e基因ct值": "ct_e",
    "检测时间": "tested_at",
    "报告时间": "tested_at",
    "实验室": "lab_code",
    "实验室编码": "lab_code",
}
INSTRUMENT_COLUMNS = {
    "well": "well",
    "wellposition": "well",
    "sampleid": "barcode",
    "samplename": "barcode",
    "result": "outcome",
    "interpretation": "outcome",
    "target1ct": "ct_orf1ab",
    "orf1abct": "ct_orf1ab",
    "target2ct": "ct_n",
    "nct": "ct_n",
    "target3ct": "ct_e",
    "ect": "ct_e",
    "rundate": "tested_at",
    "runendtime": "tested_at",
    "date": "tested_at",
}
LAYOUTS = {"wuyi": WUYI_COLUMNS, "instrument": INSTRUMENT_COLUMNS}
LAYOUT_LABELS = {
    "wuyi": gettext_noop("无疫标准格式"),
    "instrument": gettext_noop("PCR仪器导出格式(英文表头)"),
}


def _norm(header: object) -> str:
    text = "" if header is None else str(header)
    return "".join(ch for ch in text.strip().lower() if ch not in " _-:()()::\ufeff")


def detect_layout(headers: list[object]) -> tuple[str, dict[int, str]]:
    """The layout whose columns the header row names, and which column holds which field."""
    normalised = [_norm(h) for h in headers]
    for layout, columns in LAYOUTS.items():
        mapping = {i: columns[h] for i, h in enumerate(normalised) if h in columns}
        fields = set(mapping.values())
        if "barcode" not in fields:
            continue
        if layout == "wuyi" and "outcome" not in fields:
            raise ResultFileError(gettext("缺少“检测结果”列(阴性/阳性/无效)"))
        if layout == "instrument" and "outcome" not in fields and "ct_orf1ab" not in fields:
            raise ResultFileError(
                gettext("仪器导出文件需要 Result 列,或 Target 1 Ct / Target 2 Ct 列")
            )
        return layout, mapping
    shown = "、".join(str(h) for h in headers if h not in (None, ""))[:200]
    raise ResultFileError(
        gettext(
            "无法识别的结果文件表头:%(headers)s。需要“试管条码、检测结果…”"
            "(无疫格式)或“Sample ID, Result, Target 1 Ct…”(仪器导出格式)"
        )
        % {"headers": shown or gettext("(空)")}
    )


def parse_outcome(text: object) -> str | None:
    return OUTCOME_WORDS.get(str(text or "").strip().lower())


def parse_ct(value: object) -> Decimal | None:
    """A Ct cell: a number, or a word saying the target did not amplify (None)."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        text = str(value).strip()
        if text.lower() in NO_CT_WORDS:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(gettext("Ct值“%(text)s”不是数字") % {"text": text}) from None
    if not number.is_finite() or number < 0 or number > CT_MAX:
        raise ValueError(
            gettext("Ct值 %(value)s 不在 0–%(max)s 之间") % {"value": number, "max": CT_MAX}
        )
    return number.quantize(Decimal("0.01"))


def parse_time(value: object) -> dt.datetime | None:
    """A test time cell; naive times are Beijing time (the settings' time zone)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = str(value).strip()
        return _parse_time_text(text) if text else None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


@functools.lru_cache(maxsize=4096)
def _parse_time_text(text: str) -> dt.datetime:
    # Cached: a run's rows share a handful of times, and strptime is the parser's main cost.
    for fmt in TIME_FORMATS:
        try:
            moment = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        raise ValueError(
            gettext("检测时间“%(text)s”无法识别,应为 2022-04-05 13:20:00 这样的格式")
            % {"text": text}
        )
    return timezone.make_aware(moment, timezone.get_default_timezone())


def outcome_from_ct(ct1: Decimal | None, ct2: Decimal | None) -> str:
    """The two-target kits' rule: both below the cutoff positive, neither negative, else retest."""
    hits = sum(1 for ct in (ct1, ct2) if ct is not None and ct < CT_CUTOFF)
    return POSITIVE if hits == 2 else NEGATIVE if hits == 0 else INVALID


def _cell(row: list[object], index: int | None) -> object:
    if index is None or index >= len(row):
        return None
    return row[index]


def parse_row(line: int, row: list[object], layout: str, mapping: dict[int, str]):
    """One data row → ``ResultRow``, ``RowError``, or None for blank rows and control wells."""
    index = {field: i for i, field in mapping.items()}
    barcode = str(_cell(row, index.get("barcode")) or "").strip()
    if isinstance(_cell(row, index.get("barcode")), float):
        # Excel stores an all-digit barcode as a number: 1234.0 → "1234".
        barcode = str(int(_cell(row, index.get("barcode"))))
    if not any(str(c).strip() for c in row if c is not None):
        return None
    if layout == "instrument" and (not barcode or barcode.lower() in CONTROL_WELLS):
        return None
    if not barcode:
        return RowError(line, "", "missing_barcode", gettext("缺少试管条码"))
    if len(barcode) > 32:
        return RowError(line, barcode[:32], "bad_barcode", gettext("试管条码超过32位"))
    try:
        ct1 = parse_ct(_cell(row, index.get("ct_orf1ab")))
        ct2 = parse_ct(_cell(row, index.get("ct_n")))
        ct3 = parse_ct(_cell(row, index.get("ct_e")))
    except ValueError as exc:
        return RowError(line, barcode, "bad_ct", str(exc))
    if "outcome" in index:
        raw = _cell(row, index["outcome"])
        outcome = parse_outcome(raw)
        if outcome is None:
            return RowError(
                line,
                barcode,
                "bad_outcome",
                gettext("检测结果“%(value)s”无法识别,应为 阴性/阳性/无效") % {"value": raw or ""},
            )
    else:
        outcome = outcome_from_ct(ct1, ct2)
    try:
        tested_at = parse_time(_cell(row, index.get("tested_at")))
    except ValueError as exc:
        return RowError(line, barcode, "bad_time", str(exc))
    lab_code = str(_cell(row, index.get("lab_code")) or "").strip()
    return ResultRow(line, barcode, outcome, ct1, ct2, ct3, tested_at, lab_code)


def _sniff_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the first bytes decode as such, else GBK (Chinese Excel)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # An incomplete multi-byte character at the cut is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


class ResultFile:
    """A result file opened for streaming: ``layout``, then ``rows()`` one at a time."""

    def __init__(self, stream: IO[bytes], filename: str) -> None:
        self.filename = filename
        name = filename.lower()
        if name.endswith((".xlsx", ".xlsm")):
            self._rows = self._xlsx_rows(stream)
        elif name.endswith((".csv", ".txt", ".tsv")):
            self._rows = self._csv_rows(stream, delimiter="\t" if name.endswith(".tsv") else None)
        else:
            raise ResultFileError(
                gettext("不支持的文件类型:%(name)s(请上传 .csv 或 .xlsx)") % {"name": filename}
            )
        try:
            header = next(self._rows)
        except StopIteration:
            raise ResultFileError(gettext("文件是空的")) from None
        self.layout, self.mapping = detect_layout(header)

    @property
    def layout_label(self) -> str:
        return gettext(LAYOUT_LABELS[self.layout])

    def _csv_rows(self, stream: IO[bytes], delimiter: str | None) -> Iterator[list[object]]:
        head = stream.read(65536)
        encoding = _sniff_encoding(head)
        if delimiter is None:
            first_line = head.split(b"\n", 1)[0]
            delimiter = "\t" if first_line.count(b"\t") > first_line.count(b",") else ","
        raw = io.BufferedReader(_Prepend(head, stream))
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        try:
            yield from csv.reader(text, delimiter=delimiter)
        except UnicodeDecodeError:
            raise ResultFileError(
                gettext("文件编码无法识别(按 %(encoding)s 读取失败)") % {"encoding": encoding}
            ) from None
        except csv.Error as exc:
            raise ResultFileError(gettext("CSV 格式错误:%(error)s") % {"error": exc}) from None

    def _xlsx_rows(self, stream: IO[bytes]) -> Iterator[list[object]]:
        from openpyxl import load_workbook

        try:
            # read_only streams the sheet's XML: memory stays flat on large files.
            book = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
            raise ResultFileError(
                gettext("无法读取 Excel 文件:%(error)s") % {"error": exc}
            ) from None
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            book.close()

    def rows(self) -> Iterator[ResultRow | RowError]:
        """Every data row in file order; blank rows and control wells are skipped."""
        for line, row in enumerate(self._rows, start=2):
            parsed = parse_row(line, row, self.layout, self.mapping)
            if parsed is not None:
                yield parsed


class _Prepend(io.RawIOBase):
    """A raw stream that replays the bytes already read for sniffing, then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def write_wuyi_csv(rows: list[dict], out: IO[str]) -> None:
    """Write rows in wuyi's format (the template offered for download, and the benchmark's file)."""
    writer = csv.writer(out)
    writer.writerow(["试管条码", "检测结果", "ORF1ab Ct", "N Ct", "检测时间", "实验室"])
    labels = {NEGATIVE: "阴性", POSITIVE: "阳性", INVALID: "无效"}
    for row in rows:
        writer.writerow(
            [
                row["barcode"],
                labels[row["outcome"]],
                row.get("ct_orf1ab") or "",
                row.get("ct_n") or "",
                row.get("tested_at") or "",
                row.get("lab_code") or "",
            ]
        )
