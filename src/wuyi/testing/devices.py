"""Device tokens: how a sampling phone or a lab PC proves which site or lab it belongs to.

A token is issued once (``DeviceToken.issue`` shows the secret a single time) and kept only
as its SHA-256, so the table cannot be used to post scans. Revoking takes effect on the
next request. ``last_used_at`` is written at most once a minute per token: at 20,000
scans a second a write per request would serialise every device on one row.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wuyi.testing.models import DeviceToken, hash_token

LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


def authenticate(secret: str) -> DeviceToken | None:
    """The active token whose secret this is, or None (unknown or revoked).

    One indexed SELECT by hash in raw SQL: this runs on every scan request, and the ORM's
    query building cost more than the lookup itself.
    """
    if not secret or len(secret) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, site_id, lab_id, last_used_at FROM testing_devicetoken "
            "WHERE token_hash = %s AND revoked_at IS NULL",
            [hash_token(secret)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    last_used = row[4]
    if last_used is not None and not isinstance(last_used, dt.datetime):
        last_used = parse_datetime(str(last_used))  # SQLite hands back text from raw SQL
    if last_used is not None and timezone.is_naive(last_used):
        last_used = timezone.make_aware(last_used, dt.UTC)
    token = DeviceToken(id=row[0], name=row[1], site_id=row[2], lab_id=row[3])
    now = timezone.now()
    if last_used is None or now - last_used > LAST_USED_GRANULARITY:
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        last_used = now
    token.last_used_at = last_used
    return token


def revoke(token: DeviceToken) -> None:
    """Refuse this token from now on (a lost or stolen device)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
