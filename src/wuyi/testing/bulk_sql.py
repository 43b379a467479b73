"""Bulk SQL on the DB-API cursor under Django's connection: the hot paths' one helper.

Scan ingest and result import write and read thousands of rows a request; the ORM builds
a model instance per row and psycopg splits a statement's placeholders in Python. This
keeps those paths to a few statements a batch on either database: ``select_in`` and
``insert`` use one binary array per column on PostgreSQL and chunked placeholder lists on
SQLite. Everything else in wuyi uses the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections

# Rows per INSERT statement: keeps the bound parameters under SQLite's 32,766 limit.
CHUNK = 500
# Up to this many values, PostgreSQL gets plain placeholders instead of arrays: psycopg
# builds an array through several Python calls, 10 µs each, twenty of them for one scan
# row, more than the placeholders cost to split (a single scan: 1.04 → 0.83 ms of CPU).
FEW = 8

_TUPLES_OK = 2  # psycopg.pq.ExecStatus.TUPLES_OK, without importing psycopg for SQLite


class BulkSql:
    """The DB-API cursor under Django's connection, inside Django's transaction.

    The hot path skips Django's cursor wrapper (its per-statement bookkeeping and, on
    SQLite, a regular expression over every statement cost as much as a small query) and
    reads the connection's features once per batch (each ``django.db.connection.x`` is a
    context-local lookup). Driver errors are still turned into Django's, so the retry
    logic sees them.
    """

    def __init__(self) -> None:
        self.db = db = connections[DEFAULT_DB_ALIAS]
        db.ensure_connection()
        self.sqlite = db.vendor == "sqlite"
        if db.vendor == "postgresql":
            # Server-side binding: psycopg sends the values apart from the statement,
            # where Django's default client-side cursor quotes each of a batch's 10,000
            # values into the SQL text in Python.
            import psycopg

            self.cursor = psycopg.Cursor(db.connection)
        else:
            self.cursor = db.connection.cursor()
        self.native_uuid = db.features.has_native_uuid_field
        self.for_update = db.features.has_select_for_update
        self.errors = db.wrap_database_errors

    def rows(self, sql: str, params: Sequence) -> list[tuple]:
        """Execute ``sql`` (written with ``%s``) and return its rows."""
        if self.sqlite:
            sql = sql.replace("%s", "?")
        cursor = self.cursor
        with self.errors:
            cursor.execute(sql, params)
            if self.sqlite:
                return cursor.fetchall() if cursor.description else []
            # Not cursor.description: psycopg builds an object per column for it, 80 µs of
            # a single scan's CPU. Whether the statement returned rows is in its result.
            result = cursor.pgresult
            return cursor.fetchall() if result is not None and result.status == _TUPLES_OK else []

    def select_in(
        self, sql: str, column: str, values: list, before: list | None = None, tail: str = ""
    ) -> list[tuple]:
        """Rows of ``sql column IN values tail``; ``before`` are the parameters ahead of it.

        PostgreSQL gets one array (``= ANY(%b)``) for more than ``FEW`` values: psycopg
        splits a statement's placeholders in Python, milliseconds for a list of 500. Arrays
        go in binary (``%b``): psycopg writes a text array in Python with a regular
        expression per element, 10 ms of CPU for a batch's scan rows against 2 ms in binary.
        """
        if not values:
            return []
        if not self.sqlite and len(values) > FEW:
            return self.rows(f"{sql} {column} = ANY(%b){tail}", [*(before or []), list(values)])
        rows: list[tuple] = []
        for chunk in chunks(values, CHUNK):
            rows += self.rows(
                f"{sql} {column} IN ({marks(len(chunk))}){tail}", [*(before or []), *chunk]
            )
        return rows

    def insert(self, table: str, columns: str, types: str, rows: list[tuple], tail: str):
        """``INSERT INTO table (columns) … tail`` of ``rows``; what ``tail``'s RETURNING gives.

        SQLite, and PostgreSQL for up to ``FEW`` rows: multi-row ``VALUES`` in chunks under
        SQLite's bound-parameter limit. PostgreSQL otherwise: one ``unnest`` of one binary
        array per column (``types`` gives each array's type), so the statement has a few
        dozen parameters whatever the batch's size.
        """
        returned: list[tuple] = []
        if not rows:
            return returned
        if not self.sqlite and len(rows) > FEW:
            arrays = [list(column) for column in zip(*rows, strict=True)]
            casts = ", ".join(f"%b::{t}[]" for t in types.split())
            return self.rows(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({casts}) {tail}",  # noqa: S608 (our table and column names; values are bound)
                arrays,
            )
        width = len(rows[0])
        for chunk in chunks(rows, CHUNK):
            returned += self.rows(
                f"INSERT INTO {table} ({columns}) VALUES {values(width, len(chunk))} {tail}",  # noqa: S608 (our table and column names; values are bound)
                [v for row in chunk for v in row],
            )
        return returned


def marks(count: int) -> str:
    """``count`` placeholders, comma-separated."""
    return ",".join(["%s"] * count)


def chunks(items: list, size: int) -> Iterable[list]:
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def values(columns: int, rows: int) -> str:
    """``rows`` parenthesised groups of ``columns`` placeholders, for a multi-row VALUES."""
    one = "(" + ",".join(["%s"] * columns) + ")"
    return ",".join([one] * rows)
