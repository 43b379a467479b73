"""Header matching, Excel's number formats and encodings, with hypothesis for the headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wuyi.people.spreadsheets import (
    HEADERS,
    LostDigits,
    detect_encoding,
    header_field,
    match_headers,
    number_text,
)

full_width = str.maketrans("()/", "\uff08\uff09\uff0f")


def decorate(text: str, draw) -> str:
    """Spaces inside and around, full-width brackets, a required-mark: as offices write them."""
    if draw(st.booleans()):
        text = text.translate(full_width)
    chars = list(text)
    for _ in range(draw(st.integers(0, 2))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from([" ", "\u3000", "\t"])))
    text = "".join(chars)
    return draw(st.sampled_from(["", "*"])) + text + draw(st.sampled_from(["", "*", ":", "(必填)"]))


@st.composite
def header_rows(draw):
    fields = draw(st.lists(st.sampled_from(sorted(HEADERS)), min_size=1, unique=True))
    cells = [decorate(draw(st.sampled_from(HEADERS[f][1])), draw) for f in fields]
    extras = draw(st.lists(st.sampled_from(["序号", "备注", "", None, "籍贯"]), max_size=3))
    order = draw(st.permutations(list(range(len(cells) + len(extras)))))
    row = [([*cells, *extras])[i] for i in order]
    expected = {f: row.index(cells[n]) for n, f in enumerate(fields)}
    return row, expected


@given(header_rows())
def test_headers_in_any_order_and_any_common_spelling_are_recognised(case):
    row, expected = case
    columns, warnings = match_headers(row)
    assert columns == expected
    assert warnings == []


def test_a_second_column_for_the_same_field_is_ignored_with_a_warning():
    columns, warnings = match_headers(["姓名", "手机号", "联系电话", "身份证号"])
    assert columns == {"name": 0, "phone": 1, "id_number": 3}
    assert warnings == ["表头“联系电话”与“手机号”表示同一项(手机号),只读取第一列“手机号”"]


@pytest.mark.parametrize("text", ["籍贯", "备注", "", "序号", "社区书记"])
def test_columns_wuyi_does_not_read_are_ignored(text):
    assert header_field(text) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678.0", "13812345678"),
        ("1.3812345678E+10", "13812345678"),
        ("1.3812345678e10", "13812345678"),
        ("502", "502"),
        ("7号楼", "7号楼"),
        ("", ""),
    ],
)
def test_numbers_excel_reformatted_are_restored_when_no_digit_was_lost(raw, expected):
    assert number_text(raw) == expected


@pytest.mark.parametrize("raw", ["1.40105E+17", "1.4010519900101e+17", "1.38E+10"])
def test_numbers_excel_rounded_are_refused(raw):
    with pytest.raises(LostDigits):
        number_text(raw)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_the_encoding_of_a_csv_is_detected(encoding, expected):
    assert detect_encoding("姓名,身份证号,街道\n王五,1,坞城街道\n".encode(encoding)) == expected
