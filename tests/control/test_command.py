"""``wuyi control``: each subcommand with --json prints exactly one JSON document."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook

from wuyi.control import chain
from wuyi.control.models import RiskPerson


def run(capsys, *args) -> dict:
    call_command("control", *args, "--json")
    out = capsys.readouterr().out
    return json.loads(out)


def test_import_contacts_checks_then_commits(city, tmp_path, capsys):
    book = Workbook()
    book.active.append(["姓名", "身份证号", "手机号"])
    book.active.append(["张丽", city.alice.id_number, ""])
    book.active.append(["无名氏", "", ""])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    checked = run(capsys, "import-contacts", str(path))
    assert (checked["would_create"], checked["committed"]) == (1, False)
    assert [e["row"] for e in checked["errors"]] == [3]
    # The bad row fixed, the file goes in.
    book.active.delete_rows(3)
    book.save(path)
    done = run(capsys, "import-contacts", str(path), "--commit")
    assert (done["created"], done["committed"]) == (1, True)
    assert RiskPerson.objects.get().category == "close_contact"


def test_overdue_and_releases_for_a_street(city, capsys):
    at = timezone.now() - dt.timedelta(days=3)
    chain.identify(city.alice, "close_contact", at=at)
    over = run(capsys, "overdue", "--node", city.street.path)
    assert over["total"] >= 3 and over["rows"][0]["household"] == "101"
    released = run(capsys, "releases", "--node", "140105001")
    assert released["count"] == 1
    with pytest.raises(CommandError, match="没有编码为 999 的辖区"):
        call_command("control", "overdue", "--node", "999")


def test_daily_tops_up_and_escalates(city, capsys):
    chain.identify(city.alice, "high_risk_resident", at=timezone.now() - dt.timedelta(days=3))
    result = run(capsys, "daily")
    assert result["tasks_added"] == 2 * 3  # three more days of sampling and health checks
    assert result["escalated"] >= 1
    assert result["retests"] == dict.fromkeys(
        ("pools", "entered", "already", "skipped", "cases", "released"), 0
    )


def test_bench_pools_takes_members_in_and_applies_their_retests(city, capsys):
    result = run(capsys, "bench-pools", "--pools", "1", "--members", "2")
    assert result["take_in"]["entered"] == 2
    assert (result["apply"]["cases"], result["apply"]["released"]) == (1, 1)
    assert result["second_run_changed"] is False
    assert result["take_in_ms_per_member"] > 0


def test_bench_pools_refuses_more_members_than_the_registry_has(city, capsys):
    with pytest.raises(CommandError, match="可用居民不足"):
        call_command("control", "bench-pools", "--pools", "50", "--json")
    assert not RiskPerson.objects.exists()
