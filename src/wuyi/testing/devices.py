"""Device tokens: how a sampling phone or a lab PC proves which site or lab it belongs to.

A token is issued once (``DeviceToken.issue`` shows the secret a single time) and kept only
as its SHA-256, so the table cannot be used to post scans. Revoking takes effect on the
next request. ``last_used_at`` is written at most once a minute per token and web process:
at 20,000 scans a second a write per request would serialise every device on one row.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from wuyi.accounts.models import Action
from wuyi.testing.models import DeviceToken, Lab, SamplingSite, hash_token

LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


MAX_SECRET = 200


def authenticate(secret: str) -> DeviceToken | None:
    """The active token whose secret this is, or None (unknown or revoked)."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    found = find(hash_token(secret))
    return None if found is None else used(found)


def find(digest: str) -> DeviceToken | None:
    """The active token with this hash (id, name, site, lab and time of last use only).

    One indexed SELECT in raw SQL: this runs on every scan request not answered from
    ``round_setup``, and the ORM's query building cost more than the lookup itself.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, site_id, lab_id, last_used_at FROM testing_devicetoken "
            "WHERE token_hash = %s AND revoked_at IS NULL",
            [digest],
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
    token.last_used_at = last_used
    return token


def used(token: DeviceToken) -> DeviceToken:
    """``token``, its use recorded if the last was over a minute ago.

    ``round_setup`` keeps the token across requests: its time of last use is updated in
    place, so each web process writes it at most once a minute.
    """
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def site_device(secret: str, setup=None) -> DeviceToken | None:
    """The active token of a sampling site whose secret this is (lab tokens may not scan).

    ``setup`` (a ``round_setup.Setup``) answers from the tokens this process keeps.
    """
    token = authenticate(secret) if setup is None else setup.device(secret)
    if token is None or token.site_id is None:
        return None
    return token


def revoke(token: DeviceToken) -> None:
    """Refuse this token from now on (a lost or stolen device)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


# --- issuing and revoking by people (the `wuyi device` command and the devices page) ---
# The functions above are the devices' side; these are what staff do, each audit-logged.

_AUDIT_FIELDS = ["name", "site", "lab", "prefix", "created_by", "created_at", "revoked_at"]


def _place(token: DeviceToken) -> tuple[str, str]:
    """Where the token's audit events are filed: its site's node, or its lab's district.

    A token has no path of its own, so ``audit.place_of`` would file it nowhere and only
    the city office would see who issued or revoked a district's devices.
    """
    if token.site_id is not None:
        return token.site.path, token.site.district_code
    return "", token.lab.district_code if token.lab_id is not None else ""


def issue_token(
    name: str,
    *,
    site: SamplingSite | None = None,
    lab: Lab | None = None,
    user=None,
    request=None,
) -> tuple[DeviceToken, str]:
    """Issue a token for one site or one lab and log it; the secret is returned only here."""
    from wuyi.accounts import audit

    name = (name or "").strip()
    if not name:
        raise ValueError(gettext("请填写设备名称"))
    if len(name) > 64:
        raise ValueError(gettext("设备名称不能超过 64 个字"))
    if (site is None) == (lab is None):
        raise ValueError(gettext("设备必须绑定一个采样点或一个实验室(二者选一)"))
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    with transaction.atomic():
        token, secret = DeviceToken.issue(name, site=site, lab=lab, created_by=user)
        path, district = _place(token)
        audit.record(
            Action.CREATE,
            token,
            user=user,
            request=request,
            after=audit.snapshot(token, _AUDIT_FIELDS),
            reason="签发设备令牌",
            path=path,
            district_code=district,
        )
    return token, secret


def revoke_token(token: DeviceToken, *, user=None, request=None) -> bool:
    """Revoke and log; False (and no event) when the token was already revoked."""
    from wuyi.accounts import audit

    with transaction.atomic():
        token = (
            DeviceToken.objects.select_for_update(of=("self",))
            .select_related("site", "lab")
            .get(pk=token.pk)
        )
        if token.revoked_at is not None:
            return False
        before = audit.snapshot(token, _AUDIT_FIELDS)
        revoke(token)
        path, district = _place(token)
        audit.record(
            Action.STATUS,
            token,
            user=user,
            request=request,
            before=before,
            after=audit.snapshot(token, _AUDIT_FIELDS),
            reason="吊销设备令牌",
            path=path,
            district_code=district,
        )
    return True


def describe(token: DeviceToken) -> dict:
    """A token as lists show it: never the secret or its hash, only the first characters."""
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "site": token.site.code if token.site_id else None,
        "site_name": token.site.name if token.site_id else None,
        "lab": token.lab.code if token.lab_id else None,
        "lab_name": token.lab.name if token.lab_id else None,
        "created_at": token.created_at.isoformat() if token.created_at else None,
        "created_by": token.created_by.get_username() if token.created_by_id else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "active": token.revoked_at is None,
    }
