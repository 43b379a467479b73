"""``wuyi stats [--json]``: what the registry holds, per district and in total."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from wuyi.people.models import Status
from wuyi.territory.models import Kind
from wuyi.territory.stats import registry_stats


class Command(BaseCommand):
    help = (
        "Count every kind of territory node (districts down to households and sites), grids "
        "and residents by status, per district and in total."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        data = registry_stats()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title="登记库统计")
        table.add_column("区县")
        for kind in Kind:
            table.add_column(str(kind.label), justify="right")
        table.add_column("网格", justify="right")
        table.add_column("居民", justify="right")
        for status in Status:
            table.add_column(str(status.label), justify="right")

        def add(label: str, row: dict, **style) -> None:
            table.add_row(
                label,
                *(f"{row['nodes'].get(kind.value, 0):,}" for kind in Kind),
                f"{row['grids']:,}",
                f"{row['residents']['total']:,}",
                *(f"{row['residents'].get(status.value, 0):,}" for status in Status),
                **style,
            )

        for row in data["districts"]:
            add(f"{row['name'] or '?'}({row['code']})", row)
        add("合计", data["total"], style="bold")
        Console(file=self.stdout, width=200).print(table)
