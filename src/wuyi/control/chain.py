"""The chain of states a risk person moves along, and the one way to move them.

identified → notified → transferred (to an isolation site or home) → under measure →
released, or from any state still under control → escalated (tested positive: a case,
sent to hospital). Every move goes through ``transition``: it refuses a move the chain
does not allow with a reason an office can read, logs a ``Transition`` row and an audit
event with who and when, and keeps the calendar consistent (tasks are closed when a
person leaves control). ``identify`` is the only way in.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext, pgettext

from wuyi.accounts import audit
from wuyi.control import measures, schedule
from wuyi.control.models import (
    ACTIVE_STATES,
    Category,
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
from wuyi.people.models import Resident

NEXT: dict[str, tuple[str, ...]] = {
    State.IDENTIFIED: (State.NOTIFIED, State.ESCALATED),
    State.NOTIFIED: (State.TRANSFERRED, State.ESCALATED),
    State.TRANSFERRED: (State.UNDER_MEASURE, State.ESCALATED),
    State.UNDER_MEASURE: (State.RELEASED, State.ESCALATED),
    State.RELEASED: (),
    State.ESCALATED: (),
}


class ChainError(ValueError):
    """A move the chain refuses; the message is the reason, in words an office reads."""


def _actor_name(user) -> str:
    if user is None:
        return "系统"
    return str(user)[:150]


def _log(person: RiskPerson, from_state: str, to_state: str, at: dt.datetime, user, note: str):
    Transition.objects.create(
        risk_person=person,
        from_state=from_state,
        to_state=to_state,
        at=at,
        actor=user if getattr(user, "pk", None) else None,
        actor_name=_actor_name(user),
        note=note[:500],
    )
    audit.record(
        "status" if from_state else "create",
        person,
        user=user,
        before={"state": from_state} if from_state else None,
        after={"state": to_state, "category": person.category},
        reason=note,
    )


def identify(
    resident: Resident,
    category: str,
    *,
    at: dt.datetime | None = None,
    source: str = Source.MANUAL,
    source_ref: str = "",
    user=None,
    note: str = "",
    escalated_from: RiskPerson | None = None,
) -> RiskPerson:
    """Put ``resident`` under control as ``category`` from the moment ``at``.

    The version in force on the local date of ``at`` decides the measure and is recorded
    on the person. A resident already under control is refused (one current state each).
    """
    at = at or timezone.now()
    day = timezone.localdate(at)
    try:
        measure = measures.measure_for(category, day)
    except measures.MeasureError as exc:
        raise ChainError(str(exc)) from exc
    the_plan = schedule.plan(measure, day)
    with transaction.atomic():
        if RiskPerson.objects.filter(resident=resident, state__in=ACTIVE_STATES).exists():
            current = RiskPerson.objects.filter(resident=resident, state__in=ACTIVE_STATES).first()
            raise ChainError(
                gettext("%(name)s已在管控中(%(category)s,%(state)s),不能重复判定")
                % {
                    "name": resident.name,
                    "category": current.get_category_display(),
                    "state": current.get_state_display(),
                }
            )
        person = schedule.new_episode(
            resident,
            measure,
            the_plan,
            category=category,
            state=State.IDENTIFIED,
            at=at,
            identified_on=day,
            source=source,
            source_ref=source_ref,
            escalated_from=escalated_from,
            note=note,
        )
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:
            # Another writer put the same resident under control a moment ago.
            raise ChainError(
                gettext("%(name)s已在管控中,不能重复判定") % {"name": resident.name}
            ) from None
        schedule.write_schedule(person, the_plan)
        # The note is stored with the transition: in Chinese, as all stored notes are.
        note = note or f"判定为{chinese_label(Category, person.category)}"
        _log(person, "", State.IDENTIFIED, at, user, note)
        from wuyi.control.teams import mark_household_active

        mark_household_active(person.household_id, True)
    return person


def check(person: RiskPerson, to_state: str) -> None:
    """Raise ChainError if the chain does not allow ``person`` to move to ``to_state``."""
    if to_state not in State.values:
        raise ChainError(gettext("未知的状态 %(state)s") % {"state": repr(to_state)})
    allowed = NEXT[person.state]
    if to_state in allowed:
        return
    current = State(person.state).label
    target = State(to_state).label
    name = person.resident.name
    if not allowed:
        raise ChainError(
            gettext("%(name)s的管控已结束(“%(current)s”),不能再变为“%(target)s”")
            % {"name": name, "current": current, "target": target}
        )
    names = pgettext("list separator", "、").join(str(State(s).label) for s in allowed)
    raise ChainError(
        gettext("%(name)s当前为“%(current)s”,只能变为:%(allowed)s;不能直接变为“%(target)s”")
        % {"name": name, "current": current, "allowed": names, "target": target}
    )


def release_refusal(person: RiskPerson, on: dt.date) -> str | None:
    """Why ``person`` cannot be released on ``on`` under their measure's rule, or None."""
    rule = person.release_rule
    fixed_term = rule in ("days_complete", "negative_test_on_last_day")
    if fixed_term and (person.release_on is None or on < person.release_on):
        return gettext("管控期未满:应于%(day)s解除,今天是%(today)s") % {
            "day": person.release_on,
            "today": on,
        }
    if rule == "negative_test_on_last_day":
        tests = Task.objects.filter(risk_person=person, kind=TaskKind.SAMPLING, day__lte=on)
        missing = [t.day for t in tests if t.status != TaskStatus.DONE]
        if missing:
            separator = pgettext("list separator", "、")
            # A Django date format: 12月14日 in Chinese.
            days = separator.join(dateformat.format(d, gettext("m月d日")) for d in missing)
            return gettext("尚有核酸检测未完成:%(days)s") % {"days": days}
        positive = [t.day for t in tests if t.result != TaskResult.NEGATIVE]
        if positive:
            days = pgettext("list separator", "、").join(str(d) for d in positive)
            return gettext("核酸结果不是阴性:%(days)s,应转阳处置") % {"days": days}
    return None


def transition(
    person: RiskPerson,
    to_state: str,
    *,
    user=None,
    at: dt.datetime | None = None,
    note: str = "",
    event: str = "",
) -> RiskPerson:
    """Move ``person`` to ``to_state``, or raise ChainError saying why not.

    Releasing checks the measure's release rule: days complete and tests negative, or for
    measures that last until an event, that ``event`` (discharge, retest_negative,
    area_lowered) is the one the rule waits for.
    """
    at = at or timezone.now()
    with transaction.atomic():
        person = RiskPerson.objects.select_for_update().select_related("resident").get(pk=person.pk)
        check(person, to_state)
        if to_state == State.RELEASED:
            _check_release(person, timezone.localdate(at), event)
        from_state = person.state
        person.state = to_state
        fields = ["state"]
        if to_state in (State.RELEASED, State.ESCALATED):
            person.ended_at = at
            fields.append("ended_at")
            if to_state == State.RELEASED:
                Task.objects.filter(
                    risk_person=person, kind=TaskKind.RELEASE, status=TaskStatus.OPEN
                ).update(status=TaskStatus.DONE, done_at=at, done_by=_user_or_none(user))
            schedule.cancel_open_tasks(person)
        person.save(update_fields=fields)
        _log(person, from_state, to_state, at, user, note)
        if to_state in (State.RELEASED, State.ESCALATED):
            from wuyi.control.teams import refresh_household

            refresh_household(person.household_id)
    return person


def _user_or_none(user):
    return user if getattr(user, "pk", None) else None


def _check_release(person: RiskPerson, on: dt.date, event: str) -> None:
    rule = person.release_rule
    if rule in ("discharge", "retest_negative", "area_lowered"):
        if event != rule:
            label = measures.RELEASE_RULES[rule]
            raise ChainError(
                gettext("%(name)s的解除条件是“%(rule)s”,尚未满足")
                % {"name": person.resident.name, "rule": label}
            )
        return
    refusal = release_refusal(person, on)
    if refusal:
        raise ChainError(refusal)


def advance_to_measure(person: RiskPerson, *, user=None, at=None, note: str = "") -> RiskPerson:
    """Walk a newly identified person through notified and transferred to under measure."""
    for state in (State.NOTIFIED, State.TRANSFERRED, State.UNDER_MEASURE):
        if person.state in ACTIVE_STATES and state in NEXT[person.state]:
            person = transition(person, state, user=user, at=at, note=note)
    return person


def escalate(
    person: RiskPerson,
    *,
    user=None,
    at: dt.datetime | None = None,
    note: str = "",
    category: str = Category.CONFIRMED,
) -> RiskPerson:
    """A positive result: end this episode as escalated and open a case under the policy."""
    at = at or timezone.now()
    with transaction.atomic():
        person = transition(person, State.ESCALATED, user=user, at=at, note=note or "核酸阳性")
        case = identify(
            person.resident,
            category,
            at=at,
            source=Source.ESCALATION,
            source_ref=f"riskperson:{person.pk}",
            user=user,
            note=f"由{chinese_label(Category, person.category)}转阳",
            escalated_from=person,
        )
    return case


def record_test(
    task: Task, result: str, *, user=None, at: dt.datetime | None = None
) -> RiskPerson | None:
    """Record a sampling task's result; a positive one escalates the person. Returns the case."""
    if task.kind != TaskKind.SAMPLING:
        raise ChainError(gettext("只有采样任务可以登记核酸结果"))
    if result not in (TaskResult.NEGATIVE, TaskResult.POSITIVE):
        raise ChainError(gettext("核酸结果只能是阴性或阳性"))
    at = at or timezone.now()
    with transaction.atomic():
        Task.objects.filter(pk=task.pk).update(
            status=TaskStatus.DONE, result=result, done_at=at, done_by=_user_or_none(user)
        )
        if result == TaskResult.POSITIVE and task.risk_person.is_active:
            return escalate(task.risk_person, user=user, at=at, note=f"{task.day}核酸阳性")
    return None
