"""POST /api/v1/scans and /api/v1/scans/one: device-token auth, per-event answers.

Each test runs twice: through Django's test client (the Ninja routes) and through the WSGI
application a server runs, where ``scan_endpoint`` answers in front of Django.
"""

from __future__ import annotations

import json

import pytest

from tests.testing.wsgi_client import WsgiClient
from wuyi.api import api
from wuyi.testing import devices
from wuyi.testing.models import DeviceToken, Lab, Scan, Tube

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["django", "wsgi"])
def client(request, client):
    """Django's test client, or the production WSGI application with the same interface."""
    return client if request.param == "django" else WsgiClient()


def post(client, path: str, body, secret: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_a_device_posts_a_batch_and_gets_one_answer_per_event(client, rnd):
    events = [rnd.event(token=rnd.city.alice.code_token), rnd.event(token="nope")]
    response = post(client, "/api/v1/scans", {"events": events}, rnd.secret)
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (1, 0, 1)
    assert body["answers"][0]["status"] == "accepted"
    assert body["answers"][0]["tube"] == "T0001"
    assert body["answers"][1]["reason"] == "unknown_token"
    assert body["answers"][1]["message"] == "采样码无效,请核对或改为录入证件号"


def test_a_retried_batch_is_answered_duplicate_and_changes_nothing(client, rnd):
    events = [rnd.event(token=rnd.city.alice.code_token), rnd.event(token=rnd.city.bob.code_token)]
    post(client, "/api/v1/scans", {"events": events}, rnd.secret)
    body = post(client, "/api/v1/scans", {"events": events}, rnd.secret).json()
    assert body["duplicate"] == 2
    assert [a["outcome"] for a in body["answers"]] == ["accepted", "accepted"]
    assert Scan.objects.count() == 2
    assert Tube.objects.get().member_count == 2


def test_the_single_event_path_answers_one_event(client, rnd):
    response = post(
        client, "/api/v1/scans/one", rnd.event(id_number=rnd.city.bob.id_number), rnd.secret
    )
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert response.json()["members"] == 1


def test_it_refuses_a_request_without_a_token_or_with_an_unknown_one(client, rnd):
    event = rnd.event(token=rnd.city.alice.code_token)
    assert post(client, "/api/v1/scans/one", event, None).status_code == 401
    assert post(client, "/api/v1/scans/one", event, "wy_forged").status_code == 401
    assert not Scan.objects.exists()


def test_it_refuses_a_revoked_token(client, rnd):
    devices.revoke(rnd.token)
    response = post(client, "/api/v1/scans", {"events": [rnd.event(token="x")]}, rnd.secret)
    assert response.status_code == 401
    assert not Scan.objects.exists()


def test_it_refuses_a_lab_token_for_scans(client, rnd):
    lab = Lab.objects.create(code="L1", name="气膜实验室", district_code="140105")
    _, secret = DeviceToken.issue("实验室电脑", lab=lab)
    assert post(client, "/api/v1/scans/one", rnd.event(token="x"), secret).status_code == 401


def test_a_token_may_post_only_for_its_own_site(client, rnd):
    event = rnd.event(site="S2", token=rnd.city.alice.code_token)
    body = post(client, "/api/v1/scans/one", event, rnd.secret).json()
    assert (body["status"], body["reason"]) == ("rejected", "wrong_site")
    assert not Tube.objects.exists()


def test_the_token_is_stored_only_as_its_hash_and_marks_its_last_use(client, rnd):
    assert rnd.secret not in {rnd.token.token_hash, rnd.token.prefix}
    assert DeviceToken.objects.filter(token_hash__contains=rnd.secret[8:]).count() == 0
    post(client, "/api/v1/scans/one", rnd.event(token=rnd.city.alice.code_token), rnd.secret)
    rnd.token.refresh_from_db()
    assert rnd.token.last_used_at is not None


def test_it_refuses_a_batch_over_the_limit_whole(client, rnd):
    events = [rnd.event(token="x")] * 2001
    response = post(client, "/api/v1/scans", {"events": events}, rnd.secret)
    assert response.status_code == 422
    assert not Scan.objects.exists()


def test_a_body_that_is_not_a_batch_is_refused_with_422(client, rnd):
    response = post(client, "/api/v1/scans", {"events": [{"event_id": "x"}]}, rnd.secret)
    assert response.status_code == 422


def test_every_status_a_device_route_answers_is_documented(client, rnd):
    # A device maker codes against /api/docs: the errors a whole request can get are there.
    schema = api.get_openapi_schema()["paths"]
    documented = {
        p: {str(code) for code in schema[p]["post"]["responses"]}
        for p in schema
        if "post" in schema[p]
    }
    assert {"200", "400", "401", "413", "422"} <= documented["/api/v1/scans"]
    assert {"200", "400", "401", "422"} <= documented["/api/v1/scans/one"]
    for path in ("/api/v1/lab/receipts", "/api/v1/lab/results", "/api/v1/lab/result-files"):
        assert {"200", "400", "401", "422"} <= documented[path], path
    # And those are what a device meets: no token, a body that is not a batch.
    answers = {
        ("/api/v1/scans", post(client, "/api/v1/scans", {"events": []}, None).status_code),
        ("/api/v1/scans", post(client, "/api/v1/scans", {"x": 1}, rnd.secret).status_code),
        ("/api/v1/scans/one", post(client, "/api/v1/scans/one", {}, rnd.secret).status_code),
        (
            "/api/v1/scans/one",
            client.post(
                "/api/v1/scans/one",
                b"\x00",
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {rnd.secret}",
            ).status_code,
        ),
    }
    for path, status in answers:
        assert str(status) in documented[path], (path, status)
