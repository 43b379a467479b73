"""The audit log's one entry point: ``record(...)``, called by every domain write.

Usage from a service function, inside its transaction::

    from wuyi.accounts import audit

    before = audit.snapshot(resident)
    resident.status = "away"
    resident.save()
    audit.record("status", resident, user=user, before=before, after=audit.snapshot(resident))

``action`` is one of ``wuyi.accounts.models.Action`` (create, change, delete, import,
status, reveal, export, login, purge). ``obj`` is the model instance the event is about
(or ``None`` with ``model=``/``object_pk=`` for bulk events such as an import). The event
copies the object's ``path`` and ``district_code`` (or those of its household, grid or
node) so offices above the record in the tree see it through ``scoping.scoped``. Pass
``request`` to take the user and IP address from it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from wuyi.accounts.models import Action, AuditEvent

# Where to find an object's place in the territory when it has no ``path`` of its own.
_PLACE_ATTRS = ("household", "node", "grid", "community")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The object's concrete field values as JSON (foreign keys as ids): the before/after."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"password"}:
            continue
        data[field.attname] = _jsonable(getattr(obj, field.attname))
    return data


def place_of(obj: models.Model | None) -> tuple[str, str]:
    """The (path, district_code) an event about ``obj`` is filed under."""
    if obj is None:
        return "", ""
    path = getattr(obj, "path", None)
    district = getattr(obj, "district_code", None)
    if isinstance(path, str) and path:
        return path, district or path.split(".")[0][:6]
    for attr in _PLACE_ATTRS:
        related = getattr(obj, attr, None)
        if isinstance(related, models.Model) and isinstance(getattr(related, "path", None), str):
            return related.path, getattr(related, "district_code", "") or ""
    return "", district or ""


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def build(
    action: str,
    obj: models.Model | None = None,
    *,
    user=None,
    request=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    model: str = "",
    object_pk: str | int = "",
    object_repr: str = "",
    path: str | None = None,
    district_code: str | None = None,
) -> AuditEvent:
    """One audit event, not yet saved: ``record`` saves it, ``record_many`` saves many at once.

    Never raises for a missing user or object.
    """
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}; one of {', '.join(Action.values)}")
    if user is None and request is not None:
        user = getattr(request, "user", None)
    actor_id = None
    actor_name = ""
    if user is not None and getattr(user, "is_authenticated", True):
        actor_id = getattr(user, "pk", None) if hasattr(user, "get_username") else None
        actor_name = user.get_username() if hasattr(user, "get_username") else str(user)
    obj_path, obj_district = place_of(obj)
    return AuditEvent(
        actor_id=actor_id,
        actor_name=actor_name[:150],
        action=action,
        model=model or (obj._meta.label_lower if obj is not None else ""),
        object_pk=str(object_pk or (obj.pk if obj is not None else "")),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        path=obj_path if path is None else path,
        district_code=(obj_district if district_code is None else district_code)[:6],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason[:500],
        ip=_client_ip(request),
    )


def record(action: str, obj: models.Model | None = None, **kwargs) -> AuditEvent:
    """Append one audit event and return it (arguments as ``build``)."""
    event = build(action, obj, **kwargs)
    event.save(force_insert=True)
    return event


def record_many(events: list[AuditEvent]) -> None:
    """Append many events built with ``build`` in one insert (bulk intake, bulk release)."""
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def on_login(sender, request, user, **kwargs) -> None:
    """Signal receiver: a successful login is an audit event (failures are axes' records)."""
    record(Action.LOGIN, None, user=user, request=request, model="accounts.user", object_pk=user.pk)
