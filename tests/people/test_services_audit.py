"""Registering and moving residents are writes: each leaves an audit event."""

from wuyi.accounts.models import AuditEvent
from wuyi.people.services import move


def test_registering_a_resident_is_audited(city):
    event = AuditEvent.objects.get(model="people.resident", object_pk=str(city.alice.pk))
    assert event.action == "create" and event.path == city.home1.path


def test_a_move_records_the_household_before_and_after(city):
    move(city.alice, city.home2)
    event = AuditEvent.objects.get(model="people.resident", action="change")
    assert event.before["household_id"] == city.home1.pk
    assert event.after["household_id"] == city.home2.pk
