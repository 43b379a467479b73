"""The ``wuyi`` command on a database that is not there yet: what to do, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys


def _wuyi(tmp_path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "WUYI_DATA_DIR": str(tmp_path)}
    return subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "wuyi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_command_before_wuyi_init_says_to_run_it(tmp_path):
    done = _wuyi(
        tmp_path, f"sqlite:///{tmp_path / 'new.sqlite3'}", "pool", "plan", "--prevalence", "0.01"
    )
    assert done.returncode == 2
    assert "wuyi init" in done.stderr and "no such table" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_database_server_that_is_not_running_is_named(tmp_path):
    # Nothing listens on port 9 (discard) of this machine: the connection is refused.
    done = _wuyi(tmp_path, "postgres://postgres@127.0.0.1:9/wuyi", "stats")
    assert done.returncode == 2
    assert "无法连接数据库" in done.stderr and "DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_once_initialised_the_same_command_works(tmp_path):
    url = f"sqlite:///{tmp_path / 'ready.sqlite3'}"
    assert _wuyi(tmp_path, url, "init").returncode == 0
    done = _wuyi(tmp_path, url, "pool", "plan", "--prevalence", "0.01", "--population", "1000")
    assert done.returncode == 0, done.stderr
    assert "10合1混采" in done.stdout


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    # `wuyi … | head`: the reader is gone before the command writes.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    child = subprocess.Popen(
        [sys.executable, "-m", "wuyi.cli", "help", "--commands"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.close()
    _, errors = child.communicate(timeout=120)
    assert child.returncode == 1
    assert b"Traceback" not in errors and b"BrokenPipeError" not in errors
