"""``wuyi bench results`` end to end, small: the figures it prints come from a run that worked.

Both parts run on the configured kind of database: a result file import in a database the
benchmark makes and drops, and the positive pool's member list on a copy of a small
generated city (an SQLite file, or a PostgreSQL database copied as a template), which
must be left as it was.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection

from tests.testing.conftest import current_database_url
from wuyi.core.bench import postgres_database
from wuyi.testing.bench_results import _members_bench, run


def _count_residents(big: str) -> int:
    if big.startswith("postgres://"):
        import psycopg

        with psycopg.connect(big) as conn:
            return conn.execute("SELECT COUNT(*) FROM people_resident").fetchone()[0]
    with sqlite3.connect(big) as conn:
        return conn.execute("SELECT COUNT(*) FROM people_resident").fetchone()[0]


@pytest.fixture(scope="module")
def city(tmp_path_factory, django_db_setup):
    """A generated city of 400 residents, outside the test database, and the URL to reach it."""
    tmp_path = tmp_path_factory.mktemp("city")
    with contextlib.ExitStack() as stack:
        if connection.vendor == "sqlite":
            big = str(tmp_path / "wuyi.sqlite3")
            city_url = f"sqlite:///{big}"
        else:
            big = city_url = stack.enter_context(postgres_database(current_database_url(), "city"))
        env = {**os.environ, "DATABASE_URL": city_url, "WUYI_DATA_DIR": str(tmp_path)}
        for argv in (["migrate", "--verbosity", "0"], ["generate", "--residents", "400"]):
            subprocess.run(  # noqa: S603 (our own command)
                [sys.executable, "-m", "wuyi.cli", *argv], env=env, check=True, capture_output=True
            )
        yield big


def test_a_small_run_imports_every_file_and_lists_every_positive_member(city, base_url):
    residents = _count_residents(city)
    result = run([], tubes=60, members=3, big=city, min_residents=200)

    imported = result["import"]
    assert imported["database"] == connection.vendor
    big, small, again = imported["big_file"], imported["small_file"], imported["re_upload"]
    assert (big["rows"], small["rows"]) == (60, 6)
    assert big["seconds"] > 0 and big["rows_per_s"] > 0 and imported["under_30_s"]
    assert big["peak_rss_mb"] > 0 and imported["peak_rss_ratio_big_to_small"] > 0
    if connection.vendor == "sqlite":
        # The import's own memory, SQLite's page cache apart, is reported for both files.
        assert (
            big["sqlite_memory_mb"] > 0 and 0 < big["anon_without_sqlite_mb"] < big["rss_anon_mb"]
        )
        assert imported["anon_without_sqlite_ratio_big_to_small"] > 0
    # The same file again changes nothing.
    assert again["rows"] == 60 and again["applied"] == 0 and again["unchanged"] == 60

    pool = result["positive_pool"]
    assert pool["database"] == connection.vendor
    assert pool["residents"] == residents
    # 20 positive pools of 10: every member listed with a household, community and grid;
    # those in a compound's building with it (village courtyards have none).
    assert pool["pools"] == 20 and pool["members"] == 200
    assert pool["with_household_community_and_grid"] == 200
    assert 0 < pool["with_unit_and_building"] <= 200
    assert 0 < pool["member_list_ms"]["median"] <= pool["member_list_ms"]["max"]
    assert pool["positive_result_to_retest_tasks_ms"]["median"] > 0
    # The city it was copied from was not written: no round, no bindings.
    assert _count_residents(city) == residents
    if city.startswith("postgres://"):
        import psycopg

        with psycopg.connect(city) as conn:
            assert conn.execute("SELECT COUNT(*) FROM testing_testinground").fetchone()[0] == 0
            left = conn.execute(
                "SELECT COUNT(*) FROM pg_database WHERE datname LIKE %s",
                [conn.info.dbname + "_members_%"],
            ).fetchone()[0]
        assert left == 0, "the copy was not dropped"
    else:
        with sqlite3.connect(city) as conn:
            assert conn.execute("SELECT COUNT(*) FROM testing_testinground").fetchone()[0] == 0


def test_a_city_too_small_or_missing_is_skipped_and_says_why(city, tmp_path):
    assert "只有" in _members_bench(city, keep=False, min_residents=10_000)["skipped"]
    missing = _members_bench(str(tmp_path / "none.sqlite3"), keep=False)
    assert "没有找到" in missing["skipped"]
