"""Exports hold full ID numbers and imports change the registry: both leave an audit event."""

from io import StringIO

from django.core.management import call_command

from wuyi.accounts.models import AuditEvent


def test_an_export_from_the_command_line_is_audited(city, tmp_path):
    path = tmp_path / "registry.csv"
    call_command("export", "residents", str(path), stdout=StringIO())
    event = AuditEvent.objects.get(action="export")
    assert event.model == "people.resident"
    assert str(path) in event.object_repr
    assert event.after == {"residents": 2, "node": ""}


def test_a_committed_import_is_audited_and_a_dry_run_is_not(city, tmp_path):
    path = tmp_path / "registry.csv"
    call_command("export", "residents", str(path), stdout=StringIO())
    call_command("import", "residents", str(path), stdout=StringIO())
    assert not AuditEvent.objects.filter(action="import").exists()
    call_command("import", "residents", str(path), "--commit", stdout=StringIO())
    event = AuditEvent.objects.get(action="import")
    assert event.after["rows"] == 2 and event.after["rejected"] == 0
