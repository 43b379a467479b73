"""``scan_endpoint``: device scans answered in front of Django, everything else left to Django.

``test_api.py`` runs the whole scan API through it; these tests pin down what it takes and
what it hands on, and that its answers look like Django's.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.core.handlers.wsgi import WSGIHandler

from tests.testing.wsgi_client import WsgiClient
from wuyi.testing import devices, scan_endpoint
from wuyi.testing.models import RoundStatus, Scan, TestingRound, Tube
from wuyi.testing.scan_endpoint import ScanEndpoint

pytestmark = pytest.mark.django_db


class Recording:
    """Django's handler, noting each request it had to answer."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        return self.django(environ, start_response)


@pytest.fixture
def django_app() -> Recording:
    return Recording()


@pytest.fixture
def device(django_app) -> WsgiClient:
    return WsgiClient(ScanEndpoint(django_app))


def post(client, path: str, body, secret: str | None = None, **extra):
    if secret:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **extra)


def test_a_scan_and_a_batch_are_answered_without_django(device, django_app, rnd):
    one = post(device, "/api/v1/scans/one", rnd.event(token=rnd.city.alice.code_token), rnd.secret)
    assert one.status_code == 200
    assert (one.json()["status"], one.json()["members"]) == ("accepted", 1)
    batch = {"events": [rnd.event(token=rnd.city.bob.code_token), rnd.event(token="nope")]}
    answer = post(device, "/api/v1/scans", batch, rnd.secret)
    assert answer.status_code == 200
    assert (answer.json()["accepted"], answer.json()["rejected"]) == (1, 1)
    assert django_app.paths == []
    assert Tube.objects.get().member_count == 2


@pytest.mark.parametrize(
    ("body", "secret", "status"),
    [
        ("event", None, 401),  # no token
        ("event", "wy_forged", 401),  # a token nobody issued
        (b"{not json", "good", 400),  # Ninja's "Cannot parse request body", from the body read
        ({"events": [{"event_id": "x"}]}, "good", 422),  # not a scan event
        (b"", "good", 422),  # no body
    ],
)
def test_what_it_does_not_take_django_answers_as_before(
    device, django_app, rnd, body, secret, status
):
    path = "/api/v1/scans" if isinstance(body, dict) else "/api/v1/scans/one"
    if body == "event":
        body = rnd.event(token=rnd.city.alice.code_token)
    response = post(device, path, body, rnd.secret if secret == "good" else secret)
    assert response.status_code == status
    assert "detail" in response.json()
    assert django_app.paths == [path]
    assert not Scan.objects.exists()


def test_other_routes_and_methods_go_to_django(device, django_app, rnd):
    event = rnd.event(token=rnd.city.alice.code_token)
    assert post(device, "/api/v1/me", event, rnd.secret).status_code == 405  # a GET route
    got = post(device, "/api/v1/scans/one", event, rnd.secret, REQUEST_METHOD="GET")
    assert got.status_code == 405
    assert django_app.paths == ["/api/v1/me", "/api/v1/scans/one"]
    assert not Scan.objects.exists()


def test_its_answer_carries_the_headers_django_would_add(client, device, rnd):
    ours = post(device, "/api/v1/scans/one", rnd.event(token=rnd.city.alice.code_token), rnd.secret)
    theirs = post(client, "/api/v1/scans/one", rnd.event(token=rnd.city.bob.code_token), rnd.secret)
    assert ours.status_code == theirs.status_code == 200

    def shown(headers) -> dict:
        return {k.lower(): v for k, v in headers.items() if k.lower() != "content-length"}

    assert shown(ours.headers) == shown(theirs.headers)
    assert ours.headers["Content-Language"] == "zh-hans"


def test_over_https_it_adds_hsts_as_django_does(settings, django_app, rnd):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    device = WsgiClient(ScanEndpoint(django_app), secure=True)
    response = post(
        device, "/api/v1/scans/one", rnd.event(token=rnd.city.bob.code_token), rnd.secret
    )
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    assert django_app.paths == []


def test_plain_http_goes_to_django_when_https_is_required(settings, rnd):
    settings.SECURE_SSL_REDIRECT = True
    django_app = Recording()  # after the setting: Django's middleware reads it when loaded
    device = WsgiClient(ScanEndpoint(django_app))
    event = rnd.event(token=rnd.city.alice.code_token)
    response = post(device, "/api/v1/scans/one", event, rnd.secret)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/api/v1/scans/one"
    assert django_app.paths == ["/api/v1/scans/one"]
    assert not Scan.objects.exists()


def test_a_host_not_allowed_goes_to_django(device, django_app, rnd):
    event = rnd.event(token=rnd.city.alice.code_token)
    response = post(device, "/api/v1/scans/one", event, rnd.secret, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert django_app.paths == ["/api/v1/scans/one"]
    assert not Scan.objects.exists()


def test_a_body_over_the_upload_limit_goes_to_django(settings, device, django_app, rnd):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    event = rnd.event(token=rnd.city.alice.code_token)
    response = post(device, "/api/v1/scans/one", event, rnd.secret)
    assert response.status_code == 400
    assert django_app.paths == ["/api/v1/scans/one"]
    assert not Scan.objects.exists()


def test_it_answers_in_the_language_chosen_with_the_cookie(device, django_app, rnd):
    event = rnd.event(token="nope")
    response = post(
        device, "/api/v1/scans/one", event, rnd.secret, HTTP_COOKIE="django_language=en"
    )
    assert response.json()["reason"] == "unknown_token"
    assert response.json()["message"] == ("Unknown sampling code: check it or type the ID number")
    assert response.headers["Content-Language"] == "en"
    chinese = post(device, "/api/v1/scans/one", rnd.event(token="nope"), rnd.secret)
    assert chinese.json()["message"] == "采样码无效,请核对或改为录入证件号"
    assert django_app.paths == []


def test_an_error_is_logged_and_answered_500_without_details(
    monkeypatch, caplog, device, django_app, rnd
):
    def broken(events, site_id, setup=None):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(scan_endpoint, "answer_events", broken)
    event = rnd.event(token=rnd.city.alice.code_token)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = post(device, "/api/v1/scans/one", event, rnd.secret)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert "disk is full" not in response.content.decode()
    assert "Internal Server Error: /api/v1/scans/one" in caplog.text
    assert django_app.paths == []


@pytest.mark.django_db(transaction=True)
def test_a_dead_database_connection_fails_one_request_and_the_retry_gets_a_new_one(rnd):
    """Device scans skip Django's per-request connection health check (a round trip): when
    the kept connection has died, that request is answered 500 with nothing stored, the
    connection is closed as the request ends, and the device's retry succeeds."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a server connection to kill: PostgreSQL only")
    device = WsgiClient(keep_connections=False)
    event = rnd.event(token=rnd.city.alice.code_token)
    body = json.dumps(event)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {rnd.secret}"}
    assert (
        device.post(
            "/api/v1/scans/one",
            json.dumps(rnd.event("T0", token=rnd.city.bob.code_token)),
            content_type="application/json",
            **headers,
        ).status_code
        == 200
    )
    pid = connection.connection.info.backend_pid
    import psycopg

    with psycopg.connect(
        host=connection.settings_dict["HOST"] or None,
        port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"] or None,
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    failed = device.post("/api/v1/scans/one", body, content_type="application/json", **headers)
    assert failed.status_code == 500
    retried = device.post("/api/v1/scans/one", body, content_type="application/json", **headers)
    assert retried.status_code == 200
    assert retried.json()["status"] == "accepted"
    assert Scan.objects.filter(event_id=event["event_id"]).count() == 1


def test_a_change_after_the_process_kept_the_setup_holds_for_the_next_scan(device, django_app, rnd):
    """The endpoint authenticates against the setup this process kept, unread; a round
    closed or a token revoked since is still seen by the very next scan."""
    first = post(
        device, "/api/v1/scans/one", rnd.event("T1", token=rnd.city.alice.code_token), rnd.secret
    )
    assert first.json()["status"] == "accepted"
    TestingRound.objects.filter(pk=rnd.round.pk).update(status=RoundStatus.CLOSED)
    closed = post(
        device, "/api/v1/scans/one", rnd.event("T1", token=rnd.city.bob.code_token), rnd.secret
    )
    assert (closed.json()["status"], closed.json()["reason"]) == ("rejected", "unknown_round")
    TestingRound.objects.filter(pk=rnd.round.pk).update(status=RoundStatus.ACTIVE)
    devices.revoke(rnd.token)
    refused = post(
        device, "/api/v1/scans/one", rnd.event("T2", token=rnd.city.bob.code_token), rnd.secret
    )
    assert refused.status_code == 401
    assert Scan.objects.filter(tube_barcode="T2").count() == 0
    assert django_app.paths == ["/api/v1/scans/one"]  # only the refused one went to Django
