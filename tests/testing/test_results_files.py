"""Reading result files: wuyi's format and instrument exports, CSV (UTF-8/GBK) and xlsx."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from wuyi.testing.result_files import (
    ResultFile,
    ResultFileError,
    ResultRow,
    RowError,
    outcome_from_ct,
    parse_ct,
)


def read(text: str, name: str = "r.csv", encoding: str = "utf-8") -> ResultFile:
    return ResultFile(io.BytesIO(text.encode(encoding)), name)


def test_it_reads_wuyis_format():
    f = read(
        "试管条码,检测结果,ORF1ab Ct,N Ct,检测时间,实验室\n"
        "T1,阴性,,,2022-04-05 13:20:00,LAB01\n"
        "T2,阳性,28.4,30.1,2022/04/05 13:21,LAB01\n"
        "T3,无效,-,Undetermined,,\n"
    )
    assert f.layout == "wuyi"
    rows = list(f.rows())
    assert [(r.line, r.barcode, r.outcome) for r in rows] == [
        (2, "T1", "negative"),
        (3, "T2", "positive"),
        (4, "T3", "invalid"),
    ]
    assert rows[1].ct_orf1ab == Decimal("28.40") and rows[1].ct_n == Decimal("30.10")
    assert rows[0].lab_code == "LAB01" and rows[2].tested_at is None
    assert rows[1].tested_at.isoformat() == "2022-04-05T13:21:00+08:00"


def test_it_reads_gbk_files_as_chinese_excel_saves_them():
    f = read("试管条码,检测结果\nT1,阴性\n", encoding="gbk")
    assert [r.outcome for r in f.rows()] == ["negative"]


def test_it_reads_an_instrument_plate_export_and_skips_control_wells():
    f = read(
        "Well,Sample ID,Result,Target 1 Ct,Target 2 Ct,Run Date\n"
        "A1,NTC,Negative,Undetermined,Undetermined,2022/04/05 13:20\n"
        "A2,T1,Negative,Undetermined,Undetermined,2022/04/05 13:20\n"
        "A3,T2,Positive,28.40,30.10,2022/04/05 13:20\n"
        "A4,,,,,\n"
    )
    assert f.layout == "instrument"
    rows = list(f.rows())
    assert [(r.line, r.barcode, r.outcome) for r in rows] == [
        (3, "T1", "negative"),
        (4, "T2", "positive"),
    ]


def test_it_reads_results_from_ct_values_when_an_export_has_no_result_column():
    f = read(
        "Well\tSample Name\tTarget 1 Ct\tTarget 2 Ct\n"
        "A1\tT1\tUndetermined\tUndetermined\n"
        "A2\tT2\t31.2\t33.0\n"
        "A3\tT3\t38.0\tUndetermined\n"
    )
    assert [r.outcome for r in f.rows()] == ["negative", "positive", "invalid"]


def test_it_reads_xlsx():
    book = Workbook()
    sheet = book.active
    sheet.append(["试管条码", "检测结果", "ORF1ab Ct", "N Ct"])
    sheet.append([12345678, "阳性", 25.5, 27])
    sheet.append(["T2", "阴性", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    rows = list(ResultFile(buffer, "results.xlsx").rows())
    assert [(r.barcode, r.outcome, r.ct_n) for r in rows] == [
        ("12345678", "positive", Decimal("27.00")),
        ("T2", "negative", None),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (",阴性", "missing_barcode"),
        ("T1,不知道", "bad_outcome"),
        ("T1,阳性,abc", "bad_ct"),
        ("T1,阳性,77", "bad_ct"),
        ("T1,阴性,,,昨天下午", "bad_time"),
    ],
)
def test_it_turns_an_unreadable_row_into_an_error_with_its_line(line, reason):
    f = read("试管条码,检测结果,ORF1ab Ct,N Ct,检测时间\nT0,阴性\n" + line + "\n")
    rows = list(f.rows())
    assert isinstance(rows[0], ResultRow)
    assert isinstance(rows[1], RowError)
    assert (rows[1].line, rows[1].reason) == (3, reason)
    assert rows[1].message


def test_it_refuses_a_file_it_cannot_read_at_all():
    with pytest.raises(ResultFileError, match="无法识别的结果文件表头"):
        read("姓名,电话\n张三,138\n")
    with pytest.raises(ResultFileError, match="检测结果"):
        read("试管条码,备注\nT1,x\n")
    with pytest.raises(ResultFileError, match="空"):
        read("")
    with pytest.raises(ResultFileError, match="不支持的文件类型"):
        read("x", name="results.pdf")
    with pytest.raises(ResultFileError, match="Excel"):
        ResultFile(io.BytesIO(b"not a zip"), "r.xlsx")


def test_the_two_target_rule_needs_both_targets_for_a_positive():
    assert outcome_from_ct(Decimal("30"), Decimal("31")) == "positive"
    assert outcome_from_ct(None, None) == "negative"
    assert outcome_from_ct(Decimal("41"), None) == "negative"
    assert outcome_from_ct(Decimal("30"), None) == "invalid"


@given(st.decimals(min_value=0, max_value=50, places=2, allow_nan=False))
def test_any_ct_in_range_reads_back_exactly(value):
    assert parse_ct(str(value)) == value


@given(st.text(max_size=20))
def test_a_ct_cell_is_a_number_nothing_or_a_clear_error(text):
    try:
        value = parse_ct(text)
    except ValueError as exc:
        assert "Ct值" in str(exc)
    else:
        assert value is None or Decimal(0) <= value <= Decimal(50)
