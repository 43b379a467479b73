"""Applying lab results, and what each result sets off: how a positive pool becomes retests.

One entry point takes results from every source (an uploaded file, the lab API, a hand
entry): ``apply_results(lab, rows, …)``. It is all or nothing: rows are checked and written
in chunks inside ONE transaction, and if any row is refused (unknown tube, another lab's
tube, a tube not yet sent to this lab, a duplicate in the file, a result that contradicts
the one already stored, an unreadable cell) the transaction is rolled back and the report
lists every refused row (line, tube, reason). Re-applying a result already stored (a
re-uploaded file) is not an error and changes nothing.

What a result does (in the same transaction):

* **negative** — the tube's members are cleared for the round (``cleared_residents``).
* **positive** — every member gets a single-tube retest task (``RetestTask``, reason
  ``positive_pool``) and is **temporarily controlled** (``control=temporary``) until that
  retest decides. The members, their households, units and buildings are listed for the
  responsible community and grid workers (``pool_members``, ``positive_pool_tasks``).
* **invalid** — every member gets a resample task (reason ``invalid``).
* A result for a tube holding someone with an open task closes it: a single-tube positive
  **confirms** the person (``control=confirmed``; ``confirmed_positives`` is what the
  control app turns into risk persons), a negative (single or pooled) **releases** them
  (``control=released``). A pooled positive or an invalid retest decides nothing: the
  person stays under temporary control, and the new tube sets off its own tasks.

Why bulk SQL here: a city-scale lab uploads 100,000 tubes in one file. Rows are read from
the file one at a time and handled 1,000 at a time with one statement per step (tubes by
barcode, stored results, the result rows, the tubes' update), through ``BulkSql``: on
PostgreSQL one binary array a column, on SQLite chunked placeholder lists. Time is linear
and memory stays flat but for the barcodes already seen (for duplicates in the file, with
the row each was first on): about 130 bytes a tube, measured by ``wuyi bench results`` on
SQLite with SQLite's own allocations left out (39 MB for 10,000 tubes, 54 MB for 100,000,
76 MB for 300,000).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from wuyi.accounts import audit
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import ancestors_paths
from wuyi.testing.bulk_sql import BulkSql
from wuyi.testing.models import (
    ControlState,
    Lab,
    Outcome,
    PoolSize,
    ResultOutcome,
    ResultSource,
    RetestTask,
    Scan,
    ScanKind,
    TaskReason,
    TaskStatus,
    TestingRound,
    Tube,
    TubeStatus,
)
from wuyi.testing.result_files import ResultRow, RowError

CHUNK = 1000
# The report keeps the first refused rows in full and counts the rest: a wrong file of
# 100,000 rows must not become a 100,000-line page.
MAX_ERRORS = 1000
# How soon a positive pool's members must be retested, and an invalid tube resampled.
RETEST_WITHIN = dt.timedelta(hours=6)
RESAMPLE_WITHIN = dt.timedelta(hours=12)
# Sent inside the result's transaction when positive pools got new retest tasks (keyword
# arguments ``tube_ids`` and ``tasks``, the number created), so the control app queues the
# pools in the same commit; testing never imports control.
positive_pools_opened = Signal()

OUTCOME_LABELS = dict(ResultOutcome.choices)

# Each refused row's reason code and its short label (translated where it is shown).
REASONS = {
    "missing_barcode": gettext_noop("缺少试管条码"),
    "bad_barcode": gettext_noop("试管条码格式错误"),
    "bad_outcome": gettext_noop("检测结果无法识别"),
    "bad_ct": gettext_noop("Ct值错误"),
    "bad_time": gettext_noop("检测时间无法识别"),
    "unknown_tube": gettext_noop("系统中没有这个试管条码"),
    "other_lab": gettext_noop("该管不属于本实验室"),
    "not_received": gettext_noop("该管尚未送达本实验室"),
    "duplicate_in_file": gettext_noop("同一试管在文件中出现多次"),
    "conflict": gettext_noop("与已入库的结果不一致"),
}


@dataclass
class ResultReport:
    """What applying a set of results did, or why none of it was applied."""

    source_name: str = ""
    layout: str = ""
    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    negative: int = 0
    positive: int = 0
    invalid: int = 0
    retest_tasks: int = 0
    resample_tasks: int = 0
    released: int = 0
    confirmed: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def refuse(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "source": self.source_name,
            "layout": self.layout,
            "rows": self.rows,
            "applied": self.applied,
            "unchanged": self.unchanged,
            "negative": self.negative,
            "positive": self.positive,
            "invalid": self.invalid,
            "retest_tasks": self.retest_tasks,
            "resample_tasks": self.resample_tasks,
            "released": self.released,
            "confirmed": self.confirmed,
            "error_count": self.error_count,
            "errors": [
                {"line": e.line, "barcode": e.barcode, "reason": e.reason, "message": e.message}
                for e in self.errors
            ],
        }


class _Rollback(Exception):
    """Raised inside the transaction when any row was refused: nothing of the file stays."""


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def apply_results(
    lab: Lab,
    rows: Iterable[ResultRow | RowError],
    *,
    source: str = ResultSource.FILE,
    source_name: str = "",
    layout: str = "",
    user=None,
    now: dt.datetime | None = None,
) -> ResultReport:
    """Apply results reported by ``lab``, all or nothing; see the module docstring."""
    now = now or timezone.now()
    report = ResultReport(source_name=source_name, layout=layout)
    seen: dict[str, int] = {}
    try:
        with transaction.atomic():
            people = open_task_people()  # tasks this file's tubes may close, read once
            tasks_exist = bool(people[0] or people[1])
            positives: list[int] = []
            invalids: list[int] = []
            decided_scans: set[int] = set()
            for chunk in _chunks(rows, CHUNK):
                new = _check_chunk(lab, chunk, seen, report)
                if report.error_count:
                    # Keep reading to report every bad row, but write nothing more.
                    continue
                _write_chunk(lab, new, source, source_name, user, now, report)
                positives += [t.pk for t, r in new if r.outcome == ResultOutcome.POSITIVE]
                invalids += [t.pk for t, r in new if r.outcome == ResultOutcome.INVALID]
                if tasks_exist and new:
                    decided_scans |= _close_tasks(
                        {t.pk: (t, r) for t, r in new}, now, report, people
                    )
            if report.error_count:
                raise _Rollback
            report.retest_tasks = open_tasks(
                positives, TaskReason.POSITIVE_POOL, now, skip_scans=decided_scans
            )
            report.resample_tasks = open_tasks(invalids, TaskReason.INVALID, now)
            if report.applied:
                # One audit event per applied file or batch: who reported what, from where.
                audit.record(
                    "import",
                    lab,
                    user=user,
                    model="testing.result",
                    object_repr=f"{lab} {source_name or source}",
                    after={
                        "applied": report.applied,
                        "positive": report.positive,
                        "invalid": report.invalid,
                        "retest_tasks": report.retest_tasks,
                    },
                )
    except _Rollback:
        report.applied = report.unchanged = 0
        report.negative = report.positive = report.invalid = 0
        report.retest_tasks = report.resample_tasks = report.released = report.confirmed = 0
    return report


@dataclass(slots=True)
class _Tube:
    """The few columns of a tube the checks need (tuples, not model instances: 100,000 rows)."""

    pk: int
    barcode: str
    pool_size: int
    status: str
    lab_id: int | None
    received_at: dt.datetime | None
    district_code: str
    box_lab_id: int | None


@dataclass(slots=True)
class _Stored:
    """A tube's stored result, as the checks compare it (Ct values to two places)."""

    tube_id: int
    outcome: str
    ct_orf1ab: Decimal | None
    ct_n: Decimal | None
    ct_e: Decimal | None


def _ct(value) -> Decimal | None:
    # A Ct value to two places, as stored and compared. SQLite hands a decimal column back
    # as a float; PostgreSQL and the file parsers as a Decimal.
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _check_chunk(
    lab: Lab, chunk: list, seen: dict[str, int], report: ResultReport
) -> list[tuple[_Tube, ResultRow]]:
    """The chunk's rows that are new results; refused rows go to the report.

    Two statements for the chunk, through ``BulkSql``: on PostgreSQL one array for the
    1,000 barcodes instead of 1,000 placeholders, which psycopg splits in Python.
    """
    report.rows += len(chunk)
    sql = BulkSql()
    barcodes = [r.barcode for r in chunk if isinstance(r, ResultRow)]
    tubes = {
        row[1]: _Tube(*row)
        for row in sql.select_in(
            "SELECT t.id, t.barcode, t.pool_size, t.status, t.lab_id, t.received_at, "
            "t.district_code, b.lab_id FROM testing_tube t "
            "LEFT JOIN testing_transportbox b ON b.id = t.box_id WHERE",
            "t.barcode",
            barcodes,
        )
    }
    stored = {
        row[0]: _Stored(row[0], row[1], _ct(row[2]), _ct(row[3]), _ct(row[4]))
        for row in sql.select_in(
            "SELECT tube_id, outcome, ct_orf1ab, ct_n, ct_e FROM testing_result WHERE",
            "tube_id",
            [t.pk for t in tubes.values()],
        )
    }
    new: list[tuple[_Tube, ResultRow]] = []
    for row in chunk:
        if isinstance(row, RowError):
            report.refuse(row)
            continue
        first = seen.get(row.barcode)
        if first is not None:
            report.refuse(
                RowError(
                    row.line,
                    row.barcode,
                    "duplicate_in_file",
                    gettext("同一试管在文件中出现多次(第%(line)s行已有)") % {"line": first},
                )
            )
            continue
        seen[row.barcode] = row.line
        tube = tubes.get(row.barcode)
        if tube is None:
            report.refuse(
                RowError(row.line, row.barcode, "unknown_tube", gettext(REASONS["unknown_tube"]))
            )
            continue
        if row.lab_code and row.lab_code != lab.code:
            report.refuse(
                RowError(
                    row.line,
                    row.barcode,
                    "other_lab",
                    gettext("文件中的实验室编码 %(named)s 不是本实验室(%(lab)s)")
                    % {"named": row.lab_code, "lab": lab.code},
                )
            )
            continue
        owner = tube.lab_id if tube.lab_id is not None else tube.box_lab_id
        if owner is None or tube.status == TubeStatus.OPEN:
            report.refuse(
                RowError(
                    row.line,
                    row.barcode,
                    "not_received",
                    gettext("该管尚未送达本实验室(未封管、未装箱送往本实验室,也未扫码接收)"),
                )
            )
            continue
        if owner != lab.pk:
            report.refuse(
                RowError(
                    row.line,
                    row.barcode,
                    "other_lab",
                    gettext("该管不属于本实验室(由其他实验室接收或送往其他实验室)"),
                )
            )
            continue
        existing = stored.get(tube.pk)
        if existing is not None:
            if _same(existing, row):
                report.unchanged += 1
            else:
                report.refuse(
                    RowError(
                        row.line,
                        row.barcode,
                        "conflict",
                        gettext("与已入库的结果不一致(已有:%(stored)s;本次:%(new)s)")
                        % {"stored": _describe(existing), "new": _describe(row)},
                    )
                )
            continue
        new.append((tube, row))
    return new


def _same(stored: _Stored, row: ResultRow) -> bool:
    # Stored Ct values are already to two places (``_ct``); the file's are brought there.
    return (
        stored.outcome == row.outcome
        and stored.ct_orf1ab == _ct(row.ct_orf1ab)
        and stored.ct_n == _ct(row.ct_n)
        and stored.ct_e == _ct(row.ct_e)
    )


def _describe(result: _Stored | ResultRow) -> str:
    cts = [
        f"{name} {value}"
        for name, value in (("ORF1ab", result.ct_orf1ab), ("N", result.ct_n), ("E", result.ct_e))
        if value is not None
    ]
    return str(OUTCOME_LABELS[result.outcome]) + (f" {' '.join(cts)}" if cts else "")


def _write_chunk(
    lab: Lab,
    new: list[tuple[_Tube, ResultRow]],
    source: str,
    source_name: str,
    user,
    now: dt.datetime,
    report: ResultReport,
) -> None:
    if not new:
        return
    # Rows through BulkSql rather than bulk_create: building 100,000 model instances costs
    # more than the insert itself, and on PostgreSQL a chunk is one statement (one array a
    # column) where executemany sent a statement a row. Values go through the backend's
    # own adapters (SQLite stores datetimes and decimals as text).
    sql = BulkSql()
    ops = sql.db.ops
    entered_by = user.pk if getattr(user, "pk", None) else None
    created = ops.adapt_datetimefield_value(now)
    sql.insert(
        "testing_result",
        "tube_id, lab_id, outcome, ct_orf1ab, ct_n, ct_e, reported_at, source, source_name, "
        "entered_by_id, created_at, district_code",
        "bigint bigint text numeric numeric numeric timestamptz text text bigint timestamptz text",
        [
            (
                tube.pk,
                lab.pk,
                row.outcome,
                _decimal(ops, row.ct_orf1ab),
                _decimal(ops, row.ct_n),
                _decimal(ops, row.ct_e),
                ops.adapt_datetimefield_value(row.tested_at) if row.tested_at else created,
                source,
                source_name[:200],
                entered_by,
                created,
                tube.district_code,
            )
            for tube, row in new
        ],
        tail="",
    )
    # The chunk's tubes are resulted; those boxed for this lab but never scanned in take
    # the result as their receipt. One statement for the chunk.
    sql.select_in(
        "UPDATE testing_tube SET status = %s, resulted_at = %s, "
        "lab_id = CASE WHEN received_at IS NULL THEN %s ELSE lab_id END, "
        "received_at = COALESCE(received_at, %s) WHERE",
        "id",
        [tube.pk for tube, _ in new],
        [str(TubeStatus.RESULTED), created, lab.pk, created],
    )
    report.applied += len(new)
    for _, row in new:
        setattr(report, row.outcome, getattr(report, row.outcome) + 1)


def _decimal(ops, value: Decimal | None):
    return None if value is None else ops.adapt_decimalfield_value(value, 5, 2)


def open_task_people() -> tuple[set[int], set[str]]:
    """Who has an open retest or resample task: residents by key, and the ID numbers of
    people sampled away from home who are not in the registry."""
    open_tasks = RetestTask.objects.filter(status__in=[TaskStatus.OPEN, TaskStatus.SAMPLED])
    residents = set(open_tasks.filter(resident__isnull=False).values_list("resident_id", flat=True))
    numbers = set(
        open_tasks.filter(resident__isnull=True).values_list("source_scan__id_number", flat=True)
    )
    return residents, numbers


def bindings_with_open_tasks(
    tube_ids: list[int], people: tuple[set[int], set[str]] | None = None
) -> list[Scan]:
    """The bindings in these tubes whose person has an open retest or resample task.

    ``people`` is ``open_task_people()``, read once by a caller that asks for many chunks
    of tubes (a person whose task closed meanwhile is only a candidate: ``tasks_of_person``
    reads the tasks themselves). The tubes' bindings are read by tube (its index) and
    matched in Python against the few people with open tasks: a database filter on
    "resident is null and ID number in …" made SQLite walk every unregistered binding of
    the city (a 100,000-tube import with open tasks cost 90 CPU-s instead of ~10). Only
    the matches' times are read: parsing every binding's timestamp was half the import's
    CPU on PostgreSQL.
    """
    residents, numbers = people if people is not None else open_task_people()
    if not residents and not numbers:
        return []
    rows = BulkSql().select_in(
        "SELECT id, tube_id, resident_id, id_number FROM testing_scan "
        "WHERE kind = %s AND outcome = %s AND",
        "tube_id",
        tube_ids,
        [str(ScanKind.BIND), str(Outcome.ACCEPTED)],
    )
    matched = [
        row for row in rows if (row[2] in residents if row[2] is not None else row[3] in numbers)
    ]
    if not matched:
        return []
    times = dict(
        Scan.objects.filter(pk__in=[row[0] for row in matched]).values_list("id", "received_at")
    )
    return [
        Scan(
            id=pk, tube_id=tube_id, resident_id=resident_id, id_number=number, received_at=times[pk]
        )
        for pk, tube_id, resident_id, number in matched
    ]


def tasks_of_person(scan: Scan) -> QuerySet[RetestTask]:
    """Open tasks of the person bound by ``scan`` made before that binding, other tubes only."""
    tasks = RetestTask.objects.filter(
        status__in=[TaskStatus.OPEN, TaskStatus.SAMPLED], created_at__lte=scan.received_at
    ).exclude(source_tube_id=scan.tube_id)
    if scan.resident_id is not None:
        return tasks.filter(resident_id=scan.resident_id)
    return tasks.filter(resident__isnull=True, source_scan__id_number=scan.id_number)


def _close_tasks(
    resulted: dict[int, tuple[_Tube, ResultRow]],
    now: dt.datetime,
    report: ResultReport,
    people: tuple[set[int], set[str]] | None = None,
) -> set[int]:
    """Close the open tasks of people in the resulted tubes; the scans that decided a person."""
    members = bindings_with_open_tasks(list(resulted), people)
    decided: set[int] = set()
    for scan in members:
        tube, row = resulted[scan.tube_id]
        single = tube.pool_size == PoolSize.SINGLE
        tasks = tasks_of_person(scan)
        closing = {"status": TaskStatus.DONE, "done_at": now, "new_tube_id": tube.pk}
        # Resample tasks close on any result; the new tube's own flow takes over from there.
        tasks.filter(reason=TaskReason.INVALID).update(outcome=row.outcome, **closing)
        retests = tasks.filter(reason=TaskReason.POSITIVE_POOL)
        if row.outcome == ResultOutcome.NEGATIVE:
            report.released += retests.update(
                outcome=row.outcome, control=ControlState.RELEASED, **closing
            )
        elif row.outcome == ResultOutcome.POSITIVE and single:
            confirmed = retests.update(
                outcome=row.outcome, control=ControlState.CONFIRMED, **closing
            )
            if confirmed:
                report.confirmed += 1
                decided.add(scan.pk)
    return decided


def open_tasks(
    tube_ids: list[int], reason: str, now: dt.datetime, skip_scans: set[int] | None = None
) -> int:
    """Retest (positive pool) or resample (invalid) tasks for every member of these tubes.

    Idempotent: one task per binding (``retest_task_once_per_binding``). Members of a
    positive pool are temporarily controlled from this moment.
    """
    if not tube_ids:
        return 0
    due = now + (RETEST_WITHIN if reason == TaskReason.POSITIVE_POOL else RESAMPLE_WITHIN)
    control = ControlState.TEMPORARY if reason == TaskReason.POSITIVE_POOL else ""
    created = 0
    for chunk in _chunks(tube_ids, CHUNK):
        scans = Scan.objects.filter(
            tube_id__in=chunk, kind=ScanKind.BIND, outcome=Outcome.ACCEPTED
        ).values_list(
            "id",
            "tube_id",
            "round_id",
            "resident_id",
            "path",
            "grid_id",
            "district_code",
            "tube__path",
            "tube__district_code",
        )
        tasks = [
            RetestTask(
                round_id=round_id,
                reason=reason,
                source_tube_id=tube_id,
                source_scan_id=scan_id,
                resident_id=resident_id,
                status=TaskStatus.OPEN,
                due_at=due,
                control=control,
                # People sampled away from home have no household: the site's place stands in.
                path=path or tube_path,
                grid_id=grid_id,
                district_code=district or tube_district,
            )
            for (
                scan_id,
                tube_id,
                round_id,
                resident_id,
                path,
                grid_id,
                district,
                tube_path,
                tube_district,
            ) in scans
            if not skip_scans or scan_id not in skip_scans
        ]
        before = RetestTask.objects.filter(source_tube_id__in=chunk, reason=reason).count()
        RetestTask.objects.bulk_create(tasks, ignore_conflicts=True)
        created += RetestTask.objects.filter(source_tube_id__in=chunk, reason=reason).count()
        created -= before
    if reason == TaskReason.POSITIVE_POOL and created:
        positive_pools_opened.send(sender=RetestTask, tube_ids=list(tube_ids), tasks=created)
    return created


def record_result(
    lab: Lab,
    barcode: str,
    outcome: str,
    *,
    ct_orf1ab: Decimal | None = None,
    ct_n: Decimal | None = None,
    ct_e: Decimal | None = None,
    tested_at: dt.datetime | None = None,
    source: str = ResultSource.HAND,
    source_name: str = "",
    user=None,
) -> ResultReport:
    """One tube's result typed by lab staff: the same rules as a file of one row."""
    row = ResultRow(1, barcode.strip(), outcome, ct_orf1ab, ct_n, ct_e, tested_at)
    return apply_results(lab, [row], source=source, source_name=source_name, user=user)


# --- Reading the flow back -------------------------------------------------------------


@dataclass
class Member:
    """One member of a pool as the community and grid workers need them."""

    scan: Scan
    resident_id: int | None
    name: str
    id_number: str
    phone: str
    follow_up: bool
    household: Node | None = None
    unit: Node | None = None
    building: Node | None = None
    compound: Node | None = None
    community: Node | None = None
    grid: Grid | None = None
    grid_workers: list[str] = field(default_factory=list)
    task: RetestTask | None = None

    @property
    def address(self) -> str:
        parts = [n.name for n in (self.compound, self.building, self.unit, self.household) if n]
        return " ".join(parts)


def pool_members(tube: Tube) -> list[Member]:
    """Everyone bound to ``tube`` with their household, unit, building, community and grid.

    A fixed handful of indexed queries whatever the city's size (bindings by tube, the
    residents by key, every ancestor node by its unique path, grids and their workers,
    the members' tasks), so a positive pool's list is ready in milliseconds at 5.4M
    residents (``wuyi bench results``).
    """
    scans = list(
        Scan.objects.filter(tube=tube, kind=ScanKind.BIND, outcome=Outcome.ACCEPTED)
        .select_related("resident")
        .order_by("received_at", "id")
    )
    household_paths = {s.resident.path for s in scans if s.resident is not None}
    wanted: set[str] = set()
    for path in household_paths:
        wanted.update(ancestors_paths(path))
    nodes = {n.path: n for n in Node.objects.filter(path__in=wanted)}
    grid_ids = {s.grid_id for s in scans if s.grid_id} | {
        s.resident.grid_id for s in scans if s.resident is not None and s.resident.grid_id
    }
    grids = {g.pk: g for g in Grid.objects.filter(pk__in=grid_ids).prefetch_related("workers")}
    tasks = {
        t.source_scan_id: t
        for t in RetestTask.objects.filter(source_tube=tube).select_related("new_tube")
    }
    members = []
    for scan in scans:
        resident = scan.resident
        member = Member(
            scan=scan,
            resident_id=scan.resident_id,
            name=resident.name if resident else scan.name,
            id_number=resident.id_number if resident else scan.id_number,
            phone=resident.phone if resident else scan.phone,
            follow_up=scan.follow_up,
            task=tasks.get(scan.pk),
        )
        if resident is not None:
            for path in ancestors_paths(resident.path):
                node = nodes.get(path)
                if node is None:
                    continue
                if node.kind == Kind.HOUSEHOLD:
                    member.household = node
                elif node.kind == Kind.UNIT:
                    member.unit = node
                elif node.kind == Kind.BUILDING:
                    member.building = node
                elif node.kind == Kind.COMPOUND:
                    member.compound = node
                elif node.kind == Kind.COMMUNITY:
                    member.community = node
        grid = grids.get(scan.grid_id or (resident.grid_id if resident else None))
        if grid is not None:
            member.grid = grid
            member.grid_workers = [str(u) for u in grid.workers.all()]
        members.append(member)
    return members


def positive_pool_tasks(round: TestingRound | None = None) -> QuerySet[RetestTask]:
    """Retest tasks of positive pools (newest first); views pass this through ``scoped``."""
    tasks = RetestTask.objects.filter(reason=TaskReason.POSITIVE_POOL)
    if round is not None:
        tasks = tasks.filter(round=round)
    return tasks.select_related("source_tube", "resident", "grid", "new_tube").order_by(
        "-created_at", "source_tube_id", "id"
    )


def temporarily_controlled(round: TestingRound | None = None) -> QuerySet[RetestTask]:
    """Members of positive pools whose retest has not decided yet (temporary control)."""
    tasks = RetestTask.objects.filter(control=ControlState.TEMPORARY)
    return tasks.filter(round=round) if round is not None else tasks


def confirmed_positives(since: dt.datetime | None = None) -> QuerySet[RetestTask]:
    """People whose single-tube retest was positive: the control app makes them risk persons."""
    tasks = RetestTask.objects.filter(control=ControlState.CONFIRMED)
    if since is not None:
        tasks = tasks.filter(done_at__gte=since)
    return tasks.select_related("resident", "source_scan", "new_tube")


def cleared_residents(round: TestingRound) -> QuerySet:
    """Ids of residents whose tube in ``round`` came back negative (cleared for the round)."""
    return (
        Scan.objects.filter(
            round=round,
            kind=ScanKind.BIND,
            outcome=Outcome.ACCEPTED,
            resident__isnull=False,
            tube__result__outcome=ResultOutcome.NEGATIVE,
        )
        .values_list("resident_id", flat=True)
        .distinct()
    )


@dataclass
class RoundResults:
    """A round's results so far: the live positive-pool rate the pool advice reads."""

    tubes: int
    resulted: int
    negative: int
    positive: int
    invalid: int
    pooled_positive: int
    pooled_resulted: int
    mean_pool: float

    @property
    def positive_pool_rate(self) -> float:
        return self.pooled_positive / self.pooled_resulted if self.pooled_resulted else 0.0


def round_results(round: TestingRound, tubes: QuerySet | None = None) -> RoundResults:
    """Counts of a round's tubes by result, in one aggregate query."""
    base = (tubes if tubes is not None else Tube.objects.all()).filter(round=round)
    pooled = ~Q(pool_size=PoolSize.SINGLE)
    agg = base.aggregate(
        tubes=Count("id"),
        resulted=Count("id", filter=Q(result__isnull=False)),
        negative=Count("id", filter=Q(result__outcome=ResultOutcome.NEGATIVE)),
        positive=Count("id", filter=Q(result__outcome=ResultOutcome.POSITIVE)),
        invalid=Count("id", filter=Q(result__outcome=ResultOutcome.INVALID)),
        pooled_positive=Count("id", filter=pooled & Q(result__outcome=ResultOutcome.POSITIVE)),
        pooled_resulted=Count(
            "id",
            filter=pooled & Q(result__outcome__in=[ResultOutcome.POSITIVE, ResultOutcome.NEGATIVE]),
        ),
        mean_pool=Avg("member_count", filter=pooled & Q(result__isnull=False)),
    )
    agg["mean_pool"] = float(agg["mean_pool"] or 0.0)
    return RoundResults(**agg)
