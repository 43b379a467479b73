"""Creating accounts and grants from the command line or the demo: one function each."""

from __future__ import annotations

import secrets

from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, pgettext

from wuyi.accounts import audit
from wuyi.accounts.models import Action, Grant, Role, User
from wuyi.territory.models import Grid, Node


class AccountError(ValueError):
    """A request for an account that cannot be honoured; the message says why."""


def parse_role(value: str) -> str:
    """A role from its code (``grid_worker``) or its Chinese label (``网格员``)."""
    with translation.override(None):  # the Chinese labels, whatever the language in use
        chinese = {role.value: str(role.label) for role in Role}
    for role in Role:
        if value in (role.value, chinese[role.value], str(role.label)):
            return role.value
    choices = pgettext("list separator", "、").join(f"{r.value}({r.label})" for r in Role)
    raise AccountError(
        gettext("没有角色 %(role)s;可选:%(choices)s") % {"role": repr(value), "choices": choices}
    )


def _site_lab_model(name: str):
    try:
        return apps.get_model("testing", name)
    except LookupError:
        return None


def resolve_scope(code: str) -> dict:
    """The grant fields for a scope code: a node path or code, a grid, a site or a lab code."""
    code = code.strip()
    if not code:
        raise AccountError(gettext("范围编码不能为空"))
    node = Node.objects.filter(path=code).first()
    if node is not None:
        return {"node": node}
    nodes = list(Node.objects.filter(code=code)[:3])
    if len(nodes) == 1:
        return {"node": nodes[0]}
    if len(nodes) > 1:
        paths = pgettext("list separator", "、").join(n.path for n in nodes)
        raise AccountError(
            gettext("编码 %(code)s 对应多个地点(%(paths)s),请给出完整的编码路径")
            % {"code": code, "paths": paths}
        )
    grid = Grid.objects.filter(code=code).first()
    if grid is not None:
        return {"grid": grid}
    for field, model_name in (("site", "SamplingSite"), ("lab", "Lab")):
        model = _site_lab_model(model_name)
        if model is None or not hasattr(Grant, f"{field}_id"):
            continue
        found = model._default_manager.filter(code=code).first()
        if found is not None:
            return {field: found}
    raise AccountError(
        gettext("找不到编码为 %(code)s 的辖区、网格、采样点或实验室") % {"code": code}
    )


@transaction.atomic
def create_account(
    username: str,
    role: str,
    scope_code: str | None,
    *,
    password: str | None = None,
    display_name: str = "",
    actor=None,
) -> tuple[User, Grant, str | None]:
    """Create the user (or reuse an existing one) and grant ``role`` over the scope.

    Returns the user, the grant and the generated password (``None`` when one was given
    or the user already existed).
    """
    role = parse_role(role)
    scope = resolve_scope(scope_code) if scope_code else {}
    username = username.strip()
    if not username:
        raise AccountError(gettext("用户名不能为空"))
    user = User.objects.filter(username=username).first()
    generated = None
    if user is None:
        if password is None:
            generated = password = secrets.token_urlsafe(12)
        user = User(username=username, display_name=display_name)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise AccountError(
                gettext("密码不符合要求:%(errors)s") % {"errors": ";".join(error.messages)}
            ) from error
        user.set_password(password)
        user.save()
        audit.record(Action.CREATE, user, user=actor, after=audit.snapshot(user))
    elif password is not None:
        raise AccountError(
            gettext("用户 %(username)s 已存在;为已有用户增加授权时不要给出密码")
            % {"username": username}
        )
    grant = Grant(user=user, role=role, **scope)
    try:
        grant.full_clean(exclude=["user"])
    except ValidationError as error:
        raise AccountError(";".join(error.messages)) from error
    duplicate = Grant.objects.filter(user=user, role=role, **scope).exists()
    if duplicate:
        raise AccountError(gettext("用户 %(username)s 已有这条授权") % {"username": username})
    grant.save()
    audit.record(
        Action.CREATE,
        grant,
        user=actor,
        after=audit.snapshot(grant),
        path=_grant_path(grant),
    )
    return user, grant, generated


def _grant_path(grant: Grant) -> str:
    if grant.node_id:
        return grant.node.path
    if grant.grid_id:
        return grant.grid.path
    return ""
