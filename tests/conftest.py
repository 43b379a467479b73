"""Shared fixtures: a small territory with two grids, residents, and personas per role."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from wuyi.accounts.models import Grant, Role, User
from wuyi.people import id_numbers
from wuyi.people.models import Resident
from wuyi.people.services import register
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import add_node, assign_to_grid

CHROMIUM = "/usr/bin/chromium"


def close_connections() -> None:
    """Close the connections the test opened inside ``with sync_playwright()``; call it there.

    Django keeps connections per context, and inside that block Playwright's sync API runs
    an event loop of its own: the ORM calls made there (counting scans between browser
    steps) get a connection of their own, which the test database's teardown does not
    close. At the end of the run PostgreSQL then refused to drop the database ("being
    accessed by other users") and left it behind.
    """
    from django.db import connections

    connections.close_all()


@pytest.fixture(autouse=True)
def _fresh_round_setup():
    """Each test starts with no round setup kept: what a test changed is rolled back after
    it, and the version with it, so a kept setup must not outlive the test."""
    from wuyi.testing import round_setup

    round_setup.forget()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in English leaves English active
    in its thread (the middleware sets it per request and never resets it), and messages
    built outside a request in a later test would come out in English."""
    from django.utils import translation

    yield
    translation.deactivate()


def pytest_collection_modifyitems(config, items):
    # Browser tests are mandatory in CI and skipped (and reported) where Chromium is missing.
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: the browser leg is mandatory")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


class City:
    """A tiny city: 小店区 › 坞城街道 › 光华街社区 › 电子二所家属楼 › 1号楼/2号楼, and 迎泽区 beside it."""

    def __init__(self) -> None:
        self.district = add_node(Kind.DISTRICT, "小店区", "140105")
        self.street = add_node(Kind.STREET, "坞城街道", "140105001", self.district)
        self.community = add_node(Kind.COMMUNITY, "光华街社区", "140105001001", self.street)
        self.compound = add_node(Kind.COMPOUND, "电子二所家属楼", "C01", self.community)
        self.grid_a = Grid.objects.create(
            community=self.community,
            code="140105001001G01",
            name="第一网格",
            path=self.community.path,
            district_code="140105",
        )
        self.grid_b = Grid.objects.create(
            community=self.community,
            code="140105001001G02",
            name="第二网格",
            path=self.community.path,
            district_code="140105",
        )
        self.building1 = add_node(Kind.BUILDING, "1号楼", "B01", self.compound)
        self.building2 = add_node(Kind.BUILDING, "2号楼", "B02", self.compound)
        assign_to_grid(self.grid_a, [self.building1])
        assign_to_grid(self.grid_b, [self.building2])
        self.unit1 = add_node(Kind.UNIT, "1单元", "U1", self.building1)
        self.unit2 = add_node(Kind.UNIT, "1单元", "U1", self.building2)
        self.home1 = add_node(Kind.HOUSEHOLD, "101", "H0101", self.unit1, floor=1)
        self.home2 = add_node(Kind.HOUSEHOLD, "101", "H0101", self.unit2, floor=1)
        self.other_district = add_node(Kind.DISTRICT, "迎泽区", "140106")
        self.alice = self.resident(
            "张丽", self.home1, "140105", dt.date(1980, 5, 1), 11, "F", phone="13812345678"
        )
        self.bob = self.resident(
            "李强", self.home2, "140105", dt.date(1975, 3, 9), 21, "M", phone="13987654321"
        )

    @staticmethod
    def resident(name, household, region, birth, seq, gender, **fields) -> Resident:
        number = id_numbers.make(region, birth, seq, gender)
        return register(Resident(name=name, id_number=number, **fields), household)


@pytest.fixture
def city(db) -> City:
    return City()


def make_user(username: str, role: str, node: Node | None = None, grid: Grid | None = None) -> User:
    user = User.objects.create_user(username=username, password="correct horse battery 9")
    Grant.objects.create(user=user, role=role, node=node, grid=grid)
    return user


@pytest.fixture
def grid_worker(city) -> User:
    user = make_user("gw_a", Role.GRID_WORKER, grid=city.grid_a)
    city.grid_a.workers.add(user)
    return user
