"""``wuyi pool plan --prevalence P [--population N] [--days D] [--json]``: pool size advice."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from wuyi.testing import pooling


class Command(BaseCommand):
    help = (
        "Pool size advice (Dorfman): expected tests per person for single tubes and 5-, 10- "
        "and 20-in-1 pools at a prevalence, the best size, and the tubes a day a round of "
        "--population people over --days days needs, against the active labs' capacity."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["plan"], help="plan: advise a pool size")
        parser.add_argument(
            "--prevalence", required=True, help="expected prevalence: 0.005 or 0.5%%"
        )
        parser.add_argument(
            "--population",
            type=int,
            default=None,
            help="people to sample (default: present residents in the database)",
        )
        parser.add_argument("--days", type=int, default=1, help="days the round lasts")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        from wuyi.people.models import Resident
        from wuyi.testing.models import Lab

        try:
            prevalence = pooling.parse_prevalence(options["prevalence"])
            population = options["population"]
            if population is None:
                population = Resident.objects.filter(status="present").count()
            capacity = Lab.objects.filter(active=True).aggregate(c=Sum("daily_capacity"))["c"]
            result = pooling.plan(prevalence, population, options["days"], capacity or None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        out = self.stdout
        out.write(
            f"患病率 {prevalence:.3%},{result.population:,} 人,{result.days} 天:"
            f"建议 {_label(result.best)}"
        )
        out.write(
            f"  {'混采方式':<8}{'每人检测数':>10}{'初筛管数':>12}{'复核管数':>10}{'每日管数':>12}"
        )
        for row in result.rows:
            mark = " ←" if row.pool_size == result.best else ""
            out.write(
                f"  {_label(row.pool_size):<8}{row.tests_per_person:>12.4f}"
                f"{row.first_stage_tubes:>14,}{row.retest_tubes:>12,}{row.tubes_per_day:>14,}{mark}"
            )
        if result.lab_capacity is None:
            out.write("  实验室日检测能力:未登记(在实验室资料中填写日检测能力后可比较)")
        else:
            verdict = "足够" if result.capacity_enough else "不足,需增加实验室或延长轮次"
            out.write(
                f"  需要每日 {result.needed_per_day:,} 管,"
                f"实验室合计每日 {result.lab_capacity:,} 管:{verdict}"
            )


def _label(n: int) -> str:
    return "单管单采" if n == 1 else f"{n}合1混采"
