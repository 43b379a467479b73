"""Door-knock results and what each changes: exemptions, home sampling, the registry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wuyi.coverage.door_knocking import KnockError, NewOccupant, record
from wuyi.coverage.models import DoorKnock, Exemption, HomeSamplingRequest, KnockResult
from wuyi.coverage.rollup import node_tally
from wuyi.people import id_numbers
from wuyi.people.models import Residence, Resident, Status


def test_nobody_home_is_recorded_for_the_household(city, rnd, grid_worker):
    knock = record(rnd.round, city.home1, KnockResult.NOBODY_HOME, grid_worker)
    assert knock.resident is None and knock.recorded_by == grid_worker
    assert knock.grid_id == city.grid_a.pk and knock.path == city.home1.path


def test_sampled_elsewhere_needs_the_place_and_keeps_the_time(city, rnd, grid_worker):
    with pytest.raises(KnockError, match="采样地点"):
        record(rnd.round, city.home1, KnockResult.SAMPLED_ELSEWHERE, grid_worker, city.alice)
    when = timezone.now() - dt.timedelta(hours=3)
    knock = record(
        rnd.round,
        city.home1,
        KnockResult.SAMPLED_ELSEWHERE,
        grid_worker,
        city.alice,
        sampled_where="单位采样点",
        sampled_when=when,
    )
    assert knock.sampled_where == "单位采样点" and knock.sampled_when == when


def test_refused_needs_a_person_of_the_household(city, rnd, grid_worker):
    with pytest.raises(KnockError, match="哪位居民"):
        record(rnd.round, city.home1, KnockResult.REFUSED, grid_worker)
    with pytest.raises(KnockError, match="不是这户"):
        record(rnd.round, city.home1, KnockResult.REFUSED, grid_worker, city.bob)
    assert DoorKnock.objects.count() == 0


def test_bedridden_exempts_the_person_and_requests_home_sampling(city, rnd, grid_worker):
    record(rnd.round, city.home1, KnockResult.BEDRIDDEN, grid_worker, city.alice)
    exemption = Exemption.objects.get(round=rnd.round, resident=city.alice)
    assert exemption.reason == "bedridden" and exemption.granted_by == grid_worker
    assert HomeSamplingRequest.objects.filter(round=rnd.round, resident=city.alice).count() == 1
    city.alice.refresh_from_db()
    assert city.alice.bedridden
    assert node_tally(rnd.round, city.building1).missing == 0


def test_moved_out_without_a_known_address_closes_the_stay(city, rnd, grid_worker):
    record(rnd.round, city.home1, KnockResult.MOVED_OUT, grid_worker, city.alice)
    city.alice.refresh_from_db()
    assert city.alice.status == Status.MOVED_OUT
    assert Residence.objects.get(resident=city.alice).moved_out == timezone.localdate()
    assert node_tally(rnd.round, city.building1).registered == 0


def test_moved_out_to_a_known_household_moves_the_person(city, rnd, grid_worker):
    record(
        rnd.round, city.home1, KnockResult.MOVED_OUT, grid_worker, city.alice, moved_to=city.home2
    )
    city.alice.refresh_from_db()
    assert city.alice.household == city.home2 and city.alice.grid == city.grid_b
    assert Residence.objects.filter(resident=city.alice).count() == 2


def test_a_new_occupant_is_registered_in_the_household(city, rnd, grid_worker):
    number = id_numbers.make("140105", dt.date(1992, 2, 2), 2, "F")
    knock = record(
        rnd.round,
        city.home1,
        KnockResult.NEW_OCCUPANT,
        grid_worker,
        new_occupant=NewOccupant("周敏", number, "13700001111"),
    )
    person = Resident.objects.get(id_number=number)
    assert knock.resident == person and person.household == city.home1
    assert node_tally(rnd.round, city.building1).missing == 2


def test_a_new_occupant_registered_elsewhere_is_moved_here(city, rnd, grid_worker):
    record(
        rnd.round,
        city.home1,
        KnockResult.NEW_OCCUPANT,
        grid_worker,
        new_occupant=NewOccupant("李强", city.bob.id_number),
    )
    city.bob.refresh_from_db()
    assert city.bob.household == city.home1
    assert Resident.objects.count() == 2


def test_a_bad_id_number_for_a_new_occupant_leaves_nothing_written(city, rnd, grid_worker):
    with pytest.raises(KnockError, match="校验位"):
        record(
            rnd.round,
            city.home1,
            KnockResult.NEW_OCCUPANT,
            grid_worker,
            new_occupant=NewOccupant("周敏", "140105199202020020"),
        )
    assert DoorKnock.objects.count() == 0 and Resident.objects.count() == 2


def test_a_knock_cannot_be_recorded_on_a_building(city, rnd, grid_worker):
    with pytest.raises(KnockError, match="不是户"):
        record(rnd.round, city.building1, KnockResult.NOBODY_HOME, grid_worker)


def test_an_unknown_result_is_refused(city, rnd):
    with pytest.raises(KnockError, match="未知"):
        record(rnd.round, city.home1, "gone_fishing")


def test_a_refusal_leaves_the_person_missing_and_registered(city, rnd, grid_worker):
    record(rnd.round, city.home1, KnockResult.REFUSED, grid_worker, city.alice, note="不愿意")
    assert Resident.objects.get(pk=city.alice.pk).status == Status.PRESENT
    assert node_tally(rnd.round, city.building1).missing == 1


def test_a_door_knock_and_the_exemption_it_grants_are_audited(city, rnd, grid_worker):
    from wuyi.accounts.models import AuditEvent

    knock = record(rnd.round, city.home1, KnockResult.BEDRIDDEN, grid_worker, city.alice)
    events = AuditEvent.objects.filter(actor_id=grid_worker.pk)
    assert set(events.values_list("model", flat=True)) == {
        "coverage.doorknock",
        "coverage.exemption",
    }
    knock_event = events.get(model="coverage.doorknock")
    assert knock_event.object_pk == str(knock.pk) and knock_event.path == city.home1.path
