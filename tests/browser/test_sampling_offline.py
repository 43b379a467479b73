"""The sampling page with the network cut: scans queue on the phone and sync once, nothing lost."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from tests.conftest import CHROMIUM
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


@pytest.fixture
def browser_page(live_server, rnd):
    user = User.objects.create_user(username="caiyang", password="correct horse battery 9")
    Grant.objects.create(user=user, role=Role.SITE_STAFF, site=rnd.site)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(live_server.url + "/testing/sampling/")
        yield context, page
        browser.close()


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
    page.unroute(re.compile(r".*/testing/sampling/scans$"))
    page.reload()
    wait_queue(page, 0)
    assert Scan.objects.count() == 2
    assert Tube.objects.get(barcode="T200").member_count == 2
    expect(page.locator("#log li.accepted")).to_have_count(2)
