"""Positive-pool members enter control through the queue and the background job.

The lab's result is applied through the real results flow (scan → seal → box → receipt →
result); the job is the registered ``control.positive_pools`` function.
"""

from __future__ import annotations

import pytest

from tests.testing.labkit import deliver, fill, make_lab, stranger
from wuyi.accounts.models import AuditEvent
from wuyi.control import chain, intake, jobs, pools, schedule, teams
from wuyi.control.models import (
    FiveToOneTeam,
    PendingPool,
    PoolLink,
    RiskPerson,
    Stage,
    Task,
    TaskKind,
    Transition,
)
from wuyi.core import background
from wuyi.testing.models import PoolSize, RetestTask, RoundSite, Tube
from wuyi.testing.results import record_result

pytestmark = pytest.mark.django_db

NOTHING = dict.fromkeys(("pools", "entered", "already", "skipped", "cases", "released"), 0)


@pytest.fixture
def lab():
    return make_lab()


def positive_pool(rnd, lab, barcode: str, people: list) -> Tube:
    """``people`` scanned into a 10-in-1 tube that the lab reports positive."""
    fill(rnd, barcode, people)
    deliver(lab, [barcode], f"BOX-{barcode}")
    assert record_result(lab, barcode, "positive", ct_orf1ab=30, ct_n=32).retest_tasks
    return Tube.objects.get(barcode=barcode)


def retest(rnd, lab, results: dict) -> None:
    """Single-tube retests at site S2: {barcode: (person, outcome)}."""
    RoundSite.objects.filter(round=rnd.round, site=rnd.site2).update(pool_size=PoolSize.SINGLE)
    for barcode, (person, _) in results.items():
        fill(rnd, barcode, [person], site="S2")
    deliver(lab, list(results), "BOX-RETEST")
    for barcode, (_, outcome) in results.items():
        cts = {"ct_orf1ab": 25, "ct_n": 26} if outcome == "positive" else {}
        assert record_result(lab, barcode, outcome, **cts).ok


def totals() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (RiskPerson, Stage, Task, Transition, AuditEvent, PoolLink, PendingPool)
    )


def describe(person: RiskPerson) -> dict:
    """An episode as offices see it, without what differs by resident or by moment."""
    return {
        "fields": (
            person.category,
            person.state,
            person.policy_version,
            person.release_rule,
            person.place,
            person.start_date,
            person.end_date,
            person.release_on,
            person.source,
        ),
        "stages": list(
            person.stages.values_list("seq", "place", "start_date", "end_date", "until")
        ),
        "tasks": sorted(
            person.tasks.values_list(
                "kind", "day", "day_number", "due_at", "home_sampling", "status"
            )
        ),
        "transitions": list(person.transitions.values_list("from_state", "to_state", "note")),
        "audit": list(
            AuditEvent.objects.filter(model="control.riskperson", object_pk=str(person.pk))
            .order_by("id")
            .values_list("action", "before", "after", "reason")
        ),
    }


def test_the_job_is_registered_to_run_every_five_seconds():
    job = background.JOBS["control.positive_pools"]
    assert (job.func, job.seconds) == (jobs.positive_pools, 5)


def test_the_job_puts_members_under_control_as_the_one_by_one_path_would(
    rnd,
    lab,
    workforce,
):
    city = rnd.city
    team = teams.auto_form_team(city.home1)
    assert not team.active  # nobody in the household is under control yet
    p1 = positive_pool(rnd, lab, "P1", [city.alice, stranger(1)])
    p2 = positive_pool(rnd, lab, "P2", [city.bob])
    # The result only queued the pools: nobody is under control until the job runs.
    assert set(PendingPool.objects.values_list("tube_id", flat=True)) == {p1.pk, p2.pk}
    assert not RiskPerson.objects.exists()
    # Bob's pool goes the old, one-person-at-a-time way first; the job adopts that episode.
    by_hand = intake.from_positive_pool(p2).created[0]

    assert jobs.positive_pools() == {**NOTHING, "pools": 2, "entered": 1}

    alice = RiskPerson.objects.get(resident=city.alice)
    assert (alice.source_ref, alice.state, alice.place) == ("P1", "under_measure", "home_isolation")
    assert describe(alice) == describe(by_hand)
    sampling = alice.tasks.get(kind=TaskKind.SAMPLING)
    assert sampling.home_sampling and sampling.day == alice.start_date
    # The household's five-to-one team owes the tasks and now counts as active.
    assert sampling.assignee.role == "community_doctor"
    assert alice.tasks.get(kind=TaskKind.HEALTH_CHECK, day_number=1).assignee.role == "grid_worker"
    assert FiveToOneTeam.objects.get(pk=team.pk).active
    # Every registered member's task is linked; the stranger has no registry entry to control.
    links = {link.retest_task.resident_id: link for link in PoolLink.objects.all()}
    assert links[city.alice.pk].risk_person == alice
    assert links[city.bob.pk].risk_person == by_hand
    assert RetestTask.objects.filter(source_tube=p1, resident__isnull=True).count() == 1
    assert not PendingPool.objects.exists()


def test_running_the_job_again_changes_nothing(rnd, lab):
    positive_pool(rnd, lab, "P1", [rnd.city.alice, rnd.city.bob])
    assert jobs.positive_pools()["entered"] == 2
    before = totals()
    assert jobs.positive_pools() == NOTHING
    assert intake.sync_retests() == NOTHING
    assert totals() == before


def test_decided_retests_escalate_one_member_and_release_the_other(rnd, lab):
    city = rnd.city
    positive_pool(rnd, lab, "P1", [city.alice, city.bob])
    jobs.positive_pools()
    retest(rnd, lab, {"S-A": (city.alice, "positive"), "S-B": (city.bob, "negative")})

    assert jobs.positive_pools() == {**NOTHING, "cases": 1, "released": 1}

    pool_alice = RiskPerson.objects.get(resident=city.alice, category="positive_pool_member")
    case = RiskPerson.objects.get(resident=city.alice, state="identified")
    assert pool_alice.state == "escalated"
    assert (case.category, case.place, case.escalated_from) == ("confirmed", "hospital", pool_alice)
    assert pool_alice.tasks.get(kind=TaskKind.SAMPLING).result == "positive"

    bob = RiskPerson.objects.get(resident=city.bob)
    assert bob.state == "released" and bob.ended_at is not None
    assert bob.tasks.get(kind=TaskKind.SAMPLING).result == "negative"
    assert not bob.tasks.filter(status="open").exists()
    assert list(bob.transitions.values_list("to_state", "note"))[-1] == ("released", "单管复核阴性")
    assert AuditEvent.objects.filter(
        model="control.riskperson", object_pk=str(bob.pk), after__state="released"
    ).exists()
    assert not PoolLink.objects.filter(open=True).exists()

    before = totals()
    assert jobs.positive_pools() == NOTHING
    assert totals() == before


def test_a_member_already_under_control_is_linked_and_a_positive_retest_escalates_that_episode(
    rnd,
    lab,
):
    city = rnd.city
    contact = chain.identify(city.bob, "close_contact")
    positive_pool(rnd, lab, "P1", [city.bob])
    assert jobs.positive_pools() == {**NOTHING, "pools": 1, "already": 1}
    link = PoolLink.objects.get()
    assert (link.risk_person, link.outcome, link.open) == (contact, "already", True)
    assert link.reason == "已在管控中(密切接触者)"

    retest(rnd, lab, {"S-B": (city.bob, "positive")})
    assert jobs.positive_pools() == {**NOTHING, "cases": 1}
    contact.refresh_from_db()
    assert contact.state == "escalated"
    assert RiskPerson.objects.get(escalated_from=contact).category == "confirmed"


def test_a_small_result_takes_its_members_in_right_after_its_commit(
    rnd,
    lab,
    django_capture_on_commit_callbacks,
):
    city = rnd.city
    fill(rnd, "P1", [city.alice, city.bob])
    deliver(lab, ["P1"], "BOX-P1")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_result(lab, "P1", "positive", ct_orf1ab=30, ct_n=32)
    assert len(callbacks) == 1
    assert set(RiskPerson.objects.values_list("resident__name", flat=True)) == {"张丽", "李强"}
    assert not PendingPool.objects.exists()


def test_a_large_result_is_left_to_the_job(
    rnd, lab, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pools, "INLINE_LIMIT", 1)  # two members count as "large" here
    city = rnd.city
    fill(rnd, "P1", [city.alice, city.bob])
    deliver(lab, ["P1"], "BOX-P1")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_result(lab, "P1", "positive", ct_orf1ab=30, ct_n=32)
    assert callbacks == []
    assert PendingPool.objects.count() == 1 and not RiskPerson.objects.exists()
    assert jobs.positive_pools()["entered"] == 2


def test_a_run_is_bounded_and_the_next_one_continues(rnd, lab):
    positive_pool(rnd, lab, "P1", [rnd.city.alice])
    positive_pool(rnd, lab, "P2", [rnd.city.bob])
    assert pools.take_in(limit=1) == {**NOTHING, "pools": 1, "entered": 1}
    assert PendingPool.objects.count() == 1
    assert pools.take_in(limit=1) == {**NOTHING, "pools": 1, "entered": 1}
    assert not PendingPool.objects.exists()


def test_nothing_is_lost_when_the_job_fails_midway(rnd, lab, monkeypatch):
    city = rnd.city
    positive_pool(rnd, lab, "P1", [city.alice])
    positive_pool(rnd, lab, "P2", [city.bob])
    monkeypatch.setattr(pools, "BATCH", 1)  # one pool per transaction
    real = schedule.write_schedules
    calls = []

    def fails_the_second_time(plans):
        calls.append(plans)
        if len(calls) == 2:
            # The second pool's risk person is already inserted when this fails.
            raise RuntimeError("数据库连接中断")
        return real(plans)

    monkeypatch.setattr(schedule, "write_schedules", fails_the_second_time)
    with pytest.raises(RuntimeError, match="数据库连接中断"):
        jobs.positive_pools()
    # The first pool is in; the second is still queued with nothing of it written.
    assert RiskPerson.objects.get().resident == city.alice
    assert list(PendingPool.objects.values_list("tube__barcode", flat=True)) == ["P2"]
    assert not PoolLink.objects.filter(retest_task__resident=city.bob).exists()

    monkeypatch.setattr(schedule, "write_schedules", real)
    assert jobs.positive_pools() == {**NOTHING, "pools": 1, "entered": 1}
    bob = RiskPerson.objects.get(resident=city.bob)
    assert bob.tasks.exists() and bob.transitions.count() == 4
    assert not PendingPool.objects.exists()
