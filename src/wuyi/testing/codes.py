"""Residents' personal sampling codes: a QR code carrying an opaque token, never the ID number.

The code's text is ``WY1:`` followed by the resident's ``code_token``; the prefix lets the
sampling page tell a resident code from a tube barcode or a typed ID number, and the
version digit leaves room to change the format. Anyone who photographs the code learns
nothing about the person: the token only means something to ingest, which looks it up.
"""

from __future__ import annotations

import segno

from wuyi.people.models import Resident

PREFIX = "WY1:"


def code_text(resident: Resident) -> str:
    """What the QR code says."""
    return PREFIX + resident.code_token


def token_from_text(text: str) -> str | None:
    """The token in a scanned code's text, or None if it is not a resident code."""
    text = (text or "").strip()
    return text[len(PREFIX) :] if text.startswith(PREFIX) and len(text) > len(PREFIX) else None


def qr_svg(resident: Resident, scale: int = 4) -> str:
    """An inline SVG of the resident's code, for the screen and for printed household cards."""
    # Error correction M survives a creased or smudged printed card; the token is short, so
    # the code stays at version 2 (25×25 modules) and scans easily from a cheap phone.
    qr = segno.make(code_text(resident), error="m", micro=False)
    return qr.svg_inline(scale=scale, border=2)
