"""``wuyi bench control``: the overdue list of a street with 100,000 risk persons in the city.

Run against a copy of a generated city (the 5.4M-resident SQLite city, or PostgreSQL)::

    wuyi bench control --copy-from /tmp/wuyi-city-big/wuyi.sqlite3 --json

copies the file next to the data dir, migrates the copy and runs ``wuyi control bench``
on it in a subprocess (the original is never written). Without ``--copy-from`` it runs on
the configured database, which must hold residents.

What it does: picks ``risk_persons`` residents at random (seeded), identifies them over the
last ten days in a mix of categories under the policy in force, writes their stages and
tasks in bulk (the same ``schedule`` functions as ``chain.identify``, batched: 100,000
single identifications would time the audit log, not control), then times, ``repeat``
times each, the questions offices ask: the overdue list of the street with most risk
persons (count by kind + the first 100 rows), the counts page of its district, tomorrow's
releases of the street, and a grid worker's day. It also times the real ``chain.identify``
path for 200 residents, to report identifications per second.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(argv: list[str] | None = None, **options) -> dict:
    """Entry point for ``wuyi bench control``: copy the source database, bench the copy."""
    copy_from = options.get("copy_from") or os.environ.get("WUYI_BENCH_CONTROL_SOURCE")
    risk_persons = int(options.get("risk_persons") or 100_000)
    repeat = int(options.get("repeat") or 20)
    if not copy_from:
        return run_here(risk_persons=risk_persons, repeat=repeat)
    source = Path(copy_from)
    if not source.exists():
        raise FileNotFoundError(f"{source} 不存在:先生成城市(wuyi generate)或指定 --copy-from")
    workdir = Path(tempfile.mkdtemp(prefix="wuyi-bench-control-"))
    target = workdir / "wuyi.sqlite3"
    started = time.perf_counter()
    shutil.copyfile(source, target)
    copy_s = time.perf_counter() - started
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{target}", "WUYI_DATA_DIR": str(workdir)}
    wuyi = [sys.executable, "-m", "wuyi.cli"]
    try:
        subprocess.run([*wuyi, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603 (our own argv)
        out = subprocess.run(  # noqa: S603 (our own argv)
            [
                *wuyi,
                "control",
                "bench",
                "--json",
                "--risk-persons",
                str(risk_persons),
                "--repeat",
                str(repeat),
            ],
            env=env,
            check=True,
            stdout=subprocess.PIPE,  # progress goes to stderr, the JSON to stdout
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["copied_from"] = str(source)
    result["copy_seconds"] = round(copy_s, 1)
    return result


def _ms(samples: list[float]) -> dict:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(samples[-1] * 1000, 2),
    }


def _time(fn, repeat: int) -> tuple[dict, object]:
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return _ms(samples), result


CATEGORY_MIX = [
    ("close_contact", 55),
    ("high_risk_resident", 25),
    ("secondary_contact", 5),
    ("left_high_risk_area", 5),
    ("positive_pool_member", 5),
    ("inbound_traveller", 3),
    ("asymptomatic", 1),
    ("confirmed", 1),
]


def run_here(risk_persons: int = 100_000, seed: int = 1, repeat: int = 20) -> dict:
    """Fill the configured database with risk persons and time the lists (see module doc)."""
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from wuyi.control import chain, lists, measures, overdue, schedule
    from wuyi.control.models import RiskPerson, Stage, State, Task, Transition
    from wuyi.people.models import Resident
    from wuyi.territory.models import Kind, Node

    rng = random.Random(seed)
    resident_count = Resident.objects.count()
    if resident_count < risk_persons + 200:
        raise RuntimeError(
            f"数据库只有 {resident_count} 名居民,不足以生成 {risk_persons} 名风险人员"
        )
    now = timezone.now()
    today = timezone.localdate(now)
    # Sample residents by primary key (ids are dense after generation); skip those already controlled.
    max_pk = Resident.objects.order_by("-pk").values_list("pk", flat=True).first()
    taken = set(RiskPerson.objects.values_list("resident_id", flat=True))
    wanted = risk_persons + 200
    picked: set[int] = set()
    while len(picked) < wanted * 1.1:
        picked.add(rng.randint(1, max_pk))
    residents = list(
        Resident.objects.filter(pk__in=list(picked - taken)).only(
            "pk", "household_id", "path", "grid_id", "district_code", "name"
        )[:wanted]
    )
    rng.shuffle(residents)
    real, bulk = residents[:200], residents[200 : 200 + risk_persons]
    categories = [c for c, _ in CATEGORY_MIX]
    weights = [w for _, w in CATEGORY_MIX]

    # Identify in bulk, day by day, through the same plan and task functions.
    started = time.perf_counter()
    plans: dict[tuple[str, dt.date], tuple] = {}
    created = 0
    batch = 5000
    for offset in range(0, len(bulk), batch):
        chunk = bulk[offset : offset + batch]
        people = []
        for resident in chunk:
            day = today - dt.timedelta(days=rng.randint(0, 9))
            category = rng.choices(categories, weights)[0]
            key = (category, day)
            if key not in plans:
                try:
                    measure = measures.measure_for(category, day)
                except measures.MeasureError:
                    measure = measures.measure_for("close_contact", day)
                plans[key] = (measure, schedule.plan(measure, day))
            measure, the_plan = plans[key]
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
            people.append(
                schedule.new_episode(
                    resident,
                    measure,
                    the_plan,
                    category=measure.category,
                    state=State.UNDER_MEASURE,
                    at=at,
                    identified_on=day,
                    source="manual",
                    source_ref="bench",
                )
            )
        with transaction.atomic():
            RiskPerson.objects.bulk_create(people, batch_size=1000)
            stages, tasks, log = [], [], []
            for person in people:
                the_plan = plans[(person.category, person.start_date)][1]
                stages.extend(schedule.stages_for(person, the_plan))
                for task in schedule.tasks_for(person, the_plan):
                    # A realistic backlog: past tasks were done, about 3% of them were not.
                    if task.due_at < now and rng.random() >= 0.03:
                        task.status = "done"
                        task.done_at = task.due_at
                    tasks.append(task)
                log.append(
                    Transition(
                        risk_person=person,
                        from_state="",
                        to_state=State.UNDER_MEASURE,
                        at=person.identified_at,
                        actor_name="bench",
                    )
                )
            Stage.objects.bulk_create(stages, batch_size=2000)
            Task.objects.bulk_create(tasks, batch_size=2000)
            Transition.objects.bulk_create(log, batch_size=2000)
        created += len(people)
        print(f"已生成 {created} 名风险人员", file=sys.stderr, flush=True)
    bulk_s = time.perf_counter() - started
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE control_task; ANALYZE control_riskperson")

    # The real path, one by one, for a rate that includes the audit log.
    started = time.perf_counter()
    for resident in real:
        full = Resident.objects.get(pk=resident.pk)
        try:
            chain.identify(full, "close_contact", at=now)
        except chain.ChainError:
            continue
    identify_s = time.perf_counter() - started

    # The street with most risk persons (street paths are the first two codes).
    street_counts: dict[str, int] = {}
    for path, n in (
        RiskPerson.objects.values_list("path").annotate(n=Count("pk")).order_by().iterator()
    ):
        street = ".".join(path.split(".")[:2])
        street_counts[street] = street_counts.get(street, 0) + n
    street_path = max(street_counts, key=street_counts.get)
    street = Node.objects.get(path=street_path, kind=Kind.STREET)
    district = street.parent
    over_t, summary = _time(lambda: overdue.overdue_summary(street, now), repeat)
    counts_t, _ = _time(lambda: lists.counts(district), max(3, repeat // 4))
    release_t, released = _time(
        lambda: lists.releases_on(street, today + dt.timedelta(days=1)), repeat
    )
    grid_id = (
        RiskPerson.objects.filter(path__startswith=street_path + ".", grid__isnull=False)
        .values_list("grid_id", flat=True)
        .first()
    )
    grid_t, households = _time(lambda: lists.grid_households(grid_id, today), repeat)
    return {
        "database": connection.vendor,
        "residents": resident_count,
        "risk_persons_added": created,
        "risk_persons_total": RiskPerson.objects.count(),
        "tasks_total": Task.objects.count(),
        "bulk_identify_per_s": round(created / bulk_s),
        "identify_one_by_one_per_s": round(len(real) / identify_s, 1),
        "street": {
            "path": street_path,
            "name": street.name,
            "risk_persons": street_counts[street_path],
        },
        "overdue_street": {**over_t, "overdue_total": summary["total"], "target_ms": 300},
        "overdue_street_under_target": over_t["median_ms"] < 300 and over_t["p95_ms"] < 300,
        "counts_district": counts_t,
        "releases_tomorrow_street": {**release_t, "people": len(released)},
        "grid_worker_day": {**grid_t, "households": len(households)},
    }


def bench_pools(pools: int = 50, members: int = 10, seed: int = 1) -> dict:
    """Time the positive-pool job on the configured database (a scratch copy: it writes).

    Makes ``pools`` positive ``members``-in-1 tubes of residents not under control, with
    their retest tasks and queue rows as the results flow leaves them, then times one run
    of the job taking them in; then decides every retest (one positive member per pool,
    the rest negative) and times the run applying them. Per member is what to compare
    with the ~8 ms of one-by-one intake (``chain.identify`` + three transitions).
    """
    from django.db import transaction
    from django.utils import timezone

    from wuyi.control import pools as pool_intake
    from wuyi.control.models import ACTIVE_STATES, PendingPool, RiskPerson
    from wuyi.people.models import Resident, Status
    from wuyi.testing.models import RetestTask, SamplingSite, Scan, TestingRound, Tube

    wanted = pools * members
    busy = RiskPerson.objects.filter(state__in=ACTIVE_STATES).values("resident_id")
    ids = list(
        Resident.objects.filter(status=Status.PRESENT)
        .exclude(pk__in=busy)
        .values_list("pk", flat=True)[: wanted * 20]
    )
    if len(ids) < wanted:
        raise ValueError(f"数据库中可用居民不足:需要 {wanted} 人,只有 {len(ids)} 人")
    chosen = random.Random(seed).sample(ids, wanted)
    people = Resident.objects.in_bulk(chosen)
    now = timezone.now()
    code = f"BP{int(time.time())}"
    first = people[chosen[0]]
    with transaction.atomic():  # the setup is whole or absent
        rnd = TestingRound.objects.create(
            code=code, name="混管阳性入管基准", start_date=now.date(), end_date=now.date()
        )
        site = SamplingSite.objects.create(
            code=code,
            name="基准采样点",
            node_id=first.household_id,
            path=first.path,
            district_code=first.district_code,
        )
        tubes = Tube.objects.bulk_create(
            Tube(
                barcode=f"{code}-{n:04d}",
                round=rnd,
                site=site,
                pool_size=members,
                capacity=members,
                member_count=members,
                opened_at=now,
                path=site.path,
                district_code=site.district_code,
            )
            for n in range(pools)
        )
        scans = Scan.objects.bulk_create(
            Scan(
                outcome="accepted",
                round=rnd,
                site=site,
                tube=tubes[n // members],
                resident=people[pk],
                received_at=now,
                path=people[pk].path,
                grid_id=people[pk].grid_id,
                district_code=people[pk].district_code,
            )
            for n, pk in enumerate(chosen)
        )
        RetestTask.objects.bulk_create(
            RetestTask(
                round=rnd,
                reason="positive_pool",
                source_tube_id=scan.tube_id,
                source_scan=scan,
                resident_id=scan.resident_id,
                due_at=now + dt.timedelta(hours=6),
                control="temporary",
                path=scan.path,
                grid_id=scan.grid_id,
                district_code=scan.district_code,
            )
            for scan in scans
        )
        PendingPool.objects.bulk_create(PendingPool(tube=t, members=members) for t in tubes)

    started = time.perf_counter()
    taken = pool_intake.run()
    take_s = time.perf_counter() - started
    tasks = RetestTask.objects.filter(round=rnd)
    first_of_pool = {t.pk: None for t in tubes}
    for task in tasks.order_by("id"):
        first_of_pool[task.source_tube_id] = first_of_pool[task.source_tube_id] or task.pk
    tasks.update(control="released", outcome="negative", status="done", done_at=now)
    tasks.filter(pk__in=list(first_of_pool.values())).update(
        control="confirmed", outcome="positive"
    )
    started = time.perf_counter()
    applied = pool_intake.run()
    apply_s = time.perf_counter() - started
    again = pool_intake.run()
    return {
        "database": connection_vendor(),
        "pools": pools,
        "members": wanted,
        "take_in": taken,
        "take_in_seconds": round(take_s, 3),
        "take_in_ms_per_member": round(1000 * take_s / wanted, 2),
        "apply": applied,
        "apply_seconds": round(apply_s, 3),
        "apply_ms_per_member": round(1000 * apply_s / wanted, 2),
        "second_run_changed": any(again.values()),
    }


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor
