"""A testing round over the tiny city: one active round, two sites with desks, device tokens."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from django.db import connection

from wuyi.testing.models import (
    Desk,
    DeviceToken,
    PoolSize,
    RoundSite,
    RoundStatus,
    RoundZone,
    SamplingSite,
    TestingRound,
)


class Round:
    """Round R1 (active, 10-in-1) over 小店区 with sites S1 (desks D1, D2) and S2; R0 is closed."""

    def __init__(self, city) -> None:
        self.city = city
        today = dt.date(2026, 11, 29)
        self.round = TestingRound.objects.create(
            code="R1",
            name="第一轮全员核酸",
            status=RoundStatus.ACTIVE,
            start_date=today,
            end_date=today,
            default_pool_size=PoolSize.TWENTY,
        )
        self.other_round = TestingRound.objects.create(
            code="R2",
            name="第二轮全员核酸",
            status=RoundStatus.ACTIVE,
            start_date=today,
            end_date=today,
        )
        self.closed_round = TestingRound.objects.create(
            code="R0",
            name="已结束轮次",
            status=RoundStatus.CLOSED,
            start_date=today,
            end_date=today,
        )
        RoundZone.objects.create(
            round=self.round,
            node=city.community,
            path=city.community.path,
            district_code="140105",
            pool_size=PoolSize.TEN,
        )
        self.site = SamplingSite.objects.create(
            code="S1",
            name="光华街社区采样点",
            node=city.compound,
            path=city.compound.path,
            district_code="140105",
        )
        self.site2 = SamplingSite.objects.create(
            code="S2",
            name="坞城街道采样点",
            node=city.street,
            path=city.street.path,
            district_code="140105",
        )
        self.desk1 = Desk.objects.create(site=self.site, code="D1")
        self.desk2 = Desk.objects.create(site=self.site, code="D2")
        self.desk3 = Desk.objects.create(site=self.site2, code="D1")
        for rnd in (self.round, self.other_round):
            for site in (self.site, self.site2):
                RoundSite.objects.create(round=rnd, site=site)
        self.token, self.secret = DeviceToken.issue("一号采样台平板", site=self.site)

    def event(self, tube: str = "T0001", **fields) -> dict:
        """A bind event at S1/D1 in R1; override any field."""
        data = {
            "event_id": str(uuid.uuid4()),
            "round": "R1",
            "site": "S1",
            "desk": "D1",
            "tube": tube,
            "device_time": "2026-11-29T08:00:00+08:00",
        }
        data.update(fields)
        return data


@pytest.fixture
def rnd(city) -> Round:
    return Round(city)


def current_database_url() -> str:
    """The test database as ``DATABASE_URL`` spells it (the benchmarks make theirs beside it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def base_url(monkeypatch):
    """``DATABASE_URL`` pointing at the test database, for a benchmark run in the test."""
    url = current_database_url()
    monkeypatch.setitem(os.environ, "DATABASE_URL", url)
    return url
