import json
import threading

from django.core.management.base import BaseCommand

from wuyi.core import background


class Command(BaseCommand):
    help = "运行后台任务(阳性混管人员入管、社区统计刷新等);--once 各运行一次后退出。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="每个任务运行一次后退出")
        parser.add_argument("--json", action="store_true", help="以JSON输出(与 --once 同用)")

    def handle(self, *args, **options):
        if not options["once"]:
            names = ", ".join(sorted(background.JOBS)) or "无"
            self.stdout.write(f"后台任务运行中:{names}(Ctrl-C 停止)")
            stop = threading.Event()
            try:
                background.loop(stop)
            except KeyboardInterrupt:
                stop.set()
            return
        results = background.run_due(force=True)
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, default=str))
            return
        for name, result in results.items():
            self.stdout.write(f"{name}: {result}")
