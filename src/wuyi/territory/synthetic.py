"""A deterministic, realistic synthetic Taiyuan: territory, grids, grid workers and residents.

Everyone developing or benchmarking wuyi needs a city the size of the real one (5.4 million
people) that looks like it: real districts, streets and communities from the gazetteer,
old walk-up 家属院 next to high-rise 苑 and 花园, villages in the counties with households
directly under them, households of realistic sizes with three generations, a few percent of
elderly people living alone. The same ``residents`` and ``seed`` always give the same rows
(except wall-clock timestamps such as ``created_at``), so bugs and benchmarks reproduce.

Speed matters more than elegance here: rows are built as plain tuples per street in memory
and written with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) per table, with the
primary keys assigned up front so that parents, grids and residents can reference each other
without reading anything back. Per-row Faker calls would take hours at 5.4 million, so the
name pools are taken from Faker's zh_CN provider once and sampled with ``random.Random``.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone

from wuyi.people.id_numbers import CHECK_CHARS, WEIGHTS
from wuyi.people.models import IdType, Residence, Resident, Status
from wuyi.territory import gazetteer
from wuyi.territory.addresses import normalise_building, normalise_room, normalise_unit
from wuyi.territory.models import PATH_SEPARATOR, Grid, Kind, Node

RESIDENT_ID = IdType.RESIDENT_ID.value
PRESENT, AWAY = Status.PRESENT.value, Status.AWAY.value
GRID_WORKER = "grid_worker"

# Ages are counted to this fixed day, not to today, so a seed gives the same city every day.
REFERENCE_DATE = dt.date(2025, 7, 1)

# Resident population by district (7th census, 2020, rounded): how the city is shared out.
DISTRICT_POPULATION = {
    "140105": 1_280_000,  # 小店区
    "140106": 700_000,  # 迎泽区
    "140107": 790_000,  # 杏花岭区
    "140108": 600_000,  # 尖草坪区
    "140109": 1_040_000,  # 万柏林区
    "140110": 310_000,  # 晋源区
    "140121": 340_000,  # 清徐县
    "140122": 130_000,  # 阳曲县
    "140123": 100_000,  # 娄烦县
    "140181": 205_000,  # 古交市
}

# People per household in Shanxi's cities (census: mean about 2.6).
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (25, 30, 21, 13, 7, 4)

GRID_MIN, GRID_MAX = 200, 500
BUILDING_MAX_HOUSEHOLDS = 200

COMMUNITY_PREFIXES = [
    "东风",
    "西华",
    "南园",
    "北苑",
    "建设",
    "胜利",
    "新华",
    "和平",
    "兴华",
    "康乐",
    "长风",
    "滨河",
    "学府",
    "桃园",
    "春晖",
    "金桥",
    "双塔",
    "五一",
    "迎春",
    "府西",
    "府东",
    "桥东",
    "晋阳",
    "龙泉",
    "青年",
    "朝阳",
    "红旗",
    "文兴",
    "丽泽",
    "康宁",
    "永安",
    "新建",
    "解放",
    "并州",
    "汾东",
    "汾西",
    "锦绣",
    "怡园",
    "翠峰",
    "晋祠",
    "龙潭",
    "柳溪",
    "新民",
    "育才",
    "光明",
    "友谊",
    "团结",
    "幸福",
    "安居",
    "和顺",
    "北辰",
    "南华",
    "清泉",
    "松庄",
    "郝庄",
    "铜锣湾",
    "东岗",
    "西岗",
    "南岗",
    "北岗",
    "太航",
    "机车",
    "重机",
    "矿机",
    "化工",
    "钢园",
    "电建",
    "纺织",
    "棉纺",
    "铁路",
    "邮电",
    "水西",
]
VILLAGE_HEADS = [
    "王",
    "李",
    "张",
    "刘",
    "赵",
    "郝",
    "杨",
    "武",
    "韩",
    "郭",
    "任",
    "梁",
    "阎",
    "段",
    "孟",
    "温",
    "贾",
    "白",
    "田",
    "霍",
    "乔",
    "薛",
    "侯",
    "牛",
    "高",
    "马",
    "秦",
]
VILLAGE_TAILS = [
    "家庄",
    "家堡",
    "家沟",
    "家峪",
    "家寨",
    "家坡",
    "家窑",
    "庄",
    "堡",
    "寨",
    "峪",
    "营",
    "沟",
    "坡",
    "社",
    "疃",
    "河",
    "头",
    "底",
    "坪",
]
VILLAGE_DIRECTIONS = ["东", "西", "南", "北", "上", "下", "前", "后", "大", "小", "新", "中"]
VILLAGE_LANES = [
    "前街",
    "后街",
    "东街",
    "西街",
    "南街",
    "北街",
    "中街",
    "东巷",
    "西巷",
    "南巷",
    "北巷",
    "大街",
    "新街",
    "后巷",
]
EMPLOYERS = [
    "电子二所",
    "煤校",
    "林业厅",
    "矿机",
    "太钢",
    "铁路局",
    "电力公司",
    "化工厂",
    "纺织厂",
    "机床厂",
    "邮电局",
    "税务局",
    "建设银行",
    "师范学院",
    "医学院",
    "重机",
    "第一热电厂",
    "煤炭厅",
    "水利厅",
    "交通厅",
    "省建一公司",
    "二建",
    "气象局",
    "农科院",
    "工商局",
    "粮食局",
    "冶金厅",
    "制药厂",
    "钢管厂",
    "锅炉厂",
    "电业局",
    "市政公司",
    "公交公司",
    "卫生厅",
    "省委",
    "市委",
    "太航",
    "化肥厂",
    "水泥厂",
    "玻璃厂",
    "橡胶厂",
    "省建三公司",
    "地质队",
    "勘察院",
    "设计院",
    "供销社",
]
NEW_PREFIXES = [
    "锦绣",
    "阳光",
    "龙城",
    "并州",
    "晋阳",
    "汾河",
    "滨河",
    "御景",
    "金色",
    "盛世",
    "康宁",
    "怡景",
    "和谐",
    "华宇",
    "鑫源",
    "丽华",
    "星河",
    "长风",
    "学府",
    "亲贤",
    "迎泽",
    "文华",
    "馨春",
    "凯越",
    "翡翠",
    "天悦",
    "紫御",
    "华润",
    "首开",
    "中海",
    "万和",
    "恒泰",
    "泰成",
    "东辰",
    "南城",
    "北岸",
    "西山",
    "世纪",
    "时代",
    "新天地",
    "君悦",
    "兰亭",
    "锦苑",
    "嘉禾",
    "瑞景",
    "祥和",
    "富丽",
    "明珠",
    "华府",
    "龙湖",
    "清控",
    "晋商",
    "汾东",
    "美景",
    "蓝湾",
    "绿地",
    "尚品",
    "帝景",
    "水岸",
    "林语",
    "清华",
    "书香",
    "春天",
    "和美",
]
NEW_SUFFIXES = [
    "苑",
    "花园",
    "小区",
    "华庭",
    "家园",
    "公寓",
    "新城",
    "名都",
    "雅居",
    "嘉园",
    "府",
    "里",
    "湾",
]
OLD_SUFFIXES = ["家属院", "宿舍", "家属楼", "小区"]

# (floors, units, rooms per floor per unit, weight) by kind of compound.
OLD_BUILDINGS = ((6, (2, 6), 2, 60), (7, (2, 5), 2, 30), (5, (2, 4), 2, 10))
NEW_BUILDINGS = (
    (6, (2, 4), 2, 10),
    (11, (1, 3), 2, 20),
    (18, (1, 3), 2, 20),
    (26, (1, 2), 3, 20),
    (30, (1, 2), 3, 15),
    (24, (1, 2), 2, 15),
)


class RegistryNotEmpty(RuntimeError):
    """The registry already holds a city: generating would mix two cities."""


@dataclass
class GenerateReport:
    residents: int
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    cpu: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict:
        elapsed = self.elapsed or 1e-9
        return {
            "residents": self.residents,
            "seed": self.seed,
            "elapsed_s": round(self.elapsed, 2),
            # CPU seconds of both processes: wall time on a shared machine depends on its load.
            "cpu_s": round(self.cpu, 2),
            "index_build_s": round(self.seconds.get("indexes", 0.0), 2),
            "residents_per_s": round(self.counts.get("residents", 0) / elapsed),
            "rows": self.rows,
            "rows_per_s": round(self.rows / elapsed),
            "tables": {
                name: {
                    "rows": count,
                    "write_s": round(self.seconds.get(name, 0.0), 2),
                    "rows_per_write_s": round(count / self.seconds[name])
                    if self.seconds.get(name)
                    else None,
                }
                for name, count in self.counts.items()
                if name != "indexes"
            },
        }


# --- name pools ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pools:
    surnames: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    male_single: tuple[str, ...]
    female_single: tuple[str, ...]
    phone_prefixes: tuple[str, ...]


def name_pools() -> Pools:
    """Surnames (expanded by frequency) and given-name characters from Faker's zh_CN data."""
    from faker.providers.person.zh_CN import Provider as PersonProvider
    from faker.providers.phone_number.zh_CN import Provider as PhoneProvider

    surnames: list[str] = []
    for name, weight in PersonProvider.last_names.items():
        surnames.extend([name] * max(1, round(weight * 100)))
    return Pools(
        surnames=tuple(surnames),
        male=tuple(PersonProvider.first_names_male),
        female=tuple(PersonProvider.first_names_female),
        male_single=tuple(n for n in PersonProvider.first_names_male if len(n) == 1),
        female_single=tuple(n for n in PersonProvider.first_names_female if len(n) == 1),
        phone_prefixes=tuple(str(p) for p in PhoneProvider.phonenumber_prefixes),
    )


# --- planning: how many people where -------------------------------------------------------


def share(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` by ``weights`` into integers that add up exactly (largest remainder)."""
    if not weights:
        return []
    whole = sum(weights) or 1.0
    raw = [total * w / whole for w in weights]
    parts = [math.floor(r) for r in raw]
    rest = total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


@dataclass
class CommunityPlan:
    code: str
    name: str
    village: bool
    residents: int


@dataclass
class StreetPlan:
    code: str
    name: str
    kind: str
    residents: int
    communities: list[CommunityPlan]


@dataclass
class DistrictPlan:
    code: str
    name: str
    residents: int
    streets: list[StreetPlan]


def _unique_name(rng: random.Random, make: Callable[[], str], taken: set[str]) -> str:
    for _ in range(50):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    base = make()
    n = 2
    while f"{base[:-1]}{n}{base[-1]}" in taken:
        n += 1
    name = f"{base[:-1]}{n}{base[-1]}"
    taken.add(name)
    return name


def _village_name(rng: random.Random) -> str:
    if rng.random() < 0.55:
        return rng.choice(VILLAGE_HEADS) + rng.choice(VILLAGE_TAILS) + "村"
    return rng.choice(VILLAGE_DIRECTIONS) + rng.choice(VILLAGE_TAILS[7:]) + "村"


def plan_city(residents: int, seed: int) -> list[DistrictPlan]:
    """Share ``residents`` out over every district, street and community of the gazetteer.

    Known communities come from the gazetteer; more are added under each street (社区 in
    streets and town seats, 村 in towns and townships) until communities reach a realistic
    size: 5–11 thousand people in a city community, 0.6–2.5 thousand in a village.
    """
    districts = gazetteer.districts()
    per_district = share(
        residents, [DISTRICT_POPULATION.get(d["code"], 100_000) for d in districts]
    )
    plans = []
    for district, district_residents in zip(districts, per_district, strict=True):
        rng = random.Random(f"plan:{seed}:{district['code']}")
        kind_weight = {"street": 1.0, "town": 0.55, "township": 0.3}
        if district["kind"] != "district":
            kind_weight = {"street": 1.0, "town": 0.8, "township": 0.45}
        weights = [kind_weight[s["kind"]] * rng.uniform(0.6, 1.4) for s in district["streets"]]
        streets = []
        for street, street_residents in zip(
            district["streets"], share(district_residents, weights), strict=True
        ):
            known = street["communities"]
            taken = {c["name"] for c in known}
            used_codes = {c["code"][-3:] for c in known}
            if street["kind"] == "street":
                village_share = 0.0
            elif street["kind"] == "town":
                village_share = 0.75
            else:
                village_share = 1.0
            wanted = []
            # Mean community size: city communities ~8000 people, villages ~1500.
            mean_size = (1 - village_share) * 8000 + village_share * 1500
            count = max(len(known), round(street_residents / mean_size))
            communities = [
                CommunityPlan(c["code"], c["name"], c["kind"] == "village", 0) for c in known
            ]
            for _ in range(count - len(known)):
                village = rng.random() < village_share
                if village:
                    name = _unique_name(rng, lambda r=rng: _village_name(r), taken)
                    low, high = 200, 999
                else:
                    name = _unique_name(
                        rng, lambda r=rng: r.choice(COMMUNITY_PREFIXES) + "社区", taken
                    )
                    low, high = 1, 199
                number = next(
                    (n for n in range(low, high + 1) if f"{n:03d}" not in used_codes), None
                )
                if number is None:
                    break
                used_codes.add(f"{number:03d}")
                communities.append(CommunityPlan(f"{street['code']}{number:03d}", name, village, 0))
            for community in communities:
                wanted.append(rng.uniform(0.6, 1.4) * (0.2 if community.village else 1.0))
            for community, n in zip(communities, share(street_residents, wanted), strict=True):
                community.residents = n
            streets.append(
                StreetPlan(
                    street["code"], street["name"], street["kind"], street_residents, communities
                )
            )
        plans.append(DistrictPlan(district["code"], district["name"], district_residents, streets))
    return plans


# --- writing rows --------------------------------------------------------------------------


class TableWriter:
    """Writes tuples into one model's table as fast as the database allows.

    SQLite gets one ``executemany`` per batch on the raw connection, PostgreSQL a ``COPY``.
    Columns the generator does not know (added later by another app) get their default.
    """

    def __init__(self, model: type[models.Model], names: list[str]) -> None:
        self.model = model
        meta = model._meta
        self.table = meta.db_table
        known = set(names)
        self.columns = [meta.get_field(n).column for n in names]
        self.extra: tuple = ()
        for f in meta.concrete_fields:
            if f.name in known or f.attname in known:
                continue
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise RuntimeError(f"{self.table}.{f.column} 没有默认值,合成城市无法填写")
            self.columns.append(f.column)
            self.extra += (f.get_db_prep_save(value, connection),)
        self.seconds = 0.0
        self.rows = 0

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.extra:
            extra = self.extra
            rows = [row + extra for row in rows]
        start = time.perf_counter()
        qn = connection.ops.quote_name
        cols = ", ".join(qn(c) for c in self.columns)
        if connection.vendor == "postgresql":
            sql = f"COPY {qn(self.table)} ({cols}) FROM STDIN"
            with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(self.columns))
            cursor = connection.connection.cursor()
            try:
                sql = f"INSERT INTO {qn(self.table)} ({cols}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, rows)
            finally:
                cursor.close()
        self.seconds += time.perf_counter() - start
        self.rows += len(rows)


NODE_FIELDS = [
    "id", "kind", "name", "parent", "code", "path", "depth", "district_code",
    "site_type", "floor", "grid", "sort_key",
]  # fmt: skip
GRID_FIELDS = ["id", "community", "code", "name", "path", "district_code"]
RESIDENT_FIELDS = [
    "id", "name", "id_type", "id_number", "gender", "birth_date", "phone", "household",
    "path", "grid", "district_code", "status", "elderly_alone", "no_smartphone",
    "bedridden", "pregnant", "chronic_illness", "infant", "code_token", "created_at",
    "updated_at",
]  # fmt: skip
RESIDENCE_FIELDS = ["id", "resident", "household", "district_code", "moved_in", "moved_out"]
USER_FIELDS = [
    "id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
    "email", "is_staff", "is_active", "date_joined", "display_name", "phone",
]  # fmt: skip
GRANT_FIELDS = ["id", "user", "role", "node", "grid", "created_at"]


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def registry_is_empty() -> bool:
    return not Node.objects.exists() and not Resident.objects.exists()


def clear_registry() -> None:
    """Delete the whole registry (territory, grids, residents, grid workers made by generate).

    Raw deletes in dependency order: the ORM's cascade collector would load millions of rows.
    Data of other apps that still points at the registry makes this fail (and roll back).
    """
    from django.apps import apps

    from wuyi.accounts.models import Grant, User

    # Scans and sampled markers have no foreign key constraints (see ``testing.Scan``):
    # refuse here what the database would not.
    for label in ("testing.Scan", "testing.Sampled"):
        if apps.get_model(label).objects.filter(resident__isnull=False).exists():
            raise RegistryNotEmpty("登记库的居民已有采样记录,不能清空;请换一个空数据库后重新生成。")
    qn = connection.ops.quote_name
    tables = {
        "users": qn(User._meta.db_table),
        "grants": qn(Grant._meta.db_table),
        "workers": qn(Grid.workers.through._meta.db_table),
        "residences": qn(Residence._meta.db_table),
        "residents": qn(Resident._meta.db_table),
        "grids": qn(Grid._meta.db_table),
        "nodes": qn(Node._meta.db_table),
    }
    statements = [
        ("DELETE FROM {grants} WHERE user_id IN "
         "(SELECT id FROM {users} WHERE username LIKE %s)", ["gw-%"]),
        ("DELETE FROM {grants} WHERE node_id IS NOT NULL OR grid_id IS NOT NULL", None),
        ("DELETE FROM {workers}", None),
        ("DELETE FROM {residences}", None),
        ("DELETE FROM {residents}", None),
        ("UPDATE {nodes} SET grid_id = NULL WHERE grid_id IS NOT NULL", None),
        ("DELETE FROM {grids}", None),
        ("DELETE FROM {nodes}", None),
        ("DELETE FROM {users} WHERE username LIKE %s", ["gw-%"]),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for template, params in statements:
            cursor.execute(template.format(**tables), params)


# --- the builder ---------------------------------------------------------------------------


@dataclass
class _Building:
    compound: int
    name: str
    code: str
    floors: int
    units: int
    rooms: int
    sizes: list[int]


def village_grids(households: int) -> list[int]:
    """How many of a village's households go to each grid: as even as possible, ≤ 450."""
    if households <= 0:
        return []
    grids = max(1, math.ceil(households / 450))
    return share(households, [1.0] * grids)


def _grid_partition(counts: list[int], rng: random.Random) -> list[list[int]]:
    """Group consecutive buildings (by household count) into grids of 200–500 households.

    Greedy: close a grid once it holds a target of 300–420 households or the next building
    would push it past 500; a remainder under 200 is merged into the previous grid, or the
    two are re-split at the most even point.
    """
    groups: list[list[int]] = []
    current: list[int] = []
    total = 0
    target = rng.randint(300, 420)
    for i, n in enumerate(counts):
        if current and total >= GRID_MIN and (total >= target or total + n > GRID_MAX):
            groups.append(current)
            current, total, target = [], 0, rng.randint(300, 420)
        current.append(i)
        total += n
    if current:
        groups.append(current)
    if len(groups) >= 2 and sum(counts[i] for i in groups[-1]) < GRID_MIN:
        tail = groups.pop()
        prev = groups.pop()
        both = prev + tail
        whole = sum(counts[i] for i in both)
        if whole <= GRID_MAX:
            groups.append(both)
        else:
            best, best_cut, left = None, 1, 0
            for cut in range(1, len(both)):
                left += counts[both[cut - 1]]
                right = whole - left
                miss = max(0, GRID_MIN - left, left - GRID_MAX, GRID_MIN - right, right - GRID_MAX)
                key = (miss, abs(left - right))
                if best is None or key < best:
                    best, best_cut = key, cut
            groups.extend([both[:best_cut], both[best_cut:]])
    return groups


class CityBuilder:
    """Builds the city street by street into row buffers and writes each street at once."""

    def __init__(self, seed: int, start_ids: dict[str, int], now, sink: Callable[[dict], None]):
        self.seed = seed
        self.pools = name_pools()
        self.sink = sink
        self.node_id = start_ids["nodes"]
        self.grid_id = start_ids["grids"]
        self.resident_id = start_ids["residents"]
        self.residence_id = start_ids["residences"]
        self.user_id = start_ids["users"]
        self.grant_id = start_ids["grants"]
        self.worker_id = start_ids["grid_workers"]
        self.now = now
        self.done = 0
        self.dates: dict[int, tuple[str, str, int]] = {}
        self.sequences = [
            (f"{n:03d}", sum(int(d) * w for d, w in zip(f"{n:03d}", WEIGHTS[14:], strict=True)))
            for n in range(1000)
        ]
        self.ref_ord = REFERENCE_DATE.toordinal()
        self.region_weights: dict[str, int] = {}
        self.building_names = {n: normalise_building(str(n)) for n in range(1, 100)}
        self.letter_names = {n: normalise_building("ABCDEFGH"[n - 1]) for n in range(1, 9)}
        self.unit_names = {n: normalise_unit(str(n)) for n in range(1, 10)}
        self.room_names = {
            (f, r): normalise_room(f"{f}{r:02d}") for f in range(1, 40) for r in range(1, 10)
        }
        self.size_table = [
            s for s, w in zip(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS, strict=True) for _ in range(w)
        ]
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        self.upper: list[tuple] = []
        self.lower: list[tuple] = []
        self.grids: list[tuple] = []
        self.users: list[tuple] = []
        self.grants: list[tuple] = []
        self.workers: list[tuple] = []
        self.residents: list[tuple] = []
        self.residences: list[tuple] = []

    def flush(self) -> None:
        self.sink(
            {
                "upper": self.upper,
                "grids": self.grids,
                "users": self.users,
                "grants": self.grants,
                "grid_workers": self.workers,
                "lower": self.lower,
                "residents": self.residents,
                "residences": self.residences,
                "done": self.done,
            }
        )
        self.done = 0
        self._reset_buffers()

    def date(self, ordinal: int) -> tuple[str, str, int]:
        """(ISO date, YYYYMMDD, its share of the ID checksum) for a day, cached."""
        found = self.dates.get(ordinal)
        if found is None:
            day = dt.date.fromordinal(ordinal)
            compact = f"{day.year:04d}{day.month:02d}{day.day:02d}"
            weight = sum(int(d) * w for d, w in zip(compact, WEIGHTS[6:14], strict=True))
            found = self.dates[ordinal] = (day.isoformat(), compact, weight)
        return found

    # nodes ----------------------------------------------------------------------------------

    def node(
        self,
        buffer: list[tuple],
        kind: str,
        name: str,
        code: str,
        parent: tuple | None,
        grid: int | None = None,
        floor: int | None = None,
    ) -> tuple:
        """Append a node row and return (id, path, depth, district_code) for its children."""
        node_id = self.node_id
        self.node_id += 1
        if parent is None:
            path, depth, district, parent_id = code, 0, code, None
        else:
            parent_id, parent_path, parent_depth, district = parent
            path, depth = parent_path + PATH_SEPARATOR + code, parent_depth + 1
        buffer.append(
            (node_id, kind, name, parent_id, code, path, depth, district, "", floor, grid, code)
        )
        return (node_id, path, depth, district)

    def region_weight(self, region: str) -> int:
        found = self.region_weights.get(region)
        if found is None:
            found = sum(int(d) * w for d, w in zip(region, WEIGHTS[:6], strict=True))
            self.region_weights[region] = found
        return found

    def person_name(self, rnd: Callable[[], float], surname: str, male: bool) -> str:
        pools = self.pools
        pool = pools.male if male else pools.female
        given = pool[int(rnd() * len(pool))]
        if len(given) == 1 and rnd() < 0.6:
            single = pools.male_single if male else pools.female_single
            given += single[int(rnd() * len(single))]
        return surname + given

    def surname(self, rnd: Callable[[], float]) -> str:
        pool = self.pools.surnames
        return pool[int(rnd() * len(pool))]

    def phone(self, rnd: Callable[[], float]) -> str:
        prefixes = self.pools.phone_prefixes
        return prefixes[int(rnd() * len(prefixes))] + f"{int(rnd() * 100_000_000):08d}"

    def grid(self, community: tuple, community_code: str, number: int, rnd) -> int:
        grid_id = self.grid_id
        self.grid_id += 1
        code = f"{community_code}G{number:02d}"
        self.grids.append(
            (grid_id, community[0], code, f"第{number}网格", community[1], community[3])
        )
        user_id = self.user_id
        self.user_id += 1
        male = rnd() < 0.4
        token = base64.b32encode(int(rnd() * 2**60).to_bytes(8, "big")).decode().rstrip("=")
        self.users.append(
            (
                user_id,
                "!" + token,  # unusable: never a login until an office sets a password
                None,
                False,
                f"gw-{code}",
                "",
                "",
                "",
                False,
                True,
                self.now,
                self.person_name(rnd, self.surname(rnd), male),
                self.phone(rnd),
            )
        )
        self.grants.append((self.grant_id, user_id, GRID_WORKER, None, grid_id, self.now))
        self.grant_id += 1
        self.workers.append((self.worker_id, grid_id, user_id))
        self.worker_id += 1
        return grid_id

    # people ---------------------------------------------------------------------------------

    def members(self, rnd, size: int, rural: bool) -> list[tuple[int, bool, bool]]:
        """(age, male, keeps own surname) for each member of a household of ``size``."""
        if size == 1:
            x = rnd()
            if x < 0.14:
                age = 65 + int(rnd() * 28)  # an elderly person living alone
            elif x < 0.55:
                age = 20 + int(rnd() * 18)
            else:
                age = 38 + int(rnd() * 22)
            return [(age, rnd() < 0.5, False)]
        if size == 2:
            x = rnd()
            if x < 0.8:
                age = 50 + int(rnd() * 38) if x < 0.42 else 24 + int(rnd() * 20)
                return [(age, True, False), (max(20, age - int(rnd() * 6)), False, True)]
            age = 30 + int(rnd() * 25)
            return [
                (age, rnd() < 0.3, False),
                (max(0, age - 22 - int(rnd() * 14)), rnd() < 0.5, False),
            ]
        father = 26 + int(rnd() * 30)
        mother = max(21, father - int(rnd() * 6))
        out = [(father, True, False), (mother, False, True)]
        elders = 0
        if size >= 4 and rnd() < (0.55 if rural else 0.4):
            elders = 2 if size >= 5 and rnd() < 0.6 else 1
        for _ in range(size - 2 - elders):
            age = mother - 21 - int(rnd() * 16)
            out.append((age if age >= 0 else int(rnd() * 3), rnd() < 0.52, False))
        for i in range(elders):
            out.append((min(99, father + 24 + int(rnd() * 10)), i == 0, i == 1))
        return out

    def household(
        self,
        rnd,
        home: tuple,
        grid_id: int | None,
        size: int,
        rural: bool,
        counter: dict[int, int],
    ) -> None:
        """Residents and residence rows for one household."""
        household_id, path, _depth, district = home
        ref_ord = self.ref_ord
        infant_after = ref_ord - 3 * 365
        family = self.surname(rnd)
        moved_in_ord = ref_ord - 30 - int(rnd() * 35 * 365)
        members = self.members(rnd, size, rural)
        alone = size == 1
        now = self.now
        region_weight = self.region_weight(district)
        sequences = self.sequences
        date = self.date
        for age, male, own_surname in members:
            birth_ord = ref_ord - age * 365 - int(rnd() * 365)
            key = birth_ord * 2 + male
            k = counter.get(key, 0)
            while k >= 500:  # 500 sequence numbers per day, district and sex
                birth_ord -= 1
                key = birth_ord * 2 + male
                k = counter.get(key, 0)
            counter[key] = k + 1
            birth_iso, compact, date_weight = date(birth_ord)
            # id_numbers.make(district, birth, 2k+male, gender), with the checksum weights of
            # the region and the day computed once instead of per person (tested equal).
            seq, seq_weight = sequences[2 * k + male]
            number = district + compact + seq
            number += CHECK_CHARS[(region_weight + date_weight + seq_weight) % 11]
            name = self.person_name(rnd, self.surname(rnd) if own_surname else family, male)
            if age >= 75:
                no_smartphone = rnd() < 0.55
            elif age >= 65:
                no_smartphone = rnd() < 0.25
            elif age >= 55:
                no_smartphone = rnd() < 0.06
            else:
                no_smartphone = age >= 15 and rnd() < 0.01
            if age < 15 or (no_smartphone and rnd() < 0.4) or rnd() < 0.03:
                phone = ""
            else:
                phone = self.phone(rnd)
            bedridden = rnd() < (0.08 if age >= 80 else 0.02 if age >= 65 else 0.001)
            chronic = rnd() < (0.35 if age >= 60 else 0.12 if age >= 40 else 0.02)
            pregnant = not male and 20 <= age <= 42 and rnd() < 0.03
            away = rnd() < (0.2 if 18 <= age <= 24 else 0.04)
            token = base64.urlsafe_b64encode(
                int(rnd() * 2**53).to_bytes(7, "big") + int(rnd() * 2**40).to_bytes(5, "big")
            ).decode()
            resident_id = self.resident_id
            self.resident_id += 1
            self.residents.append(
                (
                    resident_id,
                    name,
                    RESIDENT_ID,
                    number,
                    "M" if male else "F",
                    birth_iso,
                    phone,
                    household_id,
                    path,
                    grid_id,
                    district,
                    AWAY if away else PRESENT,
                    alone and age >= 60,
                    no_smartphone,
                    bedridden,
                    pregnant,
                    chronic,
                    birth_ord > infant_after,
                    token,
                    now,
                    now,
                )
            )
            self.residences.append(
                (
                    self.residence_id,
                    resident_id,
                    household_id,
                    district,
                    date(moved_in_ord if moved_in_ord > birth_ord else birth_ord)[0],
                    None,
                )
            )
            self.residence_id += 1

    # territory ------------------------------------------------------------------------------

    def district(self, plan: DistrictPlan) -> tuple:
        node = self.node(self.upper, Kind.DISTRICT.value, plan.name, plan.code, None)
        self.flush()
        return node

    def street(self, district: tuple, plan: StreetPlan, county: bool) -> None:
        rng = random.Random(f"street:{self.seed}:{plan.code}")
        rnd = rng.random
        street = self.node(self.upper, Kind.STREET.value, plan.name, plan.code, district)
        counter = self.counters.setdefault(district[3], {})
        for community_plan in plan.communities:
            community = self.node(
                self.upper, Kind.COMMUNITY.value, community_plan.name, community_plan.code, street
            )
            if community_plan.village:
                self.village(rnd, community, community_plan, counter)
            else:
                self.city_community(rng, community, community_plan, counter, county)
            self.done += community_plan.residents

    def draw_size(self, rnd, remaining: int) -> int:
        size = self.size_table[int(rnd() * len(self.size_table))]
        return size if size < remaining else remaining

    def village(self, rnd, village: tuple, plan: CommunityPlan, counter) -> None:
        sizes = []
        remaining = plan.residents
        while remaining > 0:
            size = self.draw_size(rnd, remaining)
            sizes.append(size)
            remaining -= size
        lanes = VILLAGE_LANES[:]
        random.Random(f"lanes:{plan.code}").shuffle(lanes)
        lane, number, lane_left = 0, 0, 30 + int(rnd() * 90)
        index = 0
        for g, count in enumerate(village_grids(len(sizes)), start=1):
            grid_id = self.grid(village, plan.code, g, rnd)
            for _ in range(count):
                if lane_left == 0 and lane + 1 < len(lanes):
                    lane, number, lane_left = lane + 1, 0, 30 + int(rnd() * 90)
                number += 1
                lane_left -= 1
                home = self.node(
                    self.lower,
                    Kind.HOUSEHOLD.value,
                    normalise_room(f"{lanes[lane]}{number}号"),
                    f"H{index + 1:04d}",
                    village,
                    grid=grid_id,
                )
                self.household(rnd, home, grid_id, sizes[index], True, counter)
                index += 1

    def compound_name(self, rng: random.Random, old: bool, taken: set[str]) -> str:
        if old:
            return _unique_name(
                rng, lambda: rng.choice(EMPLOYERS) + rng.choice(OLD_SUFFIXES), taken
            )
        return _unique_name(rng, lambda: rng.choice(NEW_PREFIXES) + rng.choice(NEW_SUFFIXES), taken)

    def city_community(
        self, rng: random.Random, community: tuple, plan: CommunityPlan, counter, county: bool
    ) -> None:
        rnd = rng.random
        remaining = plan.residents
        compounds: list[tuple[str, bool]] = []
        buildings: list[_Building] = []
        taken: set[str] = set()
        while remaining > 0:
            old = rnd() < (0.55 if county else 0.45)
            compounds.append((self.compound_name(rng, old, taken), old))
            specs = OLD_BUILDINGS if old else NEW_BUILDINGS
            weights = [s[3] for s in specs]
            letters = not old and rnd() < 0.1
            count = rng.randint(2, 12) if old else rng.randint(4, 24)
            if letters:
                count = min(count, 8)
            for number in range(1, count + 1):
                if remaining <= 0:
                    break
                floors, (low, high), rooms, _w = rng.choices(specs, weights)[0]
                units = rng.randint(low, high)
                while floors * units * rooms > BUILDING_MAX_HOUSEHOLDS:
                    if units > 1:
                        units -= 1
                    else:
                        rooms -= 1
                sizes = []
                for _ in range(floors * units * rooms):
                    if remaining <= 0:
                        break
                    size = self.draw_size(rnd, remaining)
                    sizes.append(size)
                    remaining -= size
                name = self.letter_names[number] if letters else self.building_names[number]
                buildings.append(
                    _Building(
                        len(compounds) - 1, name, f"B{number:02d}", floors, units, rooms, sizes
                    )
                )
        groups = _grid_partition([len(b.sizes) for b in buildings], rng)
        grid_of = {}
        for g, group in enumerate(groups, start=1):
            grid_id = self.grid(community, plan.code, g, rnd)
            for i in group:
                grid_of[i] = grid_id
        compound_nodes = [
            self.node(self.upper, Kind.COMPOUND.value, name, f"C{i + 1:02d}", community)
            for i, (name, _old) in enumerate(compounds)
        ]
        lower = self.lower
        rooms_named = self.room_names
        for i, b in enumerate(buildings):
            grid_id = grid_of[i]
            building = self.node(
                lower, Kind.BUILDING.value, b.name, b.code, compound_nodes[b.compound], grid=grid_id
            )
            sizes = b.sizes
            index = 0
            for u in range(1, b.units + 1):
                if index >= len(sizes):
                    break
                unit = self.node(
                    lower, Kind.UNIT.value, self.unit_names[u], f"U{u}", building, grid=grid_id
                )
                for floor in range(1, b.floors + 1):
                    for room in range(1, b.rooms + 1):
                        if index >= len(sizes):
                            break
                        home = self.node(
                            lower,
                            Kind.HOUSEHOLD.value,
                            rooms_named[floor, room],
                            f"H{floor:02d}{room:02d}",
                            unit,
                            grid=grid_id,
                            floor=floor,
                        )
                        self.household(rnd, home, grid_id, sizes[index], False, counter)
                        index += 1

    def build(self, plans: list[DistrictPlan]) -> None:
        self.counters: dict[str, dict[int, int]] = {}
        for district_plan in plans:
            county = gazetteer.by_code(district_plan.code)["kind"] != "district"
            district = self.district(district_plan)
            for street_plan in district_plan.streets:
                self.street(district, street_plan, county)
                self.flush()


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), _models()):
            cursor.execute(sql)


def _models() -> list[type[models.Model]]:
    from wuyi.accounts.models import Grant, User

    return [Node, Grid, Resident, Residence, User, Grant, Grid.workers.through]


WRITE_ORDER = [
    ("upper", "nodes"),
    ("grids", "grids"),
    ("users", "users"),
    ("grants", "grants"),
    ("grid_workers", "grid_workers"),
    ("lower", "nodes"),
    ("residents", "residents"),
    ("residences", "residences"),
]


def _writers() -> dict[str, TableWriter]:
    from wuyi.accounts.models import Grant, User

    return {
        "nodes": TableWriter(Node, NODE_FIELDS),
        "grids": TableWriter(Grid, GRID_FIELDS),
        "users": TableWriter(User, USER_FIELDS),
        "grants": TableWriter(Grant, GRANT_FIELDS),
        "grid_workers": TableWriter(Grid.workers.through, ["id", "grid", "user"]),
        "residents": TableWriter(Resident, RESIDENT_FIELDS),
        "residences": TableWriter(Residence, RESIDENCE_FIELDS),
    }


def _start_ids() -> dict[str, int]:
    from wuyi.accounts.models import Grant, User

    return {
        "nodes": _next_id(Node),
        "grids": _next_id(Grid),
        "residents": _next_id(Resident),
        "residences": _next_id(Residence),
        "users": _next_id(User),
        "grants": _next_id(Grant),
        "grid_workers": _next_id(Grid.workers.through),
    }


# Above this size the rows are built in a second process while this one writes.
PIPELINE_FROM = 200_000


def _produce(seed: int, plans: list[DistrictPlan], start_ids, now, queue) -> None:
    """In the child process: build every street and hand the batches over (None at the end)."""
    try:
        CityBuilder(seed, start_ids, now, queue.put).build(plans)
        queue.put(None)
    except BaseException as error:  # the parent re-raises it and rolls back
        queue.put(RuntimeError(f"合成城市生成失败: {error!r}"))


def _build_and_write(
    seed: int, plans: list[DistrictPlan], residents: int, progress: Callable[[int], None]
) -> dict[str, TableWriter]:
    writers = _writers()
    now = Resident._meta.get_field("created_at").get_db_prep_save(
        timezone.now().replace(microsecond=0), connection
    )
    start_ids = _start_ids()

    def write(batch: dict) -> None:
        for key, table in WRITE_ORDER:
            writers[table].write(batch[key])
        progress(batch["done"])

    if residents < PIPELINE_FROM:
        CityBuilder(seed, start_ids, now, write).build(plans)
        return writers
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    child = context.Process(target=_produce, args=(seed, plans, start_ids, now, queue))
    child.start()
    try:
        while True:
            batch = queue.get()
            if batch is None:
                break
            if isinstance(batch, BaseException):
                raise batch
            write(batch)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
    return writers


def generate(
    residents: int,
    seed: int,
    *,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> GenerateReport:
    """Build the synthetic city into the configured database, in one transaction.

    Refuses (``RegistryNotEmpty``) when the registry already has territory or residents,
    unless ``force``, which first deletes the whole registry.
    """
    if residents < 0:
        raise ValueError("居民人数不能为负数")
    start = time.perf_counter()
    cpu_start = _cpu_seconds()
    report = GenerateReport(residents=residents, seed=seed)
    plans = plan_city(residents, seed)
    with _foreign_keys_unchecked(), transaction.atomic():
        if not registry_is_empty():
            if not force:
                raise RegistryNotEmpty(
                    "登记库中已有辖区或居民:生成会混入两座城市。"
                    "请换一个空数据库,或加 --force 清空现有登记库后重新生成。"
                )
            clear_registry()
        with _fast_sqlite(), _indexes_deferred([Node, Resident, Residence]) as deferred:
            writers = _build_and_write(seed, plans, residents, progress or (lambda n: None))
        report.seconds["indexes"] = deferred.seconds
        _reset_sequences()
    report.elapsed = time.perf_counter() - start
    report.cpu = _cpu_seconds() - cpu_start
    for name, writer in writers.items():
        report.counts[name] = writer.rows
        report.seconds[name] = writer.seconds
    return report


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the row-building process)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _fast_sqlite:
    """A larger page cache for SQLite while the city is written (restored afterwards)."""

    def __enter__(self) -> None:
        self.old = None
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self.old = cursor.fetchone()[0]
                cursor.execute("PRAGMA cache_size=-1048576")

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={int(self.old)}")


class _foreign_keys_unchecked:
    """SQLite: no per-row foreign-key lookups while the city is written.

    The generator assigns every key itself (parents before children), and the tests check
    the generated rows with foreign keys enforced (inside a test transaction the pragma
    cannot change, so they run checked). PostgreSQL checks its deferred keys at commit.
    """

    def __enter__(self) -> None:
        self.changed = False
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            self.changed = connection.disable_constraint_checking()

    def __exit__(self, *exc) -> None:
        if self.changed:
            connection.enable_constraint_checking()


class _indexes_deferred:
    """Drop the secondary indexes of the big tables and build them again after the load.

    Building an index once over sorted data is several times faster than updating it row
    by row. It all happens inside the generate transaction (DDL is transactional on both
    databases), so a failure leaves the schema as it was. Unique indexes are rebuilt too,
    which checks the generated rows against them. Indexes backing PostgreSQL constraints
    (primary keys, UNIQUE constraints) stay in place.
    """

    def __init__(self, model_list: list[type[models.Model]]) -> None:
        self.tables = [m._meta.db_table for m in model_list]
        self.saved: list[tuple[str, str]] = []
        self.seconds = 0.0

    def __enter__(self) -> _indexes_deferred:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables:
                if connection.vendor == "sqlite":
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = %s AND sql IS NOT NULL",
                        [table],
                    )
                elif connection.vendor == "postgresql":
                    cursor.execute(
                        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                        "JOIN pg_class i ON i.oid = x.indexrelid "
                        "JOIN pg_class t ON t.oid = x.indrelid "
                        "WHERE t.relname = %s AND t.relnamespace = 'public'::regnamespace "
                        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                        "WHERE c.conindid = x.indexrelid)",
                        [table],
                    )
                else:
                    continue
                found = cursor.fetchall()
                for name, _sql in found:
                    cursor.execute(f"DROP INDEX {qn(name)}")
                self.saved.extend(found)
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:
            return  # the transaction rolls back and the indexes come back with it
        start = time.perf_counter()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Check the deferred foreign keys now: PostgreSQL will not build an index on
                # a table with pending trigger events.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, sql in self.saved:
                cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.seconds = time.perf_counter() - start


def digest(tables: Iterable[type[models.Model]] | None = None) -> str:
    """A SHA-256 over the registry's rows (without wall-clock timestamps), for determinism."""
    import hashlib

    from wuyi.accounts.models import Grant, User

    tables = tables or [Node, Grid, Resident, Residence, User, Grant]
    skip = {"created_at", "updated_at", "date_joined", "last_login"}
    h = hashlib.sha256()
    for model in tables:
        names = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
        h.update(model._meta.db_table.encode())
        for row in model.objects.order_by("pk").values_list(*names).iterator(chunk_size=5000):
            h.update(repr(row).encode())
    return h.hexdigest()
