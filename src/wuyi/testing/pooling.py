"""Pool size advice (Dorfman): how many tests per person each pool size costs at a prevalence.

Dorfman's two-stage pooling (Ann. Math. Statist. 14, 1943): ``n`` people share one tube;
if the tube is positive each is retested alone. With prevalence ``p`` a tube of ``n`` is
negative with probability ``(1 − p)^n``, so the expected tests per person are::

    E(1) = 1
    E(n) = 1/n + 1 − (1 − p)^n        (n > 1)

Comparing the sizes in use (1, 5, 10, 20): 20-in-1 beats 10-in-1 while
``(1−p)^10 · (1 − (1−p)^10) < 1/20``, i.e. below p ≈ 0.53 %; 10-in-1 beats 5-in-1 while
``(1−p)^5 · (1 − (1−p)^5) < 1/10``, i.e. below p ≈ 2.37 % — the "20-in-1 below about
0.5 %, 10-in-1 up to about 2.4 %" of the national guidance. Above about 30 % no pool pays
(E(5) > 1). ``tests/testing/test_pooling.py`` checks these thresholds.

A round observes the positive-pool rate ``r`` of tubes of mean size ``n``; the prevalence
it implies is ``1 − (1 − r)^(1/n)`` (``prevalence_from_pool_rate``), from which the page
advises the size for the next round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext

POOL_SIZES = (1, 5, 10, 20)


def tests_per_person(n: int, p: float) -> float:
    """Dorfman's expected tests per person for pools of ``n`` at prevalence ``p``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(gettext("患病率应在 0 到 1 之间,收到 %(value)s") % {"value": p})
    if n < 1:
        raise ValueError(gettext("混采人数至少为1,收到 %(value)s") % {"value": n})
    if n == 1:
        return 1.0
    return 1.0 / n + 1.0 - (1.0 - p) ** n


def best_pool_size(p: float, sizes: tuple[int, ...] = POOL_SIZES) -> int:
    """The size with the fewest expected tests per person (the larger one on a tie)."""
    return min(sorted(sizes, reverse=True), key=lambda n: tests_per_person(n, p))


def threshold(small: int, large: int, lo: float = 0.0, hi: float = 0.1) -> float:
    """The prevalence at which pools of ``small`` start to beat pools of ``large`` (bisection).

    The search stays below ``hi``: at absurd prevalences (tens of per cent) every pool costs
    about 1 + 1/n and the larger one "wins" again, which is no advice anyone needs.
    """

    def gap(p: float) -> float:
        return tests_per_person(large, p) - tests_per_person(small, p)

    if gap(lo) > 0 or gap(hi) < 0:
        raise ValueError(
            gettext("%(small)s 与 %(large)s 在 %(lo)s–%(hi)s 之间没有交点")
            % {"small": small, "large": large, "lo": lo, "hi": hi}
        )
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def prevalence_from_pool_rate(rate: float, mean_pool: float) -> float:
    """The prevalence implied by a share ``rate`` of positive pools of mean size ``mean_pool``."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(gettext("阳性混管比例应在 0 到 1 之间,收到 %(value)s") % {"value": rate})
    if mean_pool <= 1:
        return rate
    return 1.0 - (1.0 - rate) ** (1.0 / mean_pool)


@dataclass(frozen=True)
class SizeRow:
    pool_size: int
    tests_per_person: float
    first_stage_tubes: int  # pooled tubes for the population
    retest_tubes: int  # expected single-tube retests
    total_tubes: int
    tubes_per_day: int


@dataclass(frozen=True)
class Plan:
    prevalence: float
    population: int
    days: int
    best: int
    rows: list[SizeRow]
    lab_capacity: int | None  # tubes a day the labs can run, when known

    @property
    def needed_per_day(self) -> int:
        """Tubes a day the round needs at the advised size."""
        return next(r.tubes_per_day for r in self.rows if r.pool_size == self.best)

    @property
    def capacity_enough(self) -> bool | None:
        if self.lab_capacity is None:
            return None
        return self.lab_capacity >= self.needed_per_day

    def as_dict(self) -> dict:
        return {
            "prevalence": self.prevalence,
            "population": self.population,
            "days": self.days,
            "best_pool_size": self.best,
            "needed_tubes_per_day": self.needed_per_day,
            "lab_capacity_per_day": self.lab_capacity,
            "capacity_enough": self.capacity_enough,
            "sizes": [
                {
                    "pool_size": r.pool_size,
                    "tests_per_person": round(r.tests_per_person, 4),
                    "first_stage_tubes": r.first_stage_tubes,
                    "retest_tubes": r.retest_tubes,
                    "total_tubes": r.total_tubes,
                    "tubes_per_day": r.tubes_per_day,
                }
                for r in self.rows
            ],
        }


def plan(
    prevalence: float,
    population: int = 0,
    days: int = 1,
    lab_capacity: int | None = None,
    sizes: tuple[int, ...] = POOL_SIZES,
) -> Plan:
    """Tests per person for each size, the best size, and the tubes a day a round needs."""
    if population < 0:
        raise ValueError(gettext("人口数不能为负数"))
    if days < 1:
        raise ValueError(gettext("轮次天数至少为1天"))
    rows = []
    for n in sizes:
        first = math.ceil(population / n)
        retests = 0 if n == 1 else round(population * (1.0 - (1.0 - prevalence) ** n))
        total = first + retests
        rows.append(
            SizeRow(
                pool_size=n,
                tests_per_person=tests_per_person(n, prevalence),
                first_stage_tubes=first,
                retest_tubes=retests,
                total_tubes=total,
                tubes_per_day=math.ceil(total / days),
            )
        )
    return Plan(prevalence, population, days, best_pool_size(prevalence, sizes), rows, lab_capacity)


def parse_prevalence(text: str) -> float:
    """``0.5%``, ``0.005`` or ``5e-3`` → 0.005; a clear error otherwise."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError(
            gettext("患病率“%(text)s”不是数字,可写作 0.005 或 0.5%%") % {"text": text}
        ) from None
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(
            gettext("患病率应在 0 到 1 之间(或 0%% 到 100%%),收到 %(text)s") % {"text": text}
        )
    return value
