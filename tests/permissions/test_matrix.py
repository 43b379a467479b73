"""The permission matrix: every route × every persona × objects inside and outside the scope.

What it checks
--------------
1. Every URL pattern of the site (``django.urls`` resolver, walked recursively: pages,
   admin, the Ninja API) and every API operation (method + path from the OpenAPI schema)
   has an entry. **A new route without an entry fails this suite.**
2. For each entry, against a world built fresh on the test database (see ``world.py``),
   each persona (city / district / street / community office, grid worker, building
   captain, volunteer, resident, site staff, lab staff, an account without grants, an
   anonymous visitor, a site device, a lab device, a superuser) requests the route — for
   each object the entry names — and the test asserts on the **contents**:
   * no marker (name, masked ID, masked phone …) of any object outside the persona's
     zones is in the response (JSON is decoded, xlsx is read, so escapes hide nothing);
   * no full ID number or phone is in any response (except a reveal of an inside object);
   * an object inside the scope is returned (status 200 and its marker), one outside is
     refused (403/404) — list pages show the entry's ``shows`` objects that are inside;
   * personas the route is not for get a refusal (302 to login, 401, 403, 404, 405) and
     no marker of anything;
   * no object outside the scope changed (a snapshot of every world row before and
     after each request), and nothing changed at all unless the entry says ``writes``;
   * no response is a 5xx.

How to add an entry for your route
----------------------------------
Put a ``routes.py`` in your app's test folder (``tests/<app>/routes.py``) with a dict
``ROUTES``; the key is the URL name with its namespace as used by ``reverse``
(``"territory:node"``, ``"api:post_scans"`` for Ninja operations, named after the
function unless ``url_name=`` is given), or the route string for an unnamed pattern.
``"admin:*"`` covers the whole admin. For example::

    from tests.permissions.matrix import LOGIN, Route

    ROUTES = {
        "territory:my_grids": Route(LOGIN, shows=("grid_a", "grid_b", "grid_c")),
        "territory:node": Route(
            LOGIN, objects=("building1", "home1", "home3"), kwargs=lambda n: {"pk": n.pk}
        ),
    }

Objects of your own app go into the world with a ``setup(world)`` function that calls
``world.add(tag, obj, zone, *markers)`` (zones: see ``world.py``). Run the matrix with
``pytest tests/permissions``.

The admin is for superusers only (``wuyi.accounts.admin_site``): the matrix checks that
every admin URL refuses every other persona, including a staff account.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.permissions.matrix import DEVICE, LOGIN, OFFICE, PUBLIC, SUPERUSER, Route, collect
from tests.permissions.world import DEVICES, OFFICES, PERSONAS, World, build_world

ROUTES = collect()
REFUSED = {302, 401, 403, 404, 405}


def walk(resolver=None, prefix: str = "", namespace: str = ""):
    """(route string, qualified name or "", pattern) for every URL pattern, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name or "", pattern


# Admin URLs that answer everyone: the admin's own login and logout forms.
ADMIN_OPEN = {"admin:login", "admin:logout"}


def entry_key(route: str, name: str) -> str:
    if route.startswith("admin/") and name not in ADMIN_OPEN:
        return "admin:*"
    return name or route


def all_patterns() -> list[tuple[str, str]]:
    return [(route, name) for route, name, _ in walk()]


def api_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the OpenAPI schema."""
    from wuyi.api import api

    schema = api.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_url_pattern_has_a_matrix_entry():
    missing = sorted({entry_key(r, n) for r, n in all_patterns()} - set(ROUTES))
    assert not missing, (
        f"routes without a permission matrix entry: {missing}. Add them to ROUTES in "
        "tests/<app>/routes.py (see the docstring of tests/permissions/test_matrix.py)."
    )


def test_every_entry_names_a_route_that_exists():
    existing = {entry_key(r, n) for r, n in all_patterns()}
    stale = sorted(set(ROUTES) - existing)
    assert not stale, f"matrix entries for routes that do not exist: {stale}"


def test_every_api_operation_has_an_entry_with_its_method():
    covered = set()
    for key, route in ROUTES.items():
        if not key.startswith("api:"):
            continue
        try:
            path = reverse(key)
        except NoReverseMatch:  # routes with arguments give their path through url()
            path = route.url(None, None) if route.url and not route.objects else None
        if path:
            covered.add((route.method, path))
    missing = sorted(api_operations() - covered)
    assert not missing, f"API operations without a matrix entry for that method: {missing}"


# --- running one entry ------------------------------------------------------------


def response_text(response) -> str:
    """The response as text a marker can be found in: JSON decoded, xlsx read."""
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    kind = response.get("Content-Type", "")
    if "json" in kind:
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            return body.decode("utf-8", "replace")
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            " ".join(str(c) for c in row if c is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return body.decode("utf-8", "replace")


def client_for(world: World, persona: str) -> tuple[Client, dict]:
    """A logged-in client per persona, kept for the world's lifetime."""
    clients = world.__dict__.setdefault("_clients", {})
    if persona in clients:
        return clients[persona]
    client = Client()
    headers: dict[str, str] = {}
    if persona in DEVICES:
        scope = PERSONAS[persona][1]
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.device_secrets[scope]}"
    elif persona != "anonymous":
        client.force_login(world.users[persona])
    clients[persona] = (client, headers)
    return client, headers


def sample_kwargs(world: World, route_string: str, name: str) -> dict:
    """URL arguments for an admin pattern: a world object of the page's model if any."""
    pks = {
        f"admin:{item.obj._meta.app_label}_{item.obj._meta.model_name}_": item.obj.pk
        for item in world.items.values()
    }
    object_pk = next((pk for prefix, pk in pks.items() if name.startswith(prefix)), 1)
    kwargs: dict[str, object] = {}
    for conv, arg in re.findall(r"<(?:(\w+):)?(\w+)>", route_string):
        kwargs[arg] = object_pk if conv == "int" else str(object_pk)
    for arg in re.findall(r"\(\?P<(\w+)>", route_string):
        kwargs[arg] = "people" if arg == "app_label" else "1"
    return kwargs


def allowed(route: Route, persona: str) -> bool:
    if route.allowed is not None:
        return persona in route.allowed or persona == "superuser"
    if route.access == PUBLIC:
        return True
    if route.access == LOGIN:
        return persona not in {"anonymous", *DEVICES}
    if route.access == OFFICE:
        return persona in OFFICES or persona == "superuser"
    if route.access == SUPERUSER:
        return persona == "superuser"
    if route.access == DEVICE:
        return persona in DEVICES
    raise AssertionError(f"unknown access {route.access!r}")


def check_request(
    world: World, key: str, route: Route, persona: str, url: str, tag: str | None, each: bool
):
    """One request, checked; ``each``: compare the world before and after this request."""
    client, headers = client_for(world, persona)
    headers = {**headers, **route.headers}
    before = world.snapshot() if each else None
    data = route.data(world, world[tag] if tag else None) if route.data else None
    if route.method == "GET":
        response = client.get(url, data or {}, **headers)
    elif route.json:
        response = client.post(url, json.dumps(data or {}), "application/json", **headers)
    else:
        response = client.post(url, data or {}, **headers)
    where = f"{key} as {persona} ({route.method} {url})"
    assert response.status_code < 500, f"{where}: {response.status_code}"
    text = response_text(response)
    may_use = allowed(route, persona)
    inside = tag is None or world.inside(persona, tag) or persona == "superuser"

    # Full personal values: never, except the revealed value of an inside object.
    for secret_key, secret in world.secrets.items():
        if route.reveals and may_use and tag and secret_key.startswith(tag + ".") and inside:
            continue
        assert secret not in text, f"{where}: the full {secret_key} is in the response"

    if persona != "superuser":
        also = set(route.also_sees.get(persona, ()))
        if may_use:
            leaks = {m: t for m, t in world.outside_markers(persona).items() if t not in also}
        else:
            leaks = {m: t for t, item in world.items.items() for m in item.markers}
        found = sorted(f"{t}:{m}" for m, t in leaks.items() if m in text)
        assert not found, f"{where}: returns data outside the scope: {found}"

    if not may_use:
        assert response.status_code in REFUSED, (
            f"{where}: expected a refusal, got {response.status_code}"
        )
    elif tag is not None:
        if inside and route.method == "GET":
            assert response.status_code == 200, (
                f"{where}: inside object refused ({response.status_code})"
            )
            assert world.items[tag].markers[0] in text, f"{where}: inside object not shown"
        elif inside:
            assert response.status_code < 400, f"{where}: refused ({response.status_code})"
        else:
            assert response.status_code in {403, 404}, f"{where}: outside object not refused"
    elif tag is None and route.method == "GET" and route.shows and persona != "superuser":
        assert response.status_code == 200, f"{where}: {response.status_code}"
        for shown in route.shows:
            if world.inside(persona, shown):
                marker = world.items[shown].markers[0]
                assert marker in text, f"{where}: {shown} ({marker}) not listed"

    if before is None:
        return
    after = world.snapshot()
    for obj_tag, state in before.items():
        if after[obj_tag] == state:
            continue
        may_change = (
            route.writes and may_use and (world.inside(persona, obj_tag) or persona == "superuser")
        )
        assert may_change, f"{where}: changed {obj_tag}"


def route_urls(key: str, route: Route, world: World) -> list[tuple[str, str | None]]:
    """The (url, tag) pairs to request for one entry."""
    if key == "admin:*":
        urls = []
        for route_string, name in all_patterns():
            if entry_key(route_string, name) != "admin:*":
                continue
            if name:
                try:
                    urls.append(
                        (reverse(name, kwargs=sample_kwargs(world, route_string, name)), None)
                    )
                    continue
                except NoReverseMatch:
                    pass  # an admin pattern with arguments we cannot sample
            urls.append(("/admin/no-such-page/", None))
        return sorted(set(urls))
    if route.objects:
        return [
            (
                route.url(world, world[tag])
                if route.url
                else reverse(key, kwargs=route.kwargs(world[tag])),
                tag,
            )
            for tag in route.objects
        ]
    if route.url:
        urls = route.url(world, None)
        return [(u, None) for u in ([urls] if isinstance(urls, str) else urls)]
    return [(reverse(key), None)]


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_the_route_keeps_every_persona_to_its_scope(db, key):
    route = ROUTES[key]
    world = build_world()
    if route.setup:
        route.setup(world)
    # A read-only route must change nothing: one snapshot around all personas' requests
    # (cheaper); routes that may write compare the world around every single request.
    each = route.writes or route.method != "GET"
    for url, tag in route_urls(key, route, world):
        before = None if each else world.snapshot()
        for persona in route.personas or PERSONAS:
            check_request(world, key, route, persona, url, tag, each)
        if before is not None:
            changed = sorted(t for t, state in world.snapshot().items() if before[t] != state)
            assert not changed, f"{key} (GET {url}) changed {changed}"
