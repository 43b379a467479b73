"""``wuyi createuser`` and ``wuyi purge``."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from wuyi.accounts import retention
from wuyi.accounts.models import AuditEvent, Grant, PurgedCount, User
from wuyi.accounts.scoping import scoped
from wuyi.people.models import Residence, Resident


def run(*args, stdin: str | None = None) -> dict:
    out = io.StringIO()
    if stdin is not None:
        import sys

        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            call_command(*args, "--json", stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_createuser_grants_a_grid_by_its_code(city):
    result = run("createuser", "wang", "--role", "grid_worker", "--scope", city.grid_a.code)
    assert result["role"] == "grid_worker" and result["scope"] == "第一网格"
    assert len(result["password"]) >= 12
    user = User.objects.get(username="wang")
    assert user.check_password(result["password"])
    assert set(scoped(Resident.objects.all(), user).values_list("name", flat=True)) == {"张丽"}
    assert AuditEvent.objects.filter(action="create", model="accounts.grant").exists()


def test_createuser_takes_a_node_code_a_chinese_role_and_a_password_from_stdin(city):
    result = run(
        "createuser",
        "li",
        "--role",
        "街道/乡镇",
        "--scope",
        "140105001",
        "--password-stdin",
        stdin="a long enough secret 7\n",
    )
    assert result["password"] is None
    user = User.objects.get(username="li")
    assert user.check_password("a long enough secret 7")
    assert Grant.objects.get(user=user).node == city.street


def test_createuser_binds_a_resident_to_a_household_by_its_path(city):
    run("createuser", "home", "--role", "resident", "--scope", city.home1.path)
    assert Grant.objects.get(user__username="home").node == city.home1


def test_createuser_refuses_what_it_cannot_do(city):
    with pytest.raises(CommandError, match="没有角色"):
        run("createuser", "x", "--role", "mayor", "--scope", "140105")
    with pytest.raises(CommandError, match="找不到编码"):
        run("createuser", "x", "--role", "grid_worker", "--scope", "NOPE")
    with pytest.raises(CommandError, match="多个地点"):
        run("createuser", "x", "--role", "resident", "--scope", "H0101")
    with pytest.raises(CommandError, match="必须绑定到自己的户"):
        run("createuser", "x", "--role", "resident", "--scope", "140105")
    with pytest.raises(CommandError, match="必须指定范围"):
        run("createuser", "x", "--role", "grid_worker")
    # A grid worker is granted a grid, never a street or a district.
    with pytest.raises(CommandError, match="网格员的授权必须指定网格"):
        run("createuser", "x", "--role", "grid_worker", "--scope", "140105")
    with pytest.raises(CommandError, match="密码不符合要求"):
        run("createuser", "x", "--role", "city_office", "--password-stdin", stdin="123\n")
    assert not User.objects.filter(username="x").exists()


def test_a_city_office_account_needs_no_scope(city):
    run("createuser", "city", "--role", "city_office")
    user = User.objects.get(username="city")
    assert scoped(Resident.objects.all(), user).count() == 2


@pytest.fixture
def residences_registered():
    """Closed residence stays stand in for an app's personal records in these tests."""
    retention.register(
        "tests.residence",
        "测试用居住记录",
        lambda before: Residence.objects.filter(moved_in__lt=before),
        day_field="moved_in",
        district_field="district_code",
    )
    yield
    del retention.REGISTRY["tests.residence"]


def test_purge_dry_run_reports_and_changes_nothing(city, residences_registered):
    Residence.objects.update(moved_in=dt.date(2022, 4, 1))
    report = run("purge", "--before", "2022-05-01", "--dry-run")
    entry = next(c for c in report["categories"] if c["category"] == "tests.residence")
    assert entry["count"] == 2
    assert Residence.objects.count() == 2
    assert not PurgedCount.objects.exists()
    assert not AuditEvent.objects.filter(action="purge").exists()


def test_purge_removes_old_records_and_keeps_anonymous_counts(city, residences_registered):
    Residence.objects.filter(resident=city.alice).update(moved_in=dt.date(2022, 4, 1))
    Residence.objects.filter(resident=city.bob).update(moved_in=dt.date(2022, 6, 1))
    report = run("purge", "--before", "2022-05-01")
    assert report["total"] == 1
    assert list(Residence.objects.values_list("resident__name", flat=True)) == ["李强"]
    kept = PurgedCount.objects.get(category="tests.residence")
    assert (kept.day, kept.district_code, kept.count) == (dt.date(2022, 4, 1), "140105", 1)
    event = AuditEvent.objects.get(action="purge")
    assert event.after["total"] == 1


def test_every_registered_category_can_be_counted(city):
    report = run("purge", "--before", "2022-05-01", "--dry-run")
    assert {c["category"] for c in report["categories"]} == set(retention.REGISTRY)


def test_purge_refuses_a_bad_or_future_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("purge", "--before", "05/01/2022")
    with pytest.raises(CommandError, match="之后"):
        run("purge", "--before", "2999-01-01")


def test_purge_removes_the_scans_of_an_ended_round_and_keeps_counts(city):
    from tests.testing.conftest import Round
    from wuyi.testing.ingest import ingest_one
    from wuyi.testing.models import Sampled, Scan, TestingRound

    rnd = Round(city)
    ingest_one(rnd.event(token=city.alice.code_token))
    ingest_one(rnd.event(token=city.bob.code_token))
    assert Scan.objects.filter(resident=city.alice).exists()
    ended = rnd.round.end_date

    # The round is still on the day itself: nothing of it goes.
    assert run("purge", "--before", ended.isoformat())["total"] == 0

    TestingRound.objects.filter(pk=rnd.round.pk).update(
        start_date=dt.date(2022, 4, 29), end_date=dt.date(2022, 4, 30)
    )
    report = run("purge", "--before", "2022-05-01")
    counts = {c["category"]: c["count"] for c in report["categories"]}
    assert counts["testing.scan"] == 2 and counts["testing.sampled"] == 2
    assert not Scan.objects.exists() and not Sampled.objects.exists()
    assert Resident.objects.count() == 2  # the registry itself stays
    kept = PurgedCount.objects.filter(category="testing.scan")
    assert sum(k.count for k in kept) == 2
    assert {k.district_code for k in kept} == {"140105"}


def test_purge_fails_whole_when_a_scan_it_would_remove_is_still_referred_to(city):
    """Scans go in bulk, not through the ORM's collector: the database refuses a dangling
    referrer (here a retest task of a round that has not ended), and nothing is removed."""
    from django.db import IntegrityError
    from django.utils import timezone

    from tests.testing.conftest import Round
    from wuyi.testing.ingest import ingest_one
    from wuyi.testing.models import RetestTask, Sampled, Scan, TestingRound

    rnd = Round(city)
    ingest_one(rnd.event(token=city.alice.code_token))
    scan = Scan.objects.get(resident=city.alice)
    RetestTask.objects.create(
        round=rnd.other_round,
        reason="positive_pool",
        source_tube=scan.tube,
        source_scan=scan,
        resident=city.alice,
        due_at=timezone.now(),
        district_code="140105",
    )
    TestingRound.objects.filter(pk=rnd.round.pk).update(
        start_date=dt.date(2022, 4, 29), end_date=dt.date(2022, 4, 30)
    )
    with pytest.raises(IntegrityError):
        run("purge", "--before", "2022-05-01")
    assert Scan.objects.filter(pk=scan.pk).exists() and Sampled.objects.exists()
    assert not PurgedCount.objects.exists()
    assert not AuditEvent.objects.filter(action="purge").exists()


def test_purge_removes_the_coverage_records_of_an_ended_round(city):
    from tests.testing.conftest import Round
    from wuyi.coverage.door_knocking import record as record_knock
    from wuyi.coverage.models import DoorKnock, Exemption, HomeSamplingRequest
    from wuyi.testing.models import TestingRound

    rnd = Round(city)
    record_knock(rnd.round, city.home1, "bedridden", resident=city.alice)
    record_knock(rnd.round, city.home2, "nobody_home")
    assert DoorKnock.objects.count() == 2
    assert Exemption.objects.count() == 1 and HomeSamplingRequest.objects.count() == 1

    TestingRound.objects.filter(pk=rnd.round.pk).update(
        start_date=dt.date(2022, 4, 29), end_date=dt.date(2022, 4, 30)
    )
    report = run("purge", "--before", "2022-05-01")
    counts = {c["category"]: c["count"] for c in report["categories"]}
    assert counts["coverage.doorknock"] == 2
    assert counts["coverage.exemption"] == 1 and counts["coverage.homesamplingrequest"] == 1
    assert not DoorKnock.objects.exists() and not Exemption.objects.exists()
    assert not HomeSamplingRequest.objects.exists()
    assert Resident.objects.count() == 2
    kept = PurgedCount.objects.filter(category="coverage.doorknock")
    assert {k.label for k in kept} == {"bedridden", "nobody_home"}
