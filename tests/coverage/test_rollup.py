"""Coverage counts: each person in exactly one class, drill-down, grids, the round's area."""

from __future__ import annotations

import datetime as dt

from tests.conftest import City
from wuyi.coverage.door_knocking import grant_exemption
from wuyi.coverage.models import ExemptReason
from wuyi.coverage.rollup import (
    children_tallies,
    grid_children_tallies,
    grid_tally,
    node_tally,
    resident_classes,
)
from wuyi.people.models import Resident, Status
from wuyi.testing.models import RoundZone


def test_a_sampled_person_counts_once_and_the_rest_are_missing(city, rnd):
    rnd.sample(city.alice)
    rnd.sample(city.alice, dt.datetime(2022, 4, 10, 9, tzinfo=dt.UTC))  # sampled twice
    tally = node_tally(rnd.round, city.community)
    assert (tally.registered, tally.sampled, tally.missing) == (2, 1, 1)
    assert tally.target == 2 and tally.share == 0.5


def test_each_exemption_reason_is_counted_under_its_reason(city, rnd):
    people = {
        reason: City.resident(
            f"免检{i}", city.home1, "140105", dt.date(1970, 1, 1), 101 + 2 * i, "M"
        )
        for i, reason in enumerate(
            [ExemptReason.ISOLATED, ExemptReason.BEDRIDDEN, ExemptReason.ROUND_RULE]
        )
    }
    for reason, person in people.items():
        grant_exemption(rnd.round, person, reason)
    tally = node_tally(rnd.round, city.community)
    assert tally.exempt == {"isolated": 1, "bedridden": 1, "round_rule": 1}
    assert tally.registered == 5 and tally.target == 2 and tally.missing == 2


def test_a_person_away_from_the_city_is_exempt_by_the_registry(city, rnd):
    Resident.objects.filter(pk=city.bob.pk).update(status=Status.AWAY)
    tally = node_tally(rnd.round, city.community)
    assert tally.exempt == {"away": 1} and tally.missing == 1


def test_an_infant_below_the_rounds_age_limit_is_exempt_by_rule(city, rnd):
    baby = City.resident("小宝", city.home1, "140105", dt.date(2020, 6, 1), 31, "M")
    toddler = City.resident("大宝", city.home1, "140105", dt.date(2019, 4, 10), 33, "M")
    classes = resident_classes(rnd.round, Resident.objects.filter(household=city.home1))
    assert classes[baby.pk] == "infant"
    assert classes[toddler.pk] == "missing"  # three years old on the round's first day


def test_people_above_the_rounds_maximum_age_are_exempt_by_the_rounds_rule(city, rnd):
    rnd.round.max_age_years = 45
    rnd.round.save()
    classes = resident_classes(rnd.round, Resident.objects.all())
    assert classes[city.bob.pk] == "round_rule"  # born 1975, 47 on the first day
    assert classes[city.alice.pk] == "missing"  # born 1980, 41


def test_sampling_beats_an_exemption(city, rnd):
    grant_exemption(rnd.round, city.alice, ExemptReason.ISOLATED)
    rnd.sample(city.alice)
    assert resident_classes(rnd.round, Resident.objects.all())[city.alice.pk] == "sampled"


def test_moved_out_and_deceased_residents_are_not_counted(city, rnd):
    Resident.objects.filter(pk=city.bob.pk).update(status=Status.MOVED_OUT)
    assert node_tally(rnd.round, city.district).registered == 1


def test_drill_down_gives_one_tally_per_child(city, rnd):
    rnd.sample(city.bob)
    [community] = children_tallies(rnd.round, city.street)
    assert community.name == "光华街社区" and community.sampled == 1 and community.missing == 1
    buildings = children_tallies(rnd.round, city.compound)
    assert [(b.name, b.sampled, b.missing) for b in buildings] == [("1号楼", 0, 1), ("2号楼", 1, 0)]


def test_a_grid_counts_only_its_own_buildings(city, rnd):
    rnd.sample(city.alice)
    tally = grid_tally(rnd.round, city.grid_a)
    assert (tally.sampled, tally.missing) == (1, 0)
    [building] = grid_children_tallies(rnd.round, city.grid_a)
    assert building.name == "1号楼" and building.sampled == 1


def test_only_the_rounds_area_is_counted(city, rnd):
    RoundZone.objects.filter(round=rnd.round).update(node=city.building2, path=city.building2.path)
    assert node_tally(rnd.round, city.district).registered == 1
    assert node_tally(rnd.round, city.building1).registered == 0
    assert node_tally(rnd.round, city.other_district).registered == 0
