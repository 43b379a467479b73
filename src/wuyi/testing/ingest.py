"""Binding scan events to tubes: a batch of device events in, one answer per event out.

This is the hot path of a testing round: every swab taken in the city passes through
``ingest``. What it promises:

* **Per event, not per batch.** Each event is ``accepted``, ``rejected`` with a reason
  code and a Chinese message (``RejectReason``), or a ``duplicate``.
* **Idempotent by event id.** Every event with a well-formed UUID is stored with the
  answer it got (``Scan``); the same event id again gets ``duplicate`` and the first
  answer, and changes nothing. A device may retry a batch as often as it likes.
* **Capacity-safe under concurrency.** Tubes touched by a batch are locked
  (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises
  writers) before their counts are read, so two desks scanning into one tube at once
  never put an 11th person into a 10-in-1 tube. The ``tube_not_over_capacity`` check
  constraint and the ``scan_person_once_per_tube`` unique index back this up in the
  database. A race that slips past (two batches creating the same new tube, or the same
  event ids posted twice at once) hits a unique index; the batch is rolled back and
  decided again, and then sees the other batch's rows.
* **Counted once.** A person sampled twice in a round keeps both bindings; the
  ``Sampled`` marker (unique per round and resident) counts them once.
* **Not in the registry is not an error.** A typed ID number that no resident has is
  accepted with the ID, name and phone given and ``follow_up`` set (``follow_up_scans``).

Why raw SQL: a 500-event batch must be decided and written in a few milliseconds. The
reads are a handful of set-based queries (tokens, ID numbers, tubes, event ids); the
writes are multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` and one ``UPDATE``
with ``CASE``, which the ORM's ``bulk_create`` cannot express (it cannot tell which rows
conflicted on SQLite, and has no multi-row update by key). The SQL is the common subset
of SQLite ≥ 3.35 and PostgreSQL, so both databases run the same statements.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from wuyi.core.db import write_lock
from wuyi.people import id_numbers
from wuyi.people.models import IdType
from wuyi.testing import round_setup
from wuyi.testing.bulk_sql import CHUNK, BulkSql, chunks
from wuyi.testing.models import (
    Outcome,
    PoolSize,
    RejectReason,
    RoundStatus,
    Scan,
    ScanKind,
    TestingRound,
    TubeStatus,
    tube_capacity,
)

# A device batch larger than this is refused whole: one request must stay well inside
# the p99 budget, and devices send 500 at most.
MAX_BATCH = 2000
# How often a batch that lost a race is decided again before giving up.
RETRIES = 5
# On PostgreSQL a batch of one is decided and stored by one database function
# (``_ingest_one_in_database``); tests turn this off to run the same events through Python.
ONE_IN_DATABASE = True

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"

_ID_TYPES = frozenset(IdType.values)
# Plain strings: enum member access costs microseconds per event on the hot path.
BIND, SEAL = str(ScanKind.BIND.value), str(ScanKind.SEAL.value)
_KINDS = frozenset({BIND, SEAL})
OPEN, SEALED = str(TubeStatus.OPEN.value), str(TubeStatus.SEALED.value)
_RESIDENT_ID = str(IdType.RESIDENT_ID.value)
_ACTIVE = str(RoundStatus.ACTIVE.value)


class BatchTooLarge(ValueError):
    """A batch over ``MAX_BATCH`` events: refused whole, before anything is read."""


class _LostRace(Exception):
    """Another transaction inserted a tube or an event id this batch meant to insert."""


@dataclass
class Answer:
    """The answer to one event, as the device receives it."""

    event_id: str
    status: str  # accepted / duplicate / rejected
    outcome: str = ""  # for a duplicate: the first answer (accepted / rejected)
    reason: str = ""
    message: str = ""
    tube: str = ""
    members: int | None = None
    sealed: bool = False
    follow_up: bool = False

    def as_dict(self) -> dict:
        data = {"event_id": self.event_id, "status": self.status, "outcome": self.outcome}
        if self.reason:
            data["reason"] = self.reason
            data["message"] = self.message
        if self.tube:
            data["tube"] = self.tube
        if self.members is not None:
            data["members"] = self.members
        if self.sealed:
            data["sealed"] = True
        if self.follow_up:
            data["follow_up"] = True
        return data


def _rejected(event_id: str, reason: RejectReason) -> Answer:
    # The label in the language of the request (Chinese unless English was chosen).
    return Answer(event_id, REJECTED, REJECTED, reason.value, str(reason.label))


@dataclass
class _Event:
    """One event after parsing; ``error`` is the first thing found wrong with it."""

    raw_id: str
    event_id: uuid.UUID | None = None
    kind: str = BIND
    round_code: str = ""
    site_code: str = ""
    desk_code: str = ""
    barcode: str = ""
    token: str = ""
    id_type: str = ""
    id_number: str = ""
    name: str = ""
    phone: str = ""
    device_time: dt.datetime | None = None
    error: RejectReason | None = None
    id_error: bool = False
    # Filled while deciding.
    round_id: int | None = None
    site_id: int | None = None
    desk_id: int | None = None
    resident: tuple | None = None
    answer: Answer | None = None


@dataclass
class _Tube:
    barcode: str
    round_id: int
    site_id: int
    capacity: int
    count: int
    status: str
    id: int | None = None
    desk_id: int | None = None
    pool_size: int = PoolSize.TEN
    sealed_at: dt.datetime | None = None
    path: str = ""
    district_code: str = ""
    dirty: bool = False
    members: set = field(default_factory=set)
    loaded_status: str = ""  # as read from the database; "" for a tube this batch opens


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        value = str(value)
    return value.strip()[:limit]


_MALFORMED = RejectReason.MALFORMED_EVENT


def _when(value, cache: dict) -> dt.datetime | bool | None:
    """A device time as an aware datetime; False if unreadable. Cached: a batch repeats them."""
    if not value:
        return None
    key = str(value)
    if key not in cache:
        parsed = value if isinstance(value, dt.datetime) else parse_datetime(key)
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        cache[key] = parsed if parsed is not None else False
    return cache[key]


def _parse(raw: Mapping, times: dict) -> _Event:
    """Read one event; a missing or malformed part becomes ``error`` (checked in order later)."""
    if not isinstance(raw, Mapping):
        return _Event(raw_id="", error=_MALFORMED)
    get = raw.get
    raw_id = _text(get("event_id"), 64)
    event = _Event(raw_id=raw_id)
    try:
        event.event_id = uuid.UUID(raw_id)
    except ValueError:
        event.error = _MALFORMED
        return event
    event.raw_id = str(event.event_id)
    kind = _text(get("type") or get("kind") or BIND, 8)
    event.round_code = round_code = _text(get("round"), 32)
    event.site_code = site_code = _text(get("site"), 32)
    event.desk_code = _text(get("desk"), 16)
    barcode = _text(get("tube"), 64)
    event.barcode = barcode[:32]
    event.token = _text(get("token"), 64)
    event.id_type = _text(get("id_type") or _RESIDENT_ID, 16)
    number = get("id_number")
    event.id_number = id_numbers.normalise(_text(number, 40))[:32] if number else ""
    event.name = _text(get("name"), 64)
    event.phone = _text(get("phone"), 20)
    if kind not in _KINDS:
        event.error = _MALFORMED
        return event
    event.kind = kind
    if not barcode or len(barcode) > 32 or not barcode.isascii() or not barcode.isprintable():
        event.error = _MALFORMED
    if not round_code or not site_code:
        event.error = _MALFORMED
    when = _when(get("device_time"), times)
    if when is False:
        event.error = _MALFORMED
    else:
        event.device_time = when
    if kind == BIND and not event.token:
        # Typed entry: the ID must be well formed before anyone is bound with it.
        if event.id_type not in _ID_TYPES or not event.id_number:
            event.id_error = True
        elif event.id_type == _RESIDENT_ID:
            try:
                event.id_number = id_numbers.parse(event.id_number).number
            except id_numbers.IdNumberError:
                event.id_error = True
        elif not event.id_number.isalnum() or not 5 <= len(event.id_number) <= 32:
            event.id_error = True
    return event


def ingest(
    events: Sequence[Mapping],
    *,
    allowed_site_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    setup: round_setup.Setup | None = None,
) -> list[Answer]:
    """Decide and store a batch of scan events; one answer per event, in the batch's order.

    ``allowed_site_ids`` is the set of sites the caller (a device token, a staff account)
    may post for; events for other sites are rejected ``wrong_site``. ``None`` allows all.
    ``setup`` is the round setup the caller authenticated the device against, as this
    process kept it (``round_setup.kept()``): ingest checks that it is still current and
    raises ``round_setup.Stale`` if not, having stored nothing, so the caller
    authenticates again. Without it, ingest reads the current setup itself.
    """
    if len(events) > MAX_BATCH:
        raise BatchTooLarge(
            gettext("一批最多%(max)s条事件,收到%(count)s条")
            % {"max": MAX_BATCH, "count": len(events)}
        )
    allowed = None if allowed_site_ids is None else set(allowed_site_ids)
    in_database = len(events) == 1 and ONE_IN_DATABASE and _postgresql()
    for attempt in range(RETRIES):
        times: dict = {}
        parsed = [_parse(raw, times) for raw in events]
        try:
            if in_database:
                return [_ingest_one_in_database(parsed[0], allowed, now or timezone.now(), setup)]
            return _ingest_once(parsed, allowed, now or timezone.now(), setup)
        except round_setup.Stale:
            if setup is not None or attempt == RETRIES - 1:
                raise  # the caller's: it authenticated against the old one
            # Ingest's own, changed between reading it and storing: read it again.
        except (_LostRace, IntegrityError):
            if attempt == RETRIES - 1:
                raise
        except OperationalError as exc:  # a PostgreSQL deadlock between two batches
            if "deadlock" not in str(exc).lower() or attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


_SCAN_ONE = "SELECT * FROM testing_scan_one(" + ", ".join(["%s"] * 19) + ")"  # noqa: S608 (fixed; values are bound)


def _postgresql() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def _ingest_one_in_database(
    e: _Event, allowed: set[int] | None, now: dt.datetime, setup: round_setup.Setup | None
) -> Answer:
    """One event on PostgreSQL: decided and stored by ``testing_scan_one`` in one call.

    A single scan took nine statements through ``_ingest_once``, each a round trip with
    psycopg's own work and PostgreSQL's parsing and planning: 660–756 scans/s on two cores
    (``wuyi bench ingest``). Python still parses the event, checks the ID number and
    resolves round, site and desk from the round setup (no database work); the function
    (migration ``testing/0007``) does the rest with the rules of ``_decide`` and the rows of
    ``_write``. Keep the two in step: the single-event tests run through both on PostgreSQL.
    """
    if e.event_id is None:  # nothing to store, but the caller's device is checked first
        if setup is not None and round_setup.current().version != setup.version:
            raise round_setup.Stale
        return _rejected(e.raw_id, RejectReason.MALFORMED_EVENT)
    sql = BulkSql()
    if setup is None:
        setup = round_setup.current()
    # The function checks the version first: the setup is not read again for this.
    pool_size = capacity = None
    path = district = ""
    if e.error is None:
        desks = {e.desk_code} if e.desk_code else set()
        context = setup.context(sql, {e.round_code}, {e.site_code}, desks)
        _resolve(e, context, allowed)
        if e.error is None and e.kind == BIND and not e.token and e.id_error:
            e.error = RejectReason.MALFORMED_ID
        if e.site_id is not None:
            _, _, path, district = context.sites[e.site_code]
        if e.error is None:
            pool_size = context.pool_sizes[e.round_id, e.site_id]
            capacity = tube_capacity(pool_size)
    params = [
        setup.version,
        e.event_id,
        e.kind,
        e.error.value if e.error is not None else "",
        e.round_id,
        e.site_id,
        e.desk_id,
        e.barcode,
        e.token,
        e.id_type,
        e.id_number,
        e.name,
        e.phone,
        e.device_time,
        now,
        pool_size,
        capacity,
        path,
        district,
    ]
    if sql.db.in_atomic_block:
        # Inside a caller's transaction: a savepoint, so a lost race undoes only this.
        with transaction.atomic():
            row = sql.rows(_SCAN_ONE, params)[0]
    else:
        row = sql.rows(_SCAN_ONE, params)[0]  # its own transaction
    status, outcome, reason, tube, members, sealed, follow_up = row
    if status == "stale":
        raise round_setup.Stale
    if status == DUPLICATE:
        return _duplicate(e.raw_id, outcome, reason, tube)
    if status == REJECTED:
        return _rejected(e.raw_id, RejectReason(reason))
    return Answer(
        e.raw_id,
        ACCEPTED,
        ACCEPTED,
        tube=tube,
        members=members,
        sealed=sealed,
        follow_up=follow_up,
    )


def ingest_one(event: Mapping, **kwargs) -> Answer:
    """The single-event path (one phone, one scan): the same rules as a batch of one."""
    return ingest([event], **kwargs)[0]


def _ingest_once(
    events: list[_Event],
    allowed: set[int] | None,
    now: dt.datetime,
    setup: round_setup.Setup | None,
) -> list[Answer]:
    # --- Set-based reads that need no lock -------------------------------------------
    sql = BulkSql()
    fresh = round_setup.current()
    if setup is not None and setup.version != fresh.version:
        raise round_setup.Stale
    setup = fresh
    native_uuid = sql.native_uuid
    ids = list({e.event_id if native_uuid else e.event_id.hex for e in events if e.event_id})
    stored = {
        (v if isinstance(v, uuid.UUID) else uuid.UUID(v)): (outcome, reason, barcode)
        for v, outcome, reason, barcode in sql.select_in(
            "SELECT event_id, outcome, reason, tube_barcode FROM testing_scan WHERE",
            "event_id",
            ids,
        )
    }
    live = [e for e in events if e.error is None and e.event_id not in stored]
    context = setup.context(
        sql,
        {e.round_code for e in live},
        {e.site_code for e in live},
        {e.desk_code for e in live if e.desk_code},
    )
    sites, pool_sizes = context.sites, context.pool_sizes
    residents = _residents(sql, live)

    # --- Resolve each event's round, site, desk and person (still no lock) -----------
    for e in live:
        _resolve(e, context, allowed)
        if e.error is None and e.kind == BIND:
            if e.token:
                e.resident = residents.get(("token", e.token))
                if e.resident is None:
                    e.error = RejectReason.UNKNOWN_TOKEN
            elif e.id_error:
                e.error = RejectReason.MALFORMED_ID
            else:
                e.resident = residents.get(("id", e.id_type, e.id_number))

    # --- Lock the tubes, decide in order, write ------------------------------------
    with write_lock(), transaction.atomic():
        barcodes = sorted({e.barcode for e in live if e.error is None})
        tubes = _lock_tubes(sql, barcodes)
        seen: dict[uuid.UUID, Answer] = {}
        answers: list[Answer] = []
        for e in events:
            if e.event_id is None:
                answers.append(_rejected(e.raw_id, RejectReason.MALFORMED_EVENT))
                continue
            if e.event_id in stored:
                outcome, reason, barcode = stored[e.event_id]
                answers.append(_duplicate(e.raw_id, outcome, reason, barcode))
                continue
            if e.event_id in seen:  # the same event twice in one batch
                first = seen[e.event_id]
                answers.append(_duplicate(e.raw_id, first.status, first.reason, first.tube))
                continue
            if e.error is None:
                _decide(e, tubes, sites, pool_sizes, now)
            else:
                e.answer = _rejected(e.raw_id, e.error)
            seen[e.event_id] = e.answer
            answers.append(e.answer)
        _write(sql, [e for e in events if e.answer is not None], tubes, sites, now)
    return answers


def _resolve(e: _Event, context: round_setup.Context, allowed: set[int] | None) -> None:
    """The event's round, site and desk from the round setup, or the first one it lacks."""
    r = context.rounds.get(e.round_code)
    if r is None or r[1] != _ACTIVE:
        e.error = RejectReason.UNKNOWN_ROUND
        return
    e.round_id = r[0]
    site = context.sites.get(e.site_code)
    if site is None or (e.round_id, site[0]) not in context.round_sites:
        e.error = RejectReason.UNKNOWN_SITE
        return
    e.site_id = site[0]
    if allowed is not None and e.site_id not in allowed:
        e.error = RejectReason.WRONG_SITE
        return
    if e.desk_code:
        e.desk_id = context.desks.get((e.site_id, e.desk_code))
        if e.desk_id is None:
            e.error = RejectReason.UNKNOWN_DESK


def _duplicate(event_id: str, outcome: str, reason: str, barcode: str) -> Answer:
    label = str(RejectReason(reason).label) if reason else ""
    return Answer(event_id, DUPLICATE, outcome, reason, label, barcode)


def _residents(sql: BulkSql, events: list[_Event]) -> dict[tuple, tuple]:
    """Registered persons by scanned token and by typed (ID type, number), in two queries."""
    columns = "SELECT id, code_token, id_type, id_number, path, grid_id, district_code "
    found: dict[tuple, tuple] = {}
    tokens = list({e.token for e in events if e.token})
    for row in sql.select_in(columns + "FROM people_resident WHERE", "code_token", tokens):
        found["token", row[1]] = row
    typed: dict[str, set[str]] = {}
    for e in events:
        if e.kind == BIND and not e.token and e.id_number:
            typed.setdefault(e.id_type, set()).add(e.id_number)
    # By (type, number): the unique index starts with the type, and a lookup by number
    # alone scans the whole index (seconds per batch at 5 million residents).
    for id_type, numbers in typed.items():
        for row in sql.select_in(
            columns + "FROM people_resident WHERE id_type = %s AND",
            "id_number",
            list(numbers),
            [id_type],
        ):
            found["id", row[2], row[3]] = row
    return found


def _lock_tubes(sql: BulkSql, barcodes: list[str]) -> dict[str, _Tube]:
    """The existing tubes of the batch, locked until commit, with their current members."""
    tubes: dict[str, _Tube] = {}
    if not barcodes:
        return tubes
    lock = " FOR UPDATE OF t" if sql.for_update else ""
    for chunk in chunks(barcodes, CHUNK):
        rows = sql.select_in(
            "SELECT t.id, t.barcode, t.round_id, t.site_id, t.capacity, t.member_count, "
            "t.status, s.resident_id, s.id_type, s.id_number FROM testing_tube t "
            "LEFT JOIN testing_scan s ON s.tube_id = t.id AND s.outcome = 'accepted' "
            "AND s.kind = 'bind' WHERE",
            "t.barcode",
            chunk,
            tail=f" ORDER BY t.id{lock}",
        )
        for pk, barcode, round_id, site_id, capacity, count, status, r_id, id_type, number in rows:
            tube = tubes.get(barcode)
            if tube is None:
                tube = tubes[barcode] = _Tube(
                    barcode, round_id, site_id, capacity, count, status, id=pk, loaded_status=status
                )
            if r_id is not None or number:
                tube.members.add(_member_key(r_id, id_type, number))
    return tubes


def _member_key(resident_id: int | None, id_type: str, id_number: str) -> tuple:
    return ("r", resident_id) if resident_id is not None else ("id", id_type, id_number)


def _decide(e: _Event, tubes: dict[str, _Tube], sites: dict, pool_sizes: dict, now) -> None:
    """The answer to one event against the tubes' state so far in this batch."""
    tube = tubes.get(e.barcode)
    if e.kind == SEAL:
        if tube is None or tube.count == 0:
            e.answer = _rejected(e.raw_id, RejectReason.EMPTY_TUBE)
        elif tube.round_id != e.round_id:
            e.answer = _rejected(e.raw_id, RejectReason.TUBE_OTHER_ROUND)
        elif tube.site_id != e.site_id:
            e.answer = _rejected(e.raw_id, RejectReason.TUBE_OTHER_SITE)
        elif tube.status != OPEN:
            e.answer = _rejected(e.raw_id, RejectReason.TUBE_SEALED)
        else:
            tube.status, tube.sealed_at, tube.dirty = SEALED, now, True
            e.answer = Answer(e.raw_id, ACCEPTED, ACCEPTED, tube=e.barcode, sealed=True)
            e.answer.members = tube.count
        return
    if tube is None:
        pool_size = pool_sizes[e.round_id, e.site_id]
        site = next(row for row in sites.values() if row[0] == e.site_id)
        tube = _Tube(
            e.barcode,
            e.round_id,
            e.site_id,
            tube_capacity(pool_size),
            0,
            OPEN,
            desk_id=e.desk_id,
            pool_size=pool_size,
            path=site[2],
            district_code=site[3],
        )
        tubes[e.barcode] = tube
    r = e.resident
    key = _member_key(r[0] if r else None, e.id_type, e.id_number)
    reason = None
    if tube.round_id != e.round_id:
        reason = RejectReason.TUBE_OTHER_ROUND
    elif tube.site_id != e.site_id:
        reason = RejectReason.TUBE_OTHER_SITE
    elif key in tube.members:
        reason = RejectReason.PERSON_IN_TUBE
    elif tube.count >= tube.capacity:
        reason = RejectReason.TUBE_FULL
    elif tube.status != OPEN:
        reason = RejectReason.TUBE_SEALED
    if reason is not None:
        e.answer = _rejected(e.raw_id, reason)
        return
    tube.count += 1
    tube.members.add(key)
    tube.dirty = True
    if tube.count >= tube.capacity:  # a full tube seals itself
        tube.status, tube.sealed_at = SEALED, now
    e.answer = Answer(
        e.raw_id,
        ACCEPTED,
        ACCEPTED,
        tube=e.barcode,
        members=tube.count,
        sealed=tube.status == SEALED,
        follow_up=r is None,
    )


def _write(sql: BulkSql, events: list[_Event], tubes: dict[str, _Tube], sites: dict, now) -> None:
    """New tubes, changed tubes, every decided event, and the per-round sampled markers."""
    adapt = sql.db.ops.adapt_datetimefield_value
    stamps: dict = {}

    def stamp(value):  # a batch repeats device times: adapt each once
        if value not in stamps:
            stamps[value] = adapt(value)
        return stamps[value]

    native_uuid = sql.native_uuid
    now_db = stamp(now)
    site_rows = {row[0]: row for row in sites.values()}
    # New tubes go in with their final counts; a barcode another batch created in the
    # meantime comes back missing from RETURNING, and the batch is decided again.
    new = sorted((t for t in tubes.values() if t.id is None and t.count), key=lambda t: t.barcode)
    for chunk in chunks(new, CHUNK):
        rows = [
            (
                t.barcode,
                t.round_id,
                t.site_id,
                t.desk_id,
                t.pool_size,
                t.capacity,
                t.count,
                t.status,
                now_db,
                stamp(t.sealed_at),
                t.path,
                t.district_code,
            )
            for t in chunk
        ]
        returned = sql.insert(
            "testing_tube",
            "barcode, round_id, site_id, desk_id, pool_size, capacity, member_count, status, "
            "opened_at, sealed_at, path, district_code",
            "text bigint bigint bigint int int int text timestamptz timestamptz text text",
            rows,
            "ON CONFLICT (barcode) DO NOTHING RETURNING id, barcode",
        )
        created = dict((b, pk) for pk, b in returned)
        if len(created) != len(chunk):
            raise _LostRace
        for t in chunk:
            t.id = created[t.barcode]
            t.dirty = False
    changed = [t for t in tubes.values() if t.id is not None and t.dirty]
    if changed and not sql.sqlite:
        sql.rows(
            "UPDATE testing_tube t SET member_count = v.count, status = v.status, "
            "sealed_at = COALESCE(t.sealed_at, v.sealed_at) FROM unnest("
            "%b::bigint[], %b::int[], %b::text[], %b::timestamptz[]) AS v(id, count, status, "
            "sealed_at) WHERE t.id = v.id",
            [
                [t.id for t in changed],
                [t.count for t in changed],
                [t.status for t in changed],
                [stamp(t.sealed_at) for t in changed],
            ],
        )
        changed = []
    # SQLite writes every index on a column named in SET, changed or not: a tube that only
    # gained members gets its count alone, or each scan would rewrite the four indexes on
    # status (13.9 → 9.5 pages written to the WAL a single scan).
    counted = [t for t in changed if t.status == t.loaded_status]
    for chunk in chunks(counted, CHUNK):
        ids = [t.id for t in chunk]
        count_case = " ".join("WHEN %s THEN %s" for _ in chunk)
        sql.rows(
            f"UPDATE testing_tube SET member_count = CASE id {count_case} END "  # noqa: S608
            f"WHERE id IN ({','.join(['%s'] * len(ids))})",
            [*(v for t in chunk for v in (t.id, t.count)), *ids],
        )
    changed = [t for t in changed if t.status != t.loaded_status]
    for chunk in chunks(changed, CHUNK):
        ids = [t.id for t in chunk]
        count_case = " ".join("WHEN %s THEN %s" for _ in chunk)
        status_case = " ".join("WHEN %s THEN %s" for _ in chunk)
        sealed_case = " ".join("WHEN %s THEN %s" for _ in chunk)
        params: list = []
        params += [v for t in chunk for v in (t.id, t.count)]
        params += [v for t in chunk for v in (t.id, t.status)]
        params += [v for t in chunk for v in (t.id, stamp(t.sealed_at))]
        params += ids
        sql.rows(
            f"UPDATE testing_tube SET member_count = CASE id {count_case} END, "  # noqa: S608
            f"status = CASE id {status_case} END, "
            f"sealed_at = COALESCE(sealed_at, CASE id {sealed_case} END) "
            f"WHERE id IN ({','.join(['%s'] * len(ids))})",
            params,
        )

    scan_rows = []
    sampled = []
    for e in events:
        a = e.answer
        tube = tubes.get(e.barcode)
        r = e.resident
        if r is not None and a.status == ACCEPTED:
            path, grid_id, district = r[4], r[5], r[6]
        elif e.site_id is not None:
            path, grid_id, district = site_rows[e.site_id][2], None, site_rows[e.site_id][3]
        else:
            path, grid_id, district = "", None, ""
        # A registered resident is the resident row; only unregistered or refused
        # persons keep the ID and phone as typed, for follow-up and for the record.
        keep_typed = r is None
        scan_rows.append(
            (
                e.event_id if native_uuid else e.event_id.hex,
                e.kind,
                a.status,
                a.reason,
                e.round_id,
                e.site_id,
                e.desk_id,
                # Only an accepted event belongs to its tube; a refused one keeps the
                # barcode it was refused for.
                tube.id if a.status == ACCEPTED and tube is not None else None,
                e.barcode,
                r[0] if r is not None else None,
                e.id_type if keep_typed and e.kind == BIND else "",
                e.id_number if keep_typed else "",
                e.name if keep_typed else "",
                e.phone if keep_typed else "",
                a.follow_up,
                stamp(e.device_time),
                now_db,
                path,
                grid_id,
                district,
            )
        )
    for chunk in chunks(scan_rows, CHUNK):
        returned = sql.insert(
            "testing_scan",
            "event_id, kind, outcome, reason, round_id, site_id, desk_id, tube_id, "
            "tube_barcode, resident_id, id_type, id_number, name, phone, follow_up, "
            "device_time, received_at, path, grid_id, district_code",
            f"{'uuid' if native_uuid else 'text'} text text text bigint bigint bigint bigint "
            "text bigint text text text text boolean timestamptz timestamptz text bigint text",
            chunk,
            "ON CONFLICT (event_id) DO NOTHING RETURNING id, event_id",
        )
        if len(returned) != len(chunk):
            raise _LostRace
        # RETURNING gives the event id as the database stores it, like row[0].
        scan_ids = {v: pk for pk, v in returned}
        for row in chunk:
            if row[2] == ACCEPTED and row[1] == BIND and row[9] is not None:
                sampled.append(
                    (row[4], row[9], scan_ids[row[0]], now_db, row[17], row[18], row[19])
                )
    # In (round, resident) order: two batches sampling the same people then take the
    # unique index's locks in the same order and wait for each other instead of
    # deadlocking (PostgreSQL notices a deadlock only after a second, then one retries).
    sampled.sort(key=lambda row: (row[0], row[1]))
    sql.insert(
        "testing_sampled",
        "round_id, resident_id, first_scan_id, sampled_at, path, grid_id, district_code",
        "bigint bigint bigint timestamptz text bigint text",
        sampled,
        "ON CONFLICT (round_id, resident_id) DO NOTHING",
    )


def follow_up_scans(round: TestingRound) -> QuerySet[Scan]:
    """Persons sampled in ``round`` who are not in the registry: to be found and registered.

    Scope the result with ``wuyi.accounts.scoping.scoped`` before showing it.
    """
    return Scan.objects.filter(
        round=round, follow_up=True, outcome=Outcome.ACCEPTED, kind=BIND
    ).order_by("received_at", "id")
