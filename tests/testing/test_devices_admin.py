"""Issuing, listing and revoking device tokens: the `wuyi device` command and the devices page."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import make_user
from wuyi.accounts.models import AuditEvent, Grant, Role, User
from wuyi.testing import devices
from wuyi.testing.models import DeviceToken, Lab, Scan

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("device", *args, stdout=out)
    return out.getvalue()


def post_scans(client, rnd, secret: str):
    body = {"events": [rnd.event(token=rnd.city.alice.code_token)]}
    return client.post(
        "/api/v1/scans",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def site_staff(username: str, site) -> User:
    user = User.objects.create_user(username=username, password="correct horse battery 9")
    Grant.objects.create(user=user, role=Role.SITE_STAFF, site=site)
    return user


def test_an_issued_token_posts_scans_and_a_revoked_one_is_refused(client, rnd):
    issued = json.loads(run("issue", "--site", "S1", "--name", "三号台手机", "--json"))
    assert issued["token"].startswith("wy_") and issued["site"] == "S1"
    assert post_scans(client, rnd, issued["token"]).status_code == 200
    assert Scan.objects.count() == 1
    assert DeviceToken.objects.get(pk=issued["id"]).last_used_at is not None

    revoked = json.loads(run("revoke", str(issued["id"]), "--json"))
    assert revoked["changed"] is True and revoked["revoked_at"]
    assert post_scans(client, rnd, issued["token"]).status_code == 401
    assert Scan.objects.count() == 1


def test_the_list_shows_name_binding_and_use_but_never_a_secret(rnd):
    lab = Lab.objects.create(code="L1", name="气膜实验室", district_code="140105")
    _, lab_secret = DeviceToken.issue("PCR室电脑", lab=lab)
    listed = json.loads(run("list", "--json"))
    assert {(d["name"], d["site"], d["lab"]) for d in listed["devices"]} == {
        ("一号采样台平板", "S1", None),
        ("PCR室电脑", None, "L1"),
    }
    assert all(set(d) >= {"created_at", "last_used_at", "revoked_at"} for d in listed["devices"])
    text = run("list") + run("list", "--json") + run("list", "--lab", "L1", "--json")
    for secret in (rnd.secret, lab_secret):
        assert secret not in text
    assert rnd.token.token_hash not in text
    assert json.loads(run("list", "--lab", "L1", "--json"))["count"] == 1


def test_the_command_explains_bad_input_and_writes_nothing(rnd):
    with pytest.raises(CommandError, match="采样点编码 S9 不存在"):
        run("issue", "--site", "S9", "--name", "x")
    with pytest.raises(CommandError, match="二者选一"):
        run("issue", "--name", "无绑定")
    with pytest.raises(CommandError, match="设备名称"):
        run("issue", "--site", "S1")
    with pytest.raises(CommandError, match="不存在"):
        run("revoke", "999999")
    assert DeviceToken.objects.count() == 1
    assert not AuditEvent.objects.filter(model="testing.devicetoken").exists()


def test_issuing_and_revoking_are_audit_events_filed_under_the_site(rnd):
    office = make_user("office", Role.DISTRICT_OFFICE, node=rnd.city.district)
    token, secret = devices.issue_token("四号台", site=rnd.site, user=office)
    assert devices.revoke_token(token, user=office) is True
    assert devices.revoke_token(token, user=office) is False
    events = AuditEvent.objects.filter(model="testing.devicetoken", object_pk=str(token.pk))
    assert [(e.action, e.actor_name) for e in events.order_by("id")] == [
        ("create", "office"),
        ("status", "office"),
    ]
    assert all(e.path == rnd.site.path and e.district_code == "140105" for e in events)
    assert all(secret not in json.dumps([e.before, e.after]) for e in events)
    assert token.token_hash not in json.dumps([e.after for e in events])


def test_site_staff_issue_on_the_page_and_see_the_token_once(client, rnd):
    client.force_login(site_staff("staff1", rnd.site))
    response = client.post("/devices/issue/", {"name": "五号台", "target": "site:S1"})
    assert response.status_code == 200
    token = DeviceToken.objects.get(name="五号台")
    secret = response.context["secret"]
    assert secret in response.content.decode() and token.site == rnd.site
    assert AuditEvent.objects.filter(action="create", object_pk=str(token.pk)).exists()
    assert post_scans(client, rnd, secret).status_code == 200

    page = client.get("/devices/").content.decode()
    assert "五号台" in page and token.prefix in page and secret not in page


def test_site_staff_cannot_see_issue_for_or_revoke_another_sites_device(client, rnd):
    other, other_secret = DeviceToken.issue("二号点平板", site=rnd.site2)
    client.force_login(site_staff("staff1", rnd.site))
    page = client.get("/devices/").content.decode()
    assert "一号采样台平板" in page
    assert "二号点平板" not in page and other_secret not in page
    assert rnd.site2.name not in page  # nor offered as a site to issue for

    response = client.post("/devices/issue/", {"name": "越权", "target": "site:S2"})
    assert response.status_code == 400
    assert not DeviceToken.objects.filter(name="越权").exists()

    assert client.post(f"/devices/{other.pk}/revoke/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
    assert not AuditEvent.objects.filter(object_pk=str(other.pk), action="status").exists()


def test_revoking_on_the_page_refuses_the_device_and_needs_a_post(client, rnd):
    client.force_login(site_staff("staff1", rnd.site))
    url = f"/devices/{rnd.token.pk}/revoke/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    rnd.token.refresh_from_db()
    assert rnd.token.revoked_at is not None
    assert AuditEvent.objects.filter(action="status", actor_name="staff1").exists()
    assert post_scans(client, rnd, rnd.secret).status_code == 401


def test_the_revoke_form_is_protected_against_cross_site_requests(rnd):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(site_staff("staff1", rnd.site))
    assert client.post(f"/devices/{rnd.token.pk}/revoke/").status_code == 403
    rnd.token.refresh_from_db()
    assert rnd.token.revoked_at is None


def test_accounts_without_a_managing_role_are_refused(client, rnd, grid_worker):
    client.force_login(grid_worker)
    assert client.get("/devices/").status_code == 403
    assert client.post(f"/devices/{rnd.token.pk}/revoke/").status_code == 403
