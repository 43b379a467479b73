"""Post to the WSGI application a server runs (``wuyi.wsgi.application``), not Django's handler.

Django's test client calls its own handler, so it never reaches ``scan_endpoint``, which
answers device scans in front of Django. This client has the part of the test client's
interface the API tests use, and like the test client it keeps the request signals from
closing the test's database connection (the test runs inside a transaction).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


class WsgiResponse:
    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = int(status.split(" ", 1)[0])
        self.headers = dict(headers)
        self.content = content

    def json(self):
        return json.loads(self.content)


@contextlib.contextmanager
def _connections_kept() -> Iterator[None]:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class WsgiClient:
    def __init__(
        self, app: Callable | None = None, *, secure: bool = False, keep_connections: bool = True
    ) -> None:
        if app is None:
            from wuyi.wsgi import application as app
        self.app = app
        self.secure = secure
        # False in transactional tests that want Django's connection handling as in production.
        self.keep_connections = keep_connections

    def post(self, path: str, data: str | bytes, content_type: str, **extra) -> WsgiResponse:
        body = data.encode() if isinstance(data, str) else data
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "443" if self.secure else "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "https" if self.secure else "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **extra,
        }
        answered: dict = {}

        def start_response(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers

        with _connections_kept() if self.keep_connections else contextlib.nullcontext():
            chunks = self.app(environ, start_response)
            try:
                content = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()  # Django sends request_finished here
        return WsgiResponse(answered["status"], answered["headers"], content)
