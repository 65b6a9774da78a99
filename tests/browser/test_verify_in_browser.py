"""The owner checks a receipt in their own browser (issue 11, item 6): with the server's check
switched off, Chromium alone verifies the signature, the signed checkpoint and the inclusion
against the public hash tiles, and catches tampering; on a phone nothing scrolls sideways;
without JavaScript the server's check still answers.

The pages are in Chinese (the phone's locale), so the journeys read states and classes, not
wording."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from tests.browser.conftest import PHONE, LiveServer, serve, submit
from tests.browser.test_receipt_check_js import NO_WEBCRYPTO_ED25519
from tests.browser.voting_data import issue_tokens, make_roll, open_fund_ballot
from voting.casting import cast_vote

pytestmark = pytest.mark.browser

CODE = "jb"
PHONE_WIDTH = PHONE["viewport"]["width"]  # type: ignore[index]
CHECKS = ("signature", "checkpoint", "inclusion")


@pytest.fixture
def browser_only(runtime: Runtime) -> Iterator[LiveServer]:
    """The app with the server's own receipt check switched off."""
    yield from serve(runtime, FUNDVOTE_VERIFY_SERVER_CHECK=False)


@pytest.fixture
def receipts(runtime: Runtime) -> dict[str, str]:
    """Two receipts of one ballot: ``covered`` by the latest signed checkpoint (what the
    minute's tick signs), and ``fresh``, cast after it."""
    make_roll(runtime, CODE)
    info = open_fund_ballot(runtime, CODE)
    tokens = issue_tokens(runtime, info.ref, "http://vote.test")
    covered = runtime.run(cast_vote, token=tokens["03-101"], choices={1: "agree"})
    sign_due_checkpoints(runtime)
    fresh = runtime.run(cast_vote, token=tokens["03-201"], choices={1: "oppose"})
    return {"covered": covered.text, "fresh": fresh.text}


def _context(chromium: Browser, *, init: str = "", **options: Any) -> Iterator[BrowserContext]:
    context = chromium.new_context(**{**PHONE, **options})
    if init:
        context.add_init_script(init)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def phone(chromium: Browser) -> Iterator[BrowserContext]:
    yield from _context(chromium)


@pytest.fixture
def phone_without_ed25519(chromium: Browser) -> Iterator[BrowserContext]:
    """A phone whose WebCrypto lacks Ed25519, as older browsers' does."""
    yield from _context(chromium, init=NO_WEBCRYPTO_ED25519)


@pytest.fixture
def phone_without_js(chromium: Browser) -> Iterator[BrowserContext]:
    yield from _context(chromium, java_script_enabled=False)


def check(context: BrowserContext, base: str, text: str) -> Page:
    """Paste ``text`` on /verify and send it; wait for the browser's check to finish."""
    page = context.new_page()
    page.goto(base + "/verify")
    page.fill("#receipt", text)
    submit(page, "/verify")
    page.wait_for_selector("#browser-check[data-state]", timeout=20_000)
    return page


def states(page: Page) -> dict[str, str | None]:
    """The browser's verdict and the class (yes / no / wait) of each of its checks."""
    out = {"all": page.get_attribute("#browser-check", "data-state")}
    for name in CHECKS:
        out[name] = page.get_attribute(f'#browser-check [data-check="{name}"]', "class")
    return out


def assert_fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways: {width}px wide"


def tampered(text: str, change: str) -> str:
    data = json.loads(text)
    if change == "choice":
        data["questions"][0]["choice"] = "oppose"
    else:
        data["log"]["leaf_hash"] = "00" * 32
    return json.dumps(data, ensure_ascii=False, indent=1)


def test_the_browser_alone_verifies_a_receipt(
    browser_only: LiveServer, phone: BrowserContext, receipts: dict[str, str]
) -> None:
    page = check(phone, browser_only.url, receipts["covered"])
    assert states(page) == {
        "all": "yes",
        "signature": "yes",
        "checkpoint": "yes",
        "inclusion": "yes",
    }
    # Only the browser judged: the server's verdict and check list are absent.
    assert page.locator(".verify-ok, .verify-bad").count() == 0
    assert page.locator("#main .checks").count() == 1
    assert page.locator("#browser-check").is_visible()
    assert "WebCrypto" in page.inner_text("#browser-check [data-role=engine]")
    assert_fits_phone(page)


def test_the_browser_catches_a_flipped_choice_and_a_wrong_leaf_hash(
    browser_only: LiveServer, phone: BrowserContext, receipts: dict[str, str]
) -> None:
    page = check(phone, browser_only.url, tampered(receipts["covered"], "choice"))
    assert states(page) == {"all": "no", "signature": "no", "checkpoint": "yes", "inclusion": "yes"}
    page = check(phone, browser_only.url, tampered(receipts["covered"], "leaf"))
    assert states(page) == {"all": "no", "signature": "no", "checkpoint": "yes", "inclusion": "no"}
    assert_fits_phone(page)


def test_a_receipt_no_checkpoint_covers_yet_waits(
    browser_only: LiveServer, phone: BrowserContext, receipts: dict[str, str]
) -> None:
    page = check(phone, browser_only.url, receipts["fresh"])
    assert states(page) == {
        "all": "wait", "signature": "yes", "checkpoint": "yes", "inclusion": "wait",
    }  # fmt: skip


def test_without_ed25519_in_webcrypto_the_vendored_library_checks(
    browser_only: LiveServer, phone_without_ed25519: BrowserContext, receipts: dict[str, str]
) -> None:
    page = check(phone_without_ed25519, browser_only.url, receipts["covered"])
    assert states(page)["all"] == "yes"
    assert "noble-ed25519" in page.inner_text("#browser-check [data-role=engine]")
    page = check(phone_without_ed25519, browser_only.url, tampered(receipts["covered"], "choice"))
    assert states(page)["signature"] == "no"


def test_server_and_browser_both_check_and_say_so(
    live_server: LiveServer, phone: BrowserContext, receipts: dict[str, str]
) -> None:
    page = check(phone, live_server.url, receipts["covered"])
    assert page.locator(".verify-ok").count() == 1
    assert states(page)["all"] == "yes"
    assert page.locator("#main h2").count() >= 2  # "checked by the server", "in your browser"
    assert_fits_phone(page)


def test_without_javascript_the_server_still_checks(
    live_server: LiveServer, phone_without_js: BrowserContext, receipts: dict[str, str]
) -> None:
    page = phone_without_js.new_page()
    page.goto(live_server.url + "/verify")
    page.fill("#receipt", receipts["covered"])
    submit(page, "/verify")
    assert page.locator(".verify-ok").count() == 1, page.inner_text("main")
    assert not page.locator("#browser-check").is_visible()
    assert_fits_phone(page)
