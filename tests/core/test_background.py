"""The background job runner: due jobs run, failures are isolated and retried."""

import json

import pytest
from django.core.management import call_command

from wuyi.core import background

# run_due closes stale database connections between jobs: a connection an earlier test left
# open in this worker process is touched, which needs database access allowed.
pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(monkeypatch):
    monkeypatch.setattr(background, "JOBS", {})
    return background.JOBS


def test_due_jobs_run_and_wait_for_their_turn(jobs):
    calls = []
    background.every(60, "a")(lambda: calls.append("a") or 1)
    first = background.run_due(now=0)
    assert first == {"a": 1}
    assert background.run_due(now=0) == {}  # not due again for a minute
    assert calls == ["a"]
    assert background.run_due(force=True) == {"a": 1}


def test_a_failing_job_does_not_stop_the_others(jobs):
    def broken():
        raise RuntimeError("boom")

    background.every(1, "broken")(broken)
    background.every(1, "fine")(lambda: {"done": 3})
    results = background.run_due(force=True)
    assert results["broken"] == {"error": "RuntimeError: boom"}
    assert results["fine"] == {"done": 3}


def test_work_once_reports_json(jobs, capsys):
    background.every(5, "count")(lambda: {"n": 2})
    call_command("work", "--once", "--json")
    assert json.loads(capsys.readouterr().out) == {"count": {"n": 2}}
