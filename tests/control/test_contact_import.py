"""The tracing team's contact list: matched to the registry, messy rows reported, atomic, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from tests.conftest import City
from tests.control.conftest import local
from wuyi.control.contact_import import import_contacts
from wuyi.control.models import RiskPerson
from wuyi.people import id_numbers
from wuyi.people.spreadsheets import SpreadsheetError


def xlsx(path, rows, title="小店区流调组 密接人员名单(12月3日)"):
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


HEADER = ["序号", "姓名", "身份证号码", "联系电话", "人员类别", "判定日期", "备注"]


@pytest.fixture
def carol(city):
    return City.resident(
        "王芳", city.home1, "140105", dt.date(1990, 1, 2), 31, "F", phone="13700001111"
    )


def test_it_imports_matched_contacts_and_reports_the_unmatched(city, carol, tmp_path):
    stranger = id_numbers.make("140106", dt.date(1988, 8, 8), 41, "M")
    path = xlsx(
        tmp_path / "密接.xlsx",
        [
            HEADER,
            [1, "张丽", city.alice.id_number, "13812345678", "密接", "2022-12-03", "同车"],
            [2, "王芳", None, "137 0000 1111", "密切接触者", None, ""],
            [3, "赵六", stranger, "", "密接", "2022/12/3", ""],
        ],
    )
    report = import_contacts(path, commit=True, at=local(2022, 12, 3, 15))
    assert report.errors == []
    assert [(p.row, p.message) for p in report.unmatched] == [(5, "赵六:居民名册中没有此人")]
    assert (report.rows, report.created, report.committed) == (3, 2, True)
    alice = RiskPerson.objects.get(resident=city.alice)
    assert (alice.category, alice.source, alice.policy_version, alice.note) == (
        "close_contact",
        "contact_list",
        "ershitiao",
        "同车",
    )
    # Matched by name and phone when the ID number is missing.
    assert RiskPerson.objects.get(resident=carol).category == "close_contact"


def test_importing_the_same_file_twice_changes_nothing(city, tmp_path):
    path = xlsx(
        tmp_path / "a.xlsx", [HEADER, [1, "张丽", city.alice.id_number, "", "密接", "", ""]]
    )
    import_contacts(path, commit=True, at=local(2022, 12, 3, 15))
    again = import_contacts(path, commit=True, at=local(2022, 12, 3, 16))
    assert again.created == 0 and again.committed
    assert [p.message for p in again.skipped] == ["张丽:已由本文件导入过"]
    assert RiskPerson.objects.count() == 1


def test_a_messy_file_is_reported_row_by_row_and_nothing_is_written(city, tmp_path):
    bad_check = city.bob.id_number[:-1] + ("0" if city.bob.id_number[-1] != "0" else "1")
    path = xlsx(
        tmp_path / "messy.xlsx",
        [
            HEADER,
            [1, "张丽", city.alice.id_number, "", "密接", "", ""],
            [2, "李强", bad_check, "", "密接", "", ""],
            [3, "", city.bob.id_number, "", "密接", "", ""],
            [4, "李强", 1.40105197503e17, "", "密接", "", ""],
            [5, "李强", city.bob.id_number, "", "亲戚", "", ""],
            [6, "李强", city.bob.id_number, "", "密接", "2022-02-30", ""],
            [7, "李四", city.bob.id_number, "", "密接", "", ""],
        ],
    )
    report = import_contacts(path, commit=True, at=local(2022, 12, 3, 15))
    assert not report.committed
    problems = [(p.row, p.column) for p in report.errors]
    assert problems == [
        (4, "身份证号码"),
        (5, "姓名"),
        (6, "身份证号码"),
        (7, "人员类别"),
        (8, "判定日期"),
        (9, "姓名"),
    ]
    messages = " ".join(str(p) for p in report.errors)
    assert "校验" in messages or "末位" in messages
    assert "科学计数法" in messages
    assert "未知的人员类别“亲戚”" in messages
    assert "2022-02-30" in messages
    assert "与名册中该身份证号的姓名“李强”不一致" in messages
    assert not RiskPerson.objects.exists()


def test_a_csv_in_gbk_with_the_judgement_date_decides_the_version(city, tmp_path):
    path = tmp_path / "contacts.csv"
    text = f"姓名,身份证号,手机号,判定日期\r\n张丽,{city.alice.id_number},,2022-12-07\r\n"
    path.write_bytes(text.encode("gb18030"))
    report = import_contacts(path, commit=True, at=local(2022, 12, 8, 10))
    assert report.created == 1
    person = RiskPerson.objects.get()
    assert (person.identified_on, person.policy_version, person.place) == (
        dt.date(2022, 12, 7),
        "xinshitiao",
        "home_isolation",
    )


def test_without_commit_it_only_reports(city, tmp_path):
    path = xlsx(
        tmp_path / "a.xlsx", [HEADER, [1, "张丽", city.alice.id_number, "", "密接", "", ""]]
    )
    report = import_contacts(path, commit=False)
    assert (report.would_create, report.created, report.committed) == (1, 0, False)
    assert not RiskPerson.objects.exists()


def test_a_file_without_a_header_is_refused_clearly(city, tmp_path):
    path = xlsx(tmp_path / "x.xlsx", [["a", "b"], [1, 2]])
    with pytest.raises(SpreadsheetError, match="找不到表头"):
        import_contacts(path, commit=True)
    (tmp_path / "x.txt").write_text("姓名,身份证号")
    with pytest.raises(SpreadsheetError, match="不支持的文件类型"):
        import_contacts(tmp_path / "x.txt", commit=True)
    with pytest.raises(SpreadsheetError, match="文件不存在"):
        import_contacts(tmp_path / "missing.xlsx", commit=True)
