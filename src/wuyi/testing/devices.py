"""Device tokens: how a sampling phone or a lab PC proves which site or lab it belongs to.

A token is issued once (``DeviceToken.issue`` shows the secret a single time) and kept only
as its SHA-256, so the table cannot be used to post scans. Revoking takes effect on the
next request. ``last_used_at`` is written at most once a minute per token: at 20,000
scans a second a write per request would serialise every device on one row.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wuyi.testing.models import DeviceToken, hash_token

LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


def authenticate(secret: str) -> DeviceToken | None:
    """The active token whose secret this is, or None (unknown or revoked)."""
    if not secret or len(secret) > 200:
        return None
    token = (
        DeviceToken.objects.select_related("site", "lab")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(token: DeviceToken) -> None:
    """Refuse this token from now on (a lost or stolen device)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
