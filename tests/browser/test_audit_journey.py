"""An auditor on a phone: from home to the community's audit page, a period chosen in the
form, the bundle downloaded; the audit page and the how-to page fit a 390 px screen."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page

from fundvote.auth import add_user
from fundvote.books import create_community_with_books, import_roll_with_books
from ledger.api import PostingLine, post_entry
from notary.work import UnitOfWork
from tests.browser.conftest import LiveServer, committee_login

pytestmark = pytest.mark.browser

CODE = "AJ01"
PASSWORD = "a long staff password here"


def _checkpoint(uow: UnitOfWork) -> object:
    return uow.checkpoint(CODE)


def _fits_a_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways on a phone: {width}px"


def test_an_auditor_downloads_a_period_on_a_phone(
    live_server: LiveServer, phone: object, tmp_path: Path
) -> None:
    rt = live_server.runtime
    rt.run(create_community_with_books, code=CODE, name="审计之家")
    rt.run(
        import_roll_with_books,
        community_code=CODE,
        data=b"unit,building,area,owners,developer\n1-101,1,100.00,A1,\n",
        filename="roll.csv",
        cipher=rt.cipher,
    )
    for day in (date(2025, 6, 1), date(2026, 6, 1)):
        rt.run(
            post_entry,
            community_code=CODE,
            kind="deposit",
            value_date=day,
            lines=[PostingLine("1001", 1_000), PostingLine("2101.1-101", -1_000)],
        )
    rt.run(_checkpoint)
    rt.run(
        add_user,
        username="shenji",
        password=PASSWORD,
        role="auditor",
        communities=[CODE],
        display_name="shenji",
    )
    base = live_server.url
    page: Page = phone.new_page()  # type: ignore[attr-defined]
    committee_login(page, base, "shenji", PASSWORD)
    with page.expect_navigation():
        page.click(f'a[href="/c/{CODE}/audit/"]')
    _fits_a_phone(page)
    shots = Path(os.environ.get("FUNDVOTE_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(shots / "audit-390.png"), full_page=True)
    page.fill("#from", "2026-01-01")
    page.fill("#to", "2026-12-31")
    with page.expect_download() as download_info:
        page.click(f'form[action="/c/{CODE}/audit/bundle.zip"][method="get"] button')
    download = download_info.value
    assert download.suggested_filename == f"{CODE}-audit-2026-01-01-2026-12-31.zip"
    data = Path(download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        lines = archive.read("ledger/entries.jsonl").decode().splitlines()
    assert [json.loads(x)["value_date"] for x in lines] == ["2026-06-01"]

    with page.expect_navigation():
        page.click('a[href="/audit/how-to-verify"]')
    _fits_a_phone(page)
    page.screenshot(path=str(shots / "how-to-verify-390.png"), full_page=True)
    assert "fundvote verify FILE.zip --key KEY" in page.inner_text("main")
