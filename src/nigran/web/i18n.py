"""Languages: English and Urdu, from Babel/gettext catalogs under ``web/locale``.

The language of a request comes from its path: ``/ur/...`` is the Urdu edition of the same page (the prefix
is taken off before routing, :class:`LanguagePrefix`), anything else is English. The catalogs are compiled
by ``scripts/i18n-update``; the compiled ``.mo`` files are committed so that an installed package needs no
build step. Urdu numbers are written with Extended Arabic-Indic digits (``num``).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from nigran.web.security import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "ur")
RTL = frozenset({"ur"})
DEFAULT = "en"
_current: ContextVar[str] = ContextVar("nigran_language", default=DEFAULT)
_URDU_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@cache
def translations(lang: str) -> NullTranslations:
    if lang == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [lang], domain="messages")


def current() -> str:
    return _current.get()


def set_current(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else DEFAULT)


def gettext(message: str, **variables: Any) -> str:
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def num(value: Any, lang: str | None = None) -> str:
    """A number as readers of the language write it: ``1,234`` or ``۱,۲۳۴``."""
    if value is None:
        return "–"
    if isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = str(value)
    return text.translate(_URDU_DIGITS) if (lang or current()) == "ur" else text


def prefix(lang: str | None = None) -> str:
    lang = lang or current()
    return "" if lang == DEFAULT else f"/{lang}"


def localise(path: str, lang: str | None = None) -> str:
    """``path`` (an absolute path on this site) in the given language's edition."""
    if not path.startswith("/") or path.startswith("//"):
        path = "/"
    return prefix(lang) + path if prefix(lang) else path


class LanguagePrefix:
    """Takes ``/ur`` off the path before routing and sets the request's language; every route therefore
    serves both editions without being declared twice."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope.get("path", "/")
            lang = DEFAULT
            for code in LANGUAGES:
                if code != DEFAULT and (path == f"/{code}" or path.startswith(f"/{code}/")):
                    lang = code
                    scope = dict(scope)
                    scope["path"] = path[len(code) + 1 :] or "/"
                    scope["raw_path"] = scope["path"].encode()
                    break
            scope.setdefault("state", {})
            scope["state"]["lang"] = lang
            token = _current.set(lang)
            try:
                await self.app(scope, receive, send)
            finally:
                _current.reset(token)
            return
        await self.app(scope, receive, send)
