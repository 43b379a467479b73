"""``wuyi export residents FILE [--node CODE] [--json]``."""

from __future__ import annotations

import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from wuyi.accounts import audit
from wuyi.accounts.models import Action
from wuyi.people.exporting import ExportError, export_residents


class Command(BaseCommand):
    help = (
        "Export residents to .xlsx or .csv (by FILE's extension) in the layout `wuyi import "
        "residents` reads, with the district/street/community codes, so the file imports into "
        "an empty database. The whole registry, or everything under the node --node CODE. "
        "The file holds full ID numbers and phones: keep it like the paper registry."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["residents"], help="what to export: residents")
        parser.add_argument("file", help="the .xlsx or .csv file to write")
        parser.add_argument(
            "--node",
            metavar="CODE",
            help="only under this node: an administrative code (140105001) or a code path",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        try:
            result = export_residents(options["file"], node=options["node"])
        except ExportError as exc:
            if options["json"]:  # scripts still get their one JSON document
                self.stdout.write(json.dumps({"error": str(exc)}, ensure_ascii=False))
            raise CommandError(str(exc)) from exc
        # The file holds full ID numbers: who exported what, and where to, is on the record.
        audit.record(
            Action.EXPORT,
            model="people.resident",
            object_repr=f"命令行导出 {result['file']}",
            after={"residents": result["residents"], "node": options["node"] or ""},
            reason=f"wuyi export residents (操作系统用户 {getpass.getuser()})",
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"已导出{result['residents']}名居民到 {result['file']}")
