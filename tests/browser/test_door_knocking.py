"""A grid worker on a phone walks a building: missed list → household → door-knock result."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import CHROMIUM, City, close_connections
from tests.coverage.conftest import Round
from wuyi.coverage.models import DoorKnock, Exemption, HomeSamplingRequest

# Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
# between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
# Generous: logging in hashes a password (Argon2) on a machine that may be busy.
WAIT = 30_000


def test_a_grid_worker_walks_from_the_missed_list_to_a_door_knock_result(
    live_server, city, grid_worker
):
    rnd = Round(city)
    upstairs = city.unit1.children.create(
        kind="household",
        name="502",
        code="H0502",
        path=city.unit1.path + ".H0502",
        depth=city.home1.depth,
        district_code="140105",
        grid=city.grid_a,
    )
    grandma = City.resident("王秀英", upstairs, "140105", dt.date(1938, 3, 3), 42, "F")
    rnd.sample(city.alice)  # 101 is done; only 502 is on the missed list

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        page.set_default_timeout(WAIT)
        # Log in as a person does.
        page.goto(live_server.url + "/login/?next=/coverage/")
        page.fill("input[name=username]", "gw_a")
        page.fill("input[name=password]", "correct horse battery 9")
        page.click("main form button[type=submit]")  # not the language switch in the top bar
        expect(page.locator("h1")).to_have_text("应检尽检", timeout=WAIT)

        # The grid's round view, then its missed list.
        page.click("text=第一网格")
        expect(page.locator("h1")).to_have_text("第一网格", timeout=WAIT)
        page.click("text=漏检名单 >> nth=0")
        expect(page.locator("table.missed")).to_contain_text("王秀英", timeout=WAIT)
        expect(page.locator("table.missed")).not_to_contain_text("张丽", timeout=WAIT)
        expect(page.locator("tr.stair")).to_have_text("1号楼1单元", timeout=WAIT)
        # Nothing overflows the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Walk to the household and record what the door told us.
        page.click("table.missed >> text=502")
        expect(page.locator("h1")).to_contain_text("502", timeout=WAIT)
        expect(page.locator("ul.list").first).to_contain_text("未采样", timeout=WAIT)
        page.select_option("select[name=result]", "bedridden")
        page.select_option("select[name=resident]", str(grandma.pk))
        page.fill("input[name=note]", "卧床多年,家属在家")
        page.click("#knock-form button[type=submit]")
        expect(page.locator(".messages")).to_contain_text("已记录:卧床,申请上门采样", timeout=WAIT)
        expect(page.locator("ul.list").first).to_contain_text("卧床(已申请上门采样)", timeout=WAIT)
        page.screenshot(
            path=os.path.join(os.environ.get("WUYI_DATA_DIR", "/tmp"), "door_knock.png")
        )

        # Back on the missed list she is gone: the building is walked.
        page.go_back()
        page.go_back()
        page.reload()
        expect(page.locator("table.missed")).to_contain_text("没有漏检人员", timeout=WAIT)
        browser.close()
        close_connections()

    knock = DoorKnock.objects.get()
    assert (knock.household_id, knock.resident_id, knock.result) == (
        upstairs.pk,
        grandma.pk,
        "bedridden",
    )
    assert knock.recorded_by_id == grid_worker.pk and knock.note == "卧床多年,家属在家"
    assert Exemption.objects.get(resident=grandma).reason == "bedridden"
    assert HomeSamplingRequest.objects.filter(resident=grandma, round=rnd.round).exists()
