"""``wuyi bench ingest`` end to end, small: the figures it prints come from a run that worked.

A benchmark that quietly measured nothing (a raw insert that skipped its rows, a server
that answered every scan with an error) would still print numbers; this runs the whole
thing on a tiny city, through uWSGI, on the configured database, and checks what it says
against what it stored.
"""

from __future__ import annotations

import pytest

from wuyi.testing.bench import run_ingest


def test_a_small_run_stores_every_accepted_event_once(base_url):
    result = run_ingest(events=1500, batch=500, single=30, residents=800)

    raw, scans_only = result["raw_insert"], result["raw_insert_scans_only"]
    assert (raw["rows"], raw["bindings"], scans_only["bindings"]) == ("binding", 1500, 1500)
    # The same rows a binding writes: 150 tubes, 1,500 scans and one marker per scan sent.
    assert raw["rows_written"] == 150 + 1500 + 1500
    assert scans_only["rows_written"] == 1500
    assert raw["bindings_per_s"] > 0 and scans_only["bindings_per_s"] > 0

    batch, single = result["batch_api"], result["single_api"]
    assert batch["http_errors"] == 0 and single["http_errors"] == 0
    assert batch["accepted"] == batch["answered"] > 0
    assert single["answered"] == 30
    # Two phones per web worker, each in a client process of its own.
    workers = int(result["setup"]["server"].split(", ")[1].split()[0])
    assert result["setup"]["phones"] == 2 * workers
    check = result["check"]
    # Warm-up batches, timed batches and singles: every event stored once, as answered.
    assert check["stored_events"] == 1500 + 30
    assert batch["accepted"] + single["accepted"] <= check["stored_bindings"] <= 1530
    assert check["tubes_over_capacity"] == 0 and check["person_twice_in_a_tube"] == 0
    assert result["ratio_to_raw"] > 0 and result["ratio_to_raw_scans_only"] > 0
    # The yardstick: the same single-scan requests to a WSGI app that does nothing, all
    # answered (but the warm-up); CPU time in clock ticks, so 22 requests may show none.
    bare = result["bare_requests"]
    assert bare["http_errors"] == 0 and bare["answered"] == bare["requests"] > 0
    assert bare["requests_per_s"] > 0 and bare["server_cpu_ms_per_request"] >= 0
    # Computed from the unrounded rates: within a rounding of the printed ones.
    ratio = single["scans_per_s"] / bare["requests_per_s"]
    assert result["single_ratio_to_bare"] == pytest.approx(ratio, abs=0.002)
    assert set(result["targets"]) == {
        "bindings_per_s",
        "share_of_raw",
        "batch_p99_ms",
        "single_per_s",
        "single_p99_ms",
    }


def test_the_bench_runs_as_many_web_workers_as_the_operations_guide_advises():
    # docs/operations.md: one per core on SQLite (a second only waits for the write lock),
    # two per core on PostgreSQL (a worker waits for the server's answer and WAL flush).
    from wuyi.testing.bench import default_workers

    assert default_workers("sqlite:////tmp/x.sqlite3", 2) == 2
    assert default_workers("postgres://postgres@127.0.0.1:5432/wuyi", 2) == 4
    assert default_workers("postgresql://u@h/db", 8) == 16
