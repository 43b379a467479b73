"""``wuyi coverage``: coverage of a round at a node or grid, the close report, tallies."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from wuyi.coverage import close, rollup, tallies
from wuyi.territory.models import Grid, Node
from wuyi.testing.models import TestingRound


def find_node(value: str) -> Node:
    """A node by its code path, or by its administrative code (district, street, community)."""
    node = Node.objects.filter(path=value).first() or (
        Node.objects.filter(code=value, kind__in=["district", "street", "community"]).first()
    )
    if node is None:
        raise CommandError(f"找不到辖区 {value}:请给出编码路径或区县/街道/社区代码")
    return node


class Command(BaseCommand):
    help = (
        "应检尽检统计。show ROUND [--node CODE|--grid CODE]:覆盖情况及下级;"
        "close ROUND --node CODE:轮次结束报告;refresh ROUND:刷新社区统计(供全市汇总);"
        "city ROUND:全市按区县、街道汇总(来自社区统计);bench:性能基准(同 wuyi bench coverage)。"
        "均可加 --json。"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["show", "close", "refresh", "city", "bench"])
        parser.add_argument("round", nargs="?", default="", help="轮次编号")
        parser.add_argument("--residents", type=int, default=5_400_000, help="bench:合成城市人数")
        parser.add_argument("--repeat", type=int, default=5, help="bench:每项测量次数")
        parser.add_argument("--build-only", action="store_true", help="bench:只生成数据,不测量")
        parser.add_argument("--node", help="辖区编码路径或行政区划代码")
        parser.add_argument("--grid", help="网格编码")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")

    def handle(self, *args, **options):
        if options["action"] == "bench":
            from wuyi.coverage.bench import run

            result = run(
                residents=options["residents"],
                repeat=options["repeat"],
                build_only=options["build_only"],
            )
            self.stdout.write(
                json.dumps(result, ensure_ascii=False, indent=None if options["json"] else 2)
            )
            return
        round_ = TestingRound.objects.filter(code=options["round"]).first()
        if round_ is None:
            raise CommandError(_no_round(options["round"], options["action"]))
        action = options["action"]
        if action == "show":
            result = self._show(round_, options)
        elif action == "close":
            if not options["node"]:
                raise CommandError("close 需要 --node")
            result = close.close_report(round_, find_node(options["node"])).as_dict()
        elif action == "refresh":
            result = {
                "round": round_.code,
                "communities_refreshed": tallies.refresh_changed(round_),
            }
        else:
            data = tallies.city_rollup(round_)
            result = {
                "round": round_.code,
                "refreshed_at": data["refreshed_at"].isoformat() if data["refreshed_at"] else None,
                "districts": [t.as_dict() for t in data["districts"]],
                "streets": [t.as_dict() for t in data["streets"]],
            }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
        else:
            self._print(result)

    def _show(self, round_, options) -> dict:
        if options["grid"]:
            grid = Grid.objects.filter(code=options["grid"]).first()
            if grid is None:
                raise CommandError(f"找不到网格 {options['grid']}")
            return {
                "round": round_.code,
                "coverage": rollup.grid_tally(round_, grid).as_dict(),
                "children": [t.as_dict() for t in rollup.grid_children_tallies(round_, grid)],
            }
        if not options["node"]:
            raise CommandError("show 需要 --node 或 --grid")
        node = find_node(options["node"])
        return {
            "round": round_.code,
            "coverage": rollup.node_tally(round_, node).as_dict(),
            "children": [t.as_dict() for t in rollup.children_tallies(round_, node)],
        }

    def _print(self, result: dict) -> None:
        def line(t: dict) -> str:
            share = "—" if t["share"] is None else f"{100 * t['share']:.1f}%"
            return (
                f"{t['name']:<16} 应检 {t['target']:>8} 已采 {t['sampled']:>8} "
                f"免检 {t['exempt']:>6} 未采 {t['missing']:>7} 覆盖 {share}"
            )

        if "coverage" in result:
            self.stdout.write(line(result["coverage"]))
            for child in result.get("children", []):
                self.stdout.write("  " + line(child))
        if "districts" in result:
            if not result["districts"]:
                # The city rollup sums the community tallies, which `wuyi work` refreshes.
                self.stdout.write(
                    f"轮次 {result['round']} 还没有社区统计:运行 wuyi coverage refresh "
                    f"{result['round']}(或让 wuyi work 在后台运行)后再看"
                )
            else:
                self.stdout.write(f"社区统计刷新于 {result['refreshed_at']}")
        for key in ("districts", "streets"):
            for t in result.get(key, []):
                self.stdout.write(line(t))
        for key in ("door_notes", "door_knocks", "milestones", "communities_refreshed"):
            if key in result:
                self.stdout.write(f"{key}: {json.dumps(result[key], ensure_ascii=False)}")


def _no_round(code: str, action: str) -> str:
    """Which rounds there are, when the one asked for is not (or none was given)."""
    known = list(
        TestingRound.objects.order_by("-start_date", "code").values_list("code", flat=True)[:10]
    )
    if not known:
        return "还没有检测轮次:先在管理后台建立轮次,或运行 wuyi simulate round"
    listed = "、".join(known)
    if not code:
        return f"请给出轮次编号,例如 wuyi coverage {action} {known[0]};现有轮次:{listed}"
    return f"找不到轮次 {code};现有轮次:{listed}"
