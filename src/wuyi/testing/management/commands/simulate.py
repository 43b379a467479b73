"""``wuyi simulate round [--residents-share S] [--prevalence P] [--invalid-share S] [--seed N] [--json]``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from wuyi.testing.pooling import parse_prevalence
from wuyi.testing.simulation import SimulationError, simulate_round


class Command(BaseCommand):
    help = (
        "Play a whole testing round over the city in the database through the real API: "
        "arrivals at each community's site, scans into pooled tubes, sealing, transport, lab "
        "receipt, results at --prevalence with a share of invalid tubes, single-tube retests. "
        "The same --seed gives the same round."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["round"], help="round: one testing round")
        parser.add_argument(
            "--residents-share", default="1", help="share of present residents who come (0–1)"
        )
        parser.add_argument("--prevalence", default="0.005", help="0.005 or 0.5%%")
        parser.add_argument("--invalid-share", default="0.002", help="share of invalid tubes")
        parser.add_argument("--pool-size", type=int, default=10, help="1, 5, 10 or 20")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        try:
            report = simulate_round(
                residents_share=parse_prevalence(options["residents_share"]),
                prevalence=parse_prevalence(options["prevalence"]),
                invalid_share=parse_prevalence(options["invalid_share"]),
                seed=options["seed"],
                pool_size=options["pool_size"],
            )
        except (ValueError, SimulationError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        r = report
        out = self.stdout
        out.write(f"模拟轮次 {r.round_code}(种子 {r.seed}):{r.seconds:.1f} 秒")
        out.write(
            f"  在住居民 {r.residents:,},参检 {r.sampled:,} 人,{r.sites} 个采样点,"
            f"{r.tubes:,} 管({r.pool_size}合1),{r.boxes:,} 箱"
        )
        out.write(
            f"  扫码事件 {r.events:,}(接受 {r.accepted:,}),"
            f"绑定速度 {r.bindings_per_second:,.0f} 人/秒(经 /api/v1/scans)"
        )
        out.write(
            f"  感染 {r.infected} 人 → 阳性混管 {r.positive_pools},无效 {r.invalid_tubes};"
            f"复核任务 {r.retest_tasks},重采任务 {r.resample_tasks},单管 {r.retest_tubes}"
        )
        out.write(
            f"  复核阳性 {r.confirmed} 人,解除临时管控 {r.released} 人,未完成任务 {r.open_tasks}"
        )
        out.write(f"  指纹 {r.fingerprint}(同一种子、同一城市应相同)")
