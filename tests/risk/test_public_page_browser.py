"""A resident checks their address on the public risk-area page, in Chromium, without logging in."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import CHROMIUM, make_user
from tests.risk.conftest import RiskCity
from wuyi.accounts.models import Role
from wuyi.risk import areas
from wuyi.risk.drafting import draft_notice, publish
from wuyi.risk.models import Level

# Playwright's sync API runs an event loop in this thread; the ORM calls between steps are
# ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(live_server):
    city = RiskCity()
    office = make_user("office", Role.CITY_OFFICE)
    day = dt.date(2022, 12, 2)
    areas.approve(areas.designate(city.luze7, Level.HIGH, day), office)
    areas.approve(
        areas.designate(city.xiwu, Level.HIGH, day, reason="多点散发", exclusions="1号楼2单元"),
        office,
    )
    publish(draft_notice("太原市疫情防控办公室", day))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(live_server.url + "/risk/")
        yield page
        browser.close()


def test_a_visitor_finds_out_whether_their_address_is_in_a_risk_area(page):
    expect(page.locator("h1")).to_have_text("当前风险区")
    expect(page.locator("section.card").first).to_contain_text("路泽苑小区7号楼")
    page.fill("#q", "路泽苑7栋2单元502")
    page.click("#search")
    expect(page.locator("#hits")).to_contain_text("该地址在高风险区内")
    expect(page.locator("#hits")).to_contain_text("小店区 · 路泽苑小区7号楼")
    # htmx swapped the results in place: the page did not navigate.
    assert page.url.endswith("/risk/")
    page.fill("#q", "西吴御龙庭小区1号楼2单元301")
    page.click("#search")
    expect(page.locator("#hits")).to_contain_text("除外部分")
    page.fill("#q", "阳光小区3号楼")
    page.click("#search")
    expect(page.locator("#no-hits")).to_contain_text("不在当前任何风险区内")
    page.fill("#q", "3号楼")
    page.press("#q", "Enter")
    expect(page.locator("#results [role=alert]")).to_contain_text("请写出小区")
    page.click("text=太原市疫情防控办公室第1号通告")
    expect(page.locator("article")).to_contain_text("新增高风险区2个")
