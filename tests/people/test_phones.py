"""Phones as residents give them: mobiles, landlines with area code, Excel's floats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wuyi.people.phones import PhoneError, normalise_phone

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
wide = str.maketrans("0123456789", "０１２３４５６７８９")


@given(mobiles, st.sampled_from(["", "+86", "0086", "+86 "]), st.booleans(), st.booleans())
def test_a_mobile_in_any_common_spelling_is_its_eleven_digits(number, prefix, spaced, full):
    text = f"{number[:3]} {number[3:7]} {number[7:]}" if spaced else number
    text = prefix + text
    if full:
        text = text.translate(wide)
    assert normalise_phone(text) == number


@given(mobiles)
def test_a_mobile_that_went_through_excel_as_a_float_is_read(number):
    assert normalise_phone(f"{number}.0") == number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0351-7654321", "0351-7654321"),
        ("03517654321", "0351-7654321"),
        ("010-12345678", "010-12345678"),
        ("", ""),
    ],
)
def test_landlines_keep_their_area_code(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "23812345678", "138123456789", "abc"])
def test_a_wrong_phone_is_refused_saying_what_is_expected(raw):
    with pytest.raises(PhoneError, match="应为11位手机号"):
        normalise_phone(raw)
