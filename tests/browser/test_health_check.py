"""A grid worker on a phone completes today's health check for a controlled household."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from tests.conftest import CHROMIUM, close_connections
from wuyi.control import chain, teams
from wuyi.control.models import Task, TaskKind
from wuyi.workforce.models import Staff, StaffRole

# Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
# between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


def test_a_grid_worker_completes_a_health_check_for_a_controlled_household(
    live_server, city, grid_worker
):
    # 张丽 of 1号楼 101 (grid A) is a close contact at home today; 李强 (grid B) too.
    now = timezone.now()
    alice = chain.advance_to_measure(chain.identify(city.alice, "high_risk_resident", at=now))
    chain.identify(city.bob, "high_risk_resident", at=now)
    worker = Staff.objects.create(
        name="网格员小王",
        role=StaffRole.GRID_WORKER,
        node=city.community,
        grid=city.grid_a,
        user=grid_worker,
    )
    teams.form_team(city.home1, {StaffRole.GRID_WORKER: worker})
    check = Task.objects.get(
        risk_person=alice, kind=TaskKind.HEALTH_CHECK, day=timezone.localdate()
    )
    assert check.assignee == worker

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        page.goto(live_server.url + "/login/?next=/control/grid/")
        page.fill("input[name=username]", "gw_a")
        page.fill("input[name=password]", "correct horse battery 9")
        page.click("main form button[type=submit]")  # not the language switch in the top bar
        expect(page.locator("h1")).to_have_text("第一网格 · 今日管控任务")

        # Only the worker's own grid: 张丽's household, not 李强's; the phone number masked.
        household = page.locator(f"section[data-household='{city.home1.pk}']")
        expect(household).to_contain_text("张丽")
        expect(household).to_contain_text("138****5678")
        expect(page.locator("main")).not_to_contain_text("李强")
        expect(household.locator("h2 .badge")).to_have_text("2 项待办")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # A typo is refused with the reason, and nothing is recorded.
        row = page.locator(f"#task-{check.pk}")
        row.locator("input[name=temperature]").fill("3.65")
        row.locator("button[type=submit]").click()
        expect(page.locator(f"#task-{check.pk} .error")).to_contain_text("不在34.0–43.0℃之间")

        # The real reading: the row turns into a done check, in place.
        row = page.locator(f"#task-{check.pk}")
        row.locator("input[name=temperature]").fill("36.6")
        row.locator("button[type=submit]").click()
        expect(page.locator(f"#task-{check.pk} .status")).to_have_text("已完成")
        expect(page.locator(f"#task-{check.pk}")).to_contain_text("36.6℃ 正常")
        page.screenshot(
            path=os.path.join(os.environ.get("WUYI_DATA_DIR", "/tmp"), "health_check.png")
        )
        # Reloaded, the household shows one task left (today's home sampling).
        page.reload()
        expect(page.locator(f"section[data-household='{city.home1.pk}'] h2 .badge")).to_have_text(
            "1 项待办"
        )
        browser.close()
        close_connections()

    check.refresh_from_db()
    assert (check.status, str(check.temperature), check.result, check.done_by) == (
        "done",
        "36.6",
        "normal",
        grid_worker,
    )


def test_the_city_office_reads_control_in_english_on_a_phone(live_server, city):
    # The whole city's counts, and the alert of a household with no five-to-one team: its
    # English badge (five missing roles) wraps inside the row instead of widening the page.
    from tests.conftest import make_user
    from wuyi.accounts.models import Role

    chain.identify(city.alice, "close_contact", at=timezone.now())
    make_user("city", Role.CITY_OFFICE)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        page.goto(live_server.url + "/login/?next=/control/")
        page.click("#language-switch button[value=en]")
        page.fill("input[name=username]", "city")
        page.fill("input[name=password]", "correct horse battery 9")
        page.click("main form button[type=submit]")
        expect(page.locator("h1")).to_have_text("Risk persons under control · Whole city")
        expect(page.locator("ul.alerts .badge").first).to_contain_text("missing")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        browser.close()
        close_connections()
