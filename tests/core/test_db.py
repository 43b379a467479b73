"""The SQLite writer lock: one writer at a time across threads and processes, re-entrant."""

import multiprocessing
import threading
import time

import pytest
from django.db import connection

from wuyi.core import db


def _hold(name: str, seconds: float, started, done) -> None:
    import fcntl
    import os

    fd = os.open(f"{name}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    started.set()
    time.sleep(seconds)
    done.set()  # before letting go, so whoever gets in next sees it
    fcntl.flock(fd, fcntl.LOCK_UN)


@pytest.mark.django_db
def test_write_lock_waits_for_another_process():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows itself; write_lock is a no-op there")
    name = str(connection.settings_dict["NAME"])
    ctx = multiprocessing.get_context("fork")
    started, done = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold, args=(name, 0.3, started, done))
    other.start()
    assert started.wait(10)
    with db.write_lock():
        # We got in only after the other process let go.
        assert done.is_set()
    other.join(10)


@pytest.mark.django_db
def test_write_lock_excludes_threads_and_is_reentrant():
    inside, overlaps = [], []

    def work():
        with db.write_lock(), db.write_lock():  # re-entered by the same thread: no deadlock
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(1)
            time.sleep(0.01)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    if connection.vendor == "sqlite":
        assert not overlaps
    assert not inside


def _hold_in_child(started, release) -> None:
    from wuyi.core import db as child_db

    with child_db.write_lock():
        started.set()
        release.wait(10)


@pytest.mark.django_db
def test_a_forked_child_does_not_share_its_parents_lock():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows itself; write_lock is a no-op there")
    with db.write_lock():
        pass  # the parent has opened its lock file before forking
    ctx = multiprocessing.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_in_child, args=(started, release))
    child.start()
    assert started.wait(10)
    got_in = threading.Event()

    def parent_writer():
        with db.write_lock():
            got_in.set()

    writer = threading.Thread(target=parent_writer)
    writer.start()
    # While the child holds the lock, the parent must wait for it.
    assert not got_in.wait(0.3)
    release.set()
    writer.join(10)
    child.join(10)
    assert got_in.is_set()
