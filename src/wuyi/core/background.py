"""Periodic background jobs: the work that must happen soon, but not inside a request.

Some things follow from what users do but are too slow, or too wide, to do while a phone
waits: members of a positive pool entering control, the community tallies the city rollup
reads. Each app registers such a job here (``@every(seconds)`` in its ``apps.ready``);
``wuyi work`` runs them in a loop beside the web server (``wuyi serve`` starts one for
local and demo use). Every job must be idempotent and safe to run at any time: the
request that caused the work already committed everything needed to redo it, so a
missed or crashed run loses nothing, the next one catches up.

No queue server: the jobs read the database for what is pending, which is the one place
acknowledged data lives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    seconds: float
    func: Callable[[], dict | int | None]
    due: float = 0.0


JOBS: dict[str, Job] = {}


def every(seconds: float, name: str | None = None) -> Callable:
    """Register ``func`` to run every ``seconds`` (at most; a slow run delays the next)."""

    def register(func: Callable) -> Callable:
        key = name or f"{func.__module__}.{func.__name__}"
        JOBS[key] = Job(key, seconds, func)
        return func

    return register


def run_due(now: float | None = None, *, force: bool = False) -> dict[str, object]:
    """Run every job that is due (all of them with ``force``); what each returned.

    A job that raises is logged and reported as an error; the others still run, and the
    failed one is tried again on its next turn.
    """
    now = time.monotonic() if now is None else now
    results: dict[str, object] = {}
    for job in sorted(JOBS.values(), key=lambda j: j.name):
        if not force and job.due > now:
            continue
        close_old_connections()
        try:
            results[job.name] = job.func()
        except Exception as exc:  # one job's failure must not stop the others
            log.exception("background job %s failed", job.name)
            results[job.name] = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            job.due = time.monotonic() + job.seconds
    close_old_connections()
    return results


def loop(stop: threading.Event, tick: float = 1.0) -> None:
    """Run due jobs until ``stop`` is set."""
    while not stop.is_set():
        run_due()
        stop.wait(tick)


def start_thread() -> threading.Event:
    """A daemon thread running the loop, for ``wuyi serve``; set the event to stop it."""
    stop = threading.Event()
    threading.Thread(target=loop, args=(stop,), name="wuyi-work", daemon=True).start()
    return stop
