"""The permission matrix's world: places, people, sites and labs in named zones, and personas.

Every object in the world has a **tag** (``"alice"``), a **zone** (``"h1"``) and a
**marker** (a string that appears on a page or in a response when the object is shown,
usually its name). Every persona covers a hand-written set of zones. The matrix then
checks, for every route and persona, that no marker of an object outside the persona's
zones is ever returned, and that no full ID number or phone is returned at all.

The zones are written out by hand, independently of ``wuyi.accounts.scoping``, so a
scoping bug shows up as a difference between the two.

    小店区 (xd) › 坞城街道 (wc) › 光华街社区 + 小区 (gh)
        第一网格 (ga): 1号楼 + 甲单元 (a) › 甲户101 (h1) › 张丽
        第二网格 (gb): 2号楼 + 乙单元 (b) › 乙户101 (h2) › 李强
        甲采样点 (sa)
    迎泽区 … 第三网格, 柳巷3号楼, 丙户303, 王芳, 乙采样点 (yz / sb)
    甲实验室 (la), 乙实验室 (lb)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import models

from wuyi.accounts import audit
from wuyi.accounts.models import Grant, Role, User
from wuyi.people import id_numbers
from wuyi.people.masking import mask_id_number, mask_phone
from wuyi.people.models import Resident
from wuyi.people.services import register
from wuyi.territory.models import Grid, Kind
from wuyi.territory.tree import add_node, assign_to_grid

PASSWORD = "correct horse battery 9"
ALL = frozenset({"xd", "wc", "gh", "ga", "a", "h1", "gb", "b", "h2", "yz", "sa", "sb", "la", "lb"})
XIAODIAN_BELOW_STREET = frozenset({"wc", "gh", "ga", "a", "h1", "gb", "b", "h2", "sa"})

# persona → (role, scope tag or None, zones it covers). Hand-written: see the docstring.
PERSONAS: dict[str, tuple[str | None, str | None, frozenset[str]]] = {
    "city_office": (Role.CITY_OFFICE, None, ALL),
    "district_office": (Role.DISTRICT_OFFICE, "district", XIAODIAN_BELOW_STREET | {"xd"}),
    "street_office": (Role.STREET_OFFICE, "street", XIAODIAN_BELOW_STREET),
    "community_office": (
        Role.COMMUNITY_OFFICE,
        "community",
        XIAODIAN_BELOW_STREET - {"wc"},
    ),
    "grid_worker": (Role.GRID_WORKER, "grid_a", frozenset({"ga", "a", "h1"})),
    "building_captain": (Role.BUILDING_CAPTAIN, "building1", frozenset({"a", "h1"})),
    "volunteer": (Role.VOLUNTEER, "grid_a", frozenset({"ga", "a", "h1"})),
    "resident": (Role.RESIDENT, "home1", frozenset({"h1"})),
    "site_staff": (Role.SITE_STAFF, "site_a", frozenset({"sa"})),
    "lab_staff": (Role.LAB_STAFF, "lab_a", frozenset({"la"})),
    "no_grants": (None, None, frozenset()),
    "anonymous": (None, None, frozenset()),
    # Devices: no user, a bearer token bound to one site or one lab.
    "site_device": (None, "site_a", frozenset({"sa"})),
    "lab_device": (None, "lab_a", frozenset({"la"})),
    "superuser": (None, None, ALL),
}
DEVICES = frozenset({"site_device", "lab_device"})

# Places above a persona's scope whose *names* pages may show as context (a grid worker's
# page names the grid's community and compound). Their pages are still refused, and
# they hold no personal data.
ABOVE = {
    "grid_worker": frozenset({"xd", "wc", "gh"}),
    "volunteer": frozenset({"xd", "wc", "gh"}),
    "building_captain": frozenset({"xd", "wc", "gh", "ga"}),
    "resident": frozenset({"xd", "wc", "gh", "ga", "a"}),
    "community_office": frozenset({"xd", "wc"}),
    "street_office": frozenset({"xd"}),
    "site_staff": frozenset({"xd", "wc", "gh"}),
    "site_device": frozenset({"xd", "wc", "gh"}),
}
OFFICES = frozenset({"city_office", "district_office", "street_office", "community_office"})


@dataclass
class Item:
    obj: models.Model
    zone: str
    markers: tuple[str, ...]


@dataclass
class World:
    items: dict[str, Item] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    # Full personal values that no response may contain (reveal aside).
    secrets: dict[str, str] = field(default_factory=dict)
    device_secrets: dict[str, str] = field(default_factory=dict)

    def add(self, tag: str, obj: models.Model, zone: str, *markers: str) -> models.Model:
        """Put an object in the world (entries' ``setup`` functions call this)."""
        self.items[tag] = Item(obj, zone, markers)
        return obj

    def __getitem__(self, tag: str) -> models.Model:
        return self.items[tag].obj

    def zones(self, persona: str) -> frozenset[str]:
        return PERSONAS[persona][2]

    def inside(self, persona: str, tag: str) -> bool:
        return self.items[tag].zone in self.zones(persona)

    def outside_markers(self, persona: str) -> dict[str, str]:
        """marker → tag for every object the persona must not see (names above aside)."""
        visible = self.zones(persona) | ABOVE.get(persona, frozenset())
        return {
            marker: tag
            for tag, item in self.items.items()
            if item.zone not in visible
            for marker in item.markers
        }

    def snapshot(self) -> dict[str, dict | None]:
        """Every world object's row as it is now (one query per model)."""
        by_model: dict[type, dict] = {}
        for tag, item in self.items.items():
            by_model.setdefault(type(item.obj), {})[item.obj.pk] = tag
        state: dict[str, dict | None] = {tag: None for tag in self.items}
        for model, tags in by_model.items():
            for row in model._default_manager.filter(pk__in=list(tags)).values():
                state[tags[row[model._meta.pk.attname]]] = row
        return state


def _resident(world: World, tag: str, name: str, home, zone: str, seq: int, phone: str):
    number = id_numbers.make(home.district_code, dt.date(1980, 1, seq), seq, "F")
    person = register(Resident(name=name, id_number=number, phone=phone), home)
    world.add(tag, person, zone, name, mask_id_number(number), mask_phone(phone))
    world.secrets[f"{tag}.id_number"] = number
    world.secrets[f"{tag}.phone"] = phone
    return person


def build_world() -> World:
    w = World()
    district = w.add("district", add_node(Kind.DISTRICT, "小店区", "140105"), "xd", "小店区")
    street = w.add(
        "street", add_node(Kind.STREET, "坞城街道", "140105001", district), "wc", "坞城街道"
    )
    community = w.add(
        "community",
        add_node(Kind.COMMUNITY, "光华街社区", "140105001001", street),
        "gh",
        "光华街社区",
    )
    compound = w.add(
        "compound", add_node(Kind.COMPOUND, "电子二所家属楼", "C01", community), "gh", "电子二所"
    )
    grid_a = w.add(
        "grid_a",
        Grid.objects.create(
            community=community,
            code="140105001001G01",
            name="第一网格",
            path=community.path,
            district_code="140105",
        ),
        "ga",
        "第一网格",
    )
    grid_b = w.add(
        "grid_b",
        Grid.objects.create(
            community=community,
            code="140105001001G02",
            name="第二网格",
            path=community.path,
            district_code="140105",
        ),
        "gb",
        "第二网格",
    )
    b1 = w.add("building1", add_node(Kind.BUILDING, "1号楼", "B01", compound), "a", "1号楼")
    b2 = w.add("building2", add_node(Kind.BUILDING, "2号楼", "B02", compound), "b", "2号楼")
    assign_to_grid(grid_a, [b1])
    assign_to_grid(grid_b, [b2])
    u1 = w.add("unit1", add_node(Kind.UNIT, "甲单元", "U1", b1), "a", "甲单元")
    u2 = w.add("unit2", add_node(Kind.UNIT, "乙单元", "U1", b2), "b", "乙单元")
    h1 = w.add("home1", add_node(Kind.HOUSEHOLD, "甲户101", "H0101", u1), "h1", "甲户101")
    h2 = w.add("home2", add_node(Kind.HOUSEHOLD, "乙户101", "H0101", u2), "h2", "乙户101")
    _resident(w, "alice", "张丽", h1, "h1", 11, "13812345678")
    _resident(w, "bob", "李强", h2, "h2", 12, "13987654321")

    yz = w.add("other_district", add_node(Kind.DISTRICT, "迎泽区", "140106"), "yz", "迎泽区")
    yz_street = w.add(
        "other_street", add_node(Kind.STREET, "柳巷街道", "140106001", yz), "yz", "柳巷街道"
    )
    yz_comm = w.add(
        "other_community",
        add_node(Kind.COMMUNITY, "柳溪社区", "140106001001", yz_street),
        "yz",
        "柳溪社区",
    )
    grid_c = w.add(
        "grid_c",
        Grid.objects.create(
            community=yz_comm,
            code="140106001001G01",
            name="第三网格",
            path=yz_comm.path,
            district_code="140106",
        ),
        "yz",
        "第三网格",
    )
    b3 = w.add("building3", add_node(Kind.BUILDING, "柳巷3号楼", "B03", yz_comm), "yz", "柳巷3号楼")
    assign_to_grid(grid_c, [b3])
    h3 = w.add("home3", add_node(Kind.HOUSEHOLD, "丙户303", "H0303", b3), "yz", "丙户303")
    _resident(w, "carol", "王芳", h3, "yz", 13, "13700001111")

    _sites_and_labs(w, community, yz_comm)

    # Audit events about each resident, so the audit pages have something to scope.
    for tag in ("alice", "bob", "carol"):
        person = w[tag]
        audit.record("change", person, before={"phone": person.phone}, after={"phone": ""})

    for persona, (role, scope, _zones) in PERSONAS.items():
        if persona in {"anonymous", "superuser"} or persona in DEVICES:
            continue
        # No password: the matrix logs in with force_login, and Argon2 is slow on purpose.
        user = User.objects.create(username=persona)
        if persona == "district_office":
            user.is_staff = True  # staff but not superuser: still no admin
            user.save()
        if role is not None:
            Grant.objects.create(user=user, role=role, **_scope_fields(w, scope))
        w.users[persona] = user
    w.users["superuser"] = User.objects.create(username="root", is_superuser=True, is_staff=True)
    return w


def _scope_fields(world: World, tag: str | None) -> dict:
    if tag is None:
        return {}
    obj = world[tag]
    kind = {"grid": "grid", "samplingsite": "site", "lab": "lab"}.get(obj._meta.model_name, "node")
    return {kind: obj}


def _sites_and_labs(world: World, community, other_community) -> None:
    from wuyi.testing.models import DeviceToken, Lab, SamplingSite

    site_a = SamplingSite.objects.create(
        code="SA01",
        name="甲采样点",
        node=community,
        path=community.path,
        district_code="140105",
    )
    site_b = SamplingSite.objects.create(
        code="SB01",
        name="乙采样点",
        node=other_community,
        path=other_community.path,
        district_code="140106",
    )
    lab_a = Lab.objects.create(code="LA01", name="甲实验室", district_code="140105")
    lab_b = Lab.objects.create(code="LB01", name="乙实验室", district_code="140106")
    world.add("site_a", site_a, "sa", "甲采样点")
    world.add("site_b", site_b, "sb", "乙采样点")
    world.add("lab_a", lab_a, "la", "甲实验室")
    world.add("lab_b", lab_b, "lb", "乙实验室")
    for tag, kwargs in {
        "site_a": {"site": site_a},
        "site_b": {"site": site_b},
        "lab_a": {"lab": lab_a},
        "lab_b": {"lab": lab_b},
    }.items():
        _token, secret = DeviceToken.issue(f"{tag} 设备", **kwargs)
        world.device_secrets[tag] = secret
