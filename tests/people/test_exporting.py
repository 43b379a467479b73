"""``wuyi export residents``: the import's layout, and export → import → export is lossless."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from tests.people.conftest import ident, write_xlsx
from wuyi.accounts.models import Role
from wuyi.people.exporting import EXPORT_HEADER, ExportError, export_residents
from wuyi.people.importing import import_residents
from wuyi.people.models import Residence, Resident
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import add_node

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "证件类型", "身份证号", "性别", "出生日期", "手机号", "街道", "社区", "网格"]
HEADER += ["小区", "楼栋", "单元", "门牌号", "状态", "独居老人", "卧床", "婴幼儿"]


def fill(city, tmp_path) -> None:
    """A registry with every shape the layout must carry: villages, flags, statuses, passports."""
    add_node(Kind.COMMUNITY, "孔村", "140105001201", city.street)

    def person(name, number, *, kind="", gender="", birth="", phone="", where, status="", flags=()):
        flag_cells = ["是" if flag in flags else "" for flag in ("独居老人", "卧床", "婴幼儿")]
        return [name, kind, number, gender, birth, phone, *where, status, *flag_cells]

    b10 = ["坞城街道", "光华街社区", "第一网格", "电子二所家属楼", "10号楼", "2单元", "1002"]
    b2 = ["坞城街道", "光华街社区", "第二网格", "电子二所家属楼", "2号楼", "1单元", "201"]
    rows = [
        person(
            "王五",
            ident(40, "M"),
            phone="13800000040",
            where=b10,
            status="外出",
            flags=["独居老人"],
        ),
        person("王小五", ident(41), where=b2, flags=["婴幼儿"]),
        person("赵六", ident(42), phone="0351-7654321", where=b10, status="已故", flags=["卧床"]),
        person("JOHN SMITH", "E1234567", kind="护照", gender="男", birth="1985-03-04", where=b2),
        person("孙七", ident(43), where=["坞城街道", "孔村", "孔村网格", "", "", "", "12号"]),
        person("孙八", ident(44, "M"), where=["坞城街道", "孔村", "孔村网格", "", "", "", "3号"]),
    ]
    report = import_residents(write_xlsx(tmp_path / "in.xlsx", [HEADER, *rows]), commit=True)
    assert report.rejected == [] and report.new == 6


def wipe() -> None:
    """Empty the registry and the territory, as a fresh database would be."""
    Residence.objects.all().delete()
    Resident.objects.all().delete()
    Grid.objects.all().delete()
    for depth in sorted(set(Node.objects.values_list("depth", flat=True)), reverse=True):
        Node.objects.filter(depth=depth).delete()


def cells(path):
    return [list(r) for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)]


def test_export_writes_the_import_layout_with_codes_in_natural_order(city, tmp_path):
    fill(city, tmp_path)
    path = tmp_path / "out.xlsx"
    result = export_residents(path)
    assert result["residents"] == 8 and result["communities"] == 2
    rows = cells(path)
    assert rows[0] == EXPORT_HEADER
    # A write-only sheet leaves trailing empty cells out; they read back as missing.
    padded = [r + [None] * (len(EXPORT_HEADER) - len(r)) for r in rows[1:]]
    by_name = {r[0]: dict(zip(EXPORT_HEADER, r, strict=True)) for r in padded}
    wang = by_name["王五"]
    assert wang["身份证号"] == ident(40, "M") and wang["手机号"] == "13800000040"
    assert (wang["区县代码"], wang["街道代码"], wang["社区代码"]) == (
        "140105",
        "140105001",
        "140105001001",
    )
    assert (wang["区"], wang["楼栋"], wang["状态"], wang["独居老人"]) == (
        "小店区",
        "10号楼",
        "外出",
        "是",
    )
    assert wang["卧床"] is None and wang["性别"] == "男" and wang["网格"] == "第一网格"
    assert by_name["JOHN SMITH"]["出生日期"] == "1985-03-04"
    # 1号楼 < 2号楼 < 10号楼, rooms in number order, then the village (its code is larger);
    # inside one household by document type and number.
    assert [r[0] for r in rows[1:]] == [
        "张丽",
        "李强",
        "JOHN SMITH",
        "王小五",
        "王五",
        "赵六",
        "孙八",
        "孙七",
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_into_an_empty_database_export_gives_the_same_file(city, tmp_path, suffix):
    fill(city, tmp_path)
    first = tmp_path / f"first{suffix}"
    export_residents(first)
    residents_before = Resident.objects.count()

    wipe()
    assert Node.objects.count() == 0
    report = import_residents(first, commit=True)
    assert report.rejected == [] and report.new == residents_before
    assert report.created["区/县"] == 1 and report.created["网格"] == 3

    second = tmp_path / f"second{suffix}"
    export_residents(second)
    if suffix == ".csv":
        assert second.read_bytes() == first.read_bytes()
    else:
        assert cells(second) == cells(first)
    # And the second import of the same file changes nothing.
    again = import_residents(first, commit=True)
    assert (again.new, again.updated, again.unchanged) == (0, 0, residents_before)


def test_export_under_a_node_holds_only_that_part(city, tmp_path):
    fill(city, tmp_path)
    path = tmp_path / "b1.csv"
    result = export_residents(path, node=city.building1.path)
    assert result["residents"] == 1
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("张丽,居民身份证,")
    village = export_residents(tmp_path / "v.csv", node="140105001201")
    assert village["residents"] == 2
    with pytest.raises(ExportError, match="找不到代码为“999”的辖区节点"):
        export_residents(tmp_path / "x.csv", node="999")
    with pytest.raises(ExportError, match="对应多个节点"):
        export_residents(tmp_path / "x.csv", node="U1")


def test_export_for_a_user_holds_only_their_grants(city, tmp_path):
    from tests.conftest import make_user

    worker = make_user("gw_b", Role.GRID_WORKER, grid=city.grid_b)
    result = export_residents(tmp_path / "mine.csv", user=worker)
    assert result["residents"] == 1
    assert "李强" in (tmp_path / "mine.csv").read_text(encoding="utf-8-sig")


def test_the_export_command_prints_json_and_refuses_unknown_nodes(city, tmp_path):
    out = StringIO()
    path = tmp_path / "all.xlsx"
    call_command("export", "residents", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "file": str(path),
        "node": None,
        "residents": 2,
        "communities": 1,
    }
    with pytest.raises(CommandError, match="找不到代码"):
        call_command("export", "residents", str(path), "--node", "000")
    with pytest.raises(CommandError, match="不支持的文件类型"):
        call_command("export", "residents", str(tmp_path / "a.txt"))
