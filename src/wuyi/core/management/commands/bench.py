"""``wuyi bench NAME [--json] [options]``: run one benchmark and print its figures."""

from __future__ import annotations

import argparse
import json

from django.core.management.base import BaseCommand, CommandError

from wuyi.core import bench


class Command(BaseCommand):
    help = (
        "Run one benchmark and print its figures (rows/s, elapsed time, sizes) as a table, "
        "or as one JSON document with --json. Benchmarks: "
        + ", ".join(sorted(bench.BENCHES))
        + ". Example: wuyi bench generate --residents 200000 --json"
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="which benchmark: " + ", ".join(sorted(bench.BENCHES)))
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument(
            "options",
            nargs=argparse.REMAINDER,
            help="the benchmark's own options, e.g. --residents 200000",
        )

    def handle(self, *args, **options):
        argv = [str(a) for a in options["options"]]
        as_json = options["json"] or "--json" in argv
        argv = [a for a in argv if a != "--json"]
        try:
            result = bench.run(options["name"], argv)
        except KeyError as error:
            raise CommandError(error.args[0]) from None
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"wuyi bench {options['name']}")
        table.add_column("指标")
        table.add_column("值", justify="right")
        for key, value in _flatten(result):
            table.add_row(
                key,
                f"{value:,}"
                if isinstance(value, int | float) and not isinstance(value, bool)
                else str(value),
            )
        Console(file=self.stdout, width=120).print(table)


def _flatten(data: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(data, dict):
        rows = []
        for key, value in data.items():
            rows.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, data)]
