"""Permission matrix entries for the devices page (list, issue, revoke device tokens)."""

from __future__ import annotations

from tests.permissions.matrix import LOGIN, Route
from tests.permissions.world import OFFICES

MANAGERS = OFFICES | frozenset({"site_staff", "lab_staff"})
TOKENS = ("dev_sa", "dev_sb", "dev_la", "dev_lb")


def _tokens(world) -> None:
    """One more token per site and lab, named so a page that lists it can be caught."""
    from wuyi.testing.models import DeviceToken

    for tag, zone, name, kwargs in (
        ("dev_sa", "sa", "甲采样点平板", {"site": world["site_a"]}),
        ("dev_sb", "sb", "乙采样点平板", {"site": world["site_b"]}),
        ("dev_la", "la", "甲实验室电脑", {"lab": world["lab_a"]}),
        ("dev_lb", "lb", "乙实验室电脑", {"lab": world["lab_b"]}),
    ):
        token, _secret = DeviceToken.issue(name, **kwargs)
        world.add(tag, token, zone, name)


ROUTES = {
    "devices:list": Route(LOGIN, shows=TOKENS, allowed=MANAGERS, setup=_tokens),
    "devices:issue": Route(
        LOGIN,
        method="POST",
        data=lambda _w, _o: {"name": "矩阵新设备", "target": "site:SA01"},
        allowed=MANAGERS,
        writes=True,
        setup=_tokens,
    ),
    "devices:revoke": Route(
        LOGIN,
        method="POST",
        objects=TOKENS,
        kwargs=lambda t: {"pk": t.pk},
        allowed=MANAGERS,
        writes=True,
        setup=_tokens,
    ),
}
