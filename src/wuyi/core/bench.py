"""The registry of benchmarks run by ``wuyi bench NAME``.

Each entry maps a name to ``"module:function"``, imported only when that benchmark runs
(so a slow or heavy import of one app never slows the others). The function is called as
``function(argv, **options)``: ``argv`` is everything after the name, ``options`` the same
parsed as ``--key value`` / ``--flag`` pairs (dashes become underscores). It returns a
JSON-ready dict: figures as rows/s or ratios measured in that one run.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Iterator

BENCHES: dict[str, str] = {
    "generate": "wuyi.territory.bench:run",
    "control": "wuyi.control.bench:run",
    "ingest": "wuyi.testing.bench:run_ingest",
    "results": "wuyi.testing.bench_results:run",
    "notices": "wuyi.risk.bench:run",
    "coverage": "wuyi.coverage.bench:run",
    "import": "wuyi.people.bench:run",
}


def resolve(name: str) -> Callable[..., dict]:
    """The benchmark function called ``name``; ``KeyError`` names the known ones."""
    try:
        target = BENCHES[name]
    except KeyError:
        known = ", ".join(sorted(BENCHES))
        raise KeyError(f"没有名为 {name!r} 的基准测试;可用: {known}") from None
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def parse_options(argv: list[str]) -> dict[str, object]:
    """``["--residents", "200000", "--in-place"]`` → ``{"residents": "200000", "in_place": True}``."""
    options: dict[str, object] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--"):
            key, eq, value = arg[2:].partition("=")
            key = key.replace("-", "_")
            if eq:
                options[key] = value
            elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                options[key] = argv[i + 1]
                i += 1
            else:
                options[key] = True
        i += 1
    return options


def run(name: str, argv: list[str]) -> dict:
    return resolve(name)(argv, **parse_options(argv))


# --- Temporary PostgreSQL databases beside the configured one --------------------------


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def postgres_admin(url: str) -> dict:
    """psycopg settings for the server's ``postgres`` database (to create and drop others).

    Parts the URL leaves out are libpq's defaults, as Django's connection would take them.
    """
    import dj_database_url

    config = dj_database_url.parse(url)
    return dict(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@contextlib.contextmanager
def postgres_database(
    url: str, suffix: str, keep: bool = False, template: str | None = None
) -> Iterator[str]:
    """A new database ``<name>_<suffix>_<pid>`` on ``url``'s server; its URL, dropped after.

    ``template`` copies a database instead of starting empty (``CREATE DATABASE …
    TEMPLATE``: the template must have no other connections). Benchmarks measure in these
    and never in the configured database.
    """
    import dj_database_url
    import psycopg

    admin = postgres_admin(url)
    name = f"{dj_database_url.parse(url)['NAME']}_{suffix}_{os.getpid()}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        if not keep:
            with psycopg.connect(**admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
