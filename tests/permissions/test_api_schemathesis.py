"""schemathesis against the OpenAPI schema, as scoped callers: no 5xx, nothing out of scope.

For each operation in the schema, hypothesis generates requests (a few per operation, to
keep the suite fast) and sends them to the Django WSGI app in-process, as:

* a grid worker of 第一网格 (session cookie and CSRF token),
* a sampling device bound to 甲采样点 (bearer token),
* a lab PC bound to 甲实验室 (bearer token).

Every response must be below 500, must be one the schema documents, must carry no marker of a world object outside the
caller's zones (``world.py``) and no full ID number or phone.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings

from tests.permissions.world import PERSONAS, build_world
from wuyi.api import api

EXAMPLES = 8
CALLERS = ("grid_worker", "site_device", "lab_device")


def operations():
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    return [result.ok() for result in schema.get_all_operations()]


def caller_credentials(world, persona: str) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies) that authenticate the persona."""
    scope = PERSONAS[persona][1]
    if persona.endswith("_device"):
        return {"Authorization": f"Bearer {world.device_secrets[scope]}"}, {}
    client = Client()
    client.force_login(world.users[persona])
    token = "a" * 32  # any 32-character secret works as cookie and header alike
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    return {"X-CSRFToken": token}, cookies


def body_text(response) -> str:
    raw = response.content or b""
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw.decode("utf-8", "replace")


@pytest.fixture
def in_process_wsgi():
    """Keep the test's database connection open across requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("persona", CALLERS)
def test_no_api_operation_fails_or_leaks_for_a_scoped_caller(db, in_process_wsgi, persona):
    world = build_world()
    headers, cookies = caller_credentials(world, persona)
    app = in_process_wsgi
    outside = world.outside_markers(persona)
    secrets = set(world.secrets.values())
    statuses: dict[str, set[int]] = {}

    for operation in operations():
        label = f"{operation.method.upper()} {operation.path}"
        statuses[label] = set()
        run_operation(
            operation, label, persona, app, (headers, cookies), outside, secrets, statuses[label]
        )
    # The caller's credentials were accepted by at least one of its own routes.
    own = {"grid_worker": "GET /api/v1/me", "site_device": "POST /api/v1/scans"}
    own["lab_device"] = "POST /api/v1/lab/results"
    assert statuses[own[persona]] - {401, 403}, statuses


def run_operation(operation, label, persona, app, credentials, outside, secrets, statuses) -> None:
    """A few generated requests to one operation; each response checked."""
    responses = api.get_openapi_schema()["paths"][operation.path][operation.method.lower()]
    documented = {str(code) for code in responses["responses"]}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        headers, cookies = credentials
        response = case.call(app=app, headers=headers, cookies=cookies)
        statuses.add(response.status_code)
        where = (
            f"{label} as {persona}: {case.method} {case.formatted_path} -> {response.status_code}"
        )
        assert response.status_code < 500, where
        # Every answer is one the schema documents (/api/docs), errors included.
        assert str(response.status_code) in documented, f"{where}: undocumented {documented}"
        text = body_text(response)
        leaks = sorted(f"{tag}:{m}" for m, tag in outside.items() if m in text)
        assert not leaks, f"{where}: out-of-scope data {leaks}"
        full = sorted(s for s in secrets if s in text)
        assert not full, f"{where}: full personal values {full}"

    check()
