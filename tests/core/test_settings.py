"""Settings that the benchmarks showed matter: connections kept open on both databases."""

import json
import os
import subprocess
import sys

import pytest

PRINT = (
    "import os, json; os.environ['DJANGO_SETTINGS_MODULE'] = 'wuyi.settings';"
    "import django; django.setup(); from django.conf import settings;"
    "db = settings.DATABASES['default'];"
    "print(json.dumps({k: db.get(k) for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')}))"
)


def _settings(url: str, tmp_path, **env) -> dict:
    out = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", PRINT],
        env={**os.environ, "DATABASE_URL": url, "WUYI_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "url", ["postgres://postgres@127.0.0.1:5432/anything", "sqlite:///{tmp}/x.sqlite3"]
)
def test_connections_are_kept_across_requests(url, tmp_path):
    # A new PostgreSQL connection per request held single scans to 192 a second.
    found = _settings(url.format(tmp=tmp_path), tmp_path)
    assert found["CONN_MAX_AGE"] == 60


def test_conn_max_age_can_be_set(tmp_path):
    found = _settings("postgres://postgres@127.0.0.1:5432/x", tmp_path, CONN_MAX_AGE="5")
    assert found == {"CONN_MAX_AGE": 5, "CONN_HEALTH_CHECKS": True}
