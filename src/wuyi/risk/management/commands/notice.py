"""``wuyi notice parse FILE [--json]`` and ``wuyi notice draft [--issuer ...] [--json]``."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from wuyi.risk.areas import propose_lowerings
from wuyi.risk.drafting import DraftError, draft_notice, notice_json, publish
from wuyi.risk.models import Notice
from wuyi.risk.notice_parser import NoticeError, parse_notice
from wuyi.risk.resolve import Gazetteer, resolve_notice

DEFAULT_ISSUER = "太原市疫情防控办公室"


class Command(BaseCommand):
    help = (
        "Risk-area notices. `parse FILE` reads a notice (as published or reposted by a news "
        "site) into issuer, number, date, basis, sections, districts and items with their "
        "address parts, reports count mismatches and resolves items to registry nodes. "
        "`draft` writes the next numbered notice from approved decisions; `publish ID` "
        "freezes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        parse = sub.add_parser("parse", help="read a notice's text")
        parse.add_argument("file", help="the text file (UTF-8 or GB18030), or - for stdin")
        parse.add_argument("--json", action="store_true", help="print one JSON document")
        parse.add_argument(
            "--year",
            type=int,
            help="the year for a date written without one (default: from the file name)",
        )
        parse.add_argument(
            "--no-resolve", action="store_true", help="do not look items up in the registry"
        )
        draft = sub.add_parser("draft", help="draft the next notice from approved decisions")
        draft.add_argument(
            "--issuer", default=DEFAULT_ISSUER, help=f"issuing office (default {DEFAULT_ISSUER})"
        )
        draft.add_argument("--date", help="the notice's date, YYYY-MM-DD (default today)")
        draft.add_argument(
            "--city", default="我市", help="how the text names the city (default 我市)"
        )
        draft.add_argument("--json", action="store_true", help="print one JSON document")
        propose = sub.add_parser(
            "propose", help="propose lowering every area that qualifies on a day (the daily job)"
        )
        propose.add_argument("--date", help="the day, YYYY-MM-DD (default today)")
        propose.add_argument("--json", action="store_true", help="print one JSON document")
        pub = sub.add_parser("publish", help="publish (freeze) a drafted notice")
        pub.add_argument("id", type=int, help="the notice's id (from draft)")
        pub.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "parse":
            return self._parse(options)
        if action == "draft":
            return self._draft(options)
        if action == "propose":
            return self._propose(options)
        return self._publish(options)

    def _parse(self, options) -> None:
        name = options["file"]
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取 {name}:{exc.strerror}") from exc
        year = options["year"]
        if year is None:
            found = re.search(r"(?<!\d)(20\d\d)(?!\d)", Path(name).name)
            year = int(found.group(1)) if found else None
        try:
            gazetteer = Gazetteer()
            result = parse_notice(data, year=year, gazetteer=gazetteer)
        except NoticeError as exc:
            raise CommandError(f"{name}: {exc}") from exc
        if not options["no_resolve"]:
            try:
                resolve_notice(result, gazetteer)
            except DatabaseError as exc:
                raise CommandError(
                    f"无法对照登记库({exc.__class__.__name__}):先运行 wuyi init,或加 --no-resolve"
                ) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        out = self.stdout
        number = f"第{result['number']}号" if result["number"] else "(编号不详)"
        out.write(
            f"{result['issuer'] or '(发布机关不详)'} {number}通告 "
            f"{result['date'] or result['date_text'] or ''}"
        )
        for basis in result["basis"]:
            out.write(f"  依据:{basis['text']} → {basis['policy'] or '(未知版本)'}")
        for section in result["sections"]:
            found = sum(len(d["items"]) for d in section["districts"])
            out.write(f"{section['header']}:声明{section['declared_total']},识别{found}")
            for district in section["districts"]:
                out.write(
                    f"  {district['name'] or '(未分区)'}:声明{district['declared']},识别{len(district['items'])}"
                )
        for mismatch in result["mismatches"]:
            out.write(
                self.style.ERROR(
                    f"数量不符:{mismatch['where']} 声明{mismatch['declared']},识别{mismatch['found']}"
                )
            )
        if not options["no_resolve"]:
            out.write(f"未能对照到登记库的条目:{len(result['unresolved'])}")

    def _draft(self, options) -> None:
        dated = _day(options["date"])
        try:
            notice = draft_notice(options["issuer"], dated, city=options["city"])
        except DraftError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(notice_json(notice), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(notice.text)
            self.stdout.write(f"(草稿 id={notice.pk};wuyi notice publish {notice.pk} 发布)")

    def _propose(self, options) -> None:
        day = _day(options["date"])
        proposals = propose_lowerings(day)
        rows = [
            {
                "decision": d.pk,
                "area": d.area_id,
                "place": d.area.node.name,
                "path": d.path,
                "to": d.level,
                "policy": d.policy,
                "reason": d.reason,
            }
            for d in proposals
        ]
        if options["json"]:
            document = {"date": day.isoformat(), "proposed": rows}
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{day.isoformat()}:提出降级{len(rows)}处,待批准")
        for row in rows:
            self.stdout.write(f"  {row['place']} → {row['to']}({row['reason']})")

    def _publish(self, options) -> None:
        notice = Notice.objects.filter(pk=options["id"]).first()
        if notice is None:
            raise CommandError(f"没有 id 为 {options['id']} 的通告")
        try:
            notice = publish(notice)
        except DraftError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(notice_json(notice), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"已发布:{notice}")


def _day(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError as exc:
        raise CommandError(f"--date 应为 YYYY-MM-DD,收到 {text!r}") from exc
