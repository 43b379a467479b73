"""The 18-character resident ID number (GB 11643-1999): region, birth date, sequence, checksum.

Offices type these by hand and paste them from spreadsheets, so ``normalise``
forgives full-width digits, spaces and a lower-case x before ``parse`` checks the
checksum and the birth date and derives gender.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    """An ID number that cannot be right; the message says which part is wrong."""


@dataclass(frozen=True)
class IdNumber:
    number: str
    region_code: str
    birth_date: dt.date
    gender: str  # "M" or "F"

    @property
    def district_code(self) -> str:
        return self.region_code


def normalise(raw: str) -> str:
    """Full-width to half-width, strip spaces, upper-case the checksum letter."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    return "".join(text.split()).upper()


def checksum_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse(raw: str, today: dt.date | None = None) -> IdNumber:
    """Validate an ID number and return its parts, or raise ``IdNumberError`` saying why."""
    number = normalise(raw)
    if not number:
        raise IdNumberError(gettext("身份证号为空"))
    if len(number) != 18:
        raise IdNumberError(gettext("身份证号应为18位,实际%(length)s位") % {"length": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(gettext("身份证号前17位应为数字,末位为数字或X"))
    if number[0] == "0":
        raise IdNumberError(gettext("身份证号的地区码不能以0开头"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(
            gettext("身份证号中的出生日期%(date)s不存在") % {"date": number[6:14]}
        ) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise IdNumberError(
            gettext("身份证号中的出生日期%(date)s不合理") % {"date": birth.isoformat()}
        )
    expected = checksum_char(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            gettext("身份证号校验位错误:末位应为%(expected)s,实际为%(actual)s")
            % {"expected": expected, "actual": number[17]}
        )
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumber(number=number, region_code=number[:6], birth_date=birth, gender=gender)


def make(region_code: str, birth_date: dt.date, sequence: int, gender: str) -> str:
    """Build a valid ID number: the synthetic city and the tests use it."""
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError(f"region code must be 6 digits, got {region_code!r}")
    seq = sequence % 1000
    # The 17th digit's parity is the gender: odd for men, even for women.
    if (seq % 2 == 1) != (gender == "M"):
        seq = (seq + 1) % 1000 if seq < 999 else seq - 1
    first17 = f"{region_code}{birth_date:%Y%m%d}{seq:03d}"
    return first17 + checksum_char(first17)
