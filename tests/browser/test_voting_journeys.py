"""Voting journeys in a real browser: an owner votes on a phone (with and without
JavaScript) and checks the receipt; the committee runs a ballot from draft to public notice.

The pages are in the default language (Simplified Chinese, or English where the catalogue
has no translation yet), so the journeys find things by structure (form actions, classes,
names) and check figures, never wording.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page

from fundvote.auth import add_user
from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from notary import store
from tests.browser.conftest import PHONE, LiveServer, committee_login, submit
from tests.browser.voting_data import (
    AREAS,
    COMMUNITY_NAME,
    FUND_PLAN,
    FUND_TITLE,
    area_text,
    expected_share_fen,
    issue_tokens,
    make_roll,
    open_fund_ballot,
    yuan_text,
)
from voting import ballots
from voting.casting import cast_vote

pytestmark = pytest.mark.browser

CODE = "jb"
PASSWORD = "a long committee password"
PHONE_WIDTH = PHONE["viewport"]["width"]  # type: ignore[index]
MIN_TAP = 44  # px: the smallest comfortable touch target (WCAG 2.5.5, Apple HIG)


def assert_fits_phone(page: Page) -> None:
    """Nothing on the page is wider than the phone's screen (no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways: {width}px wide"


def texts(locator: Locator) -> list[str]:
    return [t.strip() for t in locator.all_inner_texts()]


def stored_ballot(rt: Runtime, ref: str) -> ballots.BallotInfo:
    """The ballot as stored (not as a page shows it), read in a session closed at once."""
    with rt.session_factory() as s:
        return ballots.ballot_in_community(s, CODE, ref)


def status_of_db(rt: Runtime, ref: str) -> str:
    """The ballot's status as stored (not as a page shows it)."""
    return stored_ballot(rt, ref).status


@pytest.fixture
def no_js_phone(chromium: Browser) -> Iterator[BrowserContext]:
    """A phone context with JavaScript switched off."""
    options: dict[str, Any] = dict(PHONE)
    context = chromium.new_context(accept_downloads=True, java_script_enabled=False, **options)
    try:
        yield context
    finally:
        context.close()


# --- 1. the owner on a phone ---------------------------------------------------------------


def vote_and_check(
    context: BrowserContext,
    *,
    url: str,
    units: list[str],
    with_js: bool,
    tmp_path: Path,
    runtime: Runtime,
) -> str:
    """Open a personal link, vote "agree", keep and check the receipt; returns the tracker."""
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"

    # The ballot page: whose vote, which units, how much area, what their share costs.
    assert FUND_TITLE in page.inner_text("h1")
    assert texts(page.locator(".ov-member .ov-unit")) == units
    area = sum(AREAS[u] for u in units)
    assert area_text(area) in page.inner_text(".ov-member")
    plan = page.inner_text(".ov-plan")
    assert yuan_text(FUND_PLAN.budget_fen) in plan
    assert yuan_text(FUND_PLAN.sources["maintenance_fund"]) in plan
    share = expected_share_fen(units)
    assert yuan_text(share) in page.inner_text(".ov-share-amount"), (share, plan)
    assert_fits_phone(page)

    # Tap "agree": the whole label is the target, and it is big enough for a thumb.
    agree = page.locator("fieldset#q1 label.ov-agree")
    box = agree.bounding_box()
    assert box is not None and box["height"] >= MIN_TAP, box
    agree.tap()
    assert page.locator('input[name="q1"][value="agree"]').is_checked()
    assert not page.locator('input[name="q1"][value="oppose"]').is_checked()
    submit(page, "/confirm")

    # The confirm page (reached through a redirect, so Back never resubmits) repeats the
    # choice; with JavaScript the browser adds its randomness.
    assert "/confirm?q1=agree" in page.url, page.url
    assert page.locator(".ov-summary .ov-picked.ov-agree").count() == 1
    assert page.locator('input[type="hidden"][name="q1"]').get_attribute("value") == "agree"
    entropy = page.locator('input[name="client_entropy"]').get_attribute("value") or ""
    if with_js:
        assert re.fullmatch(r"[0-9a-f]{64}", entropy), entropy
    else:
        assert entropy == ""
    assert_fits_phone(page)
    submit(page, "/cast")

    # The receipt: the tracker, the choice, downloads.
    assert page.url.endswith("#receipt"), page.url
    assert page.locator("#receipt").is_visible()
    tracker = page.inner_text("#receipt .ov-tracker").strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", tracker), tracker
    assert page.locator("#receipt .ov-picked.ov-agree").count() == 1
    assert page.locator('input[type="radio"]').count() == 0
    assert_fits_phone(page)

    with page.expect_download() as info:
        page.locator('a[href$="/receipt.json"]').click()
    download = info.value
    assert download.suggested_filename.endswith(f"-{tracker}.json")
    receipt_path = tmp_path / f"receipt-{tracker}.json"
    download.save_as(receipt_path)
    receipt: dict[str, Any] = json.loads(receipt_path.read_text("utf-8"))
    assert receipt["tracker"] == tracker
    assert [(q["position"], q["choice"]) for q in receipt["questions"]] == [(1, "agree")]
    assert receipt["signature"]

    # The receipt PDF, the main download, carries the receipt: it is what gets checked
    # below (with JavaScript; without, the receipt text is pasted).
    with page.expect_download() as info:
        page.locator('a[href*="/receipt.pdf"]').click()
    pdf_path = tmp_path / f"receipt-{tracker}.pdf"
    info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")

    # Back from the receipt never shows the browser's "resubmit the form?" page: the
    # confirm page's address now leads to the receipt.
    page.go_back()
    assert page.locator("#receipt").count() == 1, page.url
    assert page.locator(".ov-public a").count() >= 1  # links to the public results

    # Check the receipt on /verify, reached from the receipt page's link, once the minute's
    # checkpoint covers it (what `fundvote tick` does every minute).
    sign_due_checkpoints(runtime)
    with page.expect_navigation():
        page.locator('#main a[href$="/verify"]').click()
    assert_fits_phone(page)
    if with_js:
        page.set_input_files("#file", pdf_path)
    else:
        page.fill("#receipt", receipt_path.read_text("utf-8"))
    submit(page, "/verify")
    assert page.locator(".verify-ok").count() == 1, page.inner_text("main")
    assert page.locator(".verify-bad").count() == 0
    # The server: signed, found in the log, proven included, same choices.
    assert page.locator("ul.server-checks li.yes").count() == 4
    assert page.locator("ul.checks li.no").count() == 0
    if with_js:  # the browser, on its own: signed, signed checkpoint, included
        page.wait_for_selector("#browser-check[data-state]")
        assert page.get_attribute("#browser-check", "data-state") == "yes"
        assert page.locator("#browser-check li.yes").count() == 3
    else:
        assert not page.locator("#browser-check").is_visible()
    assert page.inner_text("dl.facts .ov-tracker").strip() == tracker
    facts = page.inner_text("dl.facts")
    assert COMMUNITY_NAME in facts and FUND_TITLE in facts  # names, not codes
    assert_fits_phone(page)

    # Reopening the link shows the receipt, never a second ballot form.
    page.goto(url)
    assert page.locator("#receipt").count() == 1
    assert page.inner_text("#receipt .ov-tracker").strip() == tracker
    assert page.locator('input[type="radio"]').count() == 0
    assert page.locator('form[action$="/confirm"]').count() == 0
    assert_fits_phone(page)
    page.close()
    return tracker


def test_owner_votes_on_a_phone_and_checks_the_receipt(
    live_server: LiveServer,
    phone: BrowserContext,
    no_js_phone: BrowserContext,
    tmp_path: Path,
) -> None:
    rt = live_server.runtime
    make_roll(rt, CODE)
    info = open_fund_ballot(rt, CODE)
    tokens = issue_tokens(rt, info.ref, live_server.url)
    # Building 03 only: O001's unit in building 05 is not part of this vote.
    assert set(tokens) == {"03-101", "03-102", "03-201", "03-S01"}

    # The co-owners of 03-102, with JavaScript.
    first = vote_and_check(
        phone,
        url=f"{live_server.url}/v/{tokens['03-102']}",
        units=["03-102"],
        with_js=True,
        tmp_path=tmp_path,
        runtime=rt,
    )
    # O001 (03-101 here, 05-102 elsewhere) on a phone without JavaScript.
    second = vote_and_check(
        no_js_phone,
        url=f"{live_server.url}/v/{tokens['03-101']}",
        units=["03-101"],
        with_js=False,
        tmp_path=tmp_path,
        runtime=rt,
    )
    assert first != second
    with rt.session_factory() as s:
        counted = ballots.ballot_in_community(s, CODE, info.ref)
    assert counted.status == "open"


# --- 2. the committee runs a ballot --------------------------------------------------------

# Whole community: six members (O001 holds 03-101 and 05-102), 678.15 m².
HEADS = 6
ROLL_AREA = sum(AREAS.values())
# unit -> (question 1 "manager", question 2 "other")
VOTES = {
    "03-101": ("agree", "agree"),  # O001: 89.37 + 64.00 m²
    "03-201": ("agree", "oppose"),  # O004: 120.05 m²
    "05-201": ("agree", "oppose"),  # O006: 143.21 m²
    "05-101": ("oppose", "agree"),  # O005: 110.00 m²
}
TOOK_PART = 15337 + 12005 + 14321 + 11000
# Question 1: 3 of 4 heads, 416.63 of 526.63 m² agree -> passed.
# Question 2: 2 of 4 heads (not more than half), 263.37 of 526.63 m² (more than half)
# -> not passed, on heads alone.
EXPECTED_TESTS = {
    1: [
        ((4, HEADS), True),
        ((TOOK_PART, ROLL_AREA), True),
        ((3, 4), True),
        ((15337 + 12005 + 14321, TOOK_PART), True),
    ],
    2: [
        ((4, HEADS), True),
        ((TOOK_PART, ROLL_AREA), True),
        ((2, 4), False),
        ((15337 + 11000, TOOK_PART), True),
    ],
}


def status_of(page: Page) -> str:
    classes = page.locator("span.status").first.get_attribute("class") or ""
    match = re.search(r"status-(\w+)", classes)
    assert match, classes
    return match.group(1)


def read_tests(section: Locator) -> list[tuple[str, bool | None]]:
    """(figure text, met?) for each row of a question's table of tests."""
    rows = []
    for row in section.locator("table.tests tbody tr").all():
        figure = row.locator("td.num").inner_text().strip()
        mark = row.locator(".mark")
        cls = mark.get_attribute("class") or ""
        met = True if "mark-yes" in cls else False if "mark-no" in cls else None
        rows.append((figure, met))
    return rows


def figure_text(part: int, total: int, *, area: bool) -> tuple[str, str]:
    if area:
        return area_text(part), area_text(total)
    return str(part), str(total)


def check_question_results(page: Page, *, outcomes: dict[int, bool]) -> None:
    """Each question's four tests show the right figures and met / not met, and the outcome."""
    sections = page.locator("section.question")
    assert sections.count() == len(outcomes)
    for position, passed in outcomes.items():
        section = page.locator(f"section.question:has(h3#q{position})")
        rows = read_tests(section)
        expected = EXPECTED_TESTS[position]
        assert len(rows) == len(expected), rows
        for n, (got, ((part, total), want)) in enumerate(zip(rows, expected, strict=True)):
            figure, met = got
            part_text, total_text = figure_text(part, total, area=n in (1, 3))
            numbers = re.findall(r"[\d,]+(?:\.\d+)?", figure)
            assert numbers[:2] == [part_text, total_text], (position, n, figure)
            assert met is want, (position, n, figure, met)
        outcome = "outcome-passed" if passed else "outcome-failed"
        assert section.locator(f".{outcome}").count() == 1, section.inner_text()


def test_committee_runs_a_ballot_to_its_public_notice(
    live_server: LiveServer,
    desktop: BrowserContext,
    phone: BrowserContext,
    tmp_path: Path,
) -> None:
    rt = live_server.runtime
    base = live_server.url
    make_roll(rt, CODE)
    rt.run(
        add_user,
        username="chair",
        password=PASSWORD,
        role="committee",
        communities=[CODE],
        display_name="业委会主任",
    )
    page = desktop.new_page()
    committee_login(page, base, "chair", PASSWORD)

    # A draft through the web form: two whole-community questions.
    page.goto(f"{base}/c/{CODE}/ballots/new")
    page.fill("#title", "选聘物业服务企业及公共收益使用")
    page.fill("#description", "业委会提议续聘现物业服务企业，并将电梯广告收益用于绿化。")
    page.fill("#opens_at", "2026-11-01T11:00")  # Beijing time; the clock is 10:00 there
    page.fill("#closes_at", "2026-11-08T11:00")
    assert page.locator('input[name="scope_kind"][value="community"]').is_checked()
    page.select_option("#q1_matter", "manager")
    page.fill("#q1_text", "是否同意续聘现物业服务企业，合同期三年？")
    page.select_option("#q2_matter", "other")
    page.fill("#q2_text", "是否同意将电梯广告收益用于小区绿化？")
    with page.expect_navigation():
        page.locator("form.form p.actions button[type=submit]").click()
    match = re.search(rf"/c/{CODE}/ballots/([^/?#]+)$", page.url)
    assert match, (page.url, page.inner_text("main"))
    ref = match.group(1)
    assert status_of(page) == "draft"
    info = stored_ballot(rt, ref)
    assert [q.matter for q in info.questions] == ["manager", "other"]
    assert info.opens_at.isoformat() == "2026-11-01T03:00:00+00:00"

    # The step guide: the draft is written, the documents come next.
    guide = page.locator("ol.guide-steps")
    assert guide.locator('[aria-current="step"]').get_attribute("data-step") == "documents"
    assert guide.locator(".guide-done").count() == 1

    # Open it: a confirmation page first (no JavaScript needed), then the roll is frozen
    # (six members, 678.15 m²).
    with page.expect_navigation():
        page.locator('a[href$="/confirm/open"]').first.click()
    assert page.url.endswith(f"/ballots/{ref}/confirm/open"), page.url
    assert status_of_db(rt, ref) == "draft"
    submit(page, "/steps/open")
    assert status_of(page) == "open"
    assert guide.locator('[aria-current="step"]').get_attribute("data-step") == "links"
    assert page.locator("dd.mono").count() >= 1  # the roll fingerprint
    info = stored_ballot(rt, ref)
    assert (info.roll_heads, info.roll_area_centi) == (HEADS, ROLL_AREA)

    # Owners vote through the services while the window is open.
    tokens = issue_tokens(rt, ref, base)
    rt.clock.set(info.opens_at + timedelta(minutes=30))  # type: ignore[attr-defined]
    for unit, (q1, q2) in VOTES.items():
        rt.clock.advance(minutes=7)  # type: ignore[attr-defined]
        rt.run(cast_vote, token=tokens[unit], choices={1: q1, 2: q2})
    page.reload()
    assert page.locator('form[action$="/steps/close"]').count() == 0  # not while voting

    # The window ends: close, then count.
    rt.clock.set(info.closes_at + timedelta(minutes=5))  # type: ignore[attr-defined]
    page.reload()
    submit(page, "/steps/close")
    assert status_of(page) == "closed"
    submit(page, "/steps/tally")
    assert page.url.endswith(f"/c/{CODE}/ballots/{ref}/tally"), page.url
    assert status_of(page) == "tallied"
    check_question_results(page, outcomes={1: True, 2: False})

    # Publish from the count page, through its confirmation page.
    rt.clock.advance(hours=2)  # type: ignore[attr-defined]
    submit(page, "/confirm/publish")
    assert status_of_db(rt, ref) == "tallied"
    submit(page, "/steps/publish")
    assert status_of(page) == "published"
    published = stored_ballot(rt, ref)
    size = published.notice_tree_size
    assert size
    with rt.session_factory() as s:  # the log itself, not the ballot's copy of it
        log_root = store.root(s, CODE, size).hex()
        assert store.checkpoint_at(s, CODE, size) is not None
    assert published.notice_root == log_root

    # Anyone, not signed in, on a phone: the outcome and the log checkpoint.
    public = phone.new_page()
    response = public.goto(f"{base}/r/{CODE}/{ref}/")
    assert response is not None and response.status == 200
    assert "/login" not in public.url
    check_question_results(public, outcomes={1: True, 2: False})
    checkpoint = public.inner_text("section.panel:has(#anchor)")
    assert re.search(rf"(?<!\d){size}(?!\d)", checkpoint), checkpoint
    assert log_root in checkpoint.replace("\n", "").replace(" ", ""), checkpoint
    assert "张三明" not in public.content()
    assert_fits_phone(public)
    # The committee's own pages stay closed to this visitor.
    public.goto(f"{base}/c/{CODE}/ballots/{ref}")
    assert "/login" in public.url

    notice = public.request.get(f"{base}/r/{CODE}/{ref}/notice.pdf")
    assert notice.status == 200
    assert notice.headers["content-type"] == "application/pdf"
    body = notice.body()
    assert body.startswith(b"%PDF-")
    pdf_path = tmp_path / "notice.pdf"
    pdf_path.write_bytes(body)
    pdffonts = shutil.which("pdffonts")
    assert pdffonts, "pdffonts is missing: `make test` installs poppler-utils"
    fonts = subprocess.run(
        [pdffonts, str(pdf_path)], capture_output=True, text=True, check=True
    ).stdout
    rows = fonts.splitlines()[2:]
    cjk = [r for r in rows if re.search(r"WenQuanYi|wqy|Noto.*CJK|Source ?Han|Hei", r, re.I)]
    assert cjk, fonts
    # Columns: name type encoding emb sub uni object ID -> "emb" is the fifth from the end.
    assert all(r.split()[-5] == "yes" for r in cjk), fonts
    public.close()
    page.close()
