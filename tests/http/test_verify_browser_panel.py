"""What ``/verify`` hands the browser for its own check, and the page with the server's check
switched off (``FUNDVOTE_VERIFY_SERVER_CHECK``)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fundvote.app import create_app
from fundvote.config import BadSetting, load_settings
from fundvote.runtime import Runtime
from tests.http.conftest import TEST_CONFIG
from tests.http.test_verify_pages import csrf, log_rows
from tests.http.test_verify_pages import receipt as receipt  # the fixture
from voting.receipts import Receipt

# Every outcome static/verify.js can show (it names them "<check>-<result>" and by summary).
OUTCOMES = {
    *(f"signature-{r}" for r in ("ok", "bad", "no-key")),
    *(f"checkpoint-{r}" for r in ("ok", "bad", "origin")),
    *(f"inclusion-{r}" for r in ("ok", "pending", "skipped", "leaf-hash", "root")),
    *("all-ok", "pending", "problem", "network", "unsupported", "malformed"),
    *("engine-webcrypto", "engine-noble"),
}
_PANEL = re.compile(r'<section id="browser-check"[^>]*>', re.S)


def attribute(tag: str, name: str) -> str:
    match = re.search(rf"""{name}=(["'])(.*?)\1""", tag, re.S)
    assert match, name
    return html.unescape(match.group(2))


def panel(page: str) -> str:
    match = _PANEL.search(page)
    assert match, "no browser panel"
    return match.group(0)


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


@pytest.fixture
def browser_only(runtime: Runtime) -> FlaskClient:
    """A client of the app with the server's own check switched off."""
    app: Flask = create_app(dict(TEST_CONFIG, FUNDVOTE_VERIFY_SERVER_CHECK=False), runtime=runtime)
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


def test_the_result_page_hands_the_browser_the_receipt_and_its_messages(
    client: FlaskClient, receipt: Receipt
) -> None:
    response = client.post("/verify", data={"csrf_token": csrf(client), "receipt": receipt.text})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This receipt is genuine" in page and "Checked by the server" in page
    tag = panel(page)
    assert attribute(tag, "data-receipt") == receipt.text
    assert attribute(tag, "data-keys-url") == "/.well-known/fundvote/keys"
    assert attribute(tag, "data-log-url") == "/log/__community__/"
    messages = json.loads(attribute(tag, "data-messages"))
    assert set(messages) == OUTCOMES
    assert messages["all-ok"].startswith("Your browser finds this receipt genuine")
    # The module is loaded from our own static files; no inline script (the CSP forbids it).
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script type="module" src="/static/verify.js">']
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_browsers_messages_are_translated(client: FlaskClient, receipt: Receipt) -> None:
    client.set_cookie("lang", "zh_Hans")
    page = client.post(
        "/verify", data={"csrf_token": csrf(client), "receipt": receipt.text}
    ).get_data(as_text=True)
    messages = json.loads(attribute(panel(page), "data-messages"))
    english = set(re.findall(r"[A-Za-z]{4,}", " ".join(messages.values())))
    # Only names stay in Latin letters.
    assert english <= {"WebCrypto", "noble", "ed25519", "Ed25519"}, english
    assert "在您的浏览器中核验" in page


def test_with_the_server_check_off_the_page_has_only_the_browsers_check(
    browser_only: FlaskClient, runtime: Runtime, receipt: Receipt
) -> None:
    before = log_rows(runtime)
    response = browser_only.post(
        "/verify", data={"csrf_token": csrf(browser_only), "receipt": receipt.text}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "switched off the server's own check" in page
    for server_says in ("Checked by the server", "This receipt is genuine", "does not check out"):
        assert server_says not in page
    assert attribute(panel(page), "data-receipt") == receipt.text
    assert receipt.tracker in page  # what the receipt says of itself, read, not checked
    assert log_rows(runtime) == before


def test_with_the_server_check_off_a_tampered_receipt_is_not_judged_by_the_server(
    browser_only: FlaskClient, receipt: Receipt
) -> None:
    data = json.loads(receipt.text)
    data["questions"][0]["choice"] = "oppose"
    response = browser_only.post(
        "/verify", data={"csrf_token": csrf(browser_only), "receipt": json.dumps(data)}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    outside_panel = _PANEL.sub("", page)
    assert "does not check out" not in outside_panel
    assert "signature does not verify" not in outside_panel


def test_with_the_server_check_off_text_that_is_no_receipt_is_still_refused(
    browser_only: FlaskClient, community: int
) -> None:
    response = browser_only.post(
        "/verify", data={"csrf_token": csrf(browser_only), "receipt": "hello"}
    )
    assert response.status_code == 422
    assert "not JSON" in response.get_data(as_text=True)


def test_the_setting(tmp_path: Path) -> None:
    env = {"FUNDVOTE_INSTANCE_PATH": str(tmp_path), "FUNDVOTE_SECRET_KEY": "k"}
    assert load_settings(env).is_verify_server_check is True
    for off in ("0", "off", "False", " no "):
        settings = load_settings(dict(env, FUNDVOTE_VERIFY_SERVER_CHECK=off))
        assert settings.is_verify_server_check is False, off
    assert load_settings(dict(env, FUNDVOTE_VERIFY_SERVER_CHECK="1")).is_verify_server_check
    with pytest.raises(BadSetting, match="FUNDVOTE_VERIFY_SERVER_CHECK"):
        load_settings(dict(env, FUNDVOTE_VERIFY_SERVER_CHECK="maybe"))
