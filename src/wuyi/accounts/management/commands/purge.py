"""``wuyi purge --before DATE [--dry-run] [--json]``: remove personal data of closed emergencies."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wuyi.accounts.retention import REGISTRY, purge


class Command(BaseCommand):
    help = (
        "清除某日期之前的个人数据(居民检测记录、风险人员记录、服务请求等),"
        "保留匿名统计;--dry-run 只报告将清除多少条。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="日期 YYYY-MM-DD:清除此日之前的记录")
        parser.add_argument("--dry-run", action="store_true", help="只报告,不删除")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")

    def handle(self, *args, **options):
        try:
            before = dt.date.fromisoformat(options["before"])
        except ValueError as error:
            raise CommandError(
                f"--before 应为 YYYY-MM-DD 格式的日期,收到 {options['before']!r}"
            ) from error
        if before > timezone.localdate():
            raise CommandError(f"--before {before} 在今天之后:不能清除尚未结束的时期")
        report = purge(before, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        verb = "将清除" if options["dry_run"] else "已清除"
        if not REGISTRY:
            self.stdout.write("没有登记可清除的个人数据类别。")
        for entry in report["categories"]:
            self.stdout.write(f"{entry['label']}({entry['category']}):{verb} {entry['count']} 条")
        kept = (
            "(试运行,未作任何修改)" if options["dry_run"] else ";匿名统计已保留,操作已记入审计日志"
        )
        self.stdout.write(f"合计{verb} {report['total']} 条{kept}。")
