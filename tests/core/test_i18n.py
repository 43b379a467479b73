"""Simplified Chinese is the default interface language; English is one click away.

The msgids are the Chinese text written in the templates; the English catalog
(src/wuyi/locale/en/LC_MESSAGES/django.po) translates them, and its compiled .mo is
committed so that wuyi runs without gettext tools.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

import wuyi

PACKAGE = Path(wuyi.__file__).parent
CATALOG = PACKAGE / "locale" / "en" / "LC_MESSAGES"
# The templates whose text this catalog is responsible for (other apps wrap theirs in turn).
OWNED_TEMPLATES = ["base.html", "core", "territory", "risk"]


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


# --- The catalog itself -------------------------------------------------------------------


def read_po(path: Path) -> dict[str | tuple[str, int], str]:
    """A small .po reader (no polib): msgid (or (msgid, n) for plural forms) → msgstr.

    Fuzzy entries are kept out, as msgfmt keeps them out of the .mo; the header is keyed "".
    """
    entries: dict[str | tuple[str, int], str] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if "msgid" not in fields or (fuzzy and fields["msgid"]):
            continue
        if "msgid_plural" in fields:
            for key, value in fields.items():
                form = re.fullmatch(r"msgstr\[(\d+)\]", key)
                if form:
                    entries[(fields["msgid"], int(form.group(1)))] = value
        else:
            entries[fields["msgid"]] = fields["msgstr"]
    return entries


def test_every_message_in_the_english_catalog_is_translated():
    entries = read_po(CATALOG / "django.po")
    assert len(entries) > 40
    untranslated = [key for key, value in entries.items() if key != "" and not value.strip()]
    assert untranslated == []
    assert "fuzzy" not in (CATALOG / "django.po").read_text(encoding="utf-8")


def test_translations_keep_every_placeholder_of_their_msgid():
    for key, value in read_po(CATALOG / "django.po").items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)s", msgid))
        assert sorted(set(re.findall(r"%\(\w+\)s", value))) == sorted(set(wanted)), msgid


def test_the_committed_mo_is_compiled_from_the_committed_po():
    """If this fails, run `make messages` and commit both files."""
    po = read_po(CATALOG / "django.po")
    with open(CATALOG / "django.mo", "rb") as handle:
        mo = gettext.GNUTranslations(handle)
    compiled = dict(mo._catalog)  # msgid → msgstr, (msgid, n) → msgstr for plurals
    # The header, with its charset and plural forms (msgfmt leaves POT-Creation-Date out).
    header = [line for line in po.pop("").splitlines() if not line.startswith("POT-Creation")]
    assert compiled.pop("").splitlines() == header
    assert compiled == po
    assert mo.info()["language"] == "en"
    assert mo.ngettext("%(counter)s 人", "%(counter)s 人", 2) == "%(counter)s people"


@pytest.mark.parametrize("place", OWNED_TEMPLATES)
def test_every_translate_tag_in_these_templates_is_in_the_catalog(place):
    msgids = {key[0] if isinstance(key, tuple) else key for key in read_po(CATALOG / "django.po")}
    root = PACKAGE / "templates" / place
    files = [root] if root.is_file() else sorted(root.rglob("*.html"))
    assert files
    for template in files:
        source = template.read_text(encoding="utf-8")
        for msgid in re.findall(r'{%\s*translate\s+"([^"]*)"', source):
            assert msgid in msgids, f"{template.name}: {msgid!r} — run `make messages`"
