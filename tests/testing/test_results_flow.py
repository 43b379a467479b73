"""The positive-pool flow end to end: scan → seal → box → receipt → positive → retests → results."""

from __future__ import annotations

import pytest

from tests.testing.labkit import deliver, fill, make_lab, stranger
from wuyi.testing.models import PoolSize, RetestTask, RoundSite, TaskStatus, Tube
from wuyi.testing.results import (
    confirmed_positives,
    pool_members,
    record_result,
    temporarily_controlled,
)

pytestmark = pytest.mark.django_db


def test_a_positive_pool_becomes_single_tube_retests_that_decide(rnd, grid_worker):
    city = rnd.city
    lab = make_lab()
    visitor = stranger(1)
    # Scan three people into a 10-in-1 tube, seal it, box it, hand it over, receive it.
    fill(rnd, "P1", [city.alice, city.bob, visitor])
    deliver(lab, ["P1"], "BOX-P1")
    tube = Tube.objects.get(barcode="P1")
    assert tube.sealed_at <= tube.box.handed_to_transport_at <= tube.received_at

    # The pool is positive: every member is listed, temporarily controlled, to be retested.
    report = record_result(lab, "P1", "positive", ct_orf1ab=30, ct_n=32)
    assert report.ok and report.retest_tasks == 3
    tasks = RetestTask.objects.filter(source_tube=tube)
    assert {t.reason for t in tasks} == {"positive_pool"}
    assert {t.status for t in tasks} == {TaskStatus.OPEN}
    assert temporarily_controlled(rnd.round).count() == 3

    members = {m.name: m for m in pool_members(tube)}
    alice = members["张丽"]
    assert alice.household == city.home1 and alice.unit == city.unit1
    assert alice.building == city.building1 and alice.compound == city.compound
    assert alice.community == city.community
    assert alice.grid == city.grid_a and alice.grid_workers == [str(grid_worker)]
    assert members["李强"].building == city.building2 and members["李强"].grid == city.grid_b
    outsider = members["外来人员"]
    assert outsider.follow_up and outsider.id_number == visitor and outsider.household is None
    # The outsider's task is placed where they were sampled, so the site's area sees it.
    assert tasks.get(resident__isnull=True).path == tube.path

    # Single-tube retests at a site that samples one person a tube.
    RoundSite.objects.filter(round=rnd.round, site=rnd.site2).update(pool_size=PoolSize.SINGLE)
    for barcode, person in (("S-A", city.alice), ("S-B", city.bob), ("S-V", visitor)):
        assert fill(rnd, barcode, [person], site="S2").pool_size == PoolSize.SINGLE
    deliver(lab, ["S-A", "S-B", "S-V"], "BOX-S")
    sampled = {t.resident_id: t for t in RetestTask.objects.filter(status=TaskStatus.SAMPLED)}
    assert sampled[city.alice.pk].new_tube.barcode == "S-A"
    assert len(sampled) == 3

    # The retests decide: positive confirms, negative releases, invalid decides nothing.
    assert record_result(lab, "S-A", "positive", ct_orf1ab=25, ct_n=26).confirmed == 1
    assert record_result(lab, "S-B", "negative").released == 1
    invalid = record_result(lab, "S-V", "invalid")
    assert invalid.resample_tasks == 1
    states = {t.resident_id: (t.status, t.control, t.outcome) for t in tasks.all()}
    assert states[city.alice.pk] == ("done", "confirmed", "positive")
    assert states[city.bob.pk] == ("done", "released", "negative")
    assert states[None] == ("sampled", "temporary", "")
    assert [t.resident for t in confirmed_positives()] == [city.alice]
    # A confirmed person's single tube does not open a retest of its own.
    assert not RetestTask.objects.filter(source_tube__barcode="S-A").exists()
    resample = RetestTask.objects.get(source_tube__barcode="S-V")
    assert (resample.reason, resample.status) == ("invalid", "open")

    # The visitor is sampled again; the negative closes the resample and releases them.
    fill(rnd, "S-V2", [visitor], site="S2")
    deliver(lab, ["S-V2"], "BOX-S2")
    assert record_result(lab, "S-V2", "negative").released == 1
    assert RetestTask.objects.get(pk=resample.pk).status == "done"
    assert not temporarily_controlled(rnd.round).exists()


def test_a_negative_pooled_retest_releases_but_a_pooled_positive_does_not_confirm(rnd):
    city = rnd.city
    lab = make_lab()
    fill(rnd, "P1", [city.alice, city.bob])
    deliver(lab, ["P1"], "B1")
    record_result(lab, "P1", "positive")
    fill(rnd, "P2", [city.alice])  # pooled again (10-in-1), with nobody else
    fill(rnd, "P3", [city.bob])
    deliver(lab, ["P2", "P3"], "B2")
    second = record_result(lab, "P2", "positive")
    assert second.confirmed == 0 and second.retest_tasks == 1
    assert record_result(lab, "P3", "negative").released == 1
    controlled = temporarily_controlled(rnd.round)
    # Alice stays under temporary control: her first task and the new pool's task are open.
    assert {t.resident_id for t in controlled} == {city.alice.pk}
    assert controlled.count() == 2


def test_a_positive_pool_member_list_takes_a_fixed_number_of_queries(
    rnd, django_assert_max_num_queries
):
    lab = make_lab()
    fill(rnd, "P1", [rnd.city.alice, rnd.city.bob, stranger(1), stranger(2)])
    deliver(lab, ["P1"], "B1")
    record_result(lab, "P1", "positive")
    tube = Tube.objects.get(barcode="P1")
    with django_assert_max_num_queries(6):
        members = pool_members(tube)
        assert [m.address for m in members][:1] == ["电子二所家属楼 1号楼 1单元 101"]
        assert all(m.task is not None for m in members)
