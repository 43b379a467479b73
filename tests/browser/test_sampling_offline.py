"""The sampling page with the network cut: scans queue on the phone and sync once, nothing lost.

Also in English: the script's words come from /jsi18n/, and without it the page still works
(in Chinese).
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from tests.conftest import CHROMIUM, close_connections
from tests.testing.conftest import Round
from wuyi.accounts.models import Grant, Role, User
from wuyi.people import id_numbers
from wuyi.testing.models import Scan, Tube, TubeStatus

# Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
# between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def stranger(seq: int) -> str:
    return id_numbers.make("140106", dt.date(1992, 2, 2), 300 + seq, "F" if seq % 2 else "M")


@pytest.fixture
def rnd(city) -> Round:
    return Round(city)


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def open_sampling(live_server, rnd):
    """open_sampling(language=None, block_catalog=False) → (context, page) on the sampling page.

    ``language`` is the choice of the 中文/EN switch (its cookie); ``block_catalog`` makes
    /jsi18n/ fail, as when the network goes down before it has loaded.
    """
    user = User.objects.create_user(username="caiyang", password="correct horse battery 9")
    Grant.objects.create(user=user, role=Role.SITE_STAFF, site=rnd.site)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def open_page(language: str | None = None, block_catalog: bool = False):
            context = browser.new_context()
            cookies = {settings.SESSION_COOKIE_NAME: session}
            if language:
                cookies[settings.LANGUAGE_COOKIE_NAME] = language
            context.add_cookies(
                [{"name": k, "value": v, "url": live_server.url} for k, v in cookies.items()]
            )
            page = context.new_page()
            if block_catalog:
                page.route(re.compile(r".*/jsi18n/.*"), lambda route: route.abort())
            page.goto(live_server.url + "/testing/sampling/")
            return context, page

        yield open_page
        browser.close()
        close_connections()


@pytest.fixture
def browser_page(open_sampling):
    return open_sampling()


def scan_person(page, text: str) -> None:
    page.fill("#person", text)
    page.click("#add")


def wait_queue(page, count: int, timeout: int = 15000) -> None:
    expect(page.locator("#queued")).to_have_text(str(count), timeout=timeout)


def test_scans_made_offline_are_synced_exactly_once_when_the_network_returns(browser_page, rnd):
    context, page = browser_page
    page.fill("#tube", "T100")
    page.press("#tube", "Enter")
    scan_person(page, "WY1:" + rnd.city.alice.code_token)
    wait_queue(page, 0)
    assert Scan.objects.count() == 1

    context.set_offline(True)
    scan_person(page, rnd.city.bob.id_number)
    scan_person(page, stranger(1))
    scan_person(page, stranger(2))
    page.click("#seal")
    wait_queue(page, 4)
    expect(page.locator("#net")).to_have_class("offline")
    expect(page.locator("#net")).to_have_text("离线,记录已保存在本机")
    expect(page.locator("#log li").first).to_have_text("T100 · 封管 T100 · 待上传")
    page.wait_for_timeout(3500)  # the page retries every 3 s; offline, nothing may arrive
    assert Scan.objects.count() == 1
    queued_ids = page.evaluate(
        "JSON.parse(localStorage.getItem('wuyi.sampling.queue.v1')).map(e => e.event_id)"
    )
    assert len(queued_ids) == 4

    context.set_offline(False)
    wait_queue(page, 0)
    expect(page.locator("#net")).to_have_class("online")
    stored = list(Scan.objects.values_list("event_id", flat=True))
    assert len(stored) == 5
    assert {str(e) for e in stored} >= set(queued_ids)
    tube = Tube.objects.get(barcode="T100")
    assert (tube.member_count, tube.status) == (4, TubeStatus.SEALED)
    assert Scan.objects.filter(follow_up=True).count() == 2
    expect(page.locator("#log li.accepted")).to_have_count(5)


def test_an_answer_lost_on_the_way_back_is_resent_and_not_doubled(browser_page, rnd):
    _context, page = browser_page
    lost = []

    def lose_the_answer(route):
        # The server receives and commits the batch; the phone never hears back.
        route.fetch()
        lost.append(True)
        route.abort()

    page.route(re.compile(r".*/testing/sampling/scans$"), lose_the_answer)
    page.fill("#tube", "T200")
    page.press("#tube", "Enter")
    scan_person(page, "WY1:" + rnd.city.alice.code_token)
    scan_person(page, "WY1:" + rnd.city.bob.code_token)
    page.wait_for_function("document.querySelector('#net').className === 'offline'")
    # The page retries every 3 s: wait until the server has both, each answer lost.
    for _ in range(50):
        if Scan.objects.count() == 2:
            break
        page.wait_for_timeout(200)
    assert lost
    assert Scan.objects.count() == 2  # stored, but the page still has them queued
    assert page.locator("#queued").inner_text() != "0"

    # The phone is reloaded before the network is back: the queue is still there.
    # Wait for a retry still inside the handler: aborting it after the reload raised.
    page.unroute_all(behavior="wait")
    page.reload()
    wait_queue(page, 0)
    assert Scan.objects.count() == 2
    assert Tube.objects.get(barcode="T200").member_count == 2
    expect(page.locator("#log li.accepted")).to_have_count(2)


def test_the_page_speaks_english_once_chosen_and_still_queues_offline(open_sampling, rnd):
    context, page = open_sampling("en")
    page.wait_for_function("typeof window.gettext === 'function'")  # the catalog has loaded
    expect(page.locator("#net")).to_have_text("Online")
    page.click("#add")
    expect(page.locator("#person-error")).to_have_text("Scan the tube barcode first")
    page.fill("#tube", "T300")
    page.press("#tube", "Enter")
    scan_person(page, "WY1:" + rnd.city.alice.code_token)
    wait_queue(page, 0)
    expect(page.locator("#log li.accepted")).to_have_text(
        f"T300 · Code {rnd.city.alice.code_token[:4]}… · Accepted"
    )

    context.set_offline(True)
    scan_person(page, rnd.city.bob.id_number)
    wait_queue(page, 1)
    expect(page.locator("#net")).to_have_text("Offline, records are saved on this device")
    number = rnd.city.bob.id_number
    expect(page.locator("#log li.queued")).to_have_text(
        f"T300 · ID {number[:6]}****{number[-4:]} · Waiting to upload"
    )
    page.click("#seal")
    wait_queue(page, 2)
    expect(page.locator("#log li").first).to_have_text("T300 · Seal tube T300 · Waiting to upload")
    # Back to the same tube: its count is of people, whatever the language (not the seal).
    page.fill("#tube", "T300")
    page.press("#tube", "Enter")
    expect(page.locator("#members")).to_have_text("2")
    assert not CJK.search(page.locator("#log").inner_text())

    context.set_offline(False)
    wait_queue(page, 0)
    expect(page.locator("#net")).to_have_text("Online")
    expect(page.locator("#log li.accepted")).to_have_count(3)
    expect(page.locator("#log li").first).to_have_text(
        "T300 · Seal tube T300 · Accepted, tube sealed"
    )
    tube = Tube.objects.get(barcode="T300")
    assert (tube.member_count, tube.status) == (2, TubeStatus.SEALED)


def test_without_the_catalog_the_page_works_in_chinese(open_sampling, rnd):
    context, page = open_sampling("en", block_catalog=True)
    expect(page.locator("#net")).to_have_text("Online")  # the page itself is in English
    page.fill("#tube", "T400")
    page.press("#tube", "Enter")
    context.set_offline(True)
    scan_person(page, "WY1:" + rnd.city.alice.code_token)
    wait_queue(page, 1)
    assert page.evaluate("typeof window.gettext") == "undefined"
    expect(page.locator("#net")).to_have_text("离线,记录已保存在本机")
    expect(page.locator("#log li.queued")).to_have_text(
        f"T400 · 扫码 {rnd.city.alice.code_token[:4]}… · 待上传"
    )
    context.set_offline(False)
    wait_queue(page, 0)
    expect(page.locator("#log li.accepted")).to_have_count(1)
    assert Scan.objects.count() == 1
