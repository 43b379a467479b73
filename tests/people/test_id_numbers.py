"""The resident ID number validator (GB 11643-1999), with hypothesis."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wuyi.people import id_numbers
from wuyi.people.id_numbers import IdNumberError

TODAY = dt.date(2026, 1, 1)
regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
genders = st.sampled_from(["M", "F"])


@given(regions, births, st.integers(0, 999), genders)
def test_a_made_number_parses_back_to_its_parts(region, birth, sequence, gender):
    number = id_numbers.make(region, birth, sequence, gender)
    parsed = id_numbers.parse(number, today=TODAY)
    assert (parsed.number, parsed.region_code, parsed.birth_date, parsed.gender) == (
        number,
        region,
        birth,
        gender,
    )


@given(regions, births, st.integers(0, 999), genders, st.integers(0, 17), st.integers(1, 10))
def test_any_single_character_change_is_caught(region, birth, sequence, gender, index, shift):
    number = id_numbers.make(region, birth, sequence, gender)
    alphabet = "0123456789X" if index == 17 else "0123456789"
    position = alphabet.index(number[index])
    changed = alphabet[(position + shift) % len(alphabet)]
    if changed == number[index]:
        return
    wrong = number[:index] + changed + number[index + 1 :]
    with pytest.raises(IdNumberError):
        id_numbers.parse(wrong, today=TODAY)


full_width = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@given(
    regions,
    births,
    st.integers(0, 999),
    genders,
    st.lists(st.integers(0, 18), max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_full_width_spaces_and_a_lower_case_x_are_forgiven(
    region, birth, sequence, gender, spaces, wide, lower
):
    number = id_numbers.make(region, birth, sequence, gender)
    messy = number.translate(full_width) if wide else number
    for position in sorted(spaces, reverse=True):
        messy = messy[:position] + " " + messy[position:]
    if lower:
        messy = messy.replace("X", "x").replace("Ｘ", "ｘ")
    assert id_numbers.parse(f" {messy}\t", today=TODAY).number == number


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "身份证号为空"),
        ("14010519900101001", "身份证号应为18位,实际17位"),
        ("1401051990010100AX", "身份证号前17位应为数字,末位为数字或X"),
        ("040105199001010012", "身份证号的地区码不能以0开头"),
        ("140105199002300012", "身份证号中的出生日期19900230不存在"),
        ("140105213001010012", "身份证号中的出生日期2130-01-01不合理"),
    ],
)
def test_each_kind_of_wrong_number_says_what_is_wrong(raw, message):
    with pytest.raises(IdNumberError) as caught:
        id_numbers.parse(raw, today=TODAY)
    assert str(caught.value) == message


def test_a_wrong_checksum_says_which_character_it_should_be():
    number = id_numbers.make("140105", dt.date(1990, 1, 1), 1, "M")
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    with pytest.raises(IdNumberError, match=f"校验位错误:末位应为{number[17]},实际为{wrong[17]}"):
        id_numbers.parse(wrong, today=TODAY)
