"""Phone screenshots of the owner's pages for the README: docs/img/owner-ballot.png and
docs/img/owner-receipt.png.

Builds the browser journeys' data (``tests/browser/voting_data.py``: a small roll, a
fund-use ballot for building 03) on a temporary SQLite database, serves the app on a loopback
port and drives Debian's Chromium (``/usr/bin/chromium``, installed by ``make test``) in a
390x844 phone at device scale 2, in the default language (Simplified Chinese). The owner of
the co-owned unit 03-102 opens their link (ballot page, with their share of the fund part),
chooses "agree", confirms and lands on the receipt.

    .venv/bin/python scripts/screenshots.py [--out docs/img] [--lang zh_Hans|en]

Nothing is written outside ``--out`` and a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file: make `tests` importable
    sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from fundvote.app import create_app  # noqa: E402
from fundvote.config import load_settings  # noqa: E402
from fundvote.runtime import Runtime, build_runtime  # noqa: E402
from fundvote.schema import upgrade  # noqa: E402
from notary.clock import FixedClock  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402
from tests.browser.voting_data import issue_tokens, make_roll, open_fund_ballot  # noqa: E402

CODE = "jbhy"
UNIT = "03-102"
NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def build(tmp: Path) -> Runtime:
    """A runtime on a fresh migrated SQLite database in ``tmp``, with a fixed clock."""
    settings = load_settings(
        {
            "FUNDVOTE_INSTANCE_PATH": str(tmp / "instance"),
            "FUNDVOTE_DATABASE_URL": f"sqlite:///{tmp / 'screenshots.db'}",
            "FUNDVOTE_SECRET_KEY": "screenshots-only",
            "FUNDVOTE_LOG_ORIGIN": "fundvote.example",
        }
    )
    rt = build_runtime(settings, clock=FixedClock(NOW))
    upgrade(rt.engine)
    return rt


def shoot(rt: Runtime, out: Path, lang: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False}, runtime=rt)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    make_roll(rt, CODE)
    info = open_fund_ballot(rt, CODE)
    url = f"{base}/v/{issue_tokens(rt, info.ref, base)[UNIT]}"
    ballot_png, receipt_png = out / "owner-ballot.png", out / "owner-receipt.png"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            options: dict[str, Any] = dict(PHONE)
            context = browser.new_context(**options)
            context.add_cookies([{"name": "lang", "value": lang, "url": base}])
            page = context.new_page()
            page.goto(url)
            page.screenshot(path=str(ballot_png), full_page=True)
            page.locator("fieldset#q1 label.ov-agree").tap()
            with page.expect_navigation():
                page.locator('form[action$="/confirm"] button[type=submit]').click()
            with page.expect_navigation():
                page.locator('form[action$="/cast"] button[type=submit]').click()
            page.locator("#receipt").wait_for()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(receipt_png), full_page=True)
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
    return [ballot_png, receipt_png]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--lang", default="zh_Hans", choices=["zh_Hans", "en"])
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print("Chromium is missing: `make test` installs it (apt-get install chromium)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fundvote-shots-") as tmp:
        rt = build(Path(tmp))
        try:
            for path in shoot(rt, args.out, args.lang):
                print(path)
        finally:
            rt.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
