"""The production web server (uWSGI, as docs/operations.md runs it) serves the scan API.

The benchmark measures ingest through this server; here it answers a device's batch and a
single scan on the test database, so a broken install or a server option that stops
forwarding bodies or headers fails the suite, not a city's first morning.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from django.db import connection

from wuyi.testing.bench import _exchange, _free_port, _server_command, _wait_for
from wuyi.testing.models import Scan

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _post(port: int, path: str, body: dict, secret: str) -> tuple[int, dict]:
    data = json.dumps(body).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {secret}\r\nConnection: close\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data
    status, answer = _exchange(port, request)
    return status, json.loads(answer)


def test_uwsgi_serves_a_device_batch_and_a_single_scan(rnd):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "false"}
    server = subprocess.Popen(_server_command(port, workers=2), env=env)  # noqa: S603
    try:
        _wait_for(port)
        batch = [rnd.event(token=rnd.city.alice.code_token), rnd.event(id_number="12345")]
        status, answer = _post(port, "/api/v1/scans", {"events": batch}, rnd.secret)
        assert status == 200
        assert (answer["accepted"], answer["rejected"]) == (1, 1)
        assert answer["answers"][1]["reason"] == "malformed_id"
        single = rnd.event(token=rnd.city.bob.code_token)
        status, answer = _post(port, "/api/v1/scans/one", single, rnd.secret)
        assert status == 200 and answer["status"] == "accepted" and answer["members"] == 2
        status, answer = _post(port, "/api/v1/scans/one", single, "wy_forged")
        assert status == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = Scan.objects.filter(outcome="accepted", tube__barcode="T0001")
    assert set(stored.values_list("resident__name", flat=True)) == {"张丽", "李强"}
