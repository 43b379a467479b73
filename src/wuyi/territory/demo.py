"""The demo: a small generated city and one account per role, all with one printed password.

``wuyi demo`` is the first thing a newcomer runs, so it must work on an empty machine, be
quick (a 20,000-resident city builds in seconds) and be safe to run again: a
second run reuses the city and the accounts instead of adding more.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from wuyi.accounts.models import Grant, Role, User
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import ancestors_paths

DEMO_PASSWORD = "wuyi-Taiyuan-2022"  # noqa: S105 (printed on purpose: demo accounts only)
DEMO_RESIDENTS = 20_000


@dataclass
class DemoAccount:
    username: str
    role: str
    display_name: str
    scope: str


def _grant(user: User, role: str, **scope) -> None:
    if not Grant.objects.filter(user=user, role=role, **scope).exists():
        Grant.objects.create(user=user, role=role, **scope)


def _user(username: str, display_name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=display_name)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _first(queryset):
    return queryset.order_by("path").first()


@transaction.atomic
def create_demo_accounts() -> list[DemoAccount]:
    """One account per role over a sensible scope of the generated city (idempotent)."""
    accounts: list[DemoAccount] = []

    def add(username: str, role: str, name: str, scope_label: str, **scope) -> User:
        user = _user(username, name)
        _grant(user, role, **scope)
        accounts.append(DemoAccount(username, role, name, scope_label))
        return user

    districts = list(Node.objects.filter(kind=Kind.DISTRICT).order_by("code"))
    if not districts:
        raise RuntimeError("数据库里还没有城市:先运行 wuyi generate")
    city_user = _user("demo-city", "市防控办 演示")
    for district in districts:
        _grant(city_user, Role.CITY_OFFICE, node=district)
    accounts.append(DemoAccount("demo-city", Role.CITY_OFFICE, "市防控办 演示", "全部区县"))

    district = next((d for d in districts if d.name == "小店区"), districts[0])
    add("demo-district", Role.DISTRICT_OFFICE, "区防控办 演示", district.name, node=district)

    community = (
        Node.objects.filter(kind=Kind.COMMUNITY, name="光华街社区").order_by("path").first()
        or _first(Node.objects.filter(kind=Kind.COMMUNITY, residents__isnull=False).distinct())
        or _first(Node.objects.filter(kind=Kind.COMMUNITY))
    )
    street = community.parent
    add("demo-street", Role.STREET_OFFICE, "街道 演示", street.name, node=street)
    add("demo-community", Role.COMMUNITY_OFFICE, "社区 演示", community.name, node=community)
    add("demo-volunteer", Role.VOLUNTEER, "志愿者 演示", community.name, node=community)

    grid = Grid.objects.filter(community=community).order_by("code").first()
    if grid is not None:
        worker = add(
            "demo-grid", Role.GRID_WORKER, "网格员 演示", f"{community.name}{grid.name}", grid=grid
        )
        grid.workers.add(worker)
        building = Node.objects.filter(grid=grid, kind=Kind.BUILDING).order_by("path").first()
        if building is not None:
            compound = building.parent.name if building.parent else ""
            add(
                "demo-captain",
                Role.BUILDING_CAPTAIN,
                "楼栋长 演示",
                f"{compound}{building.name}",
                node=building,
            )
        household = (
            Node.objects.filter(grid=grid, kind=Kind.HOUSEHOLD, residents__isnull=False)
            .order_by("path")
            .first()
        )
        if household is not None:
            add(
                "demo-resident",
                Role.RESIDENT,
                "居民 演示",
                "".join(
                    n.name
                    for n in Node.objects.filter(
                        path__in=ancestors_paths(household.path)[3:]
                    ).order_by("depth")
                ),
                node=household,
            )

    site_model = _model("testing.SamplingSite")
    if site_model is not None and hasattr(Grant, "site_id"):
        site, _ = site_model.objects.get_or_create(
            code="DEMO-S01",
            defaults={
                "name": f"{community.name}演示采样点",
                "node": community,
                "path": community.path,
                "district_code": community.district_code,
            },
        )
        add("demo-site", Role.SITE_STAFF, "采样点人员 演示", site.name, site=site)
    lab_model = _model("testing.Lab")
    if lab_model is not None and hasattr(Grant, "lab_id"):
        lab, _ = lab_model.objects.get_or_create(
            code="DEMO-LAB",
            defaults={
                "name": "太原市演示检测实验室",
                "district_code": community.district_code,
                "daily_capacity": 100_000,
            },
        )
        add("demo-lab", Role.LAB_STAFF, "实验室人员 演示", lab.name, lab=lab)
    return accounts
