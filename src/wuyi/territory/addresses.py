"""Address grammar shared by imports, the notice parser and the search box.

Offices write the same building as "7号楼", "7栋", "7幢", "7#" or just "7"; the same unit
as "2单元" or "2"; the same household as "502", "5-502" or "502室". ``normalise_*`` turn
each into one canonical name so that lookups and uniqueness among siblings agree.
"""

from __future__ import annotations

import re
import unicodedata

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def clean(text: str) -> str:
    """NFKC (full-width → half-width) and no whitespace anywhere."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def chinese_number(text: str) -> int | None:
    """ "十二" → 12, "二十" → 20, "七" → 7; None when ``text`` is not a small Chinese numeral."""
    if not text or any(ch not in CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + CN_DIGITS[ch]
        return value
    tens, _, ones = text.partition("十")
    return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


def _number_part(text: str) -> str:
    if text.endswith(".0") and text[:-2].isdigit():  # a number that went through Excel
        text = text[:-2]
    value = chinese_number(text)
    if value is not None:
        return str(value)
    if text.isdigit():
        return str(int(text))
    return text


BUILDING_SUFFIXES = ("号楼", "号栋", "号幢", "栋", "幢", "楼", "号", "#")
LETTER_BUILDING = re.compile(r"^([A-Za-z]|[甲乙丙丁])座?$")


def normalise_building(raw: str) -> str:
    """ "7号楼" / "7栋" / "7幢" / "7#" / "7" / "七号楼" → "7号楼"; "A座"/"a" → "A座"; others as written."""
    text = clean(raw)
    if not text:
        return ""
    letter = LETTER_BUILDING.match(text)
    if letter:
        return letter.group(1).upper() + "座"
    for suffix in BUILDING_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            head = _number_part(text[: -len(suffix)])
            if head.isdigit():
                return f"{head}号楼"
            break
    head = _number_part(text)
    if head.isdigit():
        return f"{head}号楼"
    return text


def normalise_unit(raw: str) -> str:
    """ "2单元" / "2" / "二单元" / "2单" → "2单元"."""
    text = clean(raw)
    if not text:
        return ""
    for suffix in ("单元", "单"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    head = _number_part(text)
    return f"{head}单元" if head else ""


def normalise_room(raw: str) -> str:
    """ "502" / "502室" / "5-502"(floor-room) → "502"; other house numbers as written."""
    text = clean(raw)
    for suffix in ("室", "号房", "房", "户"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    match = re.fullmatch(r"(\d+)-(\d{3,4})", text)
    if match and match.group(2).startswith(match.group(1)):
        return match.group(2)
    if text.isdigit():
        return str(int(text))
    return text


def room_floor(room: str) -> int | None:
    """The floor of a numbered room: "502" → 5, "1203" → 12."""
    return int(room[:-2]) if room.isdigit() and len(room) >= 3 else None
