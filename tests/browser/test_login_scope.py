"""A grid worker logs in with a real browser and sees their own grid and nothing else."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import CHROMIUM, close_connections
from wuyi.accounts.models import AuditEvent

# Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
# between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


def test_a_grid_worker_logs_in_and_sees_only_their_grid(live_server, city, grid_worker):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()

        # A wrong password first: refused in Chinese, still on the login page.
        page.goto(live_server.url + "/")
        page.fill("input[name=username]", "gw_a")
        page.fill("input[name=password]", "wrong password")
        page.click("main button[type=submit]")
        expect(page.locator("p.error")).to_contain_text("用户名或密码不正确")

        page.fill("input[name=username]", "gw_a")
        page.fill("input[name=password]", "correct horse battery 9")
        page.click("main button[type=submit]")
        expect(page.locator("main")).to_contain_text("网格员")
        expect(page.locator("main")).to_contain_text("第一网格")

        page.click("text=我的网格与辖区")
        expect(page.locator("h1")).to_have_text("我的网格")
        expect(page.locator("main")).to_contain_text("第一网格")
        expect(page.locator("main")).not_to_contain_text("第二网格")

        page.click("text=第一网格")
        expect(page.locator("main")).to_contain_text("1号楼")
        expect(page.locator("main")).not_to_contain_text("2号楼")

        page.goto(f"{live_server.url}/territory/nodes/{city.home1.pk}/")
        expect(page.locator("main")).to_contain_text("张丽")
        expect(page.locator("main")).to_contain_text("138****5678")
        expect(page.locator("main")).not_to_contain_text("13812345678")
        expect(page.locator("main")).not_to_contain_text(city.alice.id_number)

        # The other grid, typed in by hand: not found, and nothing of it on the page.
        for path in (f"/territory/grids/{city.grid_b.code}/", f"/territory/nodes/{city.home2.pk}/"):
            response = page.goto(live_server.url + path)
            assert response.status == 404
            assert "李强" not in page.content()

        # Revealing 张丽's phone takes a reason and leaves an audit record.
        page.goto(f"{live_server.url}/accounts/reveal/people.resident/{city.alice.pk}/phone/")
        page.fill("input[name=reason]", "电话通知复核结果")
        page.click("form.reveal button[type=submit]")
        expect(page.locator(".revealed")).to_contain_text("13812345678")
        browser.close()
        close_connections()

    event = AuditEvent.objects.get(action="reveal")
    assert (event.actor_name, event.object_pk, event.reason) == (
        "gw_a",
        str(city.alice.pk),
        "电话通知复核结果",
    )
    assert AuditEvent.objects.filter(action="login", actor_name="gw_a").count() == 1
