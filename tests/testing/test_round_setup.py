"""``round_setup``: the setup each process keeps, and every change that must reach the next scan.

The database renews the setup version in triggers; these tests change each watched table
the way staff would (the ORM, a bulk update, a delete) and check that the very next scan is
decided against the change, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json

import pytest

from tests.testing.wsgi_client import WsgiClient
from wuyi.testing import devices, round_setup
from wuyi.testing.bulk_sql import BulkSql
from wuyi.testing.ingest import ingest, ingest_one
from wuyi.testing.models import (
    Desk,
    DeviceToken,
    PoolSize,
    RoundSite,
    RoundStatus,
    RoundZone,
    SamplingSite,
    Scan,
    SetupVersion,
    TestingRound,
    Tube,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads(monkeypatch) -> list:
    """Each time a process reads the round setup from the tables (not from what it keeps)."""
    seen: list = []
    original = round_setup._read_context

    def counting(sql, *codes):
        seen.append(codes)
        return original(sql, *codes)

    monkeypatch.setattr(round_setup, "_read_context", counting)
    return seen


def version() -> int:
    return SetupVersion.objects.get(pk=1).version


def test_a_process_reads_the_setup_once_and_keeps_it_while_nothing_changes(rnd, reads):
    for n in range(3):
        assert ingest_one(rnd.event(f"T{n}", token=rnd.city.alice.code_token)).status == "accepted"
    assert len(reads) == 1
    ingest_one(rnd.event("T9", desk="D2", token=rnd.city.bob.code_token))  # other codes
    assert len(reads) == 2


def test_closing_a_round_holds_from_the_next_scan(rnd, reads):
    ingest_one(rnd.event("T1", token=rnd.city.alice.code_token))
    TestingRound.objects.filter(pk=rnd.round.pk).update(status=RoundStatus.CLOSED)
    answer = ingest_one(rnd.event("T2", token=rnd.city.bob.code_token))
    assert (answer.status, answer.reason) == ("rejected", "unknown_round")
    assert len(reads) == 2


def test_a_site_turned_off_or_taken_out_of_the_round_holds_from_the_next_scan(rnd):
    ingest_one(rnd.event("T1", token=rnd.city.alice.code_token))
    rnd.site.active = False
    rnd.site.save()
    assert ingest_one(rnd.event("T2", token=rnd.city.bob.code_token)).reason == "unknown_site"
    SamplingSite.objects.filter(pk=rnd.site.pk).update(active=True)
    assert ingest_one(rnd.event("T2", token=rnd.city.bob.code_token)).status == "accepted"
    RoundSite.objects.filter(round=rnd.round, site=rnd.site).delete()
    assert ingest_one(rnd.event("T3", token=rnd.city.alice.code_token)).reason == "unknown_site"


def test_desks_added_and_removed_hold_from_the_next_scan(rnd):
    assert ingest_one(rnd.event("T1", desk="D9", token=rnd.city.alice.code_token)).reason == (
        "unknown_desk"
    )
    Desk.objects.create(site=rnd.site, code="D9")
    assert ingest_one(rnd.event("T1", desk="D9", token=rnd.city.alice.code_token)).status == (
        "accepted"
    )
    Desk.objects.filter(site=rnd.site, code="D9").update(code="D10")
    assert ingest_one(rnd.event("T2", desk="D9", token=rnd.city.bob.code_token)).reason == (
        "unknown_desk"
    )
    # A desk never used can be deleted (one with scans is protected).
    Desk.objects.create(site=rnd.site, code="D8")
    codes = ({"R1"}, {"S1"}, {"D8"})
    assert round_setup.current().context(BulkSql(), *codes).desks
    Desk.objects.filter(site=rnd.site, code="D8").delete()
    assert not round_setup.current().context(BulkSql(), *codes).desks


def test_a_new_pool_size_holds_for_the_next_new_tube(rnd):
    ingest_one(rnd.event("T1", token=rnd.city.alice.code_token))
    assert Tube.objects.get(barcode="T1").capacity == 10  # the community zone's 10-in-1
    RoundZone.objects.filter(round=rnd.round).update(pool_size=PoolSize.FIVE)
    ingest_one(rnd.event("T2", token=rnd.city.bob.code_token))
    assert Tube.objects.get(barcode="T2").capacity == 5
    RoundSite.objects.filter(round=rnd.round, site=rnd.site).update(pool_size=PoolSize.SINGLE)
    ingest_one(rnd.event("T3", token=rnd.city.alice.code_token))
    assert Tube.objects.get(barcode="T3").capacity == 1


def test_a_revoked_or_deleted_token_is_refused_on_its_next_request(rnd):
    device = WsgiClient()

    def post():
        event = rnd.event(token=rnd.city.alice.code_token)
        return device.post(
            "/api/v1/scans/one",
            json.dumps(event),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {rnd.secret}",
        )

    assert post().status_code == 200
    assert round_setup.current().tokens  # kept
    devices.revoke(rnd.token)
    assert post().status_code == 401
    _, rnd.secret = DeviceToken.issue("二号平板", site=rnd.site)
    assert post().status_code == 200
    DeviceToken.objects.filter(site=rnd.site, revoked_at__isnull=True).delete()
    assert post().status_code == 401


def test_a_token_moved_to_another_site_posts_for_that_site_from_its_next_request(rnd):
    setup = round_setup.current()
    assert devices.site_device(rnd.secret, setup).site_id == rnd.site.pk
    DeviceToken.objects.filter(pk=rnd.token.pk).update(site=rnd.site2)
    assert devices.site_device(rnd.secret, round_setup.current()).site_id == rnd.site2.pk


def test_recording_a_tokens_use_does_not_count_as_a_change(rnd):
    before = version()
    DeviceToken.objects.filter(pk=rnd.token.pk).update(last_used_at=None)
    setup = round_setup.current()
    assert devices.site_device(rnd.secret, setup) is not None  # writes last_used_at
    rnd.token.refresh_from_db()
    assert rnd.token.last_used_at is not None
    assert version() == before
    assert round_setup.current() is setup


def test_every_change_is_a_new_version_even_after_its_row_is_lost(rnd):
    seen = {version()}
    for code in ("D5", "D6"):
        Desk.objects.create(site=rnd.site, code=code)
        seen.add(version())
    assert len(seen) == 3
    SetupVersion.objects.all().delete()
    assert round_setup.current().version is None  # nothing is kept without a version
    Desk.objects.create(site=rnd.site, code="D7")
    assert version() not in seen


def test_unknown_tokens_and_codes_are_not_kept(rnd):
    setup = round_setup.current()
    assert setup.device("wy_forged") is None
    assert ingest_one(
        rnd.event(round="NOPE", token=rnd.city.alice.code_token), setup=setup
    ).reason == ("unknown_round")
    assert setup.tokens == {}
    assert setup.contexts == {}


def test_a_process_keeps_at_most_limit_entries(rnd, monkeypatch):
    monkeypatch.setattr(round_setup, "LIMIT", 2)
    setup = round_setup.current()
    for desk in ("D1", "D2", "D1", ""):
        ingest_one(rnd.event(desk=desk, token=rnd.city.alice.code_token), setup=setup)
    assert len(setup.contexts) <= 2


def test_ingest_refuses_a_setup_that_has_changed_and_stores_nothing(rnd):
    """The scan endpoint hands ingest the setup it authenticated against, unread: a single
    event (on PostgreSQL checked in the database function) and a batch (in Python) both
    refuse it once anything changed, so the endpoint authenticates again."""
    setup = round_setup.current()
    Desk.objects.create(site=rnd.site, code="D9")
    with pytest.raises(round_setup.Stale):
        ingest_one(rnd.event("T1", token=rnd.city.alice.code_token), setup=setup)
    with pytest.raises(round_setup.Stale):
        ingest([rnd.event("T2", token=rnd.city.bob.code_token)] * 2, setup=setup)
    with pytest.raises(round_setup.Stale):  # even an event with nothing to store
        ingest_one(rnd.event("T3", event_id="not-a-uuid"), setup=setup)
    assert not Scan.objects.exists()
    fresh = round_setup.current()
    assert ingest_one(rnd.event("T1", token=rnd.city.alice.code_token), setup=fresh).status == (
        "accepted"
    )
