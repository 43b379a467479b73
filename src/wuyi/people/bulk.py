"""Raw SQL for the import's hot path: plain ``executemany`` inserts.

Why: an import of a few hundred thousand rows writes as many households, residents and
residence records. Django's ``bulk_create`` spends most of its time building a model
instance and preparing every field of every row; a parameterised ``INSERT`` run with
``executemany`` does the same work several times faster on SQLite and PostgreSQL. Ids are
read back by the rows' unique keys (node path, resident ID number) in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection
from django.utils import timezone

from wuyi.people.models import FLAGS, Residence, Resident, new_code_token
from wuyi.territory.models import Node

# Rows per executemany call, and keys per "IN (...)" when reading ids back (below SQLite's
# limit of host parameters in one statement).
BATCH = 5000
CHUNK = 900


def _batches(rows: Iterable[Sequence], size: int) -> Iterator[list[Sequence]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """INSERT ``rows`` (tuples in ``columns`` order) into ``model``'s table; returns the count.

    SQLite runs ``executemany`` in C, one prepared statement for all rows. On PostgreSQL,
    ``COPY ... FROM STDIN`` streams the rows in one command, the fastest way in.
    """
    quote = connection.ops.quote_name
    # Table and column names come from the model and this module, never from the file.
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
            for batch in _batches(rows, BATCH):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


NODE_COLUMNS = (
    "kind",
    "name",
    "parent_id",
    "code",
    "path",
    "depth",
    "district_code",
    "site_type",
    "floor",
    "grid_id",
    "sort_key",
)


def insert_nodes(nodes: list[Node]) -> None:
    """Insert unsaved nodes of one depth (their parents saved) and give each its pk."""

    def values(node: Node) -> tuple:
        grid = node.grid
        return (
            node.kind,
            node.name,
            node.parent.pk if node.parent is not None else None,
            node.code,
            node.path,
            node.depth,
            node.district_code,
            node.site_type,
            node.floor,
            grid.pk if grid is not None else None,
            node.sort_key,
        )

    insert(Node, NODE_COLUMNS, (values(node) for node in nodes))
    by_path = {node.path: node for node in nodes}
    paths = list(by_path)
    for start in range(0, len(paths), CHUNK):
        chunk = paths[start : start + CHUNK]
        for path, pk in Node.objects.filter(path__in=chunk).values_list("path", "pk"):
            node = by_path[path]
            node.pk = pk
            node._state.adding = False
            node._state.db = connection.alias
    for node in nodes:
        # Children and residents read these ids; the cached objects stay as they are.
        node.__dict__["parent_id"] = node.parent.pk if node.parent is not None else None
        node.__dict__["grid_id"] = node.grid.pk if node.grid is not None else None


RESIDENT_COLUMNS = (
    "name",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "household_id",
    "path",
    "grid_id",
    "district_code",
    "status",
    *FLAGS,
    "code_token",
    "created_at",
    "updated_at",
)


def insert_residents(residents: list[Resident], moved_in) -> None:
    """Insert new residents (already placed in saved households) and their first stay."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    date = connection.ops.adapt_datefield_value

    def values(r: Resident) -> tuple:
        return (
            r.name,
            r.id_type,
            r.id_number,
            r.gender,
            date(r.birth_date),
            r.phone,
            r.household_id,
            r.path,
            r.grid_id,
            r.district_code,
            r.status,
            *(getattr(r, flag) for flag in FLAGS),
            new_code_token(),
            now,
            now,
        )

    insert(Resident, RESIDENT_COLUMNS, (values(r) for r in residents))
    by_key = {(r.id_type, r.id_number): r for r in residents}
    by_type: dict[str, list[str]] = {}
    for id_type, number in sorted(by_key):
        by_type.setdefault(id_type, []).append(number)
    for id_type, numbers in by_type.items():
        # Both columns, so the (id_type, id_number) unique index answers each chunk.
        for start in range(0, len(numbers), CHUNK):
            chunk = numbers[start : start + CHUNK]
            rows = Resident.objects.filter(id_type=id_type, id_number__in=chunk)
            for pk, number in rows.values_list("pk", "id_number"):
                by_key[(id_type, number)].pk = pk
    insert_stays(residents, moved_in)


def insert_stays(residents: Iterable[Resident], moved_in) -> None:
    """Open a stay in each resident's current household (the Residence history)."""
    day = connection.ops.adapt_datefield_value(moved_in)
    insert(
        Residence,
        ("resident_id", "household_id", "district_code", "moved_in"),
        ((r.pk, r.household_id, r.district_code, day) for r in residents),
    )
