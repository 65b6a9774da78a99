"""A draw from the manager's record to the authority's approval, in a real browser on a phone.

The manager opens a project from a final ``fund_use`` decision on the projects page, records
a progress payment with retention held back, and cannot approve it. The housing authority
(which holds the fund) signs in on another phone, approves the draw, and the payment posts:
the unit sub-accounts are charged by area and the retention sits in 2202. The pages are in
Simplified Chinese; the journey finds things by structure (form actions, ids) and checks
figures, never wording.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from fundvote.auth import add_user
from fundvote.runtime import Runtime
from ledger.api import balances, largest_remainder
from tests.browser.conftest import LiveServer, committee_login, submit
from tests.services.ledger.project_helpers import (
    AREAS,
    decided,
    fund_everyone,
    register_with_books,
)
from tests.services.voting.ballot_helpers import CODE

pytestmark = pytest.mark.browser

PASSWORD = "a long staff password here"


def _balances(rt: Runtime) -> dict[str, int]:
    return {b.code: b.balance_fen for b in rt.query(balances, CODE)}


def _no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways on a phone: {width}px"


def test_a_draw_from_the_managers_record_to_the_authoritys_approval(
    live_server: LiveServer, phone: object, chromium: object
) -> None:
    rt = live_server.runtime
    register_with_books(rt)
    fund_everyone(rt)
    ballot = decided(rt)
    for username, role in (("wuye", "manager"), ("fangguan", "authority")):
        rt.run(
            add_user,
            username=username,
            password=PASSWORD,
            role=role,
            communities=[CODE],
            display_name=username,
        )
    base = live_server.url
    page: Page = phone.new_page()  # type: ignore[attr-defined]
    committee_login(page, base, "wuye", PASSWORD)
    page.goto(f"{base}/c/{CODE}/projects/")
    _no_horizontal_scroll(page)
    page.fill("#ballot", ballot)
    page.fill("#question", "1")
    submit(page, "/projects/open")
    assert "/projects/p" in page.url
    project_url = page.url
    page.select_option("#stage", "progress")
    page.fill("#amount", "2,000.00")
    page.fill("#retention", "100")
    page.fill("#value_date", "2026-03-01")
    page.fill("#invoices", "FP-0301")
    submit(page, "/draws")
    assert page.locator('form[action$="/approve"]').count() == 0  # never one's own
    assert _balances(rt)["1001"] == 7_000_000  # nothing posted yet

    authority_context = chromium.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        other = authority_context.new_page()
        committee_login(other, base, "fangguan", PASSWORD)
        other.goto(project_url)
        _no_horizontal_scroll(other)
        assert other.locator('form[action$="/approve"]').count() == 1
        submit(other, "/approve")
        assert other.locator('form[action$="/approve"]').count() == 0
        assert "FP-0301" in other.inner_text("main")
    finally:
        authority_context.close()

    after = _balances(rt)
    shares = largest_remainder(200_000, sorted(AREAS.items()))
    for unit, share in shares.items():
        assert after[f"2101.{unit}"] == -1_000_000 + share
    assert after["2202"] == -10_000
    assert after["1001"] == 7_000_000 - 190_000
