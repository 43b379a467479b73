"""Mobile and landline numbers as residents give them."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Landline with area code, e.g. 0351-1234567 (Taiyuan) or 03517654321.
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


class PhoneError(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """Return the number in a canonical form, or "" when none was given; raise if it is wrong."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    text = re.sub(r"[\s()()]", "", text).replace("—", "-").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if text.endswith(".0") and text[:-2].isdigit():  # a number that went through Excel
        text = text[:-2]
    if not text:
        return ""
    if MOBILE.match(text.replace("-", "")):
        return text.replace("-", "")
    if LANDLINE.match(text):
        digits = text.replace("-", "")
        area_len = 3 if digits[1] in "12" else 4
        return f"{digits[:area_len]}-{digits[area_len:]}"
    raise PhoneError(
        gettext("手机号“%(phone)s”格式不正确:应为11位手机号(1开头)或带区号的固定电话")
        % {"phone": raw}
    )
