"""Browser journeys: the real app served on a loopback port, driven by Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` (installed by ``make test``); it never downloads a
browser. The server runs in a thread on the test database with the test clock, so a journey
can open, close and publish ballots by moving the clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from werkzeug.serving import BaseWSGIServer, make_server

from fundvote.app import create_app
from fundvote.runtime import Runtime

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


@dataclass
class LiveServer:
    url: str
    runtime: Runtime


class _InFlight:
    """WSGI middleware that counts the requests the application is answering, so the server
    can wait for them before the test's database goes away: a request the browser still had
    running would otherwise return its connection to a disposed pool. (A view's units of work
    end before it returns; no streamed body of ours reads the database.)"""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0
        self.idle = threading.Condition()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with self.idle:
            self.count += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.count == 0, timeout=timeout)


def serve(runtime: Runtime, **config: Any) -> Iterator[LiveServer]:
    """Serve the app on ``runtime`` (with Flask ``config`` on top of the test settings) on a
    loopback port until the generator is closed; closing waits for requests still running."""
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, **config}, runtime=runtime)
    in_flight = _InFlight(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, in_flight, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", runtime)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        assert in_flight.wait_idle(timeout=30), "a request was still running after 30 s"


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[LiveServer]:
    yield from serve(runtime)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone(chromium: object, tmp_path: Path) -> Iterator[object]:
    """A fresh phone-sized browser context (its own cookies) that accepts downloads."""
    context = chromium.new_context(accept_downloads=True, **PHONE)  # type: ignore[attr-defined]
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def desktop(chromium: Browser) -> Iterator[BrowserContext]:
    """A desktop-sized browser context (its own cookies) that accepts downloads."""
    context = chromium.new_context(
        accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    try:
        yield context
    finally:
        context.close()


def submit(page: Page, action_suffix: str) -> None:
    """Press the visible submit button of the form whose action ends with ``action_suffix``."""
    button = page.locator(f'form[action$="{action_suffix}"] button[type=submit]:visible')
    assert button.count() == 1, f"no single submit button for {action_suffix} on {page.url}"
    with page.expect_navigation():
        button.click()


def committee_login(page: Page, base: str, username: str, password: str) -> None:
    """Sign in as staff user ``username`` on the login page."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, page.inner_text("main")
