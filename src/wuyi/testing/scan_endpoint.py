"""The device scan routes answered straight from WSGI, in front of Django's request handler.

Why: a single scan is the request a sampling phone makes most, and at city scale the rate of
them is the target. Measured in process (SQLite, one machine, one run): one scan through
Django's handler, its middleware and Ninja took 670 µs of CPU, of which the token lookup and
ingest were 340 µs and the rest building and routing the request and the response. Answered
here it takes 375 µs. The routes stay in the Ninja API (``wuyi.testing.api``), which
documents them in the OpenAPI schema and answers whatever this endpoint does not take; both
call ``api.answer_events``, so a scan is decided by the same code either way.

What this endpoint takes: ``POST /api/v1/scans`` and ``/api/v1/scans/one`` with a host in
``ALLOWED_HOSTS``, over HTTPS when ``SECURE_SSL_REDIRECT`` asks for it, with a device token
that authenticates and a body that validates. Everything else (no token, a revoked one, a
body that is not JSON or not a batch, a wrong host, plain HTTP) goes on to Django, which
answers it exactly as before: the 400, 401, 422 and the redirect stay Django's and Ninja's
own. What it keeps from Django for the requests it takes: the request_started and
request_finished signals (database connections are checked and closed as for any request),
the language chosen with the cookie (``core.locale``), the security headers Django's
``SecurityMiddleware`` and ``XFrameOptionsMiddleware`` would add, the body size limit, and
errors logged and signalled as ``django.request`` does.

One thing it leaves out on purpose: Django's per-request connection health check
(``CONN_HEALTH_CHECKS``, a round trip to PostgreSQL before the first query). If the kept
connection has died, the scan's first statement fails, the request is answered 500 with
nothing stored, Django closes the broken connection as the request ends, and the device's
retry (safe: events are idempotent) gets a new one.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core import signals
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from pydantic import ValidationError

from wuyi.core.locale import language_of
from wuyi.testing import devices, round_setup
from wuyi.testing.api import ScanBatchIn, ScanEventIn, answer_events, batch_counts

logger = logging.getLogger("django.request")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

BATCH_PATH = "/api/v1/scans"
SINGLE_PATH = "/api/v1/scans/one"


class ScanEndpoint:
    """WSGI middleware: device scans answered here, every other request passed to ``app``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if environ.get("REQUEST_METHOD") != "POST" or path not in (BATCH_PATH, SINGLE_PATH):
            return self.app(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answered = self._answer(environ, path)
        except Exception:
            # As Django's handler does for an uncaught exception: logged with the request,
            # signalled (error reporters listen), answered 500 without details.
            logger.error("Internal Server Error: %s", path, exc_info=sys.exc_info())
            signals.got_request_exception.send(sender=self.__class__, request=None)
            answered = 500, {"detail": "Internal Server Error"}, settings.LANGUAGE_CODE
        finally:
            signals.request_finished.send(sender=self.__class__)
        if answered is None:  # not ours after all: Django answers it, from the body read
            return self.app(environ, start_response)
        status, document, language = answered
        content = json.dumps(document, ensure_ascii=False).encode()
        start_response(
            "200 OK" if status == 200 else "500 Internal Server Error",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(content))),
                *response_headers(environ, language),
            ],
        )
        return [content]

    def _answer(self, environ: dict, path: str) -> tuple[int, object, str] | None:
        if not _host_allowed(environ) or (settings.SECURE_SSL_REDIRECT and not _secure(environ)):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length <= 0 or (limit is not None and length > limit):
            return None
        body = environ["wsgi.input"].read(length)
        # Whatever happens next, Django must be able to read the body again.
        environ["wsgi.input"] = io.BytesIO(body)
        setup = round_setup.kept()  # ingest checks it is current (round_setup.kept)
        token = _device(environ, setup)
        if token is None:
            return None
        try:
            if path == SINGLE_PATH:
                events = [ScanEventIn.model_validate_json(body).__dict__]
            else:
                events = [e.__dict__ for e in ScanBatchIn.model_validate_json(body).events]
        except ValidationError:
            return None
        language = _language(environ)
        with translation.override(language):
            try:
                answers = answer_events(events, token.site_id, setup)
            except round_setup.Stale:
                # Rounds, sites or tokens changed since this process read them: the device
                # is authenticated again against the current setup (a revoked token stops
                # here), and ingest reads that itself.
                token = _device(environ, round_setup.current())
                if token is None:
                    return None
                answers = answer_events(events, token.site_id)
        if path == SINGLE_PATH:
            return 200, answers[0], language
        return 200, {**batch_counts(answers), "answers": answers}, language


def response_headers(environ: dict, language: str) -> list[tuple[str, str]]:
    """The headers Django's middleware adds to an API answer (security, language)."""
    headers = [("Vary", "Accept-Language"), ("Content-Language", language)]
    if settings.X_FRAME_OPTIONS:
        headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        if not isinstance(policy, str):
            policy = ",".join(policy)
        headers.append(("Referrer-Policy", policy))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    if settings.SECURE_HSTS_SECONDS and _secure(environ):
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    return headers


def _host_allowed(environ: dict) -> bool:
    # Django's HttpRequest.get_host; with X-Forwarded-Host in use, Django decides.
    if settings.USE_X_FORWARDED_HOST:
        return False
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


def _secure(environ: dict) -> bool:
    header = settings.SECURE_PROXY_SSL_HEADER
    if header:
        name, value = header
        forwarded = environ.get(name)
        if forwarded is not None:
            return forwarded.split(",", 1)[0].strip() == value
    return environ.get("wsgi.url_scheme") == "https"


def _device(environ: dict, setup: round_setup.Setup):
    """The site's device token from ``Authorization: Bearer …``, as Ninja's HttpBearer reads it."""
    parts = environ.get("HTTP_AUTHORIZATION", "").split(" ")
    if parts[0].lower() != "bearer":
        return None
    return devices.site_device(" ".join(parts[1:]), setup)


def _language(environ: dict) -> str:
    cookie = environ.get("HTTP_COOKIE")
    if not cookie:
        return settings.LANGUAGE_CODE
    return language_of(parse_cookie(cookie).get(settings.LANGUAGE_COOKIE_NAME))
