"""Languages: the switch, and catalogues that are complete and compiled."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "fundvote" / "translations"
LOCALES = ["zh_Hans", "en"]
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "N_": None}


def _extracted_msgids() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        # A plural message is (singular, plural[, context]); catalogues key it by the singular
        # and hold every plural form in that one entry (checked through message.string).
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalogue(locale: str):  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=locale)


def test_every_msgid_has_a_chinese_translation() -> None:
    ids = _extracted_msgids()
    assert "Staff login" in ids and "Page not found" in ids  # the extraction works
    catalogue = _catalogue("zh_Hans")
    missing = []
    for msgid in sorted(ids):
        message = catalogue.get(msgid)
        strings = message.string if message is not None else None
        ok = all(strings) if isinstance(strings, tuple) else bool(strings)
        if not ok or (message is not None and message.fuzzy):
            missing.append(msgid)
    assert missing == [], "untranslated in zh_Hans (run `make messages`): " + repr(missing)


def test_english_catalogue_covers_every_msgid() -> None:
    ids = _extracted_msgids()
    catalogue = _catalogue("en")
    assert sorted(i for i in ids if catalogue.get(i) is None) == []


def _served(mo: bytes) -> dict[tuple[object, object], tuple[object, ...]]:
    """What a compiled catalogue serves: every message's strings by (context, id).

    The header entry (empty id) is left out: it names the tool version that compiled the file,
    which must not decide whether the catalogue is current.
    """
    served = {}
    for message in read_mo(io.BytesIO(mo)):
        if not message.id:
            continue
        # Plural ids and strings come as lists: compare them as tuples.
        key = tuple(message.id) if isinstance(message.id, list | tuple) else message.id
        strings = message.string
        served[(message.context, key)] = (
            tuple(strings) if isinstance(strings, list | tuple) else (strings,)
        )
    return served


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_mo_matches_the_po(locale: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(locale), use_fuzzy=False)
    expected = _served(compiled.getvalue())
    assert len(expected) > 50  # the comparison has something to compare
    committed = (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert _served(committed) == expected, f"stale {locale} .mo: run `make messages`"


def test_default_is_simplified_chinese(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and "业主共决" in page
    assert 'href="/?lang=en"' in page and ">English<" in page


def test_switch_to_english_is_remembered_in_a_cookie(client: FlaskClient) -> None:
    response = client.get("/login?lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page and "Staff login" in page
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("lang="))
    assert cookie.startswith("lang=en;") and "SameSite=Lax" in cookie
    later = client.get("/").get_data(as_text=True)
    assert "Owners decide together" in later and 'href="/?lang=zh_Hans"' in later
    client.get("/?lang=zh")
    assert "业主共同决定" in client.get("/").get_data(as_text=True)


def test_unknown_language_falls_back_to_chinese(client: FlaskClient) -> None:
    response = client.get("/?lang=fr")
    assert '<html lang="zh-Hans">' in response.get_data(as_text=True)
    assert not any(v.startswith("lang=") for v in response.headers.getlist("Set-Cookie"))


def test_templates_have_no_untranslated_text() -> None:
    """Rough guard: visible text in templates sits inside {{ _(...) }} or a variable."""
    import re

    templates = ROOT / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
        source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", source, flags=re.S)
        source = re.sub(r"<(script|style)\b.*?</\1>", "", source, flags=re.S)
        for text in re.findall(r">([^<>]+)<", source):
            text = text.strip()
            if text and re.search(r"[A-Za-z\u4e00-\u9fff]", text) and text != "fundvote":
                offenders.append((path.name, text))
    assert offenders == []
