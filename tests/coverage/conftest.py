"""A testing round over the shared tiny city, and a helper that samples a resident in it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from tests.conftest import City
from wuyi.testing.models import (
    Outcome,
    RoundStatus,
    RoundZone,
    Sampled,
    SamplingSite,
    Scan,
    ScanKind,
    TestingRound,
    Tube,
)

_barcodes = itertools.count(1)

ROUND_START = dt.datetime(2022, 4, 10, 7, 0, tzinfo=dt.UTC)


class Round:
    """A round over 小店区 with one site; ``sample`` binds a resident as ingest would."""

    def __init__(self, city: City, min_age_years: int | None = 3) -> None:
        self.city = city
        self.round = TestingRound.objects.create(
            code="R20220410",
            name="第一轮全员核酸",
            status=RoundStatus.ACTIVE,
            start_date=dt.date(2022, 4, 10),
            end_date=dt.date(2022, 4, 11),
            min_age_years=min_age_years,
        )
        RoundZone.objects.create(
            round=self.round,
            node=city.district,
            path=city.district.path,
            district_code=city.district.district_code,
        )
        self.site = SamplingSite.objects.create(
            code="S01",
            name="光华街社区广场采样点",
            node=city.community,
            path=city.community.path,
            district_code="140105",
        )

    def sample(self, resident, at: dt.datetime | None = None) -> Sampled:
        at = at or ROUND_START
        tube = Tube.objects.create(
            barcode=f"T{next(_barcodes):08d}",
            round=self.round,
            site=self.site,
            pool_size=10,
            capacity=10,
            member_count=1,
            opened_at=at,
            path=self.site.path,
            district_code=self.site.district_code,
        )
        scan = Scan.objects.create(
            kind=ScanKind.BIND,
            outcome=Outcome.ACCEPTED,
            round=self.round,
            site=self.site,
            tube=tube,
            tube_barcode=tube.barcode,
            resident=resident,
            id_type=resident.id_type,
            id_number=resident.id_number,
            name=resident.name,
            device_time=at,
            received_at=at,
            path=resident.path,
            grid_id=resident.grid_id,
            district_code=resident.district_code,
        )
        # The first accepted scan makes the marker; a second scan adds only a binding.
        existing = Sampled.objects.filter(round=self.round, resident=resident).first()
        if existing is not None:
            return existing
        return Sampled.objects.create(
            round=self.round,
            resident=resident,
            first_scan=scan,
            sampled_at=at,
            path=resident.path,
            grid_id=resident.grid_id,
            district_code=resident.district_code,
        )


@pytest.fixture
def rnd(city) -> Round:
    return Round(city)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def city_office(city):
    from tests.conftest import make_user
    from wuyi.accounts.models import Role

    return make_user("city_office", Role.CITY_OFFICE)
