"""``wuyi import residents FILE [--commit] [--rejects PATH] [--json]``."""

from __future__ import annotations

import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from wuyi.accounts import audit
from wuyi.accounts.models import Action
from wuyi.people.importing import import_residents
from wuyi.people.spreadsheets import SpreadsheetError

# How many rejected rows the text report lists; --json and the rejects file have them all.
SHOWN_REJECTS = 50


class Command(BaseCommand):
    help = (
        "Import residents from an .xlsx or .csv file (UTF-8 or GBK). Without --commit it only "
        "checks the file and reports; with --commit the valid rows are written in one "
        "transaction and the rejected rows go to a rejects file, ready to fix and re-import."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["residents"], help="what to import: residents")
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument(
            "--commit", action="store_true", help="write the valid rows (default: report only)"
        )
        parser.add_argument(
            "--rejects",
            metavar="PATH",
            help="where to write rejected rows (default: FILE's name + .rejects, same format)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        try:
            report = import_residents(
                options["file"], commit=options["commit"], rejects_path=options["rejects"]
            )
        except SpreadsheetError as exc:
            if options["json"]:  # scripts still get their one JSON document
                self.stdout.write(json.dumps({"error": str(exc)}, ensure_ascii=False))
            raise CommandError(str(exc)) from exc
        if report.committed:
            audit.record(
                Action.IMPORT,
                model="people.resident",
                object_repr=f"命令行导入 {report.path}",
                after={
                    "rows": report.rows,
                    "new": report.new,
                    "updated": report.updated,
                    "moved": report.moved,
                    "rejected": len(report.rejected),
                },
                reason=f"wuyi import residents (操作系统用户 {getpass.getuser()})",
            )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        out = self.stdout
        verb = "已导入" if report.committed else "检查结果(未写入,加 --commit 才写入)"
        out.write(f"{report.path}: {verb}")
        out.write(
            f"  共{report.rows}行:有效{report.valid}(新增{report.new},更新{report.updated},"
            f"其中迁居{report.moved},无变化{report.unchanged}),拒绝{len(report.rejected)}"
        )
        if report.created:
            made = ",".join(f"{label}{count}" for label, count in report.created.items())
            out.write(f"  {'新建' if report.committed else '将新建'}:{made}")
        for warning in report.warnings:
            out.write(self.style.WARNING(f"  注意:{warning}"))
        for rejected in report.rejected[:SHOWN_REJECTS]:
            out.write(self.style.ERROR(f"  {rejected.message}"))
        if len(report.rejected) > SHOWN_REJECTS:
            out.write(f"  ……另有{len(report.rejected) - SHOWN_REJECTS}行被拒绝")
        if report.rejects_path:
            out.write(f"  被拒绝的行已写入 {report.rejects_path},改正后可直接再导入")
