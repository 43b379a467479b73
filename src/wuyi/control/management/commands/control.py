"""``wuyi control``: import the tracing team's contacts, list what is overdue, run the day."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wuyi.control import intake, lists, overdue, schedule
from wuyi.control.contact_import import import_contacts
from wuyi.control.models import Category
from wuyi.people.spreadsheets import SpreadsheetError
from wuyi.territory.models import Node


def _node(code: str | None) -> Node:
    if not code:
        raise CommandError("请用 --node 指定辖区编码(如街道的9位代码)")
    node = Node.objects.filter(path=code).first() or Node.objects.filter(code=code).first()
    if node is None:
        raise CommandError(f"没有编码为 {code} 的辖区")
    return node


class Command(BaseCommand):
    help = (
        "风险人员管控:import-contacts FILE [--commit] 导入流调密接名单;overdue --node CODE 逾期任务;"
        "releases --node CODE 明日解除名单;daily 每日补充任务并上报逾期;bench 性能基准"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-contacts", help="导入流调组的密接名单(.xlsx/.csv)")
        imp.add_argument("file")
        imp.add_argument(
            "--category",
            default=Category.CLOSE_CONTACT,
            choices=Category.values,
            help="表中没有“人员类别”列时的类别(默认密切接触者)",
        )
        imp.add_argument("--commit", action="store_true", help="写入(默认只检查并报告)")
        imp.add_argument("--json", action="store_true")
        over = sub.add_parser("overdue", help="某辖区的逾期任务")
        over.add_argument("--node", required=True)
        over.add_argument("--json", action="store_true")
        rel = sub.add_parser("releases", help="某辖区某日(默认明天)应解除的人员")
        rel.add_argument("--node", required=True)
        rel.add_argument("--date", type=dt.date.fromisoformat)
        rel.add_argument("--json", action="store_true")
        daily = sub.add_parser(
            "daily", help="同步混管阳性复核结果,补充长期管控人员的每日任务,上报超时逾期任务"
        )
        daily.add_argument("--json", action="store_true")
        bench = sub.add_parser("bench", help="管控基准(在当前数据库上,见 wuyi bench control)")
        bench.add_argument("--risk-persons", type=int, default=100_000)
        bench.add_argument("--seed", type=int, default=1)
        bench.add_argument("--repeat", type=int, default=20)
        bench.add_argument("--json", action="store_true")
        bp = sub.add_parser(
            "bench-pools", help="混管阳性入管任务的耗时(会写入数据,请在副本/临时数据库上运行)"
        )
        bp.add_argument("--pools", type=int, default=50)
        bp.add_argument("--members", type=int, default=10)
        bp.add_argument("--seed", type=int, default=1)
        bp.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        action = options["action"]
        result = getattr(self, "do_" + action.replace("-", "_"))(options)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))

    def do_import_contacts(self, options) -> dict:
        try:
            report = import_contacts(
                options["file"], category=options["category"], commit=options["commit"]
            )
        except SpreadsheetError as exc:
            raise CommandError(str(exc)) from exc
        if not options["json"]:
            for problem in report.errors:
                self.stdout.write(f"错误 {problem}")
            for problem in report.unmatched:
                self.stdout.write(f"未匹配 {problem}")
            for problem in report.skipped:
                self.stdout.write(f"跳过 {problem}")
            if report.committed:
                self.stdout.write(f"已导入 {report.created} 人({report.rows} 行)")
            elif report.errors:
                self.stdout.write(f"有 {len(report.errors)} 处错误,未写入任何数据")
            else:
                self.stdout.write(f"检查通过:将导入 {report.would_create} 人;加 --commit 写入")
        return report.as_dict()

    def do_overdue(self, options) -> dict:
        node = _node(options["node"])
        summary = overdue.overdue_summary(node)
        rows = [
            {
                "task": t.pk,
                "kind": t.kind,
                "day": t.day,
                "due_at": timezone.localtime(t.due_at).isoformat(),
                "risk_person": t.risk_person_id,
                "household": t.household.name,
                "escalated": t.escalated_at is not None,
            }
            for t in summary["rows"]
        ]
        if not options["json"]:
            self.stdout.write(f"{node.name}:逾期任务 {summary['total']} 项 {summary['by_kind']}")
            for row in rows:
                self.stdout.write(f"  {row['due_at']} {row['kind']} 户{row['household']}")
        return {
            "node": node.path,
            "total": summary["total"],
            "by_kind": summary["by_kind"],
            "rows": rows,
        }

    def do_releases(self, options) -> dict:
        node = _node(options["node"])
        day = options["date"] or timezone.localdate() + dt.timedelta(days=1)
        people = lists.releases_on(node, day)
        rows = [
            {"risk_person": p.pk, "category": p.category, "household": p.household.name}
            for p in people
        ]
        if not options["json"]:
            self.stdout.write(f"{node.name} {day} 应解除 {len(rows)} 人")
        return {"node": node.path, "date": day, "count": len(rows), "rows": rows}

    def do_daily(self, options) -> dict:
        retests = intake.sync_retests()
        added = schedule.extend_open_schedules(timezone.localdate())
        escalated = overdue.escalate_overdue()
        if not options["json"]:
            self.stdout.write(
                f"混管阳性复核:新纳入 {retests['entered']} 人,转阳 {retests['cases']} 人,"
                f"解除 {retests['released']} 人;补充任务 {added} 项;上报逾期 {escalated} 项"
            )
        return {"retests": retests, "tasks_added": added, "escalated": escalated}

    def do_bench_pools(self, options) -> dict:
        from wuyi.control.bench import bench_pools

        try:
            result = bench_pools(options["pools"], options["members"], options["seed"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not options["json"]:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
        return result

    def do_bench(self, options) -> dict:
        from wuyi.control.bench import run_here

        result = run_here(
            risk_persons=options["risk_persons"], seed=options["seed"], repeat=options["repeat"]
        )
        if not options["json"]:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
        return result
