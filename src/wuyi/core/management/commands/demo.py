"""``wuyi demo``: init, a small synthetic city, demo accounts for every role, then serve."""

from __future__ import annotations

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from wuyi.accounts.models import Role
from wuyi.territory import demo, synthetic
from wuyi.territory.models import Node


class Command(BaseCommand):
    help = (
        "Try wuyi in one step: create the database, generate a small synthetic Taiyuan "
        "(only if there is no city yet), create one demo account per role with one password, "
        "play one testing round when `wuyi simulate` is available, print where to log in, "
        "and serve the site. Safe to run again: it reuses the city and the accounts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--residents",
            type=int,
            default=demo.DEMO_RESIDENTS,
            help=f"size of the demo city (default {demo.DEMO_RESIDENTS})",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--no-serve", action="store_true", help="set up, but do not serve")
        parser.add_argument(
            "--no-simulate", action="store_true", help="do not play a testing round"
        )
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")

    def handle(self, *args, **options):
        out = self.stdout
        call_command("init", verbosity=0)
        fresh = not Node.objects.exists()
        if fresh:
            out.write(f"正在生成示例城市({options['residents']:,} 名居民)……")
            report = synthetic.generate(options["residents"], options["seed"])
            out.write(f"  完成:{report.rows:,} 行,用时 {report.elapsed:.1f} 秒")
        else:
            out.write("数据库里已有城市,沿用。")
        accounts = demo.create_demo_accounts()
        if fresh and not options["no_simulate"] and "simulate" in get_commands():
            out.write("正在模拟一轮全员核酸(wuyi simulate round)……")
            try:
                call_command("simulate", "round", stdout=out, stderr=self.stderr)
            except Exception as error:  # the demo still serves without a round
                self.stderr.write(f"  模拟未完成:{error}")
        host = options["addrport"]
        out.write("")
        out.write(f"登录地址: http://{host}/")
        out.write(f"演示账号的密码都是: {demo.DEMO_PASSWORD}")
        width = max(len(a.username) for a in accounts)
        for account in accounts:
            role = Role(account.role).label
            out.write(f"  {account.username.ljust(width)}  {role}  {account.scope}")
        if not options["no_serve"]:
            call_command("serve", host)
