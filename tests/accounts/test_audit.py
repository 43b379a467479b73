"""The audit log: one ``record`` function, append-only, scoped to offices, exportable."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection, transaction
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import make_user
from wuyi.accounts import audit
from wuyi.accounts.models import AppendOnlyError, AuditEvent, Role


def test_record_files_an_event_under_the_objects_place(city, grid_worker):
    event = audit.record(
        "change",
        city.alice,
        user=grid_worker,
        before={"phone": "13812345678"},
        after={"phone": "13900001111"},
    )
    assert event.model == "people.resident"
    assert event.object_pk == str(city.alice.pk)
    assert event.path == city.home1.path
    assert event.district_code == "140105"
    assert event.actor_name == "gw_a"


def test_record_refuses_an_unknown_action(city):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("tamper", city.alice)


def test_an_event_cannot_be_changed_or_deleted_through_the_orm(city):
    event = audit.record("create", city.alice)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_the_database_refuses_an_update_behind_the_orms_back(city):
    event = audit.record("create", city.alice)
    sql = "UPDATE accounts_auditevent SET reason = %s WHERE id = %s"
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, ["x", event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite refuses DELETE in the ORM only"
)
def test_postgresql_refuses_a_delete_behind_the_orms_back(city):
    event = audit.record("create", city.alice)
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_saving_in_the_admin_records_before_and_after(city, client):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="x" * 12)
    client.force_login(root)
    url = reverse("admin:territory_grid_change", args=[city.grid_a.pk])
    response = client.post(
        url,
        {
            "community": city.community.pk,
            "code": city.grid_a.code,
            "name": "第一网格(改)",
            "path": city.grid_a.path,
            "district_code": "140105",
            "workers": [],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(model="territory.grid", action="change")
    assert event.before["name"] == "第一网格"
    assert event.after["name"] == "第一网格(改)"
    assert event.actor_name == "root"


def test_an_office_sees_the_events_under_it_with_personal_values_masked(city, client):
    audit.record("change", city.alice, before={"phone": "13812345678"}, after={"phone": ""})
    audit.record("change", city.other_district, after={"name": "迎泽区外的事"})
    office = make_user("street", Role.STREET_OFFICE, node=city.street)
    client.force_login(office)
    page = client.get(reverse("accounts:audit")).content.decode()
    assert "张丽" in page
    assert "138****5678" in page
    assert "13812345678" not in page
    assert "迎泽区外的事" not in page


def test_a_grid_worker_may_not_read_the_audit_log(city, grid_worker, client):
    client.force_login(grid_worker)
    assert client.get(reverse("accounts:audit")).status_code == 403
    assert client.get(reverse("accounts:audit_export", args=["csv"])).status_code == 403


def test_the_export_is_scoped_masked_and_itself_audited(city, client):
    audit.record("change", city.alice, before={"id_number": city.alice.id_number})
    audit.record("change", city.other_district, after={"name": "别区"})
    office = make_user("district", Role.DISTRICT_OFFICE, node=city.district)
    client.force_login(office)
    response = client.get(reverse("accounts:audit_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "时间"
    body = "\n".join(",".join(r) for r in rows[1:])
    assert city.alice.id_number not in body
    assert city.alice.id_number[:6] + "********" in body
    assert "别区" not in body
    # The registry's own "create" events of the fixture are in scope too; one change is ours.
    assert [row[2] for row in rows[1:]].count("修改") == 1
    xlsx = client.get(reverse("accounts:audit_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert not any(city.alice.id_number in str(v) for v in values)
    assert AuditEvent.objects.filter(action="export", actor_name="district").count() == 2


def test_the_audit_api_is_scoped_and_masked(city, client):
    audit.record("change", city.alice, before={"phone": "13812345678"})
    audit.record("change", city.other_district)
    office = make_user("community", Role.COMMUNITY_OFFICE, node=city.community)
    client.force_login(office)
    data = client.get("/api/v1/audit").json()
    changes = [e for e in data if e["action"] == "change"]
    assert [e["object"] for e in changes] == ["张丽"]
    assert changes[0]["before"] == {"phone": "138****5678"}


def test_a_login_is_audited(city, client):
    make_user("someone", Role.GRID_WORKER, grid=city.grid_a)
    client.post(reverse("login"), {"username": "someone", "password": "correct horse battery 9"})
    assert AuditEvent.objects.filter(action="login", actor_name="someone").exists()
