"""A whole testing round over the synthetic city, driven through the real API.

``simulate_round`` sets up a round over every district in the database (a sampling site
per community with two desks, a retest site that samples one person a tube, one lab),
then plays the day:

1. **Arrivals.** Each sampled resident arrives at their community's site at a time drawn
   from the day's curve (a morning peak, a lunch bump, an evening peak); desks take the
   queue in turn.
2. **Scans.** Each site's device posts its events in arrival order, in batches of 500, to
   ``POST /api/v1/scans`` with its device token: residents with a phone show their code
   (token), the others have their ID typed. Tubes fill to the pool size and seal
   themselves; the last tube of each desk is sealed by an explicit seal event.
3. **Transport.** Sealed tubes are boxed per site (100 a box), handed to transport, and the
   lab receives the boxes of each wave whole through ``POST /api/v1/lab/receipts``.
4. **Results.** Each resident is infected with probability ``prevalence``; a tube is
   positive when any member is, and a share ``invalid_share`` of tubes fails. The lab
   uploads the results as a file in wuyi's format to ``POST /api/v1/lab/result-files``.
5. **Retests.** Members of positive pools and of invalid tubes are sampled again, one
   person a tube, at the retest site; their results (by JSON, ``POST /api/v1/lab/results``)
   confirm or release them. Rounds of retests repeat until no task is open.

Everything random comes from one ``random.Random(seed)`` over residents in key order, and
event ids are UUIDv5 of the round code and a counter, so a seed gives the same round
(``fingerprint`` compares two runs). The HTTP calls go through Django's test ``Client``
in-process: the full middleware, URL routing, Ninja schemas and token auth, without a
server to start.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from wuyi.people.models import Resident
from wuyi.territory.models import Kind, Node
from wuyi.testing import labs
from wuyi.testing.models import (
    Desk,
    DeviceToken,
    Lab,
    PoolSize,
    RetestTask,
    RoundSite,
    RoundStatus,
    RoundZone,
    SamplingSite,
    TaskStatus,
    TestingRound,
    tube_capacity,
)

BATCH = 500
BOX_SIZE = 100
MAX_RETEST_ROUNDS = 3
EVENT_NAMESPACE = uuid.UUID("6f1d3c1e-2b7a-4c55-9a0e-77a1c0de4b1d")
# The day's arrival curve: (share, mean hour, spread in hours).
ARRIVAL_CURVE = ((0.45, 8.5, 1.0), (0.20, 12.5, 1.0), (0.35, 18.5, 1.25))
OPEN_HOUR, CLOSE_HOUR = 7.0, 21.0


class SimulationError(RuntimeError):
    """The API answered something a correct round never produces."""


@dataclass
class SimulationReport:
    round_code: str = ""
    seed: int = 0
    prevalence: float = 0.0
    invalid_share: float = 0.0
    pool_size: int = 10
    residents: int = 0
    sampled: int = 0
    sites: int = 0
    events: int = 0
    accepted: int = 0
    rejected: int = 0
    tubes: int = 0
    boxes: int = 0
    infected: int = 0
    positive_pools: int = 0
    invalid_tubes: int = 0
    retest_tasks: int = 0
    resample_tasks: int = 0
    retest_tubes: int = 0
    confirmed: int = 0
    released: int = 0
    open_tasks: int = 0
    peak_hour: dict[str, int] = field(default_factory=dict)
    scan_seconds: float = 0.0
    seconds: float = 0.0
    fingerprint: str = ""

    @property
    def bindings_per_second(self) -> float:
        return self.accepted / self.scan_seconds if self.scan_seconds else 0.0

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["bindings_per_second"] = round(self.bindings_per_second, 1)
        data["scan_seconds"] = round(self.scan_seconds, 3)
        data["seconds"] = round(self.seconds, 3)
        return data


class _Api:
    """The device side of the API: posts JSON or files with a bearer token, checks answers."""

    def __init__(self) -> None:
        # "localhost" is in ALLOWED_HOSTS in every local configuration.
        self.client = Client(SERVER_NAME="localhost")

    def post(self, url: str, secret: str, payload=None, files=None) -> dict:
        headers = {"Authorization": f"Bearer {secret}"}
        if files is not None:
            response = self.client.post(url, data=files, headers=headers)
        else:
            response = self.client.post(
                url, data=payload, content_type="application/json", headers=headers
            )
        if response.status_code != 200:
            raise SimulationError(f"{url} 返回 {response.status_code}:{response.content[:500]!r}")
        return response.json()


def _arrival_hour(rng: random.Random) -> float:
    pick = rng.random()
    mean, spread = ARRIVAL_CURVE[-1][1:]
    for share, peak, width in ARRIVAL_CURVE:
        if pick < share:
            mean, spread = peak, width
            break
        pick -= share
    return min(max(rng.gauss(mean, spread), OPEN_HOUR), CLOSE_HOUR - 0.01)


def _next_round_code(seed: int) -> str:
    prefix = f"SIM{seed}-"
    taken = TestingRound.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(c[len(prefix) :]) for c in taken if c[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _setup(seed: int, pool_size: int, day: dt.date, communities: set[str]):
    """The round, a site for each community where people come, the retest site, lab, tokens.

    One transaction: a simulation that cannot start (no city yet) leaves no round behind.
    """
    if not Node.objects.filter(kind=Kind.DISTRICT).exists():
        raise SimulationError("数据库里还没有城市:先运行 wuyi generate")
    with transaction.atomic():
        return _setup_round(seed, pool_size, day, communities)


def _setup_round(seed: int, pool_size: int, day: dt.date, communities: set[str]):
    code = _next_round_code(seed)
    rnd = TestingRound.objects.create(
        code=code,
        name=f"模拟全员核酸({code})",
        status=RoundStatus.ACTIVE,
        start_date=day,
        end_date=day,
        default_pool_size=pool_size,
    )
    districts = list(Node.objects.filter(kind=Kind.DISTRICT).order_by("path"))
    for district in districts:
        RoundZone.objects.create(
            round=rnd,
            node=district,
            path=district.path,
            district_code=district.district_code,
            pool_size=pool_size,
        )
    lab, _ = Lab.objects.get_or_create(
        code="SIM-LAB",
        defaults={
            "name": "模拟检测实验室",
            "district_code": districts[0].district_code,
            "daily_capacity": 100_000,
        },
    )
    sites: dict[str, SamplingSite] = {}
    for community in Node.objects.filter(kind=Kind.COMMUNITY, path__in=communities).order_by(
        "path"
    ):
        site, created = SamplingSite.objects.get_or_create(
            code=f"SIM{community.code}",
            defaults={
                "name": f"{community.name}采样点",
                "node": community,
                "path": community.path,
                "district_code": community.district_code,
            },
        )
        if created:
            Desk.objects.bulk_create([Desk(site=site, code="D1"), Desk(site=site, code="D2")])
        round_site = RoundSite.objects.create(round=rnd, site=site)
        round_site.served_nodes.add(community)
        sites[community.path] = site
    retest_site, created = SamplingSite.objects.get_or_create(
        code="SIM-RETEST",
        defaults={
            "name": "单管复核采样点",
            "node": districts[0],
            "path": districts[0].path,
            "district_code": districts[0].district_code,
        },
    )
    if created:
        Desk.objects.create(site=retest_site, code="D1")
    RoundSite.objects.create(round=rnd, site=retest_site, pool_size=PoolSize.SINGLE)
    tokens = {
        site.pk: DeviceToken.issue(f"{rnd.code} 模拟设备", site=site)
        for site in [*sites.values(), retest_site]
    }
    lab_token = DeviceToken.issue(f"{rnd.code} 模拟PCR室", lab=lab)
    return rnd, lab, sites, retest_site, tokens, lab_token


def simulate_round(
    residents_share: float = 1.0,
    prevalence: float = 0.005,
    invalid_share: float = 0.002,
    seed: int = 1,
    pool_size: int = PoolSize.TEN,
    day: dt.date | None = None,
) -> SimulationReport:
    """Play one testing round over the city in the database; see the module docstring."""
    # Query logging off, as in production: with DEBUG on, Django formats and keeps every
    # query (for SQLite by asking the database to quote each parameter), which triples the
    # CPU time of a round of thousands of API calls.
    with override_settings(DEBUG=False):
        return _simulate(residents_share, prevalence, invalid_share, seed, pool_size, day)


def _simulate(
    residents_share: float,
    prevalence: float,
    invalid_share: float,
    seed: int,
    pool_size: int,
    day: dt.date | None,
) -> SimulationReport:
    if not 0 < residents_share <= 1:
        raise ValueError("参检比例应在 0 到 1 之间")
    if not 0 <= prevalence <= 1 or not 0 <= invalid_share <= 1:
        raise ValueError("患病率和无效比例应在 0 到 1 之间")
    if pool_size not in (1, 5, 10, 20):
        raise ValueError("混采方式应为 1、5、10 或 20")
    started = time.perf_counter()
    rng = random.Random(seed)
    day = day or timezone.localdate()

    # 1. Who comes, when, infected or not: one pass over residents in key order.
    queues: dict[str, list[tuple[float, Resident]]] = defaultdict(list)
    infected: set[int] = set()
    residents_count = 0
    residents = Resident.objects.filter(status="present").order_by("pk")
    for resident in residents.only(
        "pk", "path", "code_token", "id_number", "id_type", "no_smartphone"
    ).iterator(chunk_size=5000):
        residents_count += 1
        comes = rng.random() < residents_share
        sick = rng.random() < prevalence
        hour = _arrival_hour(rng)
        if not comes:
            continue
        # Everyone is sampled at their community's site (the path's first three codes).
        queues[".".join(resident.path.split(".")[:3])].append((hour, resident))
        if sick:
            infected.add(resident.pk)

    rnd, lab, sites, retest_site, tokens, (_lab_token, lab_secret) = _setup(
        seed, pool_size, day, set(queues)
    )
    report = SimulationReport(
        round_code=rnd.code,
        seed=seed,
        prevalence=prevalence,
        invalid_share=invalid_share,
        pool_size=pool_size,
        sites=len(sites),
        residents=residents_count,
        infected=len(infected),
    )
    api = _Api()
    counter = iter(range(10**12))

    def event_id() -> str:
        return str(uuid.uuid5(EVENT_NAMESPACE, f"{rnd.code}:{next(counter)}"))

    midnight = timezone.make_aware(dt.datetime.combine(day, dt.time()))

    # 2. Desks scan the queue into tubes; each site's device posts in batches.
    capacity = tube_capacity(pool_size)
    members: dict[str, list[Resident]] = {}
    site_tubes: dict[int, list[str]] = defaultdict(list)
    scan_started = time.perf_counter()
    for index, (community, site) in enumerate(sorted(sites.items())):
        queue = sorted(queues[community], key=lambda item: (item[0], item[1].pk))
        if not queue:
            continue
        hours = [int(h) for h, _ in queue]
        report.peak_hour[site.code] = max(set(hours), key=lambda h: (hours.count(h), -h))
        open_tube = {"D1": None, "D2": None}
        tube_numbers = {"D1": 0, "D2": 0}
        events = []
        for position, (hour, resident) in enumerate(queue):
            desk = "D1" if position % 2 == 0 else "D2"
            barcode = open_tube[desk]
            if barcode is None or len(members[barcode]) >= capacity:
                tube_numbers[desk] += 1
                barcode = f"{rnd.code}-{index:04d}{desk}{tube_numbers[desk]:05d}"
                open_tube[desk] = barcode
                members[barcode] = []
                site_tubes[site.pk].append(barcode)
            members[barcode].append(resident)
            event = {
                "event_id": event_id(),
                "round": rnd.code,
                "site": site.code,
                "desk": desk,
                "tube": barcode,
                "device_time": (midnight + dt.timedelta(hours=hour)).isoformat(),
            }
            if resident.no_smartphone:
                event["id_type"] = resident.id_type
                event["id_number"] = resident.id_number
            else:
                event["token"] = resident.code_token
            events.append(event)
        for desk, barcode in open_tube.items():
            if barcode is not None and len(members[barcode]) < capacity:
                events.append(
                    {
                        "event_id": event_id(),
                        "type": "seal",
                        "round": rnd.code,
                        "site": site.code,
                        "desk": desk,
                        "tube": barcode,
                    }
                )
        _post_scans(api, tokens[site.pk][1], events, report)
    report.scan_seconds = time.perf_counter() - scan_started
    report.sampled = sum(len(queues[c]) for c in sites)
    report.tubes = len(members)

    # 3. Transport: boxes per site, handed over, received whole by the lab's API.
    boxes = []
    for site in sorted(sites.values(), key=lambda s: s.code):
        boxes += _pack(rnd, lab, site_tubes.get(site.pk, []), report)
    _receive(api, lab_secret, boxes)

    # 4. Results at the prevalence, with a share of invalid tubes, uploaded as a file.
    rows = []
    for barcode in sorted(members):
        if rng.random() < invalid_share:
            rows.append((barcode, "无效", "", ""))
        elif any(r.pk in infected for r in members[barcode]):
            rows.append(
                (barcode, "阳性", f"{rng.uniform(22, 35):.2f}", f"{rng.uniform(22, 35):.2f}")
            )
        else:
            rows.append((barcode, "阴性", "", ""))
    answer = _upload(api, lab_secret, rows, f"{rnd.code}-results.csv")
    report.positive_pools = answer["positive"]
    report.invalid_tubes = answer["invalid"]
    report.retest_tasks = answer["retest_tasks"]
    report.resample_tasks = answer["resample_tasks"]

    # 5. Retests and resamples, one person a tube, until every task is decided.
    retest_number = 0
    for _ in range(MAX_RETEST_ROUNDS):
        pending = list(
            RetestTask.objects.filter(round=rnd, status=TaskStatus.OPEN)
            .select_related("resident")
            .order_by("pk")
        )
        people = list({t.resident_id: t.resident for t in pending if t.resident}.values())
        if not people:
            break
        events, barcodes = [], []
        for resident in people:
            retest_number += 1
            barcode = f"{rnd.code}-R{retest_number:06d}"
            members[barcode] = [resident]
            barcodes.append(barcode)
            events.append(
                {
                    "event_id": event_id(),
                    "round": rnd.code,
                    "site": retest_site.code,
                    "desk": "D1",
                    "tube": barcode,
                    "token": resident.code_token,
                }
            )
        _post_scans(api, tokens[retest_site.pk][1], events, report)
        _receive(api, lab_secret, _pack(rnd, lab, barcodes, report))
        results = [
            {
                "barcode": b,
                "outcome": "positive" if members[b][0].pk in infected else "negative",
                "ct_orf1ab": round(rng.uniform(20, 33), 2)
                if members[b][0].pk in infected
                else None,
                "ct_n": round(rng.uniform(20, 33), 2) if members[b][0].pk in infected else None,
            }
            for b in barcodes
        ]
        for start in range(0, len(results), 5000):
            answer = api.post(
                "/api/v1/lab/results", lab_secret, {"results": results[start : start + 5000]}
            )
            report.confirmed += answer["confirmed"]
            report.released += answer["released"]
        report.retest_tubes += len(barcodes)
    report.open_tasks = RetestTask.objects.filter(
        round=rnd, status__in=[TaskStatus.OPEN, TaskStatus.SAMPLED]
    ).count()

    # Devices of a finished simulation are retired: their secrets are gone anyway.
    DeviceToken.objects.filter(name__startswith=f"{rnd.code} ").update(revoked_at=timezone.now())
    report.fingerprint = _fingerprint(members, rnd.code, rows)
    report.seconds = time.perf_counter() - started
    return report


def _post_scans(api: _Api, secret: str, events: list[dict], report: SimulationReport) -> None:
    for start in range(0, len(events), BATCH):
        answer = api.post("/api/v1/scans", secret, {"events": events[start : start + BATCH]})
        report.events += len(answer["answers"])
        report.accepted += sum(1 for a in answer["answers"] if a["status"] == "accepted")
        rejected = [a for a in answer["answers"] if a["status"] != "accepted"]
        report.rejected += len(rejected)
        if rejected:
            raise SimulationError(f"扫码被拒绝:{rejected[:3]}")


def _pack(rnd: TestingRound, lab: Lab, barcodes: list[str], report: SimulationReport) -> list[str]:
    """Box a site's sealed tubes and hand the boxes to transport; the boxes' codes."""
    codes = []
    for start in range(0, len(barcodes), BOX_SIZE):
        report.boxes += 1
        code = f"{rnd.code}-B{report.boxes:05d}"
        box = labs.pack_box(code, barcodes[start : start + BOX_SIZE], lab=lab)
        labs.hand_to_transport(box, "模拟转运员")
        codes.append(code)
    return codes


def _receive(api: _Api, lab_secret: str, boxes: list[str]) -> None:
    """The lab scans in a wave of boxes (a few hundred a request)."""
    for start in range(0, len(boxes), 200):
        answer = api.post(
            "/api/v1/lab/receipts",
            lab_secret,
            {"boxes": boxes[start : start + 200], "received_by": "模拟"},
        )
        if answer["rejected"]:
            raise SimulationError(f"实验室拒收:{answer['rejected'][:3]}")


def _upload(api: _Api, secret: str, rows: list[tuple], name: str) -> dict:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["试管条码", "检测结果", "ORF1ab Ct", "N Ct"])
    writer.writerows(rows)
    data = io.BytesIO(buffer.getvalue().encode())
    data.name = name
    return api.post("/api/v1/lab/result-files", secret, files={"file": data})


def _fingerprint(members: dict[str, list[Resident]], code: str, rows: list[tuple]) -> str:
    """Who shared which tube and what each tube showed, without the round's own code."""
    digest = hashlib.sha256()
    outcome = {row[0]: row[1] for row in rows}
    for barcode in sorted(members):
        digest.update(barcode.removeprefix(code).encode())
        digest.update(",".join(str(r.pk) for r in members[barcode]).encode())
        digest.update(outcome.get(barcode, "").encode())
    return digest.hexdigest()[:16]
