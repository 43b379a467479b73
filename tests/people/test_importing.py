"""``wuyi import residents``: messy spreadsheets, precise rejects, atomic and idempotent commits."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from tests.people.conftest import HEADER, ident, row, write_csv, write_xlsx
from wuyi.people import id_numbers
from wuyi.people.importing import import_residents
from wuyi.people.models import Residence, Resident, Status
from wuyi.people.spreadsheets import SpreadsheetError, read_table
from wuyi.territory.models import Grid, Kind, Node
from wuyi.territory.tree import add_node

pytestmark = pytest.mark.django_db


def counts():
    return (Node.objects.count(), Grid.objects.count(), Resident.objects.count())


def test_it_only_reports_without_commit(city, sheet):
    before = counts()
    report = import_residents(sheet([row("王五", ident(1)), row("赵六", ident(2), room="102")]))
    assert (report.rows, report.valid, report.new, report.committed) == (2, 2, 2, False)
    assert report.created == {"户": 1}
    assert counts() == before


def test_it_imports_a_messy_spreadsheet_with_title_rows_and_variant_headers(city, tmp_path):
    number = ident(3, "M")
    messy = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:17])
    messy = " " + messy[:6] + " " + messy[6:] + number[17].lower()
    header = ["序号", "联系电话", "姓 名", "身份证号码*", "街道(乡镇)", "社区(村)", "网格名称"]
    header += ["小区名称", "楼号", "单元号", "房号", "独居老人", "状态"]
    tail1 = ["电子二所家属楼", "1", 1, "101室", "√", "外出"]
    tail2 = ["电子二所家属楼", "1号楼", "1单元", "1-102", "", ""]
    tail3 = ["电子二所家属楼", "1栋", "一单元", 103.0, "否", None]
    rows = [
        [1, 13812345678.0, "王 五", messy, "坞城街道 ", "光华街社区", "第一网格", *tail1],
        [None] * 13,  # an empty row in the middle
        [2, "1.3812345679E+10", "赵六", ident(4), "坞城街道", "光华街社区", "第一网格", *tail2],
        [3, "", "孙七", ident(5), "坞城街道", "光华街社区", "第一网格", *tail3],
    ]
    path = write_xlsx(
        tmp_path / "名册.xlsx", [header, *rows], [["光华街社区居民花名册"], ["填表日期:2022年4月"]]
    )
    report = import_residents(path, commit=True)
    assert report.rejected == []
    assert (report.new, report.valid) == (3, 3)
    wang = Resident.objects.get(id_number=number)
    assert (wang.name, wang.phone, wang.gender, wang.birth_date) == (
        "王五",
        "13812345678",
        "M",
        dt.date(1990, 1, 1),
    )
    assert wang.elderly_alone and wang.status == Status.AWAY
    assert wang.household == city.home1 and wang.grid == city.grid_a
    zhao = Resident.objects.get(id_number=ident(4))
    assert zhao.phone == "13812345679" and zhao.household.name == "102"
    assert zhao.household.parent == city.unit1  # "1号楼"/"1"/"1栋" and "1单元"/"1"/"一单元"
    sun = Resident.objects.get(id_number=ident(5))
    assert sun.household.name == "103" and sun.household.floor == 1 and sun.phone == ""
    assert sun.status == Status.PRESENT
    assert Node.objects.filter(kind=Kind.BUILDING).count() == 2
    assert Residence.objects.filter(resident=sun, moved_out__isnull=True).count() == 1


def test_it_rejects_bad_rows_with_the_column_the_value_and_the_row_number(city, sheet):
    good = ident(6)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        row("王五", good),
        row("", ident(7), room="102"),
        row("赵六", bad_check, room="103"),
        row("孙七", ident(8), room="104", phone="12345"),
        row("周八", ident(9), room="105", community="不存在社区"),
        row("吴九", ident(10), room="106", building="", unit="2单元"),
        row("郑十", "14010519901301" + "0012", room="107"),
    ]
    report = import_residents(sheet(rows, title_rows=[["名册"]]), commit=True)
    reasons = {r.row: r.reason for r in report.rejected}
    assert report.new == 1
    assert reasons == {
        4: "姓名不能为空",
        5: f"身份证号“{bad_check}”:校验位错误:末位应为{good[17]},实际为{bad_check[17]}",
        6: "手机号“12345”:格式不正确:应为11位手机号(1开头)或带区号的固定电话",
        7: "社区“不存在社区”:坞城街道下没有这个社区(村)",
        8: "单元“2单元”:填写了单元,但没有填写楼栋",
        9: "身份证号“140105199013010012”:出生日期19901301不存在",
    }
    assert report.rejected[0].message == "第4行 姓名不能为空"


def test_it_writes_rejects_in_the_input_format_ready_to_fix_and_reimport(city, sheet, tmp_path):
    path = sheet([row("王五", ident(11)), row("赵六", "1401", room="102")])
    report = import_residents(path, commit=True)
    rejects = tmp_path / "residents.rejects.xlsx"
    assert report.rejects_path == str(rejects)
    cells = [list(r) for r in load_workbook(rejects).active.iter_rows(values_only=True)]
    assert cells[0] == [*HEADER, "错误原因", "原行号"]
    assert cells[1][:10] == row("赵六", "1401", room="102")
    assert cells[1][10:] == ["身份证号“1401”:应为18位,实际4位", 3]

    # The office fixes the number in the rejects file and imports that file as it is.
    book = load_workbook(rejects)
    book.active.cell(row=2, column=2, value=ident(12))
    book.save(rejects)
    again = import_residents(rejects, commit=True)
    assert (again.new, again.rejected) == (1, [])
    assert Resident.objects.get(id_number=ident(12)).name == "赵六"


def test_a_second_import_of_the_same_file_changes_nothing(city, sheet):
    path = sheet([row("王五", ident(13)), row("赵六", ident(14), building="9号楼", room="901")])
    first = import_residents(path, commit=True)
    assert first.new == 2
    before = counts()
    second = import_residents(path, commit=True)
    assert (second.new, second.updated, second.unchanged, second.created) == (0, 0, 2, {})
    assert counts() == before


def test_a_changed_row_updates_its_resident_and_never_duplicates(city, sheet, tmp_path):
    number = city.alice.id_number
    report = import_residents(
        sheet([row("张丽华", number, phone="13900000000", grid="第一网格")]), commit=True
    )
    assert (report.new, report.updated, report.moved) == (0, 1, 0)
    alice = Resident.objects.get(id_number=number)
    assert (alice.name, alice.phone) == ("张丽华", "13900000000")
    assert Resident.objects.filter(id_number=number).count() == 1


def test_a_changed_household_is_a_move_that_keeps_the_history(city, sheet):
    number = city.alice.id_number
    report = import_residents(sheet([row("张丽", number, room="302")]), commit=True)
    assert (report.updated, report.moved) == (1, 1)
    alice = Resident.objects.get(id_number=number)
    assert alice.household.name == "302" and alice.household.parent == city.unit1
    assert alice.path == alice.household.path and alice.grid == city.grid_a
    stays = list(Residence.objects.filter(resident=alice).order_by("id"))
    assert [s.household.name for s in stays] == ["101", "302"]
    assert stays[0].moved_out is not None and stays[1].moved_out is None


def test_duplicate_id_numbers_in_a_file_are_all_rejected_not_merged(city, sheet):
    number = ident(15)
    report = import_residents(
        sheet(
            [row("王五", number), row("王五", number.lower(), room="102"), row("赵六", ident(16))]
        ),
        commit=True,
    )
    reasons = {r.row: r.reason for r in report.rejected}
    assert reasons == {
        2: f"身份证号“{number}”:与第3行身份证号重复",
        3: f"身份证号“{number.lower()}”:与第2行身份证号重复",
    }
    assert not Resident.objects.filter(id_number=number).exists()
    assert report.new == 1


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_it_reads_csv_in_gbk_and_utf8_with_or_without_bom(city, tmp_path, encoding):
    path = write_csv(
        tmp_path / "r.csv",
        [["居民名册"], HEADER, row("欧阳娜娜", ident(17)), row("李 雷", ident(18), room="102")],
        encoding=encoding,
    )
    report = import_residents(path, commit=True)
    assert (report.new, report.rejected) == (2, [])
    assert Resident.objects.filter(name__in=["欧阳娜娜", "李雷"]).count() == 2


def test_rejects_of_a_gbk_csv_are_written_in_gbk(city, tmp_path):
    path = write_csv(tmp_path / "r.csv", [HEADER, row("王五", "123")], encoding="gbk")
    import_residents(path, commit=True)
    text = (tmp_path / "r.rejects.csv").read_bytes().decode("gb18030")
    assert text.splitlines()[1].startswith("王五,123,")
    assert "应为18位" in text


def test_numbers_excel_stored_as_floats_are_read_and_lost_digits_are_reported(city, sheet):
    rows = [
        row("王五", ident(19), phone=13812345678.0, room=102.0),
        row("赵六", int(ident(20)), room="103"),  # Excel keeps 15 digits of a number
        row("孙七", ident(21), room="104", phone="1.38E+10"),
    ]
    report = import_residents(sheet(rows), commit=True)
    reasons = {r.row: r.reason for r in report.rejected}
    assert reasons[3].startswith("身份证号“1.40105199001010")
    assert reasons[3].endswith("”:被Excel存成了科学计数法,数字已丢失;请把该列设为文本后重新填写")
    assert reasons[4] == (
        "手机号“1.38E+10”:被Excel存成了科学计数法,数字已丢失;请把该列设为文本后重新填写"
    )
    wang = Resident.objects.get(id_number=ident(19))
    assert (wang.phone, wang.household.name) == ("13812345678", "102")


def test_a_building_already_in_another_grid_rejects_the_row(city, sheet):
    report = import_residents(sheet([row("王五", ident(22), grid="第二网格")]), commit=True)
    assert (
        report.rejected[0].reason == "网格“第二网格”:楼栋“1号楼”已属于“第一网格”,与本行的网格不符"
    )
    assert report.new == 0


def test_two_rows_cannot_put_one_new_building_in_two_grids(city, sheet):
    rows = [
        row("王五", ident(23), building="8号楼", grid="第一网格"),
        row("赵六", ident(24), building="8栋", grid="第二网格", room="102"),
    ]
    report = import_residents(sheet(rows), commit=True)
    assert [r.row for r in report.rejected] == [3]
    assert Node.objects.get(name="8号楼").grid == city.grid_a


def test_a_new_grid_is_created_with_the_next_code_and_takes_the_new_building(city, sheet):
    report = import_residents(
        sheet([row("王五", ident(25), building="9号楼", grid="第三网格")]), commit=True
    )
    grid = Grid.objects.get(name="第三网格")
    assert grid.code == "140105001001G03" and grid.community == city.community
    assert report.created == {"楼栋": 1, "单元": 1, "户": 1, "网格": 1}
    resident = Resident.objects.get(id_number=ident(25))
    assert resident.grid == grid and resident.household.grid == grid
    building = Node.objects.get(name="9号楼")
    assert (building.code, building.parent.code) == ("B9", "C01")


def test_an_existing_building_without_a_grid_joins_the_rows_grid(city, sheet):
    b3 = add_node(Kind.BUILDING, "3号楼", "B03", city.compound)
    unit = add_node(Kind.UNIT, "1单元", "U1", b3)
    home = add_node(Kind.HOUSEHOLD, "101", "H0101", unit)
    other = city.resident("钱一", home, "140105", dt.date(1970, 1, 1), 31, "M")
    import_residents(sheet([row("王五", ident(26), building="3", grid="第二网格")]), commit=True)
    assert Node.objects.get(pk=b3.pk).grid == city.grid_b
    assert Node.objects.get(pk=home.pk).grid == city.grid_b
    assert Resident.objects.get(pk=other.pk).grid == city.grid_b


def test_village_households_hang_directly_under_the_village_in_their_grid(city, tmp_path):
    village = add_node(Kind.COMMUNITY, "孔村", "140105001201", city.street)
    header = ["姓名", "身份证号", "街道", "社区(村)", "网格", "门牌号"]
    rows = [
        ["王五", ident(27), "坞城街道", "孔村", "孔村第一网格", "12号"],
        ["王六", ident(28), "坞城街道", "孔村", "孔村第一网格", "12号"],
    ]
    report = import_residents(write_xlsx(tmp_path / "v.xlsx", [header, *rows]), commit=True)
    assert report.rejected == []
    home = Node.objects.get(parent=village)
    assert (home.kind, home.name) == (Kind.HOUSEHOLD, "12号")
    assert home.grid.code == "140105001201G01" and home.grid.name == "孔村第一网格"
    assert Resident.objects.filter(household=home, grid=home.grid).count() == 2


def test_a_street_name_in_two_districts_needs_the_district_column(city, tmp_path):
    other = add_node(Kind.STREET, "坞城街道", "140106001", city.other_district)
    add_node(Kind.COMMUNITY, "光华街社区", "140106001001", other)
    header = ["姓名", "身份证号", "区", "街道", "社区", "门牌号"]
    rows = [
        ["王五", ident(29), "", "坞城街道", "光华街社区", "5号"],
        ["赵六", ident(30), "迎泽区", "坞城街道", "光华街社区", "5号"],
    ]
    report = import_residents(write_xlsx(tmp_path / "d.xlsx", [header, *rows]), commit=True)
    assert [r.reason for r in report.rejected] == [
        "街道“坞城街道”:在多个区县都有(小店区、迎泽区),请填写区县列"
    ]
    assert Resident.objects.get(id_number=ident(30)).district_code == "140106"


def test_a_failure_mid_commit_leaves_nothing_written(city, sheet, monkeypatch):
    before = counts()
    history = Residence.objects.count()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # The last write of the transaction fails after nodes, grids and residents went in.
    monkeypatch.setattr("wuyi.people.importing.assign_to_grid", fail)
    b3 = add_node(Kind.BUILDING, "3号楼", "B03", city.compound)
    rows = [
        row("王五", ident(31), building="3号楼", grid="第二网格"),
        row("赵六", ident(32), building="10号楼", grid="第四网格"),
        row("张丽", city.alice.id_number, room="909"),
    ]
    with pytest.raises(RuntimeError):
        import_residents(sheet(rows), commit=True)
    assert counts() == (before[0] + 1, before[1], before[2])  # only b3, made by the test
    assert Residence.objects.count() == history
    assert Resident.objects.get(pk=city.alice.pk).household == city.home1
    assert Node.objects.get(pk=b3.pk).grid is None


def test_non_resident_documents_keep_gender_and_birth_date_from_their_columns(city, tmp_path):
    header = ["姓名", "证件类型", "证件号码", "性别", "出生日期", "街道", "社区", "门牌号"]
    rows = [["JOHN SMITH", "护照", "e1234567 ", "男", "1985/3/4", "坞城街道", "光华街社区", "7号"]]
    report = import_residents(write_xlsx(tmp_path / "p.xlsx", [header, *rows]), commit=True)
    assert report.rejected == []
    person = Resident.objects.get(id_number="E1234567")
    assert (person.id_type, person.gender, person.birth_date) == (
        "passport",
        "M",
        dt.date(1985, 3, 4),
    )
    assert person.name == "JOHN SMITH"


def test_a_file_without_a_header_row_is_refused_with_the_reason(city, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["a", "b"], ["1", "2"]])
    with pytest.raises(SpreadsheetError, match="前10行中找不到表头"):
        read_table(path)
    path = write_xlsx(tmp_path / "y.xlsx", [["姓名", "身份证号", "街道"]])
    with pytest.raises(SpreadsheetError, match="第1行表头缺少必需的列:社区、门牌号"):
        read_table(path)
    with pytest.raises(SpreadsheetError, match="不支持的文件类型"):
        read_table(write_csv(tmp_path / "z.xls", [["x"]]))


def test_the_command_reports_json_and_commits_with_a_rejects_file(city, sheet, tmp_path):
    path = sheet([row("王五", ident(33)), row("赵六", "bad", room="102")])
    out = StringIO()
    call_command("import", "residents", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["committed"], report["new"], report["rejected"]) == (False, 1, 1)
    assert report["rejected_rows"][0]["row"] == 3
    assert not Resident.objects.filter(id_number=ident(33)).exists()

    out = StringIO()
    rejects = tmp_path / "fix-me.xlsx"
    call_command(
        "import", "residents", str(path), "--commit", "--rejects", str(rejects), stdout=out
    )
    assert "新增1" in out.getvalue() and "第3行 身份证号“bad”" in out.getvalue()
    assert rejects.exists() and Resident.objects.filter(id_number=ident(33)).exists()
    out = StringIO()
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import", "residents", str(tmp_path / "missing.xlsx"), "--json", stdout=out)
    assert json.loads(out.getvalue())["error"].startswith("文件不存在")


def test_id_numbers_are_checked_against_the_gb_checksum(city, sheet):
    number = id_numbers.make("140105", dt.date(2001, 2, 3), 7, "M")
    report = import_residents(sheet([row("王五", number)]))
    assert report.valid == 1
