"""Revealing one full personal value: an explicit action with a reason, always audit logged.

Pages, API responses and exports show ID numbers and phones masked
(``wuyi.people.masking``). No role sees full values by default. A role in
``REVEAL_ROLES`` may ask for one value of one record inside its scope, giving a reason;
the audit log keeps who, when, which record, which field and the reason (never the
value itself). Apps make their own fields revealable with ``revealable(...)``.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext

from wuyi.accounts import audit
from wuyi.accounts.models import OFFICE_ROLES, Action, Role
from wuyi.accounts.scoping import has_role, scoped

# Who may reveal at all: the offices and grid workers (who phone residents and check
# ID cards at the door). Building captains, volunteers, site and lab staff may not.
REVEAL_ROLES = frozenset({*OFFICE_ROLES, Role.GRID_WORKER})

# model label → fields that may be revealed, with their label for the interface.
REVEALABLE: dict[str, dict[str, str]] = {
    "people.resident": {"id_number": "证件号码", "phone": "联系电话"},
}

MIN_REASON = 4


class RevealError(Exception):
    """The reveal was refused; the message says why (shown to the user)."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.not_found = not_found


def revealable(label: str, fields: dict[str, str]) -> None:
    """Let ``fields`` of model ``label`` be revealed (``{"phone": "联系电话"}``)."""
    REVEALABLE.setdefault(label.lower(), {}).update(fields)


@transaction.atomic
def reveal(user, label: str, pk: int | str, field: str, reason: str, request=None) -> str:
    """The full value of ``field`` of one record in the user's scope; audit logged."""
    label = label.lower()
    fields = REVEALABLE.get(label)
    if not fields or field not in fields:
        raise RevealError(
            gettext("不能查看 %(label)s.%(field)s 的完整内容") % {"label": label, "field": field},
            not_found=True,
        )
    if not has_role(user, REVEAL_ROLES):
        raise RevealError(gettext("您的角色无权查看完整的证件号码或电话"))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise RevealError(gettext("请填写查看事由(至少%(count)s个字)") % {"count": MIN_REASON})
    try:
        model = apps.get_model(label)
        obj = scoped(model._default_manager.filter(pk=int(pk)), user).first()
    except (LookupError, ValueError, TypeError):
        obj = None
    if obj is None:
        raise RevealError(gettext("没有这条记录,或不在您的辖区内"), not_found=True)
    audit.record(
        Action.REVEAL,
        obj,
        user=user,
        request=request,
        reason=reason,
        after={"field": field},
    )
    return getattr(obj, field) or ""
