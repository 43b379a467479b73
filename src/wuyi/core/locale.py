"""The interface language: Simplified Chinese unless the user picked another one.

Django's own ``LocaleMiddleware`` follows the browser's Accept-Language header, so a phone or
a kiosk set to English would switch a grid worker's pages to English unasked, and a page read
aloud over the phone to a colleague would not match theirs. Here the language comes only from
the choice made with the switch in the top bar (``set_language`` stores it in a cookie), and
otherwise from ``settings.LANGUAGE_CODE`` (env ``LANGUAGE_CODE``, ``zh-hans`` by default).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def chosen_language(request: HttpRequest) -> str:
    """The language chosen with the switch if it is one we offer, else the configured default."""
    return language_of(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


def language_of(code: str | None) -> str:
    """The language a language cookie's value names, if we offer it; else the default."""
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` without Accept-Language negotiation (wuyi has no i18n URL prefixes)."""

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()
