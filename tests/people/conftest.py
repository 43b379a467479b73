"""Helpers to build the spreadsheets offices send, in the tests themselves (no binary fixtures)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from wuyi.people import id_numbers

HEADER = ["姓名", "身份证号", "手机号", "街道", "社区", "网格", "小区", "楼栋", "单元", "门牌号"]


def ident(seq: int, gender: str = "F", birth: dt.date = dt.date(1990, 1, 1)) -> str:
    """A valid ID number from 小店区 (140105), different for each ``seq`` below 500."""
    return id_numbers.make("140105", birth, seq * 2 + (gender == "M"), gender)


def write_xlsx(path: Path, rows: list[list], title_rows: list[list] = ()) -> Path:
    book = Workbook()
    sheet = book.active
    for row in [*title_rows, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def row(name, number, room="101", building="1号楼", unit="1单元", grid="第一网格", **extra):
    """A data row in HEADER's order, in 电子二所家属楼 of the shared ``city`` fixture."""
    values = {
        "phone": "13800000001",
        "street": "坞城街道",
        "community": "光华街社区",
        "compound": "电子二所家属楼",
        **extra,
    }
    return [
        name,
        number,
        values["phone"],
        values["street"],
        values["community"],
        grid,
        values["compound"],
        building,
        unit,
        room,
    ]


@pytest.fixture
def sheet(tmp_path):
    """Write rows (under HEADER) to an .xlsx in tmp_path and return its path."""

    def make(rows, name="residents.xlsx", header=HEADER, title_rows=()):
        path = tmp_path / name
        if path.suffix == ".csv":
            return write_csv(path, [*title_rows, header, *rows])
        return write_xlsx(path, [header, *rows], title_rows)

    return make
