"""Creating accounts and grants from the command line or the demo: one function each."""

from __future__ import annotations

import secrets

from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from wuyi.accounts import audit
from wuyi.accounts.models import Action, Grant, Role, User
from wuyi.territory.models import Grid, Node


class AccountError(ValueError):
    """A request for an account that cannot be honoured; the message says why."""


def parse_role(value: str) -> str:
    """A role from its code (``grid_worker``) or its Chinese label (``网格员``)."""
    for role in Role:
        if value in (role.value, role.label):
            return role.value
    choices = "、".join(f"{r.value}({r.label})" for r in Role)
    raise AccountError(f"没有角色 {value!r};可选:{choices}")


def _site_lab_model(name: str):
    try:
        return apps.get_model("testing", name)
    except LookupError:
        return None


def resolve_scope(code: str) -> dict:
    """The grant fields for a scope code: a node path or code, a grid, a site or a lab code."""
    code = code.strip()
    if not code:
        raise AccountError("范围编码不能为空")
    node = Node.objects.filter(path=code).first()
    if node is not None:
        return {"node": node}
    nodes = list(Node.objects.filter(code=code)[:3])
    if len(nodes) == 1:
        return {"node": nodes[0]}
    if len(nodes) > 1:
        paths = "、".join(n.path for n in nodes)
        raise AccountError(f"编码 {code} 对应多个地点({paths}),请给出完整的编码路径")
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
    raise AccountError(f"找不到编码为 {code} 的辖区、网格、采样点或实验室")


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
        raise AccountError("用户名不能为空")
    user = User.objects.filter(username=username).first()
    generated = None
    if user is None:
        if password is None:
            generated = password = secrets.token_urlsafe(12)
        user = User(username=username, display_name=display_name)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise AccountError("密码不符合要求:" + ";".join(error.messages)) from error
        user.set_password(password)
        user.save()
        audit.record(Action.CREATE, user, user=actor, after=audit.snapshot(user))
    elif password is not None:
        raise AccountError(f"用户 {username} 已存在;为已有用户增加授权时不要给出密码")
    grant = Grant(user=user, role=role, **scope)
    try:
        grant.full_clean(exclude=["user"])
    except ValidationError as error:
        raise AccountError(";".join(error.messages)) from error
    duplicate = Grant.objects.filter(user=user, role=role, **scope).exists()
    if duplicate:
        raise AccountError(f"用户 {username} 已有这条授权")
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
