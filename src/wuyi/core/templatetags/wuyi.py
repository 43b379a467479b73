"""Template filters: masking of personal data and ages."""

import datetime as dt

from django import template
from django.utils import timezone

from wuyi.people.masking import mask_id_number, mask_phone

register = template.Library()


@register.filter
def mask_id(value: str) -> str:
    return mask_id_number(value or "")


@register.filter(name="mask_phone")
def mask_phone_filter(value: str) -> str:
    return mask_phone(value or "")


@register.filter
def age(birth: dt.date | None) -> int | str:
    if birth is None:
        return ""
    today = timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
