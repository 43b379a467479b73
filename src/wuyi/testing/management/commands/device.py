"""``wuyi device issue|list|revoke``: device tokens for sampling phones and lab PCs."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Device tokens. issue --site CODE | --lab CODE --name NAME: prints the secret once. "
        "list [--site CODE] [--lab CODE]: never prints secrets. revoke ID: refused from the "
        "next request on. Issuing and revoking are audit-logged."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["issue", "list", "revoke"])
        parser.add_argument("id", nargs="?", type=int, help="revoke: the token's id (see list)")
        parser.add_argument("--site", help="sampling site code (采样点编码)")
        parser.add_argument("--lab", help="lab code (实验室编码)")
        parser.add_argument("--name", help="issue: the device's name, e.g. 一号采样台平板")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "issue":
            self._issue(options)
        elif action == "list":
            self._list(options)
        else:
            self._revoke(options)

    def _site_and_lab(self, options):
        from wuyi.testing.models import Lab, SamplingSite

        site = lab = None
        if options["site"]:
            site = SamplingSite.objects.filter(code=options["site"]).first()
            if site is None:
                raise CommandError(f"采样点编码 {options['site']} 不存在")
        if options["lab"]:
            lab = Lab.objects.filter(code=options["lab"]).first()
            if lab is None:
                raise CommandError(f"实验室编码 {options['lab']} 不存在")
        return site, lab

    def _issue(self, options) -> None:
        from wuyi.testing import devices

        site, lab = self._site_and_lab(options)
        try:
            token, secret = devices.issue_token(options["name"] or "", site=site, lab=lab)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self._json({**devices.describe(token), "token": secret})
            return
        where = f"采样点 {site.code} {site.name}" if site else f"实验室 {lab.code} {lab.name}"
        self.stdout.write(f"已签发设备令牌 #{token.pk}「{token.name}」,绑定{where}")
        self.stdout.write(f"令牌(只显示这一次,请立即配置到设备上):{secret}")

    def _list(self, options) -> None:
        from wuyi.testing import devices
        from wuyi.testing.models import DeviceToken

        site, lab = self._site_and_lab(options)
        tokens = DeviceToken.objects.select_related("site", "lab", "created_by").order_by("id")
        if site is not None:
            tokens = tokens.filter(site=site)
        if lab is not None:
            tokens = tokens.filter(lab=lab)
        rows = [devices.describe(t) for t in tokens]
        if options["json"]:
            self._json({"devices": rows, "count": len(rows)})
            return
        if not rows:
            self.stdout.write("没有设备令牌")
            return
        for row in rows:
            bound = f"采样点 {row['site']}" if row["site"] else f"实验室 {row['lab']}"
            state = f"已吊销 {row['revoked_at']}" if row["revoked_at"] else "有效"
            self.stdout.write(
                f"#{row['id']:<5} {row['name']}  {bound}  前缀 {row['prefix']}…  "
                f"签发 {row['created_at']}  最近使用 {row['last_used_at'] or '从未'}  {state}"
            )

    def _revoke(self, options) -> None:
        from wuyi.testing import devices
        from wuyi.testing.models import DeviceToken

        if options["id"] is None:
            raise CommandError(
                "请给出要吊销的令牌编号:wuyi device revoke ID(编号见 wuyi device list)"
            )
        token = DeviceToken.objects.select_related("site", "lab", "created_by").filter(
            pk=options["id"]
        )
        token = token.first()
        if token is None:
            raise CommandError(f"设备令牌 #{options['id']} 不存在")
        changed = devices.revoke_token(token)
        token.refresh_from_db()
        if options["json"]:
            self._json({**devices.describe(token), "changed": changed})
            return
        if changed:
            self.stdout.write(f"已吊销设备令牌 #{token.pk}「{token.name}」,下一次请求起即被拒绝")
        else:
            self.stdout.write(f"设备令牌 #{token.pk}「{token.name}」此前已吊销,未作改动")

    def _json(self, data) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
