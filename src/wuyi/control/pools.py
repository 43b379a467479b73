"""Members of a positive pool under control within seconds of the lab's result.

The results flow (``testing/results.py``) writes one retest task per member of a positive
pool and, in the same transaction, sends ``positive_pools_opened``; control's receiver
queues the pool (``PendingPool``) there and then. So a committed result always leaves the
pool either queued or taken in, and this module only ever reads what is pending:

* ``take_in`` empties the queue: each member with a registry entry becomes a risk person
  (positive-pool member, under measure at home, with stages, tasks and their household's
  five-to-one team), and every task gets a ``PoolLink`` saying what became of it. The
  queue row is deleted in the same transaction as the links, so a run that fails midway
  leaves the rest queued for the next one.
* ``apply_decided`` applies the single-tube retests the lab has since decided: reads only
  open links (partial index), escalates confirmed members to cases, releases the others.
* ``run`` does both, bounded per run: the background job ``control.positive_pools``. A
  small upload or a hand entry also calls ``take_in`` for its own pools right after its
  commit, so those members are under control within the same request.
* ``reconcile`` is the full pass behind ``wuyi control daily``: any eligible task with no
  link (one made before the queue existed, say) is taken in, then decisions applied.

Why bulk: intake one person at a time costs about twenty queries (identify, three
transitions, each with its audit event); here a batch of members costs a fixed handful of
inserts, so a 100,000-tube upload with hundreds of positive pools is taken in within a
few job runs, and the lab's upload itself does nothing more than queue the pools.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone, translation

from wuyi.accounts import audit
from wuyi.accounts.models import Action
from wuyi.control import measures, schedule
from wuyi.control.chain import ChainError, _actor_name, escalate
from wuyi.control.models import (
    ACTIVE_STATES,
    Category,
    FiveToOneTeam,
    PendingPool,
    PoolLink,
    PoolLinkOutcome,
    RiskPerson,
    Source,
    State,
    Task,
    TaskKind,
    TaskResult,
    TaskStatus,
    Transition,
    chinese_label,
)

log = logging.getLogger(__name__)

# Members per transaction: big enough that the inserts are cheap, small enough that a
# failure repeats little and a write lock is held for well under a second.
BATCH = 500
# Members (and decisions) per job run, so one run of a busy day cannot hold the loop for
# minutes; the rest waits for the next run five seconds later.
RUN_LIMIT = 5000
# A result that opened at most this many retest tasks takes its members in right after
# its own commit; larger files leave it to the job.
INLINE_LIMIT = 200

CASES = (Category.CONFIRMED, Category.ASYMPTOMATIC)
DECIDED = ("confirmed", "released")  # testing.ControlState values that decide a retest
INTAKE_NOTE = "原地管控"


@dataclass
class Counts:
    """What a run did; ``as_dict`` is what the job and ``wuyi control daily`` report."""

    pools: int = 0
    entered: int = 0
    already: int = 0
    skipped: int = 0
    cases: int = 0
    released: int = 0

    def add(self, other: Counts) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --- Queueing (inside the lab result's transaction) ------------------------------------


def queue(tube_ids: list[int], tasks: int) -> None:
    """Queue positive pools for intake; inline after commit when the result was small.

    Called from the receiver of ``positive_pools_opened``, inside the result's
    transaction: the queue rows commit or roll back with the result.
    """
    if not tube_ids:
        return
    PendingPool.objects.bulk_create(
        [PendingPool(tube_id=pk) for pk in tube_ids], ignore_conflicts=True, batch_size=1000
    )
    if tasks <= INLINE_LIMIT:
        wanted = list(tube_ids)
        # robust: the result is committed whatever happens here; a failure stays queued.
        transaction.on_commit(lambda: take_in(wanted), robust=True)


def on_positive_pools(sender, tube_ids: list[int], tasks: int, **kwargs) -> None:
    """Receiver of ``testing.results.positive_pools_opened`` (connected in ``apps.ready``)."""
    queue(tube_ids, tasks)


# --- Taking members in -----------------------------------------------------------------


def _pool_tasks():
    from wuyi.testing.models import RetestTask, TaskReason

    return RetestTask.objects.filter(reason=TaskReason.POSITIVE_POOL, resident__isnull=False)


def take_in(
    tube_ids: list[int] | None = None, *, limit: int = RUN_LIMIT, user=None
) -> dict[str, int]:
    """Take queued pools (only ``tube_ids`` if given) in, oldest first, about ``limit`` members.

    Each batch of pools is one transaction: claim the queue rows, link every member's
    task, delete the rows. A pool another runner is taking in at the same moment is
    waited for and then found gone.
    """
    counts = Counts()
    pending = PendingPool.objects.order_by("id")
    if tube_ids is not None:
        pending = pending.filter(tube_id__in=tube_ids)
    taken = 0
    while taken < limit:
        head = list(pending.values_list("id", "tube__member_count")[:BATCH])
        if not head:
            break
        chosen, size, cap = [], 0, min(BATCH, limit - taken)
        for pk, members in head:
            if chosen and size + (members or 0) > cap:
                break
            chosen.append(pk)
            size += members or 0
        with transaction.atomic():
            claimed = list(
                PendingPool.objects.select_for_update()
                .filter(pk__in=chosen)
                .values_list("pk", "tube_id")
            )
            PendingPool.objects.filter(pk__in=[pk for pk, _ in claimed]).delete()
            tasks = list(
                _pool_tasks()
                .filter(source_tube_id__in=[tube for _, tube in claimed], control_link__isnull=True)
                .select_related("source_tube", "resident")
            )
            batch = enter(tasks, user=user)
        batch.pools = len(claimed)
        counts.add(batch)
        taken += max(len(tasks), 1)
    return counts.as_dict()


def enter(tasks: list, *, user=None) -> Counts:
    """Link each unlinked positive-pool retest task to a control episode, in bulk.

    A member not under control becomes a positive-pool member under measure from the
    task's time, under the tube's barcode; a member already under control (a close
    contact, say, or a member of another positive pool) is linked to that episode, which a
    confirmed retest escalates; a member the policy in force cannot control is skipped
    with the reason. An episode made for this tube before links existed is adopted.
    Must run inside a transaction (``take_in`` and ``reconcile`` open one per batch).
    """
    counts = Counts()
    if not tasks:
        return counts
    tasks = sorted(tasks, key=lambda t: (t.created_at, t.pk))
    residents = {t.resident_id for t in tasks}
    refs = {t.source_tube.barcode[:100] for t in tasks}
    active = {
        p.resident_id: p
        for p in RiskPerson.objects.filter(resident_id__in=residents, state__in=ACTIVE_STATES)
    }
    earlier = {
        (p.resident_id, p.source_ref): p
        for p in RiskPerson.objects.filter(
            resident_id__in=residents, source=Source.POSITIVE_POOL, source_ref__in=refs
        )
    }
    plans: dict[dt.date, schedule.Plan | str] = {}
    links: list[PoolLink] = []
    new: list[tuple[RiskPerson, schedule.Plan]] = []
    for task in tasks:
        ref = task.source_tube.barcode[:100]
        person = earlier.get((task.resident_id, ref))
        if person is not None:
            links.append(_link(task, person, PoolLinkOutcome.ENTERED, open=person.is_active))
            continue
        current = active.get(task.resident_id)
        if current is not None:
            # Reasons are stored with the link: in Chinese, as all stored text is.
            label = chinese_label(Category, current.category)
            links.append(
                _link(task, current, PoolLinkOutcome.ALREADY, reason=f"已在管控中({label})")
            )
            counts.already += 1
            continue
        day = timezone.localdate(task.created_at)
        if day not in plans:
            try:
                with translation.override(None):  # the refusal is stored as a link's reason
                    measure = measures.measure_for(Category.POSITIVE_POOL_MEMBER, day)
                plans[day] = schedule.plan(measure, day)
            except measures.MeasureError as exc:
                plans[day] = str(exc)
        the_plan = plans[day]
        if isinstance(the_plan, str):
            links.append(_link(task, None, PoolLinkOutcome.SKIPPED, reason=the_plan, open=False))
            counts.skipped += 1
            continue
        person = _person(task, the_plan, ref)
        active[task.resident_id] = earlier[(task.resident_id, ref)] = person
        new.append((person, the_plan))
        links.append(_link(task, person, PoolLinkOutcome.ENTERED))
        counts.entered += 1
    if new:
        people = [person for person, _ in new]
        RiskPerson.objects.bulk_create(people, batch_size=1000)
        schedule.write_schedules(new)
        _log_intake(people, user)
        FiveToOneTeam.objects.filter(
            household_id__in={p.household_id for p in people}, active=False
        ).update(active=True)
    PoolLink.objects.bulk_create(links, batch_size=1000)
    return counts


def _link(task, person, outcome: str, *, reason: str = "", open: bool = True) -> PoolLink:
    return PoolLink(
        retest_task=task, risk_person=person, outcome=outcome, reason=reason[:500], open=open
    )


def _person(task, the_plan: schedule.Plan, ref: str) -> RiskPerson:
    """The episode ``identify`` + ``advance_to_measure`` would leave, unsaved."""
    return schedule.new_episode(
        task.resident,
        the_plan.measure,
        the_plan,
        category=Category.POSITIVE_POOL_MEMBER,
        state=State.UNDER_MEASURE,
        at=task.created_at,
        source=Source.POSITIVE_POOL,
        source_ref=ref,
    )


def _log_intake(people: list[RiskPerson], user) -> None:
    """The four transitions and audit events ``identify`` and ``advance_to_measure`` write."""
    label = chinese_label(Category, Category.POSITIVE_POOL_MEMBER)
    steps = [
        ("", State.IDENTIFIED, f"判定为{label}"),
        (State.IDENTIFIED, State.NOTIFIED, INTAKE_NOTE),
        (State.NOTIFIED, State.TRANSFERRED, INTAKE_NOTE),
        (State.TRANSFERRED, State.UNDER_MEASURE, INTAKE_NOTE),
    ]
    _log_many([(p, a, b, note, p.identified_at) for p in people for a, b, note in steps], user)


def _log_many(moves: list[tuple[RiskPerson, str, str, str, dt.datetime]], user) -> None:
    """``chain._log`` for many moves: one insert of transitions, one of audit events."""
    actor = user if getattr(user, "pk", None) else None
    Transition.objects.bulk_create(
        [
            Transition(
                risk_person=person,
                from_state=from_state,
                to_state=to_state,
                at=at,
                actor=actor,
                actor_name=_actor_name(user),
                note=note[:500],
            )
            for person, from_state, to_state, note, at in moves
        ],
        batch_size=1000,
    )
    audit.record_many(
        [
            audit.build(
                Action.STATUS if from_state else Action.CREATE,
                person,
                user=user,
                before={"state": from_state} if from_state else None,
                after={"state": to_state, "category": person.category},
                reason=note,
            )
            for person, from_state, to_state, note, _ in moves
        ]
    )


# --- Applying decided retests ----------------------------------------------------------


def apply_decided(*, limit: int = RUN_LIMIT, user=None) -> dict[str, int]:
    """Apply retests decided since their member was taken in; at most ``limit`` links.

    A confirmed retest escalates the member's episode to a case (unless it already is
    one); a negative one releases a positive-pool episode and leaves any other episode as
    it is. Each link is closed in the same transaction as what it caused.
    """
    counts = Counts()
    done = 0
    while done < limit:
        ids = list(
            PoolLink.objects.filter(open=True, retest_task__control__in=DECIDED)
            .order_by("id")
            .values_list("id", flat=True)[: min(BATCH, limit - done)]
        )
        if not ids:
            break
        with transaction.atomic():
            links = list(
                PoolLink.objects.select_for_update(of=("self",))
                .filter(pk__in=ids, open=True)
                .select_related("retest_task__source_tube")
            )
            counts.add(_apply(links, user))
        done += len(ids)
    return counts.as_dict()


def _apply(links: list[PoolLink], user) -> Counts:
    from wuyi.control import intake

    counts = Counts()
    now = timezone.now()
    people = RiskPerson.objects.select_for_update(of=("self",)).select_related("resident")
    people = {p.pk: p for p in people.filter(pk__in={link.risk_person_id for link in links})}
    releases: dict[dt.datetime, list[RiskPerson]] = defaultdict(list)
    refused: list[tuple[int, str]] = []
    for link in links:
        task = link.retest_task
        at = task.done_at or now
        person = people.get(link.risk_person_id)
        link.open, link.applied_at = False, now
        if person is None or not person.is_active:
            continue
        ref = task.source_tube.barcode
        if task.control == "confirmed":
            if person.category in CASES:
                continue
            if link.outcome == PoolLinkOutcome.ENTERED:
                intake.retest_result(person.resident, True, user=user, at=at)
            else:
                escalate(person, user=user, at=at, note=f"单管复核阳性({ref})")
            person.state = State.ESCALATED
            counts.cases += 1
        elif link.outcome == PoolLinkOutcome.ENTERED:
            if person.state == State.UNDER_MEASURE and person.release_rule == "retest_negative":
                releases[at].append(person)
            else:
                try:
                    with translation.override(None):  # a refusal is stored as the reason
                        intake.retest_result(person.resident, False, user=user, at=at)
                except ChainError as exc:
                    refused.append((link.pk, str(exc)[:500]))
                    continue
            person.state = State.RELEASED
            counts.released += 1
    for at, group in releases.items():
        _release(group, at, user)
    # Plain UPDATEs: bulk_update's CASE per row cost more than everything else here.
    PoolLink.objects.filter(pk__in=[link.pk for link in links]).update(open=False, applied_at=now)
    for pk, reason in refused:
        PoolLink.objects.filter(pk=pk).update(reason=reason)
    return counts


def _release(people: list[RiskPerson], at: dt.datetime, user) -> None:
    """``retest_result(negative)`` for many positive-pool members under measure at once."""
    ids = [p.pk for p in people]
    done_by = user if getattr(user, "pk", None) else None
    tasks = Task.objects.filter(risk_person_id__in=ids, status=TaskStatus.OPEN)
    tasks.filter(kind=TaskKind.SAMPLING).update(
        status=TaskStatus.DONE, result=TaskResult.NEGATIVE, done_at=at
    )
    tasks.filter(kind=TaskKind.RELEASE).update(status=TaskStatus.DONE, done_at=at, done_by=done_by)
    tasks.update(status=TaskStatus.CANCELLED)
    RiskPerson.objects.filter(pk__in=ids).update(state=State.RELEASED, ended_at=at)
    _log_many([(p, State.UNDER_MEASURE, State.RELEASED, "单管复核阴性", at) for p in people], user)
    households = {p.household_id for p in people}
    still = set(
        RiskPerson.objects.filter(household_id__in=households, state__in=ACTIVE_STATES).values_list(
            "household_id", flat=True
        )
    )
    FiveToOneTeam.objects.filter(household_id__in=households - still, active=True).update(
        active=False
    )


# --- The job and the full pass ---------------------------------------------------------


def run(*, limit: int = RUN_LIMIT, user=None) -> dict[str, int]:
    """One turn of the background job: queued pools in, then decided retests applied."""
    counts = Counts()
    for part in (take_in(limit=limit, user=user), apply_decided(limit=limit, user=user)):
        counts.add(Counts(**part))
    return counts.as_dict()


def reconcile(round=None, *, user=None) -> dict[str, int]:
    """Every eligible positive-pool task without a link taken in, then every decision applied.

    The catch-all behind ``wuyi control daily``: it reads every positive-pool task of the
    round (or of all rounds), which the job never does.
    """
    counts = Counts()
    unlinked = _pool_tasks().filter(control_link__isnull=True)
    if round is not None:
        unlinked = unlinked.filter(round=round)
    while True:
        with transaction.atomic():
            tasks = list(
                unlinked.select_related("source_tube", "resident").order_by("created_at", "pk")[
                    :BATCH
                ]
            )
            if not tasks:
                break
            counts.add(enter(tasks, user=user))
    # Unbounded here: the daily pass finishes what it finds.
    counts.add(Counts(**apply_decided(limit=10**12, user=user)))
    return counts.as_dict()
