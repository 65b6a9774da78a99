"""The whole of a legal vote in a real browser, as a committee and a proxy live it.

A committee member follows the ballot's step guide from the draft to the final result: the
draft asks for an SMS code before voting, a document is attached, the ballot is opened and
published through confirmation pages, the links are issued and downloaded from the links page,
and a relative of an owner (not on the roll) is recorded as the owner's proxy with a link of
its own. The proxy, on a phone, asks for the code, reads it from the outbox (the SMS gateway's
side), votes, downloads the receipt PDF and checks it on the verify page by uploading it. The
result becomes final without a click once the publicity period has ended, and ``fundvote
tick`` records it.

The pages are in Simplified Chinese; the journey finds things by structure (form actions,
classes, data attributes) and checks figures and states, never wording.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from fundvote.auth import add_user
from fundvote.runtime import Runtime
from fundvote.tick import record_due_finality, sign_due_checkpoints
from tests.browser.conftest import LiveServer, committee_login, submit
from tests.browser.voting_data import COMMUNITY_NAME, make_roll
from voting import api as voting
from voting.casting import cast_vote
from voting.identity import request_identity_code, verify_identity

pytestmark = pytest.mark.browser

CODE = "gj"
PASSWORD = "a long committee password"
TITLE = "续聘物业服务企业"
REPRESENTED = "03-201"  # 赵六: no phone on record; a relative votes for them
PROXY_PHONE = "13512345678"
AUTHORIZATION = "授权委托书：赵六委托其子赵小六代为表决。".encode()
# unit -> choice of the owners who vote themselves (each passes the SMS check first)
OWN_VOTES = {"03-101": "agree", "03-102": "oppose", "05-101": "agree"}


def next_step(page: Page) -> str | None:
    """The step the guide highlights, or None when it highlights none."""
    current = page.locator('ol.guide-steps [aria-current="step"]')
    return current.get_attribute("data-step") if current.count() else None


def done_steps(page: Page) -> set[str]:
    return {
        li.get_attribute("data-step") or ""
        for li in page.locator("ol.guide-steps li.guide-done").all()
    }


def follow_guide(page: Page) -> None:
    """Click the highlighted step's link."""
    with page.expect_navigation():
        page.locator('ol.guide-steps [aria-current="step"] a').click()


def latest_code(outbox: Path, phone_tail: str) -> str:
    """The newest six-digit code the outbox holds for a phone ending in ``phone_tail``."""
    files = sorted(outbox.rglob("*"), key=lambda p: p.stat().st_mtime_ns)
    for path in reversed([p for p in files if p.is_file()]):
        text = path.read_text("utf-8")
        if phone_tail in text:
            assert "http" not in text, "an identity code message carries no link"
            match = re.search(r"(?<!\d)(\d{6})(?!\d)", text)
            assert match, text
            return match.group(1)
    raise AssertionError(f"no message for …{phone_tail} in {outbox}")


def test_committee_follows_the_guide_to_final_with_sms_codes_and_a_person_proxy(
    live_server: LiveServer, desktop: BrowserContext, phone: BrowserContext, tmp_path: Path
) -> None:
    rt: Runtime = live_server.runtime
    base = live_server.url
    outbox = rt.settings.outbox_dir
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

    # 1. The draft: one whole-community question; an SMS code before voting.
    page.goto(f"{base}/c/{CODE}/ballots/new")
    page.fill("#title", TITLE)
    page.fill("#description", "合同期三年，服务标准不变。")
    page.fill("#opens_at", "2026-11-01T11:00")  # Beijing time; the clock is 10:00 there
    page.fill("#closes_at", "2026-11-08T11:00")
    page.select_option("#q1_matter", "manager")
    page.fill("#q1_text", "是否同意续聘现物业服务企业？")
    page.select_option("#identity_check", "sms_code")
    with page.expect_navigation():
        page.locator("form.form p.actions button[type=submit]").click()
    match = re.search(rf"/c/{CODE}/ballots/([^/?#]+)$", page.url)
    assert match, (page.url, page.inner_text("main"))
    ref = match.group(1)
    assert next_step(page) == "documents" and done_steps(page) == {"draft"}

    # 2. Documents: the proposal, attached on the ballot's page.
    proposal = tmp_path / "proposal.pdf"
    proposal.write_bytes(b"%PDF-1.4\n% the management company's proposal\n")
    page.set_input_files("input#file", proposal)
    submit(page, "/documents")
    assert next_step(page) == "open" and {"draft", "documents"} <= done_steps(page)

    # 3. Open, through the guide's link to the confirmation page.
    follow_guide(page)
    assert page.url.endswith(f"/ballots/{ref}/confirm/open"), page.url
    submit(page, "/steps/open")
    info = rt.query(voting.ballot_in_community, CODE, ref)
    assert info.status == "open" and info.identity_check == "sms_code"
    assert next_step(page) == "links"

    # 4. Issue the links from the links page: a ZIP with every member's link.
    follow_guide(page)
    assert "/links" in page.url, page.url
    with page.expect_download() as download:
        page.locator('form[action$="/links/issue"] button[type=submit]').click()
    with zipfile.ZipFile(download.value.path()) as archive:
        names = [n for n in archive.namelist() if n.endswith(".csv")]
        rows = list(csv.reader(io.StringIO(archive.read(names[0]).decode("utf-8-sig"))))
    links = {unit: row[-1] for row in rows[1:] for unit in row[0].split()}
    assert REPRESENTED in links and all(url.startswith(base + "/v/") for url in links.values())
    page.goto(f"{base}/c/{CODE}/ballots/{ref}")
    assert next_step(page) == "turnout" and "links" in done_steps(page)

    # 5. A relative of 赵六 (not on the roll) is recorded as proxy and gets a link of its own.
    page.goto(f"{base}/c/{CODE}/ballots/{ref}/proxies")
    page.fill("#unit", REPRESENTED)
    page.fill("#proxy_name", "赵小六")
    page.fill("#proxy_phone", PROXY_PHONE)
    page.fill("#authorization_sha256", hashlib.sha256(AUTHORIZATION).hexdigest())
    submit(page, "/proxies")
    assert "赵小六" not in page.inner_text("main")  # the name is masked, even for the desk
    submit(page, "/link")
    proxy_url = page.locator("p.mono").inner_text().strip()
    assert proxy_url.startswith(base + "/v/") and proxy_url != links[REPRESENTED]

    # 6. The proxy, on a phone: the code goes to the proxy's phone, then the vote.
    rt.clock.set(info.opens_at + timedelta(minutes=30))  # type: ignore[attr-defined]
    voter = phone.new_page()
    voter.goto(proxy_url)
    assert voter.locator('input[name="digits"]').count() == 1  # the check comes first
    assert voter.locator('input[type="radio"]').count() == 0
    submit(voter, "/identity/code")
    code = latest_code(outbox, PROXY_PHONE[-4:])
    assert code not in voter.content()
    voter.fill('input[name="digits"]', code)
    submit(voter, "/identity")
    assert voter.locator(".ov-proxy").count() >= 1  # "you vote as proxy for …"
    voter.locator("fieldset#q1 label.ov-agree").tap()
    submit(voter, "/confirm")
    submit(voter, "/cast")
    assert voter.url.endswith("#receipt"), voter.url
    tracker = voter.inner_text("#receipt .ov-tracker").strip()
    with voter.expect_download() as pdf_download:
        voter.locator('a[href*="/receipt.pdf"]').click()
    receipt_pdf = tmp_path / "receipt.pdf"
    pdf_download.value.save_as(receipt_pdf)

    # The owner's own link shows the ballot but takes no second vote.
    own = phone.new_page()
    own.goto(links[REPRESENTED])
    assert own.locator('form[action$="/cast"]').count() == 0

    # 7. The PDF receipt verifies by upload, naming the community and the ballot.
    sign_due_checkpoints(rt)
    voter.goto(base + "/verify")
    voter.set_input_files("#file", receipt_pdf)
    submit(voter, "/verify")
    assert voter.locator(".verify-ok").count() == 1, voter.inner_text("main")
    assert voter.locator("ul.checks li.no").count() == 0
    facts = voter.inner_text("dl.facts")
    assert COMMUNITY_NAME in facts and TITLE in facts
    assert voter.inner_text("dl.facts .ov-tracker").strip() == tracker

    # Owners who vote themselves pass the same check (here through the services).
    for unit, choice in OWN_VOTES.items():
        token = links[unit].rsplit("/v/", 1)[1]
        sent = rt.run(request_identity_code, token=token, cipher=rt.cipher)
        rt.run(verify_identity, token=token, digits=sent.code, cipher=rt.cipher)
        rt.clock.advance(minutes=3)  # type: ignore[attr-defined]
        rt.run(cast_vote, token=token, choices={1: choice})

    # 8. The window ends: the guide leads to close, count and publish (confirmed).
    rt.clock.set(info.closes_at + timedelta(minutes=5))  # type: ignore[attr-defined]
    page.goto(f"{base}/c/{CODE}/ballots/{ref}")
    assert next_step(page) == "close"
    submit(page, "/steps/close")
    assert next_step(page) == "tally"
    submit(page, "/steps/tally")
    page.goto(f"{base}/c/{CODE}/ballots/{ref}")
    assert next_step(page) == "publish"
    follow_guide(page)
    assert page.url.endswith(f"/ballots/{ref}/confirm/publish"), page.url
    submit(page, "/steps/publish")
    published = rt.query(voting.ballot_in_community, CODE, ref)
    assert published.status == "published" and next_step(page) == "final"
    assert published.publicity_ends_at is not None

    # 9. No objection: when the period ends the result reads as final without a click...
    rt.clock.set(published.publicity_ends_at + timedelta(minutes=1))  # type: ignore[attr-defined]
    page.reload()
    assert next_step(page) is None and "final" in done_steps(page)
    stored = rt.query(voting.ballot_in_community, CODE, ref)
    assert stored.status == "final" and stored.recorded_status == "published"
    # ...and the tick records it, at the moment it became final.
    record_due_finality(rt)
    recorded = rt.query(voting.ballot_in_community, CODE, ref)
    assert recorded.recorded_status == "final"
    assert recorded.final_at == published.publicity_ends_at
    public = phone.new_page()
    public.goto(f"{base}/r/{CODE}/{ref}/")
    assert "status-final" in public.content()
