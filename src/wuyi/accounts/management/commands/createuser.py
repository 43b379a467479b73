"""``wuyi createuser USERNAME --role ROLE --scope CODE [--password-stdin] [--json]``."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from wuyi.accounts.models import Role
from wuyi.accounts.services import AccountError, create_account


class Command(BaseCommand):
    help = (
        "创建账号并授权:角色 + 范围(辖区编码或编码路径、网格编码、采样点或实验室编码)。"
        "已有的用户则只增加一条授权。不给 --password-stdin 时生成随机密码并只显示一次。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            required=True,
            help="角色:" + "、".join(f"{r.value}({r.label})" for r in Role),
        )
        parser.add_argument("--scope", default=None, help="范围编码;市疫情防控办可省略,表示全市")
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument(
            "--password-stdin", action="store_true", help="从标准输入读取密码(一行)"
        )
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")

    def handle(self, *args, **options):
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("标准输入没有读到密码")
        try:
            user, grant, generated = create_account(
                options["username"],
                options["role"],
                options["scope"],
                password=password,
                display_name=options["name"],
            )
        except AccountError as error:
            raise CommandError(str(error)) from error
        result = {
            "username": user.username,
            "role": grant.role,
            "scope": grant.scope_label,
            "grant_id": grant.pk,
            "password": generated,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已授权 {user.username}:{grant.get_role_display()} · {grant.scope_label}"
            )
        )
        if generated:
            self.stdout.write(f"初始密码(只显示这一次):{generated}")
