"""Simplified Chinese is the default interface language; English is one click away.

The msgids are the Chinese text written in the templates; the English catalog
(src/wuyi/locale/en/LC_MESSAGES/django.po) translates them, and its compiled .mo is
committed so that wuyi runs without gettext tools.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import html
import json
import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import wuyi
from tests.conftest import make_user
from tests.testing.conftest import Round
from tests.testing.labkit import deliver, fill, make_lab, stranger, wuyi_csv
from wuyi.accounts.models import Grant, Role, User
from wuyi.coverage.models import DoorKnock, HomeSamplingRequest
from wuyi.testing.models import Tube
from wuyi.testing.results import record_result

PACKAGE = Path(wuyi.__file__).parent
CATALOG = PACKAGE / "locale" / "en" / "LC_MESSAGES"
# django: templates and Python; djangojs: the pages' own scripts, served by /jsi18n/.
DOMAINS = ["django", "djangojs"]
SCRIPTS = [PACKAGE / "testing" / "static" / "testing" / "sampling.js"]
# The templates whose text this catalog is responsible for (other apps wrap theirs in turn).
OWNED_TEMPLATES = [
    "templates/base.html",
    "templates/core",
    "templates/territory",
    "templates/risk",
    "templates/testing",
    "accounts/templates",
]


def choose(client, language: str, next_url: str = "/") -> None:
    response = client.post(reverse("set_language"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


def text_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- Rendering -------------------------------------------------------------------------


def test_the_login_page_is_in_chinese_by_default(client):
    page = text_of(client.get(reverse("login")))
    assert '<html lang="zh-hans">' in page
    assert "用户名" in page and "密码" in page
    assert "Username" not in page and "Log in" not in page


def test_the_top_bar_offers_both_languages_and_marks_the_current_one(client):
    page = text_of(client.get(reverse("login")))
    switch = re.search(r'<form[^>]*id="language-switch".*?</form>', page, re.S).group(0)
    assert reverse("set_language") in switch
    assert 'name="csrfmiddlewaretoken"' in switch
    assert 'value="zh-hans"' in switch and 'value="en"' in switch
    assert re.search(r'value="zh-hans"[^>]*aria-pressed="true"', switch)
    assert re.search(r'value="en"[^>]*aria-pressed="false"', switch)
    # The switch comes back to the page it was used on.
    assert f'name="next" value="{reverse("login")}"' in switch


def test_choosing_english_translates_the_login_page(client):
    choose(client, "en", reverse("login"))
    page = text_of(client.get(reverse("login")))
    assert '<html lang="en">' in page
    for english in ("Log in", "Username", "Password", "Wuyi"):
        assert english in page
    assert "用户名" not in page and "密码" not in page
    assert re.search(r'value="en"[^>]*aria-pressed="true"', page)


def test_choosing_chinese_again_switches_back(client):
    choose(client, "en", reverse("login"))
    choose(client, "zh-hans", reverse("login"))
    page = text_of(client.get(reverse("login")))
    assert "用户名" in page and "Username" not in page


def test_a_grid_worker_walks_their_grid_in_english(client, city, grid_worker):
    client.force_login(grid_worker)
    choose(client, "en")
    home = text_of(client.get(reverse("home")))
    assert "My grants" in home and "My grids and areas" in home and "Log out" in home
    assert "我的授权" not in home

    grids = text_of(client.get(reverse("territory:my_grids")))
    assert "<h1>My grids</h1>" in grids
    assert "1 person" in grids  # one resident in grid A: the plural form is chosen by count
    assert "第一网格" in grids  # names of places are data, never translated

    grid = text_of(client.get(reverse("territory:grid", args=[city.grid_a.code])))
    assert "My grids" in grid and "1 person" in grid and " 人" not in grid

    household = text_of(client.get(reverse("territory:node", args=[city.home1.pk])))
    assert "张丽" in household and "aged " in household and "1 person" in household
    assert "138****5678" in household and "13812345678" not in household


def test_a_building_lists_its_units_with_english_counts(client, city, grid_worker):
    client.force_login(grid_worker)
    choose(client, "en")
    page = text_of(client.get(reverse("territory:node", args=[city.building1.pk])))
    assert "1单元" in page
    assert re.search(r'class="badge">\d+ (person|people)</span>', page)
    assert " 人</span>" not in page


def test_the_public_risk_page_is_in_english_after_choosing_it(client, db):
    choose(client, "en", reverse("risk:public"))
    page = text_of(client.get(reverse("risk:public")))
    for english in (
        "Current risk areas",
        "Check whether my address is in a risk area",
        "There are no risk areas at present.",
        ">Search<",
    ):
        assert english in page
    assert "当前风险区" not in page and "查询" not in page


def test_the_public_risk_page_is_in_chinese_by_default(client, db):
    page = text_of(client.get(reverse("risk:public")))
    assert "<h1>当前风险区</h1>" in page and "目前没有风险区。" in page
    assert "Current risk areas" not in page


@override_settings(LANGUAGE_CODE="en")
def test_english_can_be_the_default_through_language_code(client, db):
    page = text_of(client.get(reverse("login")))
    assert '<html lang="en">' in page and "Username" in page


def test_a_browser_set_to_english_still_gets_chinese_until_english_is_chosen(client, db):
    # Accept-Language is not consulted: the interface is Chinese unless the user picks English.
    page = text_of(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert "用户名" in page and "Username" not in page
    choose(client, "en", reverse("login"))
    page = text_of(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"))
    assert "Username" in page


def test_an_unknown_language_in_the_cookie_falls_back_to_chinese(client, db):
    client.cookies["django_language"] = "fr"
    page = text_of(client.get(reverse("login")))
    assert '<html lang="zh-hans">' in page and "用户名" in page


# --- The testing (sampling, lab, devices) and accounts pages -------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
# The page's own words: title, headings, table headers, labels, buttons (a <select>'s options
# are left out: some are model choices, which stay Chinese).
CHROME = re.compile(r"<(title|h1|h2|th|label|button|summary)\b[^>]*>(.*?)</\1>", re.S)


def untranslated(page: str, data: tuple[str, ...] = ()) -> list[str]:
    """The bits of the page's headings, labels and buttons that are still in Chinese.

    ``data`` are the names of places, rounds and labs shown in them: data, never translated.
    """
    found = []
    for _tag, inner in CHROME.findall(page):
        text = re.sub(r"<select\b.*?</select>", "", inner, flags=re.S)
        text = re.sub(r"<[^>]+>", "", text)
        for value in data:
            text = text.replace(value, "")
        if CJK.search(text):
            found.append(" ".join(text.split()))
    return found


@pytest.fixture
def stage(city, grid_worker):
    """A round with a positive pool in grid A, a lab, and one user of each kind."""
    rnd = Round(city)
    lab = make_lab()
    fill(rnd, "P1", [city.alice, stranger(1)])
    deliver(lab, ["P1"], "BOX1")
    record_result(lab, "P1", "positive")
    fill(rnd, "T9", [city.bob])  # sealed two days ago, never delivered
    Tube.objects.filter(barcode="T9").update(sealed_at=timezone.now() - dt.timedelta(days=2))
    lab_staff = User.objects.create_user(username="lab1", password="correct horse battery 9")
    Grant.objects.create(user=lab_staff, role=Role.LAB_STAFF, lab=lab)
    site_staff = User.objects.create_user(username="caiyang", password="correct horse battery 9")
    Grant.objects.create(user=site_staff, role=Role.SITE_STAFF, site=rnd.site)
    office = make_user("street", Role.STREET_OFFICE, node=city.street)
    return {"rnd": rnd, "lab": lab_staff, "site": site_staff, "office": office, "gw": grid_worker}


# Data that appears in headings: names of the round, lab, sites and people.
DATA = (
    "中文",  # the language switch names each language in itself
    "第一轮全员核酸",
    "第二轮全员核酸",
    "太原市第一检测实验室",
    "光华街社区采样点",
    "坞城街道采样点",
    "张丽",
)

# page → (who, url, English that must be there, the Chinese it replaces)
PAGES = {
    "round": (
        "office",
        lambda city: reverse("lab:round", args=["R1"]),
        [
            "Resulted",
            "Positive pool rate",
            "Pooling advised now",
            "People in positive pooled tubes",
        ],
        ["已出结果", "阳性混管率", "当前建议混采方式", "阳性混管人员"],
    ),
    "sampling": (
        "site",
        lambda city: reverse("testing:sampling"),
        [
            "<title>Sampling · Wuyi</title>",
            "Records on this device",
            ">Register sample<",
            ">Seal tube<",
            "Testing round",
            ">Resident ID card<",
            'placeholder="Scan or type',
        ],
        ["本机记录", ">登记采样<", ">封管<", "检测轮次", ">居民身份证<", "扫描或输入试管条码"],
    ),
    "lab home": (
        "lab",
        lambda city: reverse("lab:home"),
        [
            "Upload a result file",
            "Receive tubes",
            "Enter a result by hand",
            "Latest stored results",
            ">Negative<",
            ">Upload and store<",
            "Lab code LAB01",
        ],
        [
            "上传结果文件",
            "接收试管",
            "手工录入结果",
            "最近入库的结果",
            ">阴性<",
            "实验室编码 LAB01",
        ],
    ),
    "overdue": (
        "office",
        lambda city: reverse("lab:overdue"),
        [
            "<h1>Overdue tubes</h1>",
            "Sealed but not delivered to a lab in time (1 tube)",
            "Not boxed",
        ],
        ["<h1>超时试管</h1>", "封管后超时未送达实验室(1 管)", "未装箱"],
    ),
    "positives": (
        "gw",
        lambda city: reverse("lab:positives"),
        [
            "<h1>People in positive pooled tubes</h1>",
            "Pooled tube P1",
            "10-in-1 pooling",
            "1 person",
            "Grid / grid workers",
            "Single-tube retest",
        ],
        ["<h1>阳性混管人员</h1>", "混管 P1", "10合1混采", "1 人", "网格 / 网格员"],
    ),
    "pool plan": (
        "office",
        lambda city: reverse("lab:pool_plan") + "?prevalence=1%25&population=10000",
        [
            "<h1>Pooling advice</h1>",
            'At a prevalence of 0.0100, <strong id="best">10-in-1 pooling',
            ">Calculate<",
            "Expected tests per person",
            "about 0.5%)",
        ],
        [
            "<h1>混采方式建议</h1>",
            '患病率 0.0100 时,建议 <strong id="best">10合1混采</strong>',
            ">计算<",
            "(约0.5%)",
        ],
    ),
    "follow up": (
        "office",
        lambda city: reverse("testing:follow_up", args=["R1"]),
        ["Sampled people not in the register", "1 sample<", "Sampled at"],
        ["未在册采样人员", "1 人次", "采样时间"],
    ),
    "devices": (
        "site",
        lambda city: reverse("devices:list"),
        [
            "<h1>Devices</h1>",
            "Issue a new token",
            "Device tokens",
            ">Revoke<",
            "confirm('Once revoked, this device can no longer upload. Revoke it?')",
            'optgroup label="Sampling site"',
        ],
        [
            "<h1>设备管理</h1>",
            "签发新令牌",
            ">吊销<",
            "confirm('吊销后该设备将无法再上传,确定吊销?')",
        ],
    ),
    "audit log": (
        "office",
        lambda city: reverse("accounts:audit"),
        ["<h1>Audit log", ">Filter<", "Export CSV", "<th>Reason</th>", "records</span>"],
        ["<h1>审计日志", ">筛选<", "导出 CSV", "<th>事由</th>", "条</span>"],
    ),
    "resident code": (
        "gw",
        lambda city: reverse("testing:resident_code", args=[city.alice.pk]),
        ["<h1>Sampling code of 张丽</h1>", "Print the codes of the whole household"],
        ["<h1>张丽 的采样码</h1>", "打印全户采样码"],
    ),
    "household card": (
        "gw",
        lambda city: reverse("testing:household_card", args=[city.home1.pk]),
        ["<h1>Sampling code card of household 101", ">Print<", "1 person</span>"],
        ["<h1>101 户采样码卡", ">打印<", "1 人</span>"],
    ),
    "coverage household": (
        "gw",
        lambda city: reverse("coverage:household", args=["R1", city.home1.pk]),
        [
            "1 person</span>",
            "<h2>Door-knock result</h2>",
            '<option value="">(whole household)</option>',
            "Code of the household moved to",
            "<legend>New occupant</legend>",
            ">Record</button>",
            "<h2>Register an exemption</h2>",
            ">Register</button>",
            "<h2>Check a door note</h2>",
            "Says “all sampled”",
            "Residents can also scan the QR code on the door",
            ">Door note link</a>",
            "<summary>Print the door QR code</summary>",
        ],
        [
            "1 人</span>",
            "<h2>敲门结果</h2>",
            "(全户)",
            "<legend>新住户</legend>",
            ">记录</button>",
            "<h2>登记免检</h2>",
            ">登记</button>",
            "门贴核对",
            "写明“全部已采样”",
            "门贴申报链接",
            "打印门贴二维码",
        ],
    ),
    "reveal": (
        "gw",
        lambda city: reverse("accounts:reveal", args=["people.resident", city.alice.pk, "phone"]),
        ["Reason for viewing the full phone number (recorded in the audit log)", ">View<"],
        ["查看完整联系电话的事由(将记入审计日志)", ">查看<"],
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_testing_and_accounts_pages_are_in_english_once_chosen(client, city, stage, name):
    who, url, english, chinese = PAGES[name]
    client.force_login(stage[who])
    choose(client, "en")
    page = text_of(client.get(url(city)))
    assert '<html lang="en">' in page or name == "reveal"  # the reveal form is an htmx fragment
    for text in english:
        assert text in page, text
    for text in chinese:
        assert text not in page, text
    assert untranslated(page, DATA) == []


@pytest.mark.parametrize("name", PAGES)
def test_the_testing_and_accounts_pages_are_in_chinese_by_default(client, city, stage, name):
    who, url, english, chinese = PAGES[name]
    client.force_login(stage[who])
    page = text_of(client.get(url(city)))
    for text in chinese:
        assert text in page, text
    for text in english:
        assert text not in page, text
    assert untranslated(page, DATA)  # the chrome is Chinese, which this helper does see


def test_the_chrome_check_sees_chinese_left_in_a_heading():
    page = "<h1>第一轮全员核酸 · Results</h1><label>Type <select><option>一户一管</option></select></label>"
    assert untranslated(page, DATA) == []
    assert untranslated("<th>采样点</th><button>Scan</button>") == ["采样点"]


def test_an_uploaded_file_with_errors_is_reported_in_english(client, city, stage):
    client.force_login(stage["lab"])
    choose(client, "en")
    upload = wuyi_csv([("GHOST", "阴性", "", "", "2026-11-29 12:00")])
    upload.name = "run.csv"
    response = client.post(reverse("lab:upload"), {"file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert "1 rows of the file are invalid, so none of the file was stored" in page
    assert "<th>Line</th>" in page and "<th>Tube barcode</th>" in page
    assert untranslated(page, DATA) == []


def test_a_receipt_a_hand_entry_and_a_revoked_device_are_confirmed_in_english(client, city, stage):
    client.force_login(stage["lab"])
    choose(client, "en")
    page = text_of(client.post(reverse("lab:receive"), {"barcodes": "NOPE"}))
    assert "Tubes received now: 0; already received before: 0; refused: 1." in page
    assert "<li>NOPE: " in page
    response = client.post(
        reverse("lab:enter"), {"barcode": "P1", "outcome": "positive"}, follow=True
    )
    assert "Entered: P1 (the same as the stored result, unchanged)" in text_of(response)

    client.force_login(stage["site"])
    issued = text_of(
        client.post(reverse("devices:issue"), {"name": "二号台手机", "target": "site:S1"})
    )
    assert "<h1>Token issued</h1>" in issued
    assert "Device “二号台手机”, bound to sampling site S1 光华街社区采样点." in issued
    assert untranslated(issued, DATA) == []
    token = stage["rnd"].token
    page = text_of(client.post(reverse("devices:revoke", args=[token.pk]), follow=True))
    assert f"Revoked “{token.name}”: the device is refused from its next request on" in page


def test_the_sampling_endpoint_answers_in_the_chosen_language(client, city, stage):
    client.force_login(stage["site"])
    url = reverse("testing:sampling_scans")
    bad = client.post(url, "[]", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("请求格式错误")
    choose(client, "en")
    bad = client.post(url, "[]", content_type="application/json")
    assert bad.json()["detail"] == 'Malformed request: expected {"events": [...]}'


def test_the_coverage_household_page_lists_knocks_and_notes_in_either_language(client, city, stage):
    client.force_login(stage["gw"])
    url = reverse("coverage:household", args=["R1", city.home1.pk])
    client.post(reverse("coverage:knock", args=["R1", city.home1.pk]), {"result": "nobody_home"})
    client.post(reverse("coverage:note", args=["R1", city.home1.pk]), {"reported_count": "2"})
    assert DoorKnock.objects.filter(resident=None).count() == 1  # a knock for the whole household
    chinese = text_of(client.get(url))
    assert "<h2>门贴记录</h2>" in chinese and "<h2>敲门记录</h2>" in chinese
    assert re.search(r"<span>\d\d-\d\d \d\d:\d\d 全户</span>", chinese)
    assert "门贴写2人,登记在住1人" in chinese  # the note's discrepancy, for the grid worker

    choose(client, "en")
    english = text_of(client.get(url))
    assert "<h2>Door notes</h2>" in english and "<h2>Door knocks</h2>" in english
    assert re.search(r"<span>\d\d-\d\d \d\d:\d\d Whole household</span>", english)
    assert "门贴记录" not in english and "敲门记录" not in english and " 全户<" not in english
    assert "Number on the door note: 2; registered as living here: 1" in english
    assert untranslated(english, DATA) == []


# --- The coverage pages' words made in Python: status badges, choices, messages ----------

# The door-knock results and exemption reasons, as the forms and the close report show them.
KNOCK_RESULTS = {
    "nobody_home": ("无人在家", "Nobody home"),
    "sampled_elsewhere": ("已在别处采样", "Sampled elsewhere"),
    "refused": ("拒绝采样", "Refused sampling"),
    "bedridden": ("卧床,申请上门采样", "Bedridden, request home sampling"),
    "moved_out": ("已搬离(变更户籍登记)", "Moved out (update the registration)"),
    "new_occupant": ("新住户(登记入户)", "New occupant (register in the household)"),
}
EXEMPT_REASONS = {
    "away": ("离市在外", "Away from the city"),
    "isolated": ("已隔离或住院", "In isolation or in hospital"),
    "bedridden": ("卧床(已申请上门采样)", "Bedridden (home sampling requested)"),
    "infant": ("低于本轮年龄下限", "Below this round's minimum age"),
    "round_rule": ("本轮规则免检", "Exempt by this round's rules"),
}


def options(page: str, name: str) -> dict[str, str]:
    """value → text of the options of the page's ``<select name=...>``."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    found = re.findall(r'<option value="([^"]*)">([^<]*)</option>', select)
    return {value: html.unescape(text) for value, text in found}


@pytest.fixture
def household(city, stage):
    """Grid A's household 101 in round R1, with one person of each status besides 张丽's
    positive pool: 王芳 not sampled, 赵刚 exempt (isolated, with a note), 孙梅 reported
    sampled elsewhere by a door knock (see ``work_the_household``). Returns them by name."""
    born = dt.date(1990, 1, 1)
    people = {
        name: city.resident(name, city.home1, "140105", born, seq, "M")
        for name, seq in (("王芳", 31), ("赵刚", 41), ("孙梅", 51))
    }
    return people


def work_the_household(client, city, people) -> list[str]:
    """Register an exemption and a knock through the forms; the pages flashed after each."""
    exempt = client.post(
        reverse("coverage:exempt", args=["R1", city.home1.pk]),
        {"resident": people["赵刚"].pk, "reason": "isolated", "note": "市三院"},
        follow=True,
    )
    knock = client.post(
        reverse("coverage:knock", args=["R1", city.home1.pk]),
        {"result": "sampled_elsewhere", "resident": people["孙梅"].pk, "sampled_where": "太原站"},
        follow=True,
    )
    refused = client.post(
        reverse("coverage:knock", args=["R1", city.home1.pk]), {"result": "refused"}, follow=True
    )
    return [text_of(exempt), text_of(knock), text_of(refused)]


def badges(page: str) -> list[str]:
    """The status badges of the people of the grid view's households to work on."""
    listing = re.search(r'<ul class="list households">(.*?)</ul>', page, re.S).group(1)
    found = re.findall(r'<span class="badge [a-z]*">([^<]*)</span>', listing)
    return [" ".join(badge.split()) for badge in found]


def test_the_grid_round_view_shows_english_status_badges(client, city, stage, household):
    client.force_login(stage["gw"])
    choose(client, "en")
    exempted, knocked, refused = work_the_household(client, city, household)
    assert "Exemption registered: 赵刚" in exempted
    assert "Recorded: Sampled elsewhere" in knocked
    assert "“Refused sampling” needs the resident it is about" in refused

    page = text_of(client.get(reverse("coverage:grid", args=["R1", city.grid_a.code])))
    assert badges(page) == [
        "张丽 Positive pool, retest pending",
        "王芳 Not sampled",
        "赵刚 In isolation or in hospital (市三院)",
        "孙梅 Sampled elsewhere (to verify): 太原站",
    ]

    # The household page and its knock log; the sampled neighbour (grid B) seen by the office.
    home1 = text_of(client.get(reverse("coverage:household", args=["R1", city.home1.pk])))
    assert '<span class="badge">Sampled elsewhere</span>' in home1
    assert "已在别处采样" not in home1 and "未采样" not in home1
    client.force_login(stage["office"])
    home2 = text_of(client.get(reverse("coverage:household", args=["R1", city.home2.pk])))
    assert re.search(r'<span class="badge ok">Sampled \d\d-\d\d \d\d:\d\d ', home2)


def test_the_grid_round_view_shows_chinese_status_badges_by_default(client, city, stage, household):
    client.force_login(stage["gw"])
    exempted, knocked, refused = work_the_household(client, city, household)
    assert "已登记免检:赵刚" in exempted
    assert "已记录:已在别处采样" in knocked
    assert "“拒绝采样”需要选择是哪位居民" in refused

    page = text_of(client.get(reverse("coverage:grid", args=["R1", city.grid_a.code])))
    assert badges(page) == [
        "张丽 混管阳性待复核",
        "王芳 未采样",
        "赵刚 已隔离或住院(市三院)",
        "孙梅 已在别处采样(待核实):太原站",
    ]
    client.force_login(stage["office"])
    home2 = text_of(client.get(reverse("coverage:household", args=["R1", city.home2.pk])))
    assert re.search(r'<span class="badge ok">已采样 \d\d-\d\d \d\d:\d\d ', home2)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_door_knock_and_exemption_forms_offer_their_choices_in_the_language(
    client, city, stage, language
):
    client.force_login(stage["gw"])
    if language == "en":
        choose(client, "en")
    page = text_of(client.get(reverse("coverage:household", args=["R1", city.home1.pk])))
    which = 1 if language == "en" else 0
    assert options(page, "result") == {k: v[which] for k, v in KNOCK_RESULTS.items()}
    assert options(page, "reason") == {k: v[which] for k, v in EXEMPT_REASONS.items()}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_close_report_names_exemption_reasons_and_knock_results_in_the_language(
    client, city, stage, language
):
    client.force_login(stage["office"])
    if language == "en":
        choose(client, "en")
    page = html.unescape(
        text_of(client.get(reverse("coverage:close", args=["R1", city.community.pk])))
    )
    which, other = (1, 0) if language == "en" else (0, 1)
    for labels in [*EXEMPT_REASONS.values(), *KNOCK_RESULTS.values()]:
        assert f"<td>{labels[which]}</td>" in page, labels[which]
        assert f"<td>{labels[other]}</td>" not in page, labels[other]


def test_the_coverage_errors_are_in_english_once_chosen(client, city, stage):
    client.force_login(stage["gw"])
    choose(client, "en")
    url = reverse("coverage:note", args=["R1", city.home1.pk])
    page = text_of(client.post(url, {"reported_count": "three"}, follow=True))
    assert "The number of people should be a number; got: three" in page
    page = text_of(client.post(url, {"listed": "张丽 1 2 已采"}, follow=True))
    assert "Line 1 should read “name [ID number] 已采/未采”" in page
    page = text_of(client.post(url, {"reported_count": "1"}, follow=True))
    assert "Door note checked: Matches the records, no visit needed" in page

    knock = reverse("coverage:knock", args=["R1", city.home1.pk])
    page = text_of(client.post(knock, {"result": "nobody_home", "moved_to": "NOPE"}, follow=True))
    assert "No household found to move to: NOPE" in page
    page = text_of(
        client.post(knock, {"result": "nobody_home", "sampled_when": "yesterday"}, follow=True)
    )
    assert "The sampling time should be year-month-day hour:minute" in page
    page = text_of(
        client.post(knock, {"result": "bedridden", "resident": city.alice.pk}, follow=True)
    )
    assert "Recorded: Bedridden, request home sampling" in page

    # The home-sampling list and its htmx row: English status and errors.
    listing = text_of(client.get(reverse("coverage:home_sampling", args=["R1"])))
    assert "Awaiting visit" in listing and "待上门<" not in listing
    [request] = HomeSamplingRequest.objects.all()
    close = reverse("coverage:home_sampling_close", args=["R1", request.pk])
    row = text_of(client.post(close, {"action": "?"}, HTTP_HX_REQUEST="true"))
    assert "Choose “Sampled at home” or “Cancel”" in row
    row = text_of(client.post(close, {"action": "cancel", "reason": "x"}, HTTP_HX_REQUEST="true"))
    assert "Enter the reason for cancelling (at least" in row
    done = client.post(close, {"action": "done", "note": "家属代为确认"}, follow=True)
    assert "张丽: Sampled at home" in text_of(done)


def test_the_coverage_errors_are_in_chinese_by_default(client, city, stage):
    client.force_login(stage["gw"])
    url = reverse("coverage:note", args=["R1", city.home1.pk])
    page = text_of(client.post(url, {"reported_count": "three"}, follow=True))
    assert "人数应为数字,收到:three" in page
    knock = reverse("coverage:knock", args=["R1", city.home1.pk])
    page = text_of(
        client.post(knock, {"result": "bedridden", "resident": city.alice.pk}, follow=True)
    )
    assert "已记录:卧床,申请上门采样" in page
    [request] = HomeSamplingRequest.objects.all()
    close = reverse("coverage:home_sampling_close", args=["R1", request.pk])
    row = text_of(client.post(close, {"action": "?"}, HTTP_HX_REQUEST="true"))
    assert "请选择“已上门采样”或“取消”" in row
    done = client.post(close, {"action": "done", "note": "家属代为确认"}, follow=True)
    assert "张丽:已上门采样" in text_of(done)


def served_catalog(response) -> dict[str, str]:
    """The msgid → msgstr dict that Django's JavaScriptCatalog script defines."""
    script = text_of(response)
    return json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.S).group(1))


def test_the_javascript_catalog_serves_the_chosen_language(client, db):
    url = reverse("javascript-catalog")
    assert url == "/jsi18n/"
    chinese = served_catalog(client.get(url))
    assert "待上传" not in chinese  # no Chinese → Chinese entry: gettext() returns the msgid
    assert "Waiting to upload" not in str(chinese)

    choose(client, "en")
    english = served_catalog(client.get(url))
    assert english["待上传"] == "Waiting to upload"
    assert english["在线"] == "Online"
    assert english["被拒绝:%(reason)s"] == "Refused: %(reason)s"
    assert english["封管 %(tube)s"] == "Seal tube %(tube)s"
    # Everything the committed djangojs catalog translates is served.
    for msgid, msgstr in read_po(CATALOG / "djangojs.po").items():
        if msgid:
            assert english[msgid] == msgstr


def test_the_sampling_page_loads_the_catalog_of_its_language_before_its_script(client, city, stage):
    client.force_login(stage["site"])
    page = text_of(client.get(reverse("testing:sampling")))
    catalog = page.index('<script src="/jsi18n/?lang=zh-hans" defer></script>')
    assert catalog < page.index("testing/sampling.js")
    choose(client, "en")
    assert '<script src="/jsi18n/?lang=en" defer>' in text_of(
        client.get(reverse("testing:sampling"))
    )


def test_a_revealed_value_is_labelled_in_english(client, city, stage):
    client.force_login(stage["gw"])
    choose(client, "en")
    url = reverse("accounts:reveal", args=["people.resident", city.alice.pk, "phone"])
    page = text_of(client.post(url, {"reason": "phoning about a retest"}))
    assert 'title="Recorded in the audit log"' in page
    assert "phone number: <strong>13812345678</strong>" in page


# --- The catalog itself -------------------------------------------------------------------


def read_po(path: Path) -> dict[str | tuple[str, int], str]:
    """A small .po reader (no polib): msgid (or (msgid, n) for plural forms) → msgstr.

    Fuzzy entries are kept out, as msgfmt keeps them out of the .mo; the header is keyed "".
    A msgid with a context (``{% translate "登记" context "button" %}``) is keyed
    "context\x04msgid", as gettext keys it in the .mo.
    """
    entries: dict[str | tuple[str, int], str] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if "msgid" not in fields or (fuzzy and fields["msgid"]):
            continue
        if "msgctxt" in fields:
            fields["msgid"] = fields["msgctxt"] + "\x04" + fields["msgid"]
        if "msgid_plural" in fields:
            for key, value in fields.items():
                form = re.fullmatch(r"msgstr\[(\d+)\]", key)
                if form:
                    entries[(fields["msgid"], int(form.group(1)))] = value
        else:
            entries[fields["msgid"]] = fields["msgstr"]
    return entries


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_in_the_english_catalog_is_translated(domain):
    entries = read_po(CATALOG / f"{domain}.po")
    assert len(entries) > (40 if domain == "django" else 10)
    untranslated = [key for key, value in entries.items() if key != "" and not value.strip()]
    assert untranslated == []
    assert "fuzzy" not in (CATALOG / f"{domain}.po").read_text(encoding="utf-8")


@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_every_placeholder_of_their_msgid(domain):
    for key, value in read_po(CATALOG / f"{domain}.po").items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)s", msgid))
        assert sorted(set(re.findall(r"%\(\w+\)s", value))) == sorted(set(wanted)), msgid


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_mo_is_compiled_from_the_committed_po(domain):
    """If this fails, run `make messages` and commit both files."""
    po = read_po(CATALOG / f"{domain}.po")
    with open(CATALOG / f"{domain}.mo", "rb") as handle:
        mo = gettext.GNUTranslations(handle)
    compiled = dict(mo._catalog)  # msgid → msgstr, (msgid, n) → msgstr for plurals
    # The header, with its charset and plural forms (msgfmt leaves POT-Creation-Date out).
    header = [line for line in po.pop("").splitlines() if not line.startswith("POT-Creation")]
    assert compiled.pop("").splitlines() == header
    assert compiled == po
    assert mo.info()["language"] == "en"
    if domain == "django":
        assert mo.ngettext("%(counter)s 人", "%(counter)s 人", 2) == "%(counter)s people"
    else:
        assert mo.gettext("待上传") == "Waiting to upload"


@pytest.mark.parametrize("place", OWNED_TEMPLATES)
def test_every_translate_tag_in_these_templates_is_in_the_catalog(place):
    keys = read_po(CATALOG / "django.po")
    msgids = {(key[0] if isinstance(key, tuple) else key).split("\x04")[-1] for key in keys}
    root = PACKAGE / place
    files = [root] if root.is_file() else sorted(root.rglob("*.html"))
    assert files
    for template in files:
        source = template.read_text(encoding="utf-8")
        for msgid in re.findall(r'{%\s*translate\s+"([^"]*)"', source):
            assert msgid in msgids, f"{template.name}: {msgid!r} — run `make messages`"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_gettext_call_in_these_scripts_is_in_the_js_catalog(script):
    msgids = set(read_po(CATALOG / "djangojs.po"))
    calls = re.findall(r'\bgettext\("([^"]*)"\)', script.read_text(encoding="utf-8"))
    assert len(calls) > 10
    for msgid in calls:
        assert msgid in msgids, f"{script.name}: {msgid!r} — run `make messages`"


def test_the_sampling_script_writes_no_chinese_outside_gettext():
    """Its words go through the catalog; the one exception reads logs stored in Chinese."""
    source = SCRIPTS[0].read_text(encoding="utf-8")
    source = re.sub(r'\bgettext\("[^"]*"\)', "", source)
    source = re.sub(r"^\s*(//|/?\*).*$", "", source, flags=re.M)  # comments
    assert [line.strip() for line in source.splitlines() if CJK.search(line)] == [
        'if (!entry.kind && entry.label) entry.kind = entry.label.startsWith("封管") ? "seal" : "bind";'
    ]


# --- Model labels -----------------------------------------------------------------------


def model_labels() -> list[tuple[str, str, object]]:
    """Every label wuyi's models show: names, field names, help texts and choice labels."""
    from django.apps import apps

    labels = []
    for model in apps.get_app_configs():
        if not model.name.startswith("wuyi."):
            continue
        for cls in model.get_models():
            where = f"{cls._meta.label}"
            labels += [
                (where, "verbose_name", cls._meta.verbose_name),
                (where, "verbose_name_plural", cls._meta.verbose_name_plural),
            ]
            for field in cls._meta.get_fields():
                if not hasattr(field, "verbose_name"):
                    continue
                labels += [
                    (where, field.name, field.verbose_name),
                    (where, f"{field.name} help", field.help_text),
                ]
                labels += [
                    (where, f"{field.name}={value}", label)
                    for value, label in field.flatchoices or []
                ]
    return [(where, what, label) for where, what, label in labels if label]


def test_every_model_label_has_its_english(db):
    """Forms, the admin, exports and status badges show these; English mode must not fall
    back to Chinese for one (names of places and people are data, not labels)."""
    from django.utils import translation

    labels = model_labels()
    assert len(labels) > 500
    with translation.override("en"):
        chinese = [
            (where, what, str(label)) for where, what, label in labels if CJK.search(str(label))
        ]
    assert chinese == []
    # Chinese stays the default: the same labels, untranslated.
    from wuyi.testing.models import RoundStatus, TestingRound

    assert str(RoundStatus.DRAFT.label) == "筹备中"
    assert str(TestingRound._meta.verbose_name) == "检测轮次"
    with translation.override("en"):
        assert str(RoundStatus.DRAFT.label) == "In preparation"
        assert str(TestingRound._meta.verbose_name) == "Testing round"


def test_every_app_has_its_english_name():
    from django.apps import apps
    from django.utils import translation

    names = [app.verbose_name for app in apps.get_app_configs() if app.name.startswith("wuyi.")]
    assert len(names) >= 10
    with translation.override("en"):
        assert [str(name) for name in names if CJK.search(str(name))] == []


def test_the_admin_is_in_english_once_chosen(client, db):
    """Every model's list and add form, with no rows: whatever Chinese showed would be a label."""
    from django.contrib import admin

    superuser = User.objects.create_superuser("root", password="x-Very-long-1")
    client.force_login(superuser)
    choose(client, "en")
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    assert len(pages) > 20
    chinese = {}
    for url in pages:
        response = client.get(url)
        if response.status_code == 403:  # a model the admin does not let anyone add
            continue
        # Options are rows (the permissions' names were stored in Chinese at migration);
        # choice labels are checked in test_every_model_label_has_its_english.
        words = CJK.findall(re.sub(r"<option[^>]*>[^<]*</option>", "", text_of(response)))
        if words:
            chinese[url] = sorted(set(words))[:5]
    assert chinese == {}
    assert "Wuyi administration" in text_of(client.get(reverse("admin:index")))
