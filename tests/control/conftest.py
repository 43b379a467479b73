"""Fixtures for control: the shared tiny city, plus a workforce for five-to-one teams."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.testing.conftest import rnd  # noqa: F401  (the testing round, for pool tests)
from wuyi.workforce.models import Staff, StaffRole

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year, month, day, hour=9, minute=0, second=0) -> dt.datetime:
    """An aware moment in Shanghai time, as offices say it."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def workforce(city) -> dict[str, list[Staff]]:
    """Two staff per role serving 光华街社区 (grid workers in grid A), one cadre at the street."""
    staff: dict[str, list[Staff]] = {}
    for role in StaffRole.values:
        for n in (1, 2):
            member = Staff.objects.create(
                name=f"{StaffRole(role).label}{n}",
                role=role,
                node=city.community,
                grid=city.grid_a if role == StaffRole.GRID_WORKER else None,
                phone=f"1390000{n:04d}",
            )
            staff.setdefault(role, []).append(member)
    staff[StaffRole.STREET_CADRE].append(
        Staff.objects.create(name="街道干部甲", role=StaffRole.STREET_CADRE, node=city.street)
    )
    return staff
