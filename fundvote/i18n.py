"""Languages: Simplified Chinese by default, English as a switch.

The locale is taken from ``?lang=`` (which also stores a ``lang`` cookie for a year), else
the ``lang`` cookie, else Simplified Chinese. The browser's Accept-Language is deliberately
ignored: most owners' phones say Chinese anyway, and one rule is easier to explain.

Mark strings with English msgids: ``from flask_babel import gettext as _`` in views,
``lazy_gettext`` at import time (form labels, tables), ``{{ _("...") }}`` in templates.
Catalogues live in ``fundvote/translations/<locale>/LC_MESSAGES/messages.po``; after
changing strings run ``make messages`` (extract, update, compile) and translate the new
entries; the tests fail while any msgid lacks a Chinese translation or a ``.mo`` is stale.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, request
from flask_babel import Babel, get_locale, lazy_gettext

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "zh_Hans"
LANGUAGES: dict[str, str] = {"zh_Hans": "中文", "en": "English"}
"""Supported locales and the name each language calls itself (shown in the switch)."""

_ALIASES = {
    "zh": "zh_Hans",
    "zh_hans": "zh_Hans",
    "zh-hans": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh-cn": "zh_Hans",
    "en": "en",
    "en_us": "en",
    "en-us": "en",
    "en_gb": "en",
    "en-gb": "en",
}
COOKIE = "lang"

ROLE_LABELS = {
    "admin": lazy_gettext("administrator"),
    "committee": lazy_gettext("owners' committee"),
    "manager": lazy_gettext("property manager"),
    "authority": lazy_gettext("housing authority"),
    "auditor": lazy_gettext("auditor"),
}


def role_label(role: str) -> str:
    """The role's name in the current language."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def normalise(value: str | None) -> str | None:
    """The supported locale a ``lang`` value names, or None."""
    if not value:
        return None
    return _ALIASES.get(value.strip().lower()[:10])


def select_locale() -> str:
    """The locale of the current request (see the module docstring)."""
    return (
        normalise(request.args.get("lang"))
        or normalise(request.cookies.get(COOKIE))
        or DEFAULT_LOCALE
    )


def current_language() -> str:
    """``zh_Hans`` or ``en``: the language the current response is written in."""
    return normalise(str(get_locale())) or DEFAULT_LOCALE


def html_lang() -> str:
    """The value for ``<html lang>`` (BCP 47)."""
    return "zh-Hans" if current_language() == "zh_Hans" else "en"


def _remember_choice(response: Response) -> Response:
    chosen = normalise(request.args.get("lang"))
    if chosen and request.cookies.get(COOKIE) != chosen:
        from flask import current_app

        response.set_cookie(
            COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def init_i18n(app: Flask) -> None:
    """Set up flask-babel with fundvote's catalogues and the language switch."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember_choice)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        current = current_language()
        return {
            "current_language": current,
            "html_lang": html_lang(),
            # The product's name in the other language, shown under the brand.
            "brand_alt": "fundvote" if current == "zh_Hans" else "业主共决",
            "brand_alt_lang": "en" if current == "zh_Hans" else "zh-Hans",
            "other_languages": [
                (code, name) for code, name in LANGUAGES.items() if code != current
            ],
        }
