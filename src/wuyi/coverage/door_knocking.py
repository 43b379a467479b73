"""Door knocking (敲门行动): what a grid worker found at a household's door, and what follows.

Each result is stored as a ``DoorKnock`` for the round; some change more than that:

* bedridden → an exemption (reason bedridden, granted by the worker) and a home sampling
  request, so the person leaves the missed list and lands on the home-sampling list;
* moved out → the registry: moved to a known household (``people.services.move``) or,
  when the new address is not in the city's registry, the status "moved out" with the
  current stay closed; either way the person no longer counts here;
* new occupant → the registry: a person already registered elsewhere is moved here,
  anyone else is registered here (``people.services.register``).

Everything happens in one transaction: a bad ID number leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wuyi.accounts import audit
from wuyi.coverage.models import (
    DoorKnock,
    Exemption,
    ExemptReason,
    HomeSamplingRequest,
    KnockResult,
)
from wuyi.people import id_numbers
from wuyi.people.models import IdType, Residence, Resident, Status
from wuyi.people.services import move, register
from wuyi.territory.models import Kind, Node


class KnockError(ValueError):
    """A door-knock result that cannot be recorded as given; the message says why."""


# Results about one person: the form must name whom.
PERSONAL = {
    KnockResult.SAMPLED_ELSEWHERE,
    KnockResult.REFUSED,
    KnockResult.BEDRIDDEN,
    KnockResult.MOVED_OUT,
}


@dataclass(frozen=True)
class NewOccupant:
    name: str
    id_number: str
    phone: str = ""


def _territory(obj, household: Node) -> None:
    obj.path = household.path
    obj.grid_id = household.grid_id
    obj.district_code = household.district_code


def grant_exemption(
    round_, resident: Resident, reason: str, user=None, note: str = ""
) -> Exemption:
    """Exempt ``resident`` from ``round_`` for ``reason``; a second grant replaces the first."""
    if reason not in ExemptReason.values:
        raise KnockError(gettext("未知的免检原因:%(reason)s") % {"reason": reason})
    exemption, _ = Exemption.objects.update_or_create(
        round=round_,
        resident=resident,
        defaults={
            "reason": reason,
            "note": note[:200],
            "granted_by": user if getattr(user, "is_authenticated", False) else None,
            "path": resident.path,
            "grid_id": resident.grid_id,
            "district_code": resident.district_code,
        },
    )
    audit.record("create", exemption, user=user, after=audit.snapshot(exemption))
    return exemption


@transaction.atomic
def record(
    round_,
    household: Node,
    result: str,
    user=None,
    resident: Resident | None = None,
    sampled_where: str = "",
    sampled_when: dt.datetime | None = None,
    note: str = "",
    moved_to: Node | None = None,
    new_occupant: NewOccupant | None = None,
) -> DoorKnock:
    """Record one door-knock result for ``household`` and apply what follows from it."""
    if household.kind != Kind.HOUSEHOLD:
        raise KnockError(
            gettext("%(place)s不是户,敲门结果只能记在户上") % {"place": household.name}
        )
    if result not in KnockResult.values:
        raise KnockError(gettext("未知的敲门结果:%(result)s") % {"result": result})
    if result in PERSONAL and resident is None:
        raise KnockError(
            gettext("“%(result)s”需要选择是哪位居民") % {"result": KnockResult(result).label}
        )
    if resident is not None and resident.household_id != household.pk:
        raise KnockError(gettext("%(name)s不是这户登记的居民") % {"name": resident.name})
    if result == KnockResult.SAMPLED_ELSEWHERE and not sampled_where.strip():
        raise KnockError(gettext("“已在别处采样”需要填写采样地点"))
    if sampled_when is not None and sampled_when > timezone.now():
        raise KnockError(gettext("采样时间不能晚于现在"))

    knock = DoorKnock(
        round=round_,
        household=household,
        resident=resident,
        result=result,
        sampled_where=sampled_where.strip()[:100],
        sampled_when=sampled_when,
        note=note.strip()[:200],
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _territory(knock, household)

    if result == KnockResult.BEDRIDDEN:
        grant_exemption(round_, resident, ExemptReason.BEDRIDDEN, user, "敲门登记:卧床")
        request = HomeSamplingRequest(
            round=round_,
            resident=resident,
            requested_by=knock.recorded_by,
        )
        _territory(request, household)
        if not HomeSamplingRequest.objects.filter(round=round_, resident=resident).exists():
            request.save()
        if not resident.bedridden:
            resident.bedridden = True
            resident.save(update_fields=["bedridden", "updated_at"])
    elif result == KnockResult.MOVED_OUT:
        _move_out(resident, moved_to)
    elif result == KnockResult.NEW_OCCUPANT:
        if new_occupant is None:
            raise KnockError(gettext("“新住户”需要填写姓名和证件号码"))
        knock.resident = _move_in(new_occupant, household)
    knock.save()
    audit.record("create", knock, user=user, after=audit.snapshot(knock))
    return knock


def _move_out(resident: Resident, moved_to: Node | None) -> None:
    if moved_to is not None:
        if moved_to.kind != Kind.HOUSEHOLD:
            raise KnockError(gettext("%(place)s不是户,不能作为迁入地址") % {"place": moved_to.name})
        move(resident, moved_to)
        return
    today = timezone.localdate()
    Residence.objects.filter(resident=resident, moved_out__isnull=True).update(moved_out=today)
    resident.status = Status.MOVED_OUT
    resident.save(update_fields=["status", "updated_at"])


def _move_in(person: NewOccupant, household: Node) -> Resident:
    name = person.name.strip()
    if not name:
        raise KnockError(gettext("新住户的姓名不能为空"))
    try:
        number = id_numbers.parse(person.id_number).number
    except id_numbers.IdNumberError as error:
        raise KnockError(gettext("新住户的证件号码有误:%(error)s") % {"error": error}) from error
    # By (type, number): the unique index starts with the type; by number alone is a scan.
    existing = Resident.objects.filter(id_type=IdType.RESIDENT_ID, id_number=number).first()
    if existing is not None:
        # Registered elsewhere (or moved out earlier): the same person moves in here.
        move(existing, household)
        if existing.status != Status.PRESENT:
            existing.status = Status.PRESENT
            existing.save(update_fields=["status", "updated_at"])
        return existing
    return register(Resident(name=name, id_number=number, phone=person.phone.strip()), household)
