"""The benchmark's HTTP client reads status and body exactly, whatever the server sends."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wuyi.testing.bench import _client, _exchange, _phone_clients


class _Handler(BaseHTTPRequestHandler):
    # Requests being answered at once, and the most seen: a client that says it keeps
    # several phones busy must really have several requests in flight.
    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def do_POST(self):
        with _Handler.lock:
            _Handler.in_flight += 1
            _Handler.most_in_flight = max(_Handler.most_in_flight, _Handler.in_flight)
        time.sleep(0.02)
        with _Handler.lock:  # before answering: the client's next request comes after
            _Handler.in_flight -= 1
        self._answer()

    def _answer(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        events = json.loads(body).get("events")
        if self.headers.get("Authorization") != "Bearer s3cret":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if events is None:
            answer = {"event_id": "e", "status": "accepted"}
        else:
            answer = {"accepted": len(events), "duplicate": 0, "rejected": 1, "answers": []}
        data = json.dumps(answer).encode() + b" " * 70_000  # more than one recv()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # Headers and body in separate writes, the body in two parts.
        self.wfile.flush()
        self.wfile.write(data[:10])
        self.wfile.flush()
        self.wfile.write(data[10:])

    def log_message(self, *args):
        pass


@pytest.fixture
def port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_exchange_returns_status_and_the_whole_body(port):
    body = json.dumps({"events": [1, 2, 3]}).encode()
    request = (
        f"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    status, data = _exchange(port, request)
    assert status == 200
    assert len(data) > 70_000
    assert json.loads(data)["accepted"] == 3


def test_client_counts_answers_and_http_errors(port):
    batch = json.dumps({"events": [{}, {}]}).encode()
    single = json.dumps({"event_id": "e"}).encode()
    result = _client((port, "/api/v1/scans", [batch, batch, single], "s3cret", 1))
    assert (result["accepted"], result["rejected"], result["http_errors"]) == (5, 2, 0)
    assert len(result["latencies"]) == 3
    refused = _client((port, "/api/v1/scans", [batch], "wrong", 1))
    assert refused["http_errors"] == 1


def test_client_keeps_several_phones_busy_at_once(port):
    """Many phones, one scan each at a time: every answer is read whole and counted once."""
    single = json.dumps({"event_id": "e"}).encode()
    batch = json.dumps({"events": [{}]}).encode()
    _Handler.most_in_flight = 0
    result = _client((port, "/api/v1/scans/one", [single] * 30 + [batch] * 3, "s3cret", 8))
    assert (result["accepted"], result["rejected"], result["http_errors"]) == (33, 3, 0)
    assert len(result["latencies"]) == 33
    assert _Handler.most_in_flight >= 4
    _Handler.most_in_flight = 0
    _client((port, "/api/v1/scans/one", [single] * 5, "s3cret", 1))
    assert _Handler.most_in_flight == 1


def test_client_counts_a_server_that_does_not_answer_as_an_http_error():
    """One phone (a blocking socket): a refused connection is an error counted, not a crash."""
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again below: nothing listens there
    result = _client((port, "/api/v1/scans/one", [b"{}", b"{}"], "s3cret", 1))
    assert (result["http_errors"], result["accepted"]) == (2, 0)
    assert len(result["latencies"]) == 2


def test_a_few_phones_get_a_client_process_each_and_many_share_the_clients():
    assert _phone_clients(4, 3) == (4, 1)
    assert _phone_clients(8, 3) == (8, 1)
    assert _phone_clients(16, 3) == (3, 6)  # 18 phones: every process keeps 6 busy
