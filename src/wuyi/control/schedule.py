"""A measure turned into a person's calendar: stage dates, test days, health checks, release.

Day 1 of the first stage is the day the person is identified (the policy counts the day
control starts as day 1); each later stage starts the day after the previous one ends.
Release is due on the last day of the last stage, once its conditions hold. A stage that
lasts until an event (discharge, a retest result, the area being lowered) has no end
date: its daily tasks are generated ``HORIZON_DAYS`` ahead and topped up each day by
``extend_open_schedules``.

Deadlines are local times (Asia/Shanghai): a sample is due by 18:00, a health check by
20:00 ("not done by evening"), a release by the end of the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from wuyi.control.measures import Measure
from wuyi.control.models import (
    ACTIVE_STATES,
    HOME_PLACES,
    RiskPerson,
    Stage,
    Task,
    TaskKind,
    TaskStatus,
)

HORIZON_DAYS = 7
DEADLINES = {
    TaskKind.SAMPLING: dt.time(18, 0),
    TaskKind.HEALTH_CHECK: dt.time(20, 0),
    TaskKind.RELEASE: dt.time(23, 59, 59),
}


@dataclass
class PlannedStage:
    seq: int
    place: str
    start: dt.date
    end: dt.date | None
    until: str
    test_days: tuple[int, ...]
    daily_tests: bool
    # Dates of the tests of this stage (for an open stage, those within the horizon).
    test_dates: list[dt.date] = field(default_factory=list)


@dataclass
class Plan:
    """A person's calendar under a measure, before anything is written."""

    measure: Measure
    start: dt.date
    stages: list[PlannedStage]

    @property
    def end(self) -> dt.date | None:
        return self.stages[-1].end

    @property
    def release_on(self) -> dt.date | None:
        """Release is due on the last day of the measure; None while it lasts until an event."""
        return self.end

    @property
    def test_dates(self) -> list[dt.date]:
        return [d for stage in self.stages for d in stage.test_dates]


def plan(measure: Measure, start: dt.date, horizon: int = HORIZON_DAYS) -> Plan:
    """Dates of every stage and test of ``measure`` for a person whose day 1 is ``start``."""
    stages: list[PlannedStage] = []
    day = start
    for seq, rule in enumerate(measure.stages, start=1):
        end = day + dt.timedelta(days=rule.days - 1) if rule.days else None
        stage = PlannedStage(
            seq, rule.place, day, end, rule.until, rule.test_days, rule.daily_tests
        )
        last = end or day + dt.timedelta(days=horizon - 1)
        if rule.daily_tests:
            stage.test_dates = _days(day, last)
        else:
            stage.test_dates = [day + dt.timedelta(days=n - 1) for n in rule.test_days]
        stages.append(stage)
        if end is None:
            break
        day = end + dt.timedelta(days=1)
    return Plan(measure, start, stages)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def deadline(kind: str, day: dt.date) -> dt.datetime:
    """The aware moment a task of ``kind`` on ``day`` becomes overdue."""
    tz = timezone.get_default_timezone()
    return timezone.make_aware(dt.datetime.combine(day, DEADLINES[kind]), tz)


def _task(person: RiskPerson, kind: str, day: dt.date, home: bool) -> Task:
    return Task(
        risk_person=person,
        kind=kind,
        day=day,
        day_number=(day - person.start_date).days + 1,
        due_at=deadline(kind, day),
        home_sampling=home and kind == TaskKind.SAMPLING,
        household_id=person.household_id,
        path=person.path,
        grid_id=person.grid_id,
        district_code=person.district_code,
    )


def tasks_for(person: RiskPerson, the_plan: Plan, until: dt.date | None = None) -> list[Task]:
    """The unsaved tasks of ``the_plan`` (open stages up to ``until``, default the horizon)."""
    tasks: list[Task] = []
    for stage in the_plan.stages:
        home = stage.place in HOME_PLACES
        last = stage.end or until or stage.start + dt.timedelta(days=HORIZON_DAYS - 1)
        for day in stage.test_dates:
            if day <= last:
                tasks.append(_task(person, TaskKind.SAMPLING, day, home))
        if stage.daily_tests and stage.end is None:
            tasks.extend(
                _task(person, TaskKind.SAMPLING, day, home)
                for day in _days(stage.start, last)
                if day not in stage.test_dates
            )
        # The community checks on people at home every day; sites and hospitals check their own.
        if home:
            tasks.extend(
                _task(person, TaskKind.HEALTH_CHECK, day, home) for day in _days(stage.start, last)
            )
    if the_plan.release_on is not None:
        tasks.append(_task(person, TaskKind.RELEASE, the_plan.release_on, False))
    return tasks


def new_episode(
    resident,
    measure: Measure,
    the_plan: Plan,
    *,
    category: str,
    state: str,
    at: dt.datetime,
    source: str,
    source_ref: str = "",
    identified_on: dt.date | None = None,
    escalated_from: RiskPerson | None = None,
    note: str = "",
) -> RiskPerson:
    """An unsaved risk person under ``measure`` as planned, with the resident's territory.

    One place for the fields an episode copies from its measure, plan and resident, so
    one-by-one identification, bulk intake of positive pools and the benchmark write the
    same rows.
    """
    return RiskPerson(
        resident=resident,
        category=category,
        state=state,
        policy_version=measure.version_code,
        policy_name=measure.version_name,
        release_rule=measure.release,
        identified_at=at,
        identified_on=identified_on or the_plan.start,
        source=source,
        source_ref=source_ref[:100],
        place=the_plan.stages[0].place,
        start_date=the_plan.start,
        end_date=the_plan.end,
        release_on=the_plan.release_on,
        escalated_from=escalated_from,
        household_id=resident.household_id,
        path=resident.path,
        grid_id=resident.grid_id,
        district_code=resident.district_code,
        note=note[:500],
    )


def stages_for(person: RiskPerson, the_plan: Plan) -> list[Stage]:
    """The plan's stages as unsaved rows of ``person`` (one place and span each)."""
    return [
        Stage(
            risk_person=person,
            seq=s.seq,
            place=s.place,
            start_date=s.start,
            end_date=s.end,
            until=s.until,
            test_days=list(s.test_days),
            daily_tests=s.daily_tests,
        )
        for s in the_plan.stages
    ]


def write_schedule(person: RiskPerson, the_plan: Plan) -> list[Task]:
    """Store the plan's stages and tasks for a saved person; tasks go to its team if formed."""
    from wuyi.control.teams import assignee_map

    Stage.objects.bulk_create(stages_for(person, the_plan))
    tasks = tasks_for(person, the_plan)
    assignees = assignee_map(person.household_id)
    for task in tasks:
        task.assignee_id = assignees.get(task.kind)
    Task.objects.bulk_create(tasks)
    return tasks


def write_schedules(plans: list[tuple[RiskPerson, Plan]]) -> int:
    """``write_schedule`` for many saved people at once: two inserts and one team lookup.

    Why: a positive pool's members enter control together, and a query per person per
    step is what made intake cost ~8 ms a member. Returns the number of tasks written.
    """
    from wuyi.control.teams import assignee_maps

    Stage.objects.bulk_create(
        [stage for person, the_plan in plans for stage in stages_for(person, the_plan)],
        batch_size=1000,
    )
    assignees = assignee_maps({person.household_id for person, _ in plans})
    tasks: list[Task] = []
    for person, the_plan in plans:
        team = assignees.get(person.household_id, {})
        for task in tasks_for(person, the_plan):
            task.assignee_id = team.get(task.kind)
            tasks.append(task)
    Task.objects.bulk_create(tasks, batch_size=1000)
    return len(tasks)


def extend_open_schedules(today: dt.date, horizon: int = HORIZON_DAYS) -> int:
    """Top up the daily tasks of measures that last until an event; returns tasks added.

    Run once a day (``wuyi control daily``): without it a high-risk area's residents
    would have no tasks after the first week while the area stays high-risk.
    """
    from wuyi.control.teams import assignee_map

    until = today + dt.timedelta(days=horizon - 1)
    added = 0
    open_stages = Stage.objects.filter(
        end_date__isnull=True, risk_person__state__in=ACTIVE_STATES
    ).select_related("risk_person")
    for stage in open_stages.iterator(chunk_size=2000):
        person = stage.risk_person
        existing = set(
            Task.objects.filter(risk_person=person, day__gte=stage.start_date).values_list(
                "kind", "day"
            )
        )
        home = stage.place in HOME_PLACES
        new: list[Task] = []
        for day in _days(max(stage.start_date, today), until):
            if stage.daily_tests and (TaskKind.SAMPLING, day) not in existing:
                new.append(_task(person, TaskKind.SAMPLING, day, home))
            if home and (TaskKind.HEALTH_CHECK, day) not in existing:
                new.append(_task(person, TaskKind.HEALTH_CHECK, day, home))
        assignees = assignee_map(person.household_id)
        for task in new:
            task.assignee_id = assignees.get(task.kind)
        Task.objects.bulk_create(new)
        added += len(new)
    return added


def cancel_open_tasks(person: RiskPerson) -> int:
    """Close what is still open when a person leaves control (released or escalated)."""
    return Task.objects.filter(risk_person=person, status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED
    )
