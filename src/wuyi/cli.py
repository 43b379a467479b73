"""The ``wuyi`` command: wuyi's own commands first, Django's management commands behind them."""

from __future__ import annotations

import os
import sys

# wuyi's commands, in the order a newcomer meets them. Each is a Django management
# command in the app that owns it; `wuyi help COMMAND` shows its options.
COMMANDS = [
    ("init", "创建或升级数据库 (migrate)"),
    ("demo", "一步体验:建库、生成示例城市、创建演示账号并启动网站"),
    ("generate", "生成一座可复现的合成城市 (--residents N --seed S)"),
    ("import", "从 Excel/CSV 导入居民 (import residents FILE [--commit])"),
    ("export", "导出居民名册,格式与导入相同 (export residents FILE [--node CODE])"),
    ("stats", "统计各级辖区与居民数量 [--json]"),
    ("notice", "风险区通告:解析 parse FILE、起草 draft、发布 publish、降级 propose"),
    ("serve", "启动网站 (默认 127.0.0.1:8000)"),
    ("bench", "性能基准 (bench generate|... [--json])"),
    ("pool", "混采方式建议 (pool plan --prevalence P [--population N] [--days D] [--json])"),
    ("device", "设备令牌:签发 issue、列出 list、吊销 revoke (--site CODE | --lab CODE) [--json]"),
    (
        "simulate",
        "模拟一轮全员核酸,经真实接口 (simulate round [--prevalence P] [--seed S] [--json])",
    ),
    ("coverage", "应检尽检:覆盖统计 show、结束报告 close、刷新 refresh、全市汇总 city [--json]"),
    ("createuser", "创建账号并授权 (createuser USERNAME --role ROLE --scope CODE)"),
    ("purge", "清除已结束时期的个人数据,保留匿名统计 (--before DATE [--dry-run])"),
    ("control", "风险人员管控:导入密接名单、逾期任务、明日解除名单、每日任务 [--json]"),
]


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuyi.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] in {"-h", "--help", "help"} and len(args) == 1):
        print_help()
        return
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(["wuyi", *args])
    except BrokenPipeError:
        # `wuyi coverage city R | head`: the reader has had enough. Not SIGPIPE's default
        # action instead: it would also kill `wuyi serve` when a browser hangs up.
        # Python's own advice: point stdout at devnull so the exit flush does not fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except DatabaseError as exc:
        problem = database_problem(exc)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        sys.exit(2)


def database_problem(exc: Exception) -> str | None:
    """What to tell someone whose command failed because the database is not there yet.

    A command run before ``wuyi init`` (or on a database an older wuyi made) failed with
    Django's traceback ending in "no such table: people_resident"; one run with the
    PostgreSQL server down, in "connection refused". Both say what to do instead. Any
    other database error is a bug, and keeps its traceback.
    """
    from django.conf import settings

    where = settings.DATABASES["default"]["NAME"]
    cause = exc.__cause__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if text.startswith("no such table") or getattr(cause, "sqlstate", None) == "42P01":
        return (
            f"数据库 {where} 还没有建表,或缺少新版本的表:请先运行 wuyi init"
            f"(即 migrate;make demo 会自动完成)。\n原因:{text}"
        )
    if text.startswith("unable to open database file") or (
        cause is not None
        and type(cause).__module__.startswith("psycopg")
        and getattr(cause, "sqlstate", None) is None
        and "connection" in text
    ):
        return f"无法连接数据库 {where}:请检查 DATABASE_URL 与数据库服务是否在运行。\n原因:{text}"
    return None


def print_help() -> None:
    print("wuyi — 无疫:社区疫情防控平台\n")
    print("用法: wuyi COMMAND [options]      wuyi help COMMAND 查看某个命令的说明\n")
    print("wuyi 的命令:")
    width = max(len(name) for name, _ in COMMANDS)
    for name, text in COMMANDS:
        print(f"  {name.ljust(width)}  {text}")
    print(
        "\nDjango 的管理命令(migrate、shell、dbshell、check 等)也可以直接使用:wuyi help --commands"
    )
    print("DATABASE_URL 环境变量选择数据库(默认 data/wuyi.sqlite3)。")


if __name__ == "__main__":
    main()
