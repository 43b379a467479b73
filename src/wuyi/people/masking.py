"""Masked forms of ID numbers and phones, shown wherever a role does not need the full value."""

from __future__ import annotations


def mask_id_number(number: str) -> str:
    """``140105199001011234`` → ``140105********1234``: region and last four stay readable."""
    if not number:
        return ""
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 1)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[-4:]
    if len(phone) <= 4:
        return "*" * len(phone)
    return (
        phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "****" + phone[-2:]
    )


def mask_name(name: str) -> str:
    """``张三丰`` → ``张*丰``; used on public pages and printed door lists."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# Keys of personal values in exported rows, API payloads and audit before/after records,
# with the mask each gets. Apps with more such fields add them here.
SENSITIVE_KEYS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "contact_phone": mask_phone,
    "guardian_phone": mask_phone,
}


def mask_record(data: dict | None) -> dict | None:
    """A copy of ``data`` (a row, a payload, an audit before/after) with personal values masked."""
    if data is None:
        return None
    masked = {}
    for key, value in data.items():
        masker = SENSITIVE_KEYS.get(key)
        if masker is not None and isinstance(value, str):
            masked[key] = masker(value)
        elif isinstance(value, dict):
            masked[key] = mask_record(value)
        else:
            masked[key] = value
    return masked
