"""The synthetic city: deterministic, valid ID numbers, realistic households, grids."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wuyi.accounts.models import Grant, Role, User
from wuyi.people import id_numbers
from wuyi.people.models import Residence, Resident
from wuyi.territory import gazetteer, synthetic
from wuyi.territory.addresses import normalise_building, normalise_room, normalise_unit
from wuyi.territory.models import Grid, Kind, Node

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city():
    return synthetic.generate(3000, seed=7)


def test_the_same_seed_gives_the_same_city_and_another_seed_another():
    synthetic.generate(1500, seed=3)
    first = synthetic.digest()
    synthetic.generate(1500, seed=3, force=True)
    assert synthetic.digest() == first
    synthetic.generate(1500, seed=4, force=True)
    assert synthetic.digest() != first


def test_it_generates_exactly_the_residents_asked_for_with_a_residence_each(small_city):
    assert Resident.objects.count() == 3000 == small_city.counts["residents"]
    assert Residence.objects.filter(moved_out__isnull=True).count() == 3000
    mismatched = Residence.objects.exclude(household=models_f("resident__household"))
    assert not mismatched.exists()


def models_f(name):
    from django.db.models import F

    return F(name)


def test_every_foreign_key_points_at_a_row(small_city):
    # Foreign keys are deferred to commit, and a test never commits: check them now.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_every_id_number_is_valid_unique_and_from_its_district(small_city):
    seen = set()
    today = dt.date(2030, 1, 1)
    for number, gender, birth, district in Resident.objects.values_list(
        "id_number", "gender", "birth_date", "district_code"
    ):
        parsed = id_numbers.parse(number, today=today)
        assert (parsed.gender, parsed.birth_date, parsed.region_code) == (gender, birth, district)
        seen.add(number)
    assert len(seen) == 3000


def test_the_fast_checksum_agrees_with_id_numbers_make(small_city):
    for number in Resident.objects.values_list("id_number", flat=True)[:300]:
        parsed = id_numbers.parse(number, today=dt.date(2030, 1, 1))
        rebuilt = id_numbers.make(number[:6], parsed.birth_date, int(number[14:17]), parsed.gender)
        assert rebuilt == number


def test_households_have_one_to_six_people_and_plausible_flags(small_city):
    sizes = Counter(Resident.objects.values_list("household_id", flat=True))
    assert set(sizes.values()) <= {1, 2, 3, 4, 5, 6}
    mean = sum(sizes.values()) / len(sizes)
    assert 2.2 < mean < 3.0
    alone = Resident.objects.filter(elderly_alone=True)
    assert 0.01 < alone.count() / len(sizes) < 0.08
    reference = synthetic.REFERENCE_DATE
    for person in alone:
        assert sizes[person.household_id] == 1
        assert (reference - person.birth_date).days >= 60 * 365
    for person in Resident.objects.filter(infant=True):
        assert (reference - person.birth_date).days < 3 * 366
    assert not Resident.objects.filter(pregnant=True, gender="M").exists()
    assert not Resident.objects.filter(infant=False, birth_date__gt=dt.date(2023, 7, 2)).exists()
    assert Resident.objects.filter(status="away").count() < 300
    assert Resident.objects.filter(phone="").count() < 1000
    for phone in Resident.objects.exclude(phone="").values_list("phone", flat=True):
        assert len(phone) == 11 and phone.isdigit() and phone[0] == "1"


def test_every_gazetteer_place_is_in_the_city(small_city):
    for district in gazetteer.districts():
        assert Node.objects.filter(kind=Kind.DISTRICT, code=district["code"]).exists()
        for street in district["streets"]:
            node = Node.objects.get(kind=Kind.STREET, code=street["code"])
            assert node.name == street["name"]
            for community in street["communities"]:
                assert Node.objects.filter(
                    kind=Kind.COMMUNITY, code=community["code"], name=community["name"]
                ).exists()


def test_names_are_canonical_and_paths_follow_parents(small_city):
    nodes = {n.pk: n for n in Node.objects.all()}
    for node in nodes.values():
        if node.parent_id:
            parent = nodes[node.parent_id]
            assert node.path == f"{parent.path}.{node.code}"
            assert node.district_code == parent.district_code
        if node.kind == Kind.BUILDING:
            assert node.name == normalise_building(node.name)
        elif node.kind == Kind.UNIT:
            assert node.name == normalise_unit(node.name)
        elif node.kind == Kind.HOUSEHOLD:
            assert node.name == normalise_room(node.name)
            if nodes[node.parent_id].kind == Kind.UNIT:
                assert node.name.endswith(f"{node.floor}{node.name[-2:]}")
    residents = Resident.objects.select_related("household")
    for resident in residents[:500]:
        assert resident.path == resident.household.path
        assert resident.grid_id == resident.household.grid_id is not None


def test_each_grid_has_a_grid_worker_with_an_unusable_password(small_city):
    grids = Grid.objects.all()
    assert grids.count() == small_city.counts["grids"] > 0
    for grid in grids:
        [worker] = grid.workers.all()
        assert worker.username == f"gw-{grid.code}"
        assert not worker.has_usable_password()
        assert Grant.objects.filter(user=worker, role=Role.GRID_WORKER, grid=grid).exists()
        assert grid.name.startswith("第") and grid.name.endswith("网格")
    assert User.objects.filter(username__startswith="gw-").count() == grids.count()


def test_grids_hold_200_to_500_households_when_the_community_has_enough():
    rng = random.Random(5)
    for _ in range(300):
        counts = [
            rng.randint(1, synthetic.BUILDING_MAX_HOUSEHOLDS) for _ in range(rng.randint(1, 40))
        ]
        groups = synthetic._grid_partition(counts, rng)
        assert sorted(i for g in groups for i in g) == list(range(len(counts)))
        if sum(counts) >= 400:
            sizes = [sum(counts[i] for i in g) for g in groups]
            assert all(size <= 600 for size in sizes)
            inside = sum(200 <= size <= 500 for size in sizes)
            assert inside >= len(sizes) - 1


def test_village_grids_split_households_evenly():
    for households in range(0, 3000, 7):
        grids = synthetic.village_grids(households)
        assert sum(grids) == households
        if households >= synthetic.GRID_MIN:
            assert all(synthetic.GRID_MIN <= n <= synthetic.GRID_MAX for n in grids)


def test_it_refuses_a_registry_that_is_not_empty(city):
    with pytest.raises(synthetic.RegistryNotEmpty):
        synthetic.generate(100, seed=1)
    with pytest.raises(CommandError, match="--force"):
        call_command("generate", residents=100, seed=1)
    assert Node.objects.filter(name="光华街社区", parent__name="坞城街道").exists()
    call_command("generate", residents=100, seed=1, force=True, verbosity=0)
    assert Resident.objects.count() == 100
    assert not Node.objects.filter(parent__name="坞城街道", name="光华街社区").exists()


def test_force_refuses_a_registry_whose_residents_have_been_sampled():
    """Scans have no foreign key constraint to residents: generate --force checks instead."""
    from django.utils import timezone

    from wuyi.testing.models import Scan, TestingRound

    synthetic.generate(300, seed=5)
    today = dt.date.today()
    rnd = TestingRound.objects.create(code="R1", name="一轮", start_date=today, end_date=today)
    resident = Resident.objects.first()
    Scan.objects.create(
        outcome="accepted", round=rnd, resident=resident, received_at=timezone.now()
    )
    with pytest.raises(synthetic.RegistryNotEmpty, match="采样记录"):
        synthetic.generate(300, seed=6, force=True)
    assert Resident.objects.filter(pk=resident.pk).exists()
