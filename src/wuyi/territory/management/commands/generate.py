"""``wuyi generate --residents N --seed S``: build the deterministic synthetic Taiyuan."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from wuyi.territory import synthetic


class Command(BaseCommand):
    help = (
        "Build a synthetic, realistic Taiyuan into the database: the real districts, streets "
        "and communities, compounds, buildings, households, residents, grids and grid workers. "
        "The same --residents and --seed always give the same city. Refuses to run on a "
        "registry that already has territory or residents unless --force (which empties it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--residents", type=int, default=50_000, help="how many residents (default 50000)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="delete the existing registry (territory, grids, residents) first",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        residents = options["residents"]
        if residents < 0:
            raise CommandError("--residents 不能为负数")
        as_json = options["json"]
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        with Progress(
            TextColumn("生成居民"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=options["verbosity"] == 0,  # stderr: stdout keeps the one JSON document
        ) as progress:
            task = progress.add_task("residents", total=residents)
            try:
                report = synthetic.generate(
                    residents,
                    options["seed"],
                    force=options["force"],
                    progress=lambda n: progress.advance(task, n),
                )
            except synthetic.RegistryNotEmpty as error:
                raise CommandError(str(error)) from None
        data = report.as_dict()
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(
            f"已生成 {report.counts.get('residents', 0):,} 名居民,共 {report.rows:,} 行,"
            f"用时 {report.elapsed:.1f} 秒({data['residents_per_s']:,} 居民/秒,"
            f"{data['rows_per_s']:,} 行/秒)"
        )
        for name, table in data["tables"].items():
            self.stdout.write(f"  {name:<13} {table['rows']:>10,} 行  写入 {table['write_s']} 秒")
