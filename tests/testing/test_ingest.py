"""Binding scan events to tubes: every answer, idempotent replay, and two desks racing.

On PostgreSQL a single event is decided and stored by the database function
``testing_scan_one``, a batch by Python: every test here runs both ways there.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection

from wuyi.people import id_numbers
from wuyi.testing import ingest as ingest_module
from wuyi.testing.ingest import follow_up_scans, ingest, ingest_one
from wuyi.testing.models import Sampled, Scan, Tube, TubeStatus

pytestmark = pytest.mark.django_db

_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(
    autouse=True,
    params=["single events in the database", "all in Python"] if _POSTGRESQL else ["Python"],
)
def single_event_path(request, monkeypatch):
    if request.param == "all in Python":
        monkeypatch.setattr(ingest_module, "ONE_IN_DATABASE", False)
    return request.param


def stranger(seq: int) -> str:
    """A valid ID number nobody in the registry has."""
    return id_numbers.make("140106", dt.date(1990, 1, 1), 100 + seq, "M" if seq % 2 else "F")


def test_it_binds_a_resident_by_the_token_in_their_code(rnd):
    answer = ingest_one(rnd.event(token=rnd.city.alice.code_token))
    assert answer.status == "accepted"
    assert answer.members == 1 and not answer.sealed and not answer.follow_up
    scan = Scan.objects.get(event_id=answer.event_id)
    assert scan.resident == rnd.city.alice
    assert scan.tube.barcode == "T0001"
    # A registered resident is the resident row: the scan does not copy their ID number.
    assert scan.id_number == ""
    assert scan.path == rnd.city.alice.path and scan.grid_id == rnd.city.grid_a.pk
    sampled = Sampled.objects.get(round=rnd.round, resident=rnd.city.alice)
    assert sampled.first_scan == scan


def test_it_binds_a_resident_by_a_typed_id_number(rnd):
    typed = rnd.city.bob.id_number.lower()  # a lower-case x or spaces are forgiven
    answer = ingest_one(rnd.event(id_number=typed))
    assert answer.status == "accepted"
    assert Scan.objects.get(event_id=answer.event_id).resident == rnd.city.bob


def test_it_opens_tubes_at_the_pool_size_of_the_sites_zone(rnd):
    ingest_one(rnd.event("T1", token=rnd.city.alice.code_token))
    ingest_one(rnd.event("T2", site="S2", token=rnd.city.alice.code_token))
    # S1 stands in the community zone (10-in-1); S2 outside every zone: the round's 20-in-1.
    assert Tube.objects.get(barcode="T1").capacity == 10
    assert Tube.objects.get(barcode="T2").capacity == 20


def test_it_accepts_a_person_not_in_the_registry_and_lists_them_for_follow_up(rnd):
    number = stranger(1)
    answer = ingest_one(rnd.event(id_number=number, name="王五", phone="13700001111"))
    assert answer.status == "accepted" and answer.follow_up
    listed = list(follow_up_scans(rnd.round))
    assert [(s.id_number, s.name, s.phone) for s in listed] == [(number, "王五", "13700001111")]
    assert listed[0].resident is None
    assert not Sampled.objects.exists()


def test_it_rejects_the_eleventh_person_in_a_ten_in_one_tube(rnd):
    answers = ingest([rnd.event(id_number=stranger(i)) for i in range(11)])
    assert [a.status for a in answers[:10]] == ["accepted"] * 10
    assert answers[9].sealed  # the tenth fills it and seals it
    assert (answers[10].status, answers[10].reason) == ("rejected", "tube_full")
    assert answers[10].message == "该管已满,请换新管"
    tube = Tube.objects.get(barcode="T0001")
    assert (tube.member_count, tube.status) == (10, TubeStatus.SEALED)
    assert tube.sealed_at is not None


def test_it_rejects_a_person_for_a_sealed_tube(rnd):
    first = ingest_one(rnd.event(token=rnd.city.alice.code_token))
    seal = ingest_one(rnd.event(type="seal"))
    assert (seal.status, seal.sealed, seal.members) == ("accepted", True, 1)
    late = ingest_one(rnd.event(token=rnd.city.bob.code_token))
    assert (late.status, late.reason) == ("rejected", "tube_sealed")
    again = ingest_one(rnd.event(type="seal"))
    assert (again.status, again.reason) == ("rejected", "tube_sealed")
    assert first.status == "accepted"
    assert Tube.objects.get().member_count == 1


def test_it_refuses_to_seal_a_tube_nobody_is_in(rnd):
    answer = ingest_one(rnd.event(type="seal"))
    assert (answer.status, answer.reason) == ("rejected", "empty_tube")
    assert not Tube.objects.exists()


def test_it_rejects_a_tube_of_another_round_or_another_site(rnd):
    ingest_one(rnd.event(token=rnd.city.alice.code_token))
    other_round = ingest_one(rnd.event(round="R2", token=rnd.city.bob.code_token))
    other_site = ingest_one(rnd.event(site="S2", token=rnd.city.bob.code_token))
    assert other_round.reason == "tube_other_round"
    assert other_site.reason == "tube_other_site"
    assert Tube.objects.get().member_count == 1


def test_it_rejects_a_person_already_in_the_tube(rnd):
    ingest_one(rnd.event(token=rnd.city.alice.code_token))
    by_token = ingest_one(rnd.event(token=rnd.city.alice.code_token))
    by_id = ingest_one(rnd.event(id_number=rnd.city.alice.id_number))
    assert by_token.reason == by_id.reason == "person_in_tube"
    number = stranger(2)
    ingest_one(rnd.event(id_number=number))
    assert ingest_one(rnd.event(id_number=number)).reason == "person_in_tube"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id_number": "140105198005010011"}, "malformed_id"),  # wrong checksum
        ({"id_number": ""}, "malformed_id"),
        ({"id_type": "ufo", "id_number": "E12345678"}, "malformed_id"),
        ({"id_type": "passport", "id_number": "E1"}, "malformed_id"),
        ({"token": "no-such-token"}, "unknown_token"),
        ({"round": "R9", "token": "x"}, "unknown_round"),
        ({"round": "R0", "token": "x"}, "unknown_round"),  # closed rounds take no scans
        ({"site": "S9", "token": "x"}, "unknown_site"),
        ({"desk": "D9", "token": "x"}, "unknown_desk"),
        ({"tube": "", "token": "x"}, "malformed_event"),
        ({"type": "dance", "token": "x"}, "malformed_event"),
        ({"device_time": "yesterday", "token": "x"}, "malformed_event"),
    ],
)
def test_it_rejects_with_a_reason(rnd, fields, reason):
    answer = ingest_one(rnd.event(**fields))
    assert (answer.status, answer.reason) == ("rejected", reason)
    assert answer.message
    # Refused events are kept with their answer, so a retry gets the same one.
    assert Scan.objects.get(event_id=answer.event_id).reason == reason
    assert not Tube.objects.exists()


def test_it_rejects_an_event_without_a_usable_event_id_and_stores_nothing(rnd):
    answer = ingest_one(rnd.event(event_id="not-a-uuid", token=rnd.city.alice.code_token))
    assert (answer.status, answer.reason) == ("rejected", "malformed_event")
    assert not Scan.objects.exists()


def test_it_rejects_events_for_a_site_the_caller_may_not_post_for(rnd):
    answer = ingest_one(
        rnd.event(site="S2", token=rnd.city.alice.code_token), allowed_site_ids={rnd.site.pk}
    )
    assert answer.reason == "wrong_site"


def test_a_replayed_batch_gets_the_first_answers_and_changes_nothing(rnd):
    batch = [rnd.event(id_number=stranger(i)) for i in range(11)]
    batch.append(rnd.event(token="no-such-token"))
    first = ingest(batch)
    counts = (Scan.objects.count(), Tube.objects.get().member_count)
    again = ingest(batch)
    assert [a.status for a in again] == ["duplicate"] * 12
    assert [(a.outcome, a.reason) for a in again] == [(a.status, a.reason) for a in first]
    assert (Scan.objects.count(), Tube.objects.get().member_count) == counts


def test_a_batch_mixing_replayed_and_new_events_binds_only_the_new(rnd):
    """The first attempt does not look for stored events; the replay must still be found."""
    e1, e2, e3 = (rnd.event(id_number=stranger(i)) for i in range(3))
    ingest([e1, e2])
    answers = ingest([e2, e3, e1])
    assert [(a.status, a.outcome) for a in answers] == [
        ("duplicate", "accepted"),
        ("accepted", "accepted"),
        ("duplicate", "accepted"),
    ]
    assert answers[1].members == 3
    assert Tube.objects.get().member_count == 3
    assert Scan.objects.count() == 3


def test_the_same_event_twice_in_one_batch_is_bound_once(rnd):
    event = rnd.event(token=rnd.city.alice.code_token)
    answers = ingest([event, dict(event)])
    assert [a.status for a in answers] == ["accepted", "duplicate"]
    assert answers[1].outcome == "accepted"
    assert Tube.objects.get().member_count == 1


def test_a_person_sampled_twice_in_a_round_is_kept_twice_and_counted_once(rnd):
    ingest_one(rnd.event("T1", token=rnd.city.alice.code_token))
    ingest_one(rnd.event("T2", desk="D2", token=rnd.city.alice.code_token))
    bindings = Scan.objects.filter(resident=rnd.city.alice, outcome="accepted")
    assert bindings.count() == 2
    assert Sampled.objects.filter(round=rnd.round).count() == 1


def test_a_mixed_batch_is_answered_per_event_in_order(rnd):
    batch = [
        rnd.event(token=rnd.city.alice.code_token),
        rnd.event(token="nope"),
        rnd.event(id_number=rnd.city.bob.id_number),
        rnd.event(type="seal"),
        rnd.event(id_number=stranger(3)),
    ]
    answers = ingest(batch)
    assert [a.event_id for a in answers] == [str(uuid.UUID(e["event_id"])) for e in batch]
    assert [a.status for a in answers] == [
        "accepted",
        "rejected",
        "accepted",
        "accepted",
        "rejected",
    ]
    assert answers[4].reason == "tube_sealed"
    assert Tube.objects.get().member_count == 2


@pytest.mark.django_db(transaction=True)
def test_two_desks_scanning_into_one_tube_at_once_never_overfill_it(rnd):
    """Two threads, two desks, 10 people each, one 10-in-1 tube: exactly 10 get in."""
    answers: list = []
    errors: list = []
    start = threading.Barrier(2)

    def desk(code: str, offset: int) -> None:
        try:
            start.wait()
            for i in range(10):
                event = rnd.event("RACE", desk=code, id_number=stranger(offset + i))
                answers.append(ingest_one(event))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=desk, args=(c, o)) for c, o in (("D1", 0), ("D2", 50))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    accepted = [a for a in answers if a.status == "accepted"]
    assert len(accepted) == 10
    assert {a.reason for a in answers if a.status == "rejected"} <= {"tube_full", "tube_sealed"}
    tube = Tube.objects.get(barcode="RACE")
    assert (tube.member_count, tube.status) == (10, TubeStatus.SEALED)
    assert Scan.objects.filter(tube=tube, outcome="accepted").count() == 10


@pytest.mark.django_db(transaction=True)
def test_the_same_event_from_two_threads_at_once_is_stored_once(rnd):
    """A device that retries before its first request was answered: one binding."""
    event = rnd.event("TWICE", token=rnd.city.alice.code_token)
    answers: list = []
    errors: list = []
    start = threading.Barrier(2)

    def post() -> None:
        try:
            start.wait()
            answers.append(ingest_one(event))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(a.status for a in answers) == ["accepted", "duplicate"]
    assert {a.outcome for a in answers} == {"accepted"}
    assert Scan.objects.filter(event_id=event["event_id"]).count() == 1
    assert Tube.objects.get(barcode="TWICE").member_count == 1
    assert Sampled.objects.filter(resident=rnd.city.alice).count() == 1


@pytest.mark.skipif(not _POSTGRESQL, reason="the database function exists on PostgreSQL only")
def test_on_postgresql_a_single_event_is_decided_by_the_database_function(rnd, monkeypatch):
    """The single-event tests above would pass through Python too: this one fails if the
    function is bypassed."""

    def python_path(*args, **kwargs):
        raise AssertionError("a single event went through _ingest_once")

    monkeypatch.setattr(ingest_module, "ONE_IN_DATABASE", True)
    monkeypatch.setattr(ingest_module, "_ingest_once", python_path)
    answer = ingest_one(rnd.event("FN1", token=rnd.city.alice.code_token))
    assert (answer.status, answer.members) == ("accepted", 1)
    assert Scan.objects.get(event_id=answer.event_id).tube.barcode == "FN1"
