"""Registering residents and moving them between households, keeping the history."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wuyi.accounts import audit
from wuyi.people import id_numbers
from wuyi.people.models import IdType, Residence, Resident
from wuyi.territory.models import Kind, Node


def derive_from_id(resident: Resident) -> None:
    """Fill gender and birth date from a resident ID number (the number is the authority)."""
    if resident.id_type == IdType.RESIDENT_ID:
        parsed = id_numbers.parse(resident.id_number)
        resident.id_number = parsed.number
        resident.gender = parsed.gender
        resident.birth_date = parsed.birth_date


def place(resident: Resident, household: Node) -> None:
    """Copy the household's denormalised fields onto the resident."""
    if household.kind != Kind.HOUSEHOLD:
        raise ValueError(gettext("%(name)s 不是户,居民只能登记在户下") % {"name": household.name})
    resident.household = household
    resident.path = household.path
    resident.grid_id = household.grid_id
    resident.district_code = household.district_code


@transaction.atomic
def register(resident: Resident, household: Node, since: dt.date | None = None) -> Resident:
    derive_from_id(resident)
    place(resident, household)
    resident.save()
    Residence.objects.create(
        resident=resident,
        household=household,
        district_code=household.district_code,
        moved_in=since or timezone.localdate(),
    )
    audit.record("create", resident, after=audit.snapshot(resident))
    return resident


@transaction.atomic
def move(resident: Resident, household: Node, on: dt.date | None = None) -> Resident:
    """Move a resident to another household: the old stay is closed, a new one opened."""
    on = on or timezone.localdate()
    if resident.household_id == household.pk:
        return resident
    before = {"household_id": resident.household_id, "path": resident.path}
    Residence.objects.filter(resident=resident, moved_out__isnull=True).update(moved_out=on)
    place(resident, household)
    resident.save(update_fields=["household", "path", "grid", "district_code", "updated_at"])
    Residence.objects.create(
        resident=resident,
        household=household,
        district_code=household.district_code,
        moved_in=on,
    )
    after = {"household_id": household.pk, "path": household.path}
    audit.record("change", resident, before=before, after=after)
    return resident
