"""``wuyi bench import``'s synthetic register is valid input for the import it measures."""

from __future__ import annotations

import pytest

from wuyi.people.bench import write_register
from wuyi.people.importing import import_residents


@pytest.mark.django_db
def test_the_bench_register_imports_into_an_empty_database_without_rejects(tmp_path):
    path = tmp_path / "register.csv"
    write_register(path, 300, seed=3)
    report = import_residents(path, commit=True)
    assert (report.rows, report.new, report.rejected) == (300, 300, [])
    assert report.created["社区/村"] == 20
    assert import_residents(path).unchanged == 300
