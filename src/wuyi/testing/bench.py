"""``wuyi bench ingest``: scan bindings per second through the real HTTP API, against raw inserts.

What it does, in one run, on a fresh temporary database of the configured kind (a new
SQLite file, or a new PostgreSQL database ``<name>_bench_ingest_<pid>`` dropped after):

1. migrates it and sets up a round, a site with desks, a device token and ``--residents``
   registered residents (in a child process: settings are read once per process);
2. **raw**: the database's ceiling, from one process, by plain batched ``INSERT … ON
   CONFLICT DO NOTHING`` of ``--batch`` bindings at a time, one transaction a batch: first
   the scan rows alone (same columns, unique constraints and indexes as ``testing_scan``;
   what earlier sessions compared with), then **the same rows the API stores for a
   binding**: the batch's new tubes, its scans and the ``Sampled`` markers (the unique
   per-round index that counts a person once), which is what the issue's "raw: the same
   rows, with the same unique constraints" compares with. The tables are emptied after
   each, so both raw inserts and the API start from the registry and no scans;
3. **batch API**: starts uWSGI (``--workers`` processes, as ``docs/operations.md`` runs
   it) on 127.0.0.1 and has ``--clients`` processes post ``--events`` events as batches
   of ``--batch`` to ``POST /api/v1/scans`` with the device token: bindings/s and p50/p99
   per batch;
4. **single-event API**: ``--single`` events posted to ``/api/v1/scans/one`` by ``--phones``
   phones at once, each posting its next scan when the last is answered: scans/s and
   p50/p99. Up to ``MAX_PHONE_PROCESSES`` phones each get a client process of their own
   (a blocking socket, the least client CPU); more are spread over ``--clients`` processes;
5. checks the database afterwards: every accepted answer is exactly one stored binding,
   no tube over capacity;
6. **bare requests**: the single scans' requests again, by the same phones, to
   ``bare_application`` (reads the body, answers a fixed answer) on the same uWSGI: the
   machine's ceiling for a request per connection, and ``single_ratio_to_bare``, single
   scans/s as a share of it, a figure that carries over between machines better than
   scans/s (two sessions' machines gave the same code 2,139 and under 1,000 scans/s).

Bodies are encoded before the clock starts; clients and server share the machine's cores,
as they would not in production, so the figures are a floor. Options: ``--events`` (default
50000), ``--batch`` (500), ``--workers`` (one per core on SQLite, two on PostgreSQL:
``default_workers``), ``--clients`` (one per core and one more),
``--single`` (2000),
``--phones`` (two per worker), ``--residents`` (50000), ``--keep`` (keep the temporary
database).

Two phones per worker: a capacity is measured with a request waiting for each worker as it
finishes one. With one phone per worker and one more (3 for 2 workers, the default until
this session) a worker on SQLite waited for the other's write lock with nothing else to
do, and the cores were idle a fifth of the time. Measured on SQLite in one session (a
round's first 20,000 scans already stored, each a separate run): 3 phones 1,994–2,103
scans/s, 4 phones 2,233–2,306, 6 phones 2,076–2,159, 8 phones 2,124, the p99 rising from
2.4 ms to 6.7 ms; more client processes take more of the shared cores than the server
gains. ``client_cpu_s`` shows what the clients take.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import math
import multiprocessing
import os
import random
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dj_database_url

from wuyi.core.bench import is_postgres, postgres_database

TUBE_SIZE = 10
DESKS = 50
TARGETS = {
    "bindings_per_s": 20_000,
    "share_of_raw": 0.5,
    "batch_p99_ms": 250,
    "single_per_s": 2_000,
    "single_p99_ms": 100,
}


# --- The parent: orchestrates, times the HTTP clients -----------------------------------


def run_ingest(argv: list[str] | None = None, **options) -> dict:
    events = int(options.get("events") or 50_000)
    batch = int(options.get("batch") or 500)
    base_url = os.environ.get("DATABASE_URL") or _default_url()
    cores = os.cpu_count() or 2
    workers = int(options.get("workers") or default_workers(base_url, cores))
    # The batch clients: one per core and one more, whatever the workers (more batches at
    # once only queue, and lengthen each batch's time).
    clients = int(options.get("clients") or cores + 1)
    single = int(options.get("single") or 2_000)
    phones = int(options.get("phones") or 2 * workers)
    residents = int(options.get("residents") or 50_000)
    events -= events % batch
    if events < 3 * batch:
        # Two batches warm the server up; at least one more is timed.
        raise ValueError(f"--events must be at least 3 × --batch ({3 * batch}), got {events}")
    load_before = _load()
    with _temporary_database(base_url, keep=bool(options.get("keep"))) as (db_url, vendor):
        env = {**os.environ, "DATABASE_URL": db_url, "DEBUG": "false", "LOG_LEVEL": "ERROR"}
        _wuyi(["migrate", "-v0"], env)
        setup = _child("setup", env, residents=residents)
        # Each raw insert and the API start from the same state, the registry and no scans:
        # ingest of 100,000 bindings into tables that already held the raw rows cost 46 µs
        # of CPU a binding against 33 µs into empty ones (in process, SQLite).
        raw_scans = _child("raw", env, events=events, batch=batch, rows="scan")
        _child("empty", env)
        raw = _child("raw", env, events=events, batch=batch, rows="binding")
        _child("empty", env)
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            _server_command(port, workers),
            env=env,
        )
        try:
            _wait_for(port)
            plan = _Plan(setup, seed=1)
            bodies = plan.batches(events // batch, batch)
            # Warm every worker up (each answers its first requests slower), untimed.
            warm = min(2 * workers, len(bodies) // 3)
            _post_all(port, "/api/v1/scans", bodies[:warm], setup["secret"], clients)
            cpu = _children_cpu(server.pid)
            batch_run = _post_all(port, "/api/v1/scans", bodies[warm:], setup["secret"], clients)
            batch_run["server_cpu_s"] = round(_children_cpu(server.pid) - cpu, 2)
            ones = plan.singles(single)
            cpu = _children_cpu(server.pid)
            single_run = _post_all(
                port, "/api/v1/scans/one", ones, setup["secret"], *_phone_clients(phones, clients)
            )
            single_run["server_cpu_s"] = round(_children_cpu(server.pid) - cpu, 2)
        finally:
            server.terminate()
            server.wait(timeout=30)
        check = _child("check", env)
        bare = _bare_requests(ones, setup["secret"], workers, *_phone_clients(phones, clients))
    bindings_per_s = batch_run["accepted"] / max(batch_run["elapsed_s"], 1e-9)
    result = {
        "database": vendor,
        "machine": {"cpus": os.cpu_count(), "load_before": load_before, "load_after": _load()},
        "setup": {
            "residents": residents,
            "events": events,
            "batch": batch,
            "clients": clients,
            "phones": math.prod(_phone_clients(phones, clients)),
            "phone_client_processes": _phone_clients(phones, clients)[0],
            "server": f"uWSGI, {workers} processes",
        },
        "raw_insert": raw,
        "raw_insert_scans_only": raw_scans,
        "batch_api": {
            **batch_run,
            "bindings_per_s": round(bindings_per_s),
            "bindings_per_server_cpu_s": _per(batch_run["accepted"], batch_run["server_cpu_s"]),
        },
        "single_api": {
            **single_run,
            "scans_per_s": round(_rate(single_run)),
            "scans_per_server_cpu_s": _per(single_run["answered"], single_run["server_cpu_s"]),
        },
        "bare_requests": bare,
        # Bindings/s through the API against the raw insert of the same rows.
        "ratio_to_raw": round(bindings_per_s / max(raw["bindings_per_s"], 1), 3),
        # Stricter, as earlier sessions measured it: against the scan rows alone.
        "ratio_to_raw_scans_only": round(bindings_per_s / max(raw_scans["bindings_per_s"], 1), 3),
        # Load-independent view: work done per CPU-second of the web workers vs per CPU-second
        # of the raw inserting process (for PostgreSQL both exclude the database server's CPU).
        "cpu_ratio_to_raw": round(
            _per(batch_run["accepted"], batch_run["server_cpu_s"])
            / max(raw["bindings_per_cpu_s"], 1),
            3,
        ),
        # Single scans/s against the same requests answered by a WSGI app that does nothing:
        # how much of this machine's ceiling for a request per connection a scan keeps.
        "single_ratio_to_bare": round(_rate(single_run) / max(bare["requests_per_s"], 1), 3),
        "check": check,
    }
    result["targets"] = {
        "bindings_per_s": _target(bindings_per_s, TARGETS["bindings_per_s"], higher=True),
        "share_of_raw": _target(result["ratio_to_raw"], TARGETS["share_of_raw"], higher=True),
        "batch_p99_ms": _target(batch_run["p99_ms"], TARGETS["batch_p99_ms"], higher=False),
        "single_per_s": _target(
            result["single_api"]["scans_per_s"], TARGETS["single_per_s"], higher=True
        ),
        "single_p99_ms": _target(single_run["p99_ms"], TARGETS["single_p99_ms"], higher=False),
    }
    return result


def default_workers(url: str, cores: int) -> int:
    """Web workers as docs/operations.md advises: one per core on SQLite, two on PostgreSQL.

    On SQLite a worker's scan is CPU in the worker itself, and a worker more than the
    cores only waits for the write lock (2 workers 33,000 bindings/s, 3 workers 26,000).
    On PostgreSQL a worker waits for the server's answer and its WAL flush, and with one
    worker per core an eighth of the two cores stayed idle during single scans; with two per
    core (batch clients as before) single scans went from a median of 1,845 a second (nine
    runs) to 2,079 (twelve runs, 1,756–2,350), batches unchanged (22,641–26,186 bindings/s,
    p99 under 220 ms), one session. SQLite with four workers: single scans 2,019–2,201 →
    1,769–1,893; PostgreSQL with six: 1,998 and 1,986.
    """
    if is_postgres(url):
        return 2 * cores
    return cores


def _rate(run: dict) -> float:
    """Answered requests per second of a ``_post_all`` run."""
    return run["answered"] / max(run["elapsed_s"], 1e-9)


def bare_application(environ: dict, start_response) -> list[bytes]:
    """A WSGI app that reads the request body and answers a fixed scan answer.

    The yardstick for the single-event path: uWSGI, the clients and the kernel's TCP work
    for one request per connection, and nothing of wuyi. Machines differ (this project's
    sessions have measured the same code at 2,139 and at under 1,000 single scans/s on two
    machines); the ratio of single scans/s to these requests/s, measured in the same run,
    says how much of the machine's ceiling a scan keeps.
    """
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_BARE)))]
    )
    return [_BARE]


_BARE = b'{"status": "accepted", "outcome": "accepted"}'


def _bare_requests(
    bodies: list[bytes], secret: str, workers: int, processes: int, each: int
) -> dict:
    """The single scans' requests, by the same phones, to ``bare_application`` on uWSGI."""
    port = _free_port()
    command = _server_command(port, workers)
    command[command.index("--module") + 1] = "wuyi.testing.bench:bare_application"
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603 (as above)
    try:
        _wait_for(port, "/")
        warm = min(4 * workers, len(bodies) // 3)
        _post_all(port, "/", bodies[:warm], secret, processes, each)
        cpu = _children_cpu(server.pid)
        run = _post_all(port, "/", bodies[warm:], secret, processes, each)
        server_cpu = _children_cpu(server.pid) - cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "requests": run["requests"],
        "answered": run["answered"],
        "http_errors": run["http_errors"],
        "elapsed_s": run["elapsed_s"],
        "requests_per_s": round(_rate(run)),
        "p50_ms": run["p50_ms"],
        "p99_ms": run["p99_ms"],
        "server_cpu_ms_per_request": round(server_cpu / max(run["answered"], 1) * 1000, 3),
        "client_cpu_ms_per_request": round(run["client_cpu_s"] / max(run["answered"], 1) * 1000, 3),
    }


# Phones up to this many get a client process each; more share the --clients processes.
MAX_PHONE_PROCESSES = 8


def _phone_clients(phones: int, clients: int) -> tuple[int, int]:
    """(client processes, phones each) for ``phones`` phones posting single scans."""
    if phones <= MAX_PHONE_PROCESSES:
        return phones, 1
    return clients, -(-phones // clients)


def _server_command(port: int, workers: int) -> list[str]:
    """uWSGI as docs/operations.md runs it, serving plain HTTP on ``port``."""
    return [
        str(Path(sys.executable).with_name("uwsgi")),
        "--http-socket", f"127.0.0.1:{port}",
        "--module", "wuyi.wsgi:application",
        "--master", "--processes", str(workers),
        "--disable-logging", "--die-on-term",
    ]  # fmt: skip


def _per(count: int, seconds: float) -> int:
    return round(count / seconds) if seconds else 0


def _children_cpu(parent: int) -> float:
    """CPU seconds (user + system) used so far by the child processes of ``parent``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:  # fields[1] is the parent pid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _target(value: float, goal: float, higher: bool) -> str:
    met = value >= goal if higher else value <= goal
    return f"{'met' if met else 'missed'}: {round(value, 3)} vs {'≥' if higher else '<'} {goal}"


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _default_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def _temporary_database(base_url: str, keep: bool) -> Iterator[tuple[str, str]]:
    """A new empty database of the same kind as ``base_url``; removed afterwards."""
    parsed = dj_database_url.parse(base_url)
    if parsed["ENGINE"].endswith("sqlite3"):
        folder = Path(tempfile.mkdtemp(prefix="wuyi-bench-ingest-"))
        try:
            yield f"sqlite:///{folder / 'bench.sqlite3'}", "sqlite"
        finally:
            if not keep:
                for path in folder.iterdir():
                    path.unlink()
                folder.rmdir()
        return
    with postgres_database(base_url, "bench_ingest", keep) as url:
        yield url, "postgresql"


def _wuyi(args: list[str], env: dict) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from wuyi.cli import main; main()", *args], env=env, check=True
    )


def _child(step: str, env: dict, **kwargs) -> dict:
    """Run one step of this module in a child process on the temporary database."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "wuyi.testing.bench", step, json.dumps(kwargs)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench step {step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, path: str = "/api/v1/health") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("uWSGI did not answer within 60 s")


class _Plan:
    """The events of the run: full 10-in-1 tubes, mostly scanned codes, some typed IDs."""

    def __init__(self, setup: dict, seed: int, prefix: str = "B") -> None:
        self.setup = setup
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.tube_seq = 0

    def _person(self) -> dict:
        roll = self.rng.random()
        if roll < 0.05:  # typed ID number of a registered resident
            return {"id_number": self.rng.choice(self.setup["id_numbers"])}
        if roll < 0.06:  # typed ID of someone not in the registry: accepted, followed up
            return {"id_number": self.rng.choice(self.setup["strangers"]), "phone": "13700000000"}
        return {"token": self.rng.choice(self.setup["tokens"])}

    def _tube(self, desk: str, size: int, stamp: str) -> list[dict]:
        self.tube_seq += 1
        barcode = f"{self.prefix}{self.tube_seq:09d}"
        events, seen = [], set()
        while len(events) < size:
            person = self._person()
            key = json.dumps(person, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            events.append(
                {
                    "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    "round": self.setup["round"],
                    "site": self.setup["site"],
                    "desk": desk,
                    "tube": barcode,
                    "device_time": stamp,
                    **person,
                }
            )
        return events

    def batches(self, count: int, size: int) -> list[bytes]:
        stamp = dt.datetime.now(dt.UTC).isoformat()
        bodies = []
        for n in range(count):
            desk = f"D{n % DESKS:02d}"
            events = []
            while len(events) < size:
                events += self._tube(desk, min(TUBE_SIZE, size - len(events)), stamp)
            bodies.append(json.dumps({"events": events}).encode())
        return bodies

    def singles(self, count: int) -> list[bytes]:
        stamp = dt.datetime.now(dt.UTC).isoformat()
        bodies: list[bytes] = []
        while len(bodies) < count:
            desk = f"D{len(bodies) % DESKS:02d}"
            bodies += [json.dumps(e).encode() for e in self._tube(desk, TUBE_SIZE, stamp)]
        return bodies[:count]


def _client(args: tuple) -> dict:
    """One client process: ``concurrency`` connections, each posting one body at a time.

    Each request goes on a new connection, as a phone's would after a pause. The client
    writes pre-built request bytes and reads each answer by its Content-Length:
    ``http.client`` spent 0.15 ms of CPU a request parsing headers, on the same two cores
    the server is measured on (phones are other machines). With one connection it uses a
    blocking socket; with several, non-blocking ones under a selector (two more system
    calls a request, about 10 µs of the client's CPU).
    """
    port, path, bodies, secret, concurrency = args
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {secret}\r\nConnection: close\r\nContent-Length: "
    ).encode()
    requests = [head + str(len(body)).encode() + b"\r\n\r\n" + body for body in bodies]
    latencies: list[float] = []
    statuses = {"accepted": 0, "duplicate": 0, "rejected": 0, "http_errors": 0}

    def count(status: int, body: bytes) -> None:
        if status != 200:
            statuses["http_errors"] += 1
            return
        answer = json.loads(body)
        if "answers" in answer:
            for key in ("accepted", "duplicate", "rejected"):
                statuses[key] += answer[key]
        else:
            statuses[answer["status"]] += 1

    start, cpu = time.monotonic(), time.process_time()
    if concurrency == 1:
        for request in requests:
            t0 = time.perf_counter()
            try:
                status, body = _exchange(port, request)
            except OSError:  # refused, reset, closed before answering, timed out
                status, body = 0, b""
            latencies.append((time.perf_counter() - t0) * 1000)
            count(status, body)
    else:
        _many_at_once(port, requests, concurrency, latencies, count)
    return {
        "start": start,
        "end": time.monotonic(),
        "cpu_s": time.process_time() - cpu,
        "latencies": latencies,
        **statuses,
    }


def _many_at_once(port: int, requests: list, concurrency: int, latencies: list, count) -> None:
    """Keep ``concurrency`` requests in flight on non-blocking sockets until all are answered."""
    selector = selectors.DefaultSelector()
    queue = iter(requests)

    def start_next() -> None:
        request = next(queue, None)
        if request is None:
            return
        # A plain socket, not socket.create_connection: that resolves the address each time.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.connect(("127.0.0.1", port))
        sock.setblocking(False)
        sent = sock.send(request)
        state = {"t0": time.perf_counter(), "out": request[sent:], "in": bytearray()}
        events = selectors.EVENT_WRITE if state["out"] else selectors.EVENT_READ
        selector.register(sock, events, state)

    def finish(sock: socket.socket, state: dict) -> None:
        selector.unregister(sock)
        sock.close()
        latencies.append((time.perf_counter() - state["t0"]) * 1000)
        count(*_split_response(bytes(state["in"])))
        start_next()

    for _ in range(concurrency):
        start_next()
    while selector.get_map():
        for key, mask in selector.select(timeout=60):
            sock, state = key.fileobj, key.data
            if mask & selectors.EVENT_WRITE:
                state["out"] = state["out"][sock.send(state["out"]) :]
                if not state["out"]:
                    selector.modify(sock, selectors.EVENT_READ, state)
                continue
            chunk = sock.recv(65536)
            if chunk:
                state["in"] += chunk
                if not _complete(state["in"]):
                    continue
            finish(sock, state)


def _complete(data: bytearray) -> bool:
    """Whether ``data`` holds a whole HTTP response (headers and Content-Length bytes)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    for line in bytes(data[:end]).split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            return len(data) - end - 4 >= int(line.split(b":", 1)[1])
    return False  # no length: read until the server closes


def _split_response(data: bytes) -> tuple[int, bytes]:
    header, _, body = data.partition(b"\r\n\r\n")
    if not header:
        return 0, b""
    return int(header.split(b"\r\n", 1)[0].split()[1]), body


def _exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """Send one HTTP/1.1 request on a new connection; the status and the body."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # A blocking socket with the kernel's timeouts: settimeout() would poll() before
        # every call, two more system calls a request on the cores being measured.
        limit = struct.pack("ll", 60, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection before its headers")
            received += chunk
        header, _, body = received.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in lines
                if line.lower().startswith(b"content-length:")
            ),
            None,
        )
        while length is None or len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, body


def _post_all(
    port: int, path: str, bodies: list[bytes], secret: str, clients: int, concurrency: int = 1
) -> dict:
    """``clients`` processes post ``bodies``, each ``concurrency`` requests at a time."""
    shares = [(port, path, bodies[i::clients], secret, concurrency) for i in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        parts = pool.map(_client, shares)
    latencies = sorted(x for p in parts for x in p["latencies"])
    elapsed = max(p["end"] for p in parts) - min(p["start"] for p in parts)
    totals = {k: sum(p[k] for p in parts) for k in ("accepted", "duplicate", "rejected")}
    return {
        "requests": len(bodies),
        "answered": sum(totals.values()),
        **totals,
        "http_errors": sum(p["http_errors"] for p in parts),
        "elapsed_s": round(elapsed, 3),
        # The clients' own CPU, on the same cores as the server (phones would not be).
        "client_cpu_s": round(sum(p["cpu_s"] for p in parts), 2),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        # Nearest rank: with fewer than 100 requests the p99 is the slowest one.
        "p99_ms": round(latencies[math.ceil(len(latencies) * 0.99) - 1], 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
    }


# --- Children: run on the temporary database ---------------------------------------------


def _setup(residents: int) -> dict:
    """A round, a site with desks, a device token, and ``residents`` registered residents."""
    from wuyi.people import id_numbers
    from wuyi.people.models import Resident
    from wuyi.territory.models import Kind
    from wuyi.territory.tree import add_node
    from wuyi.testing.models import (
        Desk,
        DeviceToken,
        PoolSize,
        RoundSite,
        RoundStatus,
        SamplingSite,
        TestingRound,
    )

    district = add_node(Kind.DISTRICT, "小店区", "140105")
    street = add_node(Kind.STREET, "坞城街道", "140105001", district)
    community = add_node(Kind.COMMUNITY, "光华街社区", "140105001001", street)
    compound = add_node(Kind.COMPOUND, "基准小区", "C01", community)
    homes = []
    for b in range(1, 11):
        building = add_node(Kind.BUILDING, f"{b}号楼", f"B{b:02d}", compound)
        unit = add_node(Kind.UNIT, "1单元", "U1", building)
        homes += [add_node(Kind.HOUSEHOLD, f"{h}", f"H{h:04d}", unit) for h in range(1, 51)]
    today = dt.date.today()
    rnd = TestingRound.objects.create(
        code="BENCH",
        name="基准轮次",
        status=RoundStatus.ACTIVE,
        start_date=today,
        end_date=today,
        default_pool_size=PoolSize.TEN,
    )
    site = SamplingSite.objects.create(
        code="SB", name="基准采样点", node=compound, path=compound.path, district_code="140105"
    )
    Desk.objects.bulk_create([Desk(site=site, code=f"D{n:02d}") for n in range(DESKS)])
    RoundSite.objects.create(round=rnd, site=site, pool_size=PoolSize.TEN)
    _, secret = DeviceToken.issue("基准设备", site=site)
    start = dt.date(1950, 1, 1)
    rows = []
    for i in range(residents):
        home = homes[i % len(homes)]
        number = id_numbers.make(
            "140105", start + dt.timedelta(days=i // 500), (i % 500) * 2 + 1, "M"
        )
        rows.append(
            Resident(
                name=f"居民{i}",
                id_number=number,
                household=home,
                path=home.path,
                district_code="140105",
                code_token=f"tk{i:08d}{random.randrange(10**6):06d}",
            )
        )
    Resident.objects.bulk_create(rows, batch_size=2000)
    # Planner statistics, as a registry that has been in use has them: right after a bulk
    # load PostgreSQL still guesses the table's size and looked tokens up by a bitmap
    # scan, 12 ms a batch instead of 3 (until autovacuum's analyze came round).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    strangers = [
        id_numbers.make("140106", dt.date(1990, 1, 1) + dt.timedelta(days=i), 7, "F")
        for i in range(2000)
    ]
    return {
        "round": rnd.code,
        "site": site.code,
        "secret": secret,
        "tokens": [r.code_token for r in rows],
        "id_numbers": [r.id_number for r in rows[:5000]],
        "strangers": strangers,
    }


def _raw(events: int, batch: int, rows: str = "binding") -> dict:
    """Plain batched INSERT … ON CONFLICT DO NOTHING: the database's ceiling for the rows.

    ``rows="binding"``: the same rows the API stores for a binding, per batch as ingest
    writes them: the batch's new tubes (RETURNING their ids), its scans (RETURNING
    theirs) and the ``Sampled`` markers of registered residents (a resident's second scan
    in the round conflicts, as in the API). ``rows="scan"``: the scan rows alone, into
    tubes made beforehand (the stricter ceiling of the earlier sessions).
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from wuyi.people.models import Resident
    from wuyi.testing.models import Desk, RoundStatus, SamplingSite, TestingRound, Tube

    today = dt.date.today()
    code = "RAW" if rows == "binding" else "RAWSCAN"
    rnd = TestingRound.objects.create(
        code=code, name="原始插入", status=RoundStatus.ACTIVE, start_date=today, end_date=today
    )
    site = SamplingSite.objects.get(code="SB")
    desk = Desk.objects.filter(site=site).first()
    residents = list(Resident.objects.values_list("id", "path", "grid_id", "district_code"))
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    native = connection.features.has_native_uuid_field
    postgres = connection.vendor == "postgresql"
    rng = random.Random(2)
    tube_rows = [
        (f"{code}{i:09d}", rnd.pk, site.pk, desk.pk, 10, 10, 10, "sealed", stamp, stamp,
         site.path, "140105")
        for i in range(events // TUBE_SIZE)
    ]  # fmt: skip
    tube_ids: dict[str, int] = {}
    if rows == "scan":
        Tube.objects.bulk_create(
            [
                Tube(
                    barcode=t[0], round=rnd, site=site, pool_size=10, capacity=10,
                    member_count=10, status="sealed", opened_at=now, sealed_at=now,
                    path=site.path, district_code="140105",
                )
                for t in tube_rows
            ],
            batch_size=2000,
        )  # fmt: skip
        tube_ids = dict(Tube.objects.filter(round=rnd).values_list("barcode", "id"))
    scans = []
    for i in range(events):
        r = residents[(i * 7919) % len(residents)]
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        scans.append(
            (event_id if native else event_id.hex, "bind", "accepted", "", rnd.pk, site.pk,
             desk.pk, None, tube_rows[i // TUBE_SIZE][0], r[0], "", "", "", "", False, stamp,
             stamp, r[1], r[2], r[3])
        )  # fmt: skip
    sql = _RawInsert(connection, postgres)
    start, cpu = time.perf_counter(), time.process_time()
    written = 0
    for at in range(0, len(scans), batch):
        with transaction.atomic():  # one transaction a batch, as ingest's
            written += _raw_batch(sql, rows, scans[at : at + batch], at, tube_rows, tube_ids, stamp)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "rows": rows,
        "bindings": events,
        "rows_written": written,
        "elapsed_s": round(elapsed, 3),
        "bindings_per_s": round(events / elapsed),
        "rows_per_s": round(written / elapsed),
        "cpu_s": round(cpu, 2),
        "bindings_per_cpu_s": round(events / cpu) if cpu else 0,
    }


def _raw_batch(sql, rows: str, chunk: list, at: int, tube_rows: list, tube_ids: dict, stamp) -> int:
    """One batch's INSERTs (see ``_raw``); the number of rows sent."""
    written = 0
    binding = rows == "binding"
    if binding:
        new_tubes = tube_rows[at // TUBE_SIZE : (at + len(chunk)) // TUBE_SIZE]
        returned = sql.insert(
            "testing_tube", _TUBE_COLUMNS, _TUBE_TYPES, new_tubes,
            "ON CONFLICT (barcode) DO NOTHING RETURNING id, barcode",
        )  # fmt: skip
        tube_ids.update((barcode, pk) for pk, barcode in returned)
        written += len(new_tubes)
    chunk = [(*row[:7], tube_ids[row[8]], *row[8:]) for row in chunk]
    returned = sql.insert(
        "testing_scan", _SCAN_COLUMNS, _SCAN_TYPES, chunk,
        "ON CONFLICT (event_id) DO NOTHING" + (" RETURNING id, event_id" if binding else ""),
    )  # fmt: skip
    written += len(chunk)
    if binding:
        ids = dict((v, pk) for pk, v in returned)
        sampled = sorted(
            (row[4], row[9], ids[row[0]], stamp, row[17], row[18], row[19]) for row in chunk
        )
        sql.insert(
            "testing_sampled", _SAMPLED_COLUMNS, _SAMPLED_TYPES, sampled,
            "ON CONFLICT (round_id, resident_id) DO NOTHING",
        )  # fmt: skip
        written += len(sampled)
    return written


_TUBE_COLUMNS = (
    "barcode, round_id, site_id, desk_id, pool_size, capacity, member_count, status, "
    "opened_at, sealed_at, path, district_code"
)
_TUBE_TYPES = "text,bigint,bigint,bigint,int,int,int,text,timestamptz,timestamptz,text,text"
_SCAN_COLUMNS = (
    "event_id, kind, outcome, reason, round_id, site_id, desk_id, tube_id, tube_barcode, "
    "resident_id, id_type, id_number, name, phone, follow_up, device_time, received_at, "
    "path, grid_id, district_code"
)
_SCAN_TYPES = (
    "uuid,text,text,text,bigint,bigint,bigint,bigint,text,bigint,text,text,text,text,"
    "boolean,timestamptz,timestamptz,text,bigint,text"
)
_SAMPLED_COLUMNS = "round_id, resident_id, first_scan_id, sampled_at, path, grid_id, district_code"
_SAMPLED_TYPES = "bigint,bigint,bigint,timestamptz,text,bigint,text"


class _RawInsert:
    """Multi-row INSERTs the fastest way each driver takes them, as ingest sends them.

    PostgreSQL: one binary array per column through ``unnest`` (a VALUES list of 10,000
    placeholders is split and quoted in Python, 10× slower). SQLite: the DB-API cursor
    (Django's wrapper rewrote the placeholders of each statement first, 8% of the rate).
    """

    def __init__(self, connection, postgres: bool) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        self.postgres = postgres

    def insert(self, table: str, columns: str, types: str, rows: list, tail: str) -> list:
        if not rows:
            return []
        if self.postgres:
            import psycopg

            casts = ", ".join(f"%b::{t}[]" for t in types.split(","))
            cursor = psycopg.Cursor(self.raw)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({casts}) {tail}",  # noqa: S608 (our names)
                [list(column) for column in zip(*rows, strict=True)],
            )
            return cursor.fetchall() if cursor.description else []
        width = len(rows[0])
        returned: list = []
        for at in range(0, len(rows), 1000):  # under SQLite's 32,766 bound parameters
            part = rows[at : at + 1000]
            one = "(" + ",".join(["?"] * width) + ")"
            cursor = self.raw.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (placeholders only)
                + ",".join([one] * len(part))
                + f" {tail}",
                [v for row in part for v in row],
            )
            returned += cursor.fetchall()
        return returned


def _empty() -> dict:
    """Remove every tube, scan and ``Sampled`` marker: back to the state after setup."""
    from django.db import connection

    tables = ["testing_sampled", "testing_scan", "testing_tube"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # their referrers are empty
        else:
            for table in tables:  # SQLite frees a table's pages for a DELETE without WHERE
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our table names)
        cursor.execute("ANALYZE")
    return {"emptied": tables}


def _check() -> dict:
    """The database after the run: bindings stored once each, no tube over capacity."""
    from django.db.models import Count, F

    from wuyi.testing.models import Sampled, Scan, Tube

    bench = Scan.objects.filter(round__code="BENCH")
    accepted = bench.filter(outcome="accepted", kind="bind")
    doubled = (
        accepted.filter(resident__isnull=False)
        .values("tube", "resident")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "stored_events": bench.count(),
        "stored_bindings": accepted.count(),
        "follow_up": accepted.filter(follow_up=True).count(),
        "sampled_residents": Sampled.objects.filter(round__code="BENCH").count(),
        "tubes": Tube.objects.filter(round__code="BENCH").count(),
        "tubes_over_capacity": Tube.objects.filter(member_count__gt=F("capacity")).count(),
        "person_twice_in_a_tube": doubled,
    }


def _main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuyi.settings")
    import django

    django.setup()
    step, kwargs = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    steps = {"setup": _setup, "raw": _raw, "empty": _empty, "check": _check}
    result = steps[step](**kwargs)
    print(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1:])
