"""The owner's pages behind a personal link: ballot, confirm, cast, receipt, objections."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from tests.http.conftest import COMMUNITY_CODE
from tests.services.voting.owner_helpers import (
    import_rows,
    issue_all,
    log_text,
    member_id_of,
    open_ballot,
    tokens_by_unit,
)
from voting import ballots
from voting.models import Ballot, Vote
from voting.proxies import record_proxy
from voting.receipts import check_receipt

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    """These tests read the English wording; without a choice the pages are in Chinese."""
    client.set_cookie("lang", "en")


@pytest.fixture
def tokens(runtime: Runtime, community: int) -> dict[str, str]:
    import_rows(runtime, COMMUNITY_CODE)
    info = open_ballot(runtime, code=COMMUNITY_CODE)
    return tokens_by_unit(issue_all(runtime, info.ref))


def csrf(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_ballot_page_shows_units_share_and_choices(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    response = client.get(f"/v/{tokens['1-101']}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert '<meta name="referrer" content="no-referrer">' in page
    assert "三号楼电梯更新" in page and "1-101" in page and "2-101" in page
    assert "209.37" in page
    assert "3,159.16" in page  # 134,849 + 181,067 fen
    assert "10,000.00" in page  # the plan's maintenance-fund part
    assert page.count('type="radio"') == 6
    assert "张*明" in page and "张三明" not in page
    assert "<script" not in page  # the ballot page needs no JavaScript


def test_unknown_and_replaced_links_get_a_friendly_404(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    for url in ("/v/demo", "/v/" + "x" * 32, "/v/demo/receipt.json", "/v/demo/receipt.pdf"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "This voting link is not valid" in client.get("/v/demo").get_data(as_text=True)
    assert client.post("/v/demo/confirm", data={}).status_code in (400, 404)


def test_confirm_then_cast_then_receipt(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    token = tokens["1-102"]
    page = client.get(f"/v/{token}").get_data(as_text=True)
    # Every POST answers with a redirect (Back never resubmits). Missing an answer: the
    # ballot page again, with the choice kept and an error.
    response = client.post(f"/v/{token}/confirm", data={"csrf_token": csrf(page), "q1": "agree"})
    assert response.status_code == 303
    response = client.get(response.headers["Location"], follow_redirects=True)
    assert response.status_code == 422
    again = response.get_data(as_text=True)
    assert 'value="agree" checked' in again and "Please choose one." in again
    response = client.post(
        f"/v/{token}/confirm", data={"csrf_token": csrf(page), "q1": "agree", "q2": "oppose"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/v/{token}/confirm?q1=agree&q2=oppose"
    response = client.get(response.headers["Location"])
    assert response.status_code == 200
    confirm = response.get_data(as_text=True)
    assert 'name="client_entropy"' in confirm and "owner.js" in confirm
    assert f"/v/{token}?q1=agree&amp;q2=oppose" in confirm  # "go back and change" keeps them
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0
    response = client.post(
        f"/v/{token}/cast",
        data={
            "csrf_token": csrf(confirm),
            "q1": "agree",
            "q2": "oppose",
            "client_entropy": "ab" * 32,
        },
    )
    assert response.status_code == 303
    receipt_page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Back from the receipt reaches the confirm page's address, which now shows the receipt
    back = client.get(f"/v/{token}/confirm?q1=agree&q2=oppose")
    assert back.status_code == 303 and back.headers["Location"].startswith(f"/v/{token}")
    with runtime.session_factory() as s:
        row = s.scalars(sa.select(Vote)).one()
    assert row.tracker in receipt_page
    assert "receipt.json" in receipt_page and "receipt.pdf" in receipt_page
    # Casting again is refused quietly: the link shows the receipt.
    response = client.post(
        f"/v/{token}/cast",
        data={"csrf_token": csrf(confirm), "q1": "oppose", "q2": "oppose"},
    )
    assert response.status_code == 303
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1
    downloaded = client.get(f"/v/{token}/receipt.json")
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/json"
    assert "attachment" in downloaded.headers["Content-Disposition"]
    data = json.loads(downloaded.get_data())
    assert data["tracker"] == row.tracker
    sign_due_checkpoints(runtime)  # what `fundvote tick` does every minute
    assert runtime.query(check_receipt, receipt_json=data).is_valid
    pdf = client.get(f"/v/{token}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert token not in log_text(runtime, COMMUNITY_CODE)


def test_closed_and_not_yet_open(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    runtime.clock.advance(days=8)  # type: ignore[attr-defined]
    page = client.get(f"/v/{tokens['1-103']}").get_data(as_text=True)
    assert "Voting has ended" in page and 'type="radio"' not in page


def test_identity_check_page_and_lockout(
    client: FlaskClient, runtime: Runtime, community: int
) -> None:
    import_rows(runtime, COMMUNITY_CODE)
    info = open_ballot(runtime, code=COMMUNITY_CODE, identity_check="phone_last4")
    token = tokens_by_unit(issue_all(runtime, info.ref))["2-102"]
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert 'name="digits"' in page and 'type="radio"' not in page
    for _ in range(4):
        response = client.post(
            f"/v/{token}/identity", data={"csrf_token": csrf(page), "digits": "0000"}
        )
        assert response.status_code == 303  # the message waits at the field of the form
        shown = client.get(response.headers["Location"]).get_data(as_text=True)
        assert shown.count("The answer does not match") == 1
    response = client.post(
        f"/v/{token}/identity",
        data={"csrf_token": csrf(page), "digits": "0000"},
        follow_redirects=True,
    )
    assert response.status_code == 429 and "Too many wrong answers" in response.get_data(
        as_text=True
    )
    runtime.clock.advance(minutes=16)  # type: ignore[attr-defined]
    response = client.post(
        f"/v/{token}/identity", data={"csrf_token": csrf(page), "digits": "3333"}
    )
    assert response.status_code == 303
    assert 'type="radio"' in client.get(f"/v/{token}").get_data(as_text=True)


def test_proxy_ballot_through_the_acting_link(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    with runtime.session_factory() as s:
        ref = s.scalars(sa.select(Ballot.ref)).one()
    represented = member_id_of(runtime, ref, "1-103")
    runtime.run(
        record_proxy,
        ballot_ref=ref,
        member_id=represented,
        acting_member_id=member_id_of(runtime, ref, "2-102"),
        authorization_sha256="a" * 64,
    )
    page = client.get(f"/v/{tokens['2-102']}").get_data(as_text=True)
    assert "You also vote for" in page and f"for={represented}" in page
    their = client.get(f"/v/{tokens['2-102']}?for={represented}").get_data(as_text=True)
    assert "as their proxy" in their and "1-103" in their
    response = client.post(
        f"/v/{tokens['2-102']}/cast",
        data={"csrf_token": csrf(their), "for": represented, "q1": "agree", "q2": "agree"},
    )
    assert response.status_code == 303
    with runtime.session_factory() as s:
        row = s.scalars(sa.select(Vote)).one()
    assert row.member_id == represented and row.channel == "proxy"
    assert client.get(f"/v/{tokens['2-102']}/receipt.json?for={represented}").status_code == 200
    assert client.get(f"/v/{tokens['2-102']}/receipt.json").status_code == 404  # own: not yet
    assert client.get(f"/v/{tokens['1-101']}?for={represented}").status_code == 404


def test_objection_during_publicity(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    with runtime.session_factory() as s:
        ballot = s.scalars(sa.select(Ballot)).one()
        ref, closes = ballot.ref, ballot.closes_at
    token = tokens["1-101"]
    page = client.get(f"/v/{token}").get_data(as_text=True)
    client.post(f"/v/{token}/cast", data={"csrf_token": csrf(page), "q1": "agree", "q2": "agree"})
    runtime.clock.set(closes)  # type: ignore[attr-defined]
    runtime.run(ballots.close_ballot, ballot_ref=ref)
    runtime.run(ballots.tally_ballot, ballot_ref=ref)
    runtime.run(ballots.publish_ballot, ballot_ref=ref, origin_prefix="fundvote.test")
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert 'name="text"' in page
    response = client.post(
        f"/v/{token}/objection", data={"csrf_token": csrf(page), "text": "计票有误"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "计票有误" in page and "Your objection was received" in page
    # A member who did not vote sees the closed page with the objection form too.
    assert 'name="text"' in client.get(f"/v/{tokens['2-102']}").get_data(as_text=True)
    runtime.clock.advance(days=8)  # type: ignore[attr-defined]
    assert 'name="text"' not in client.get(f"/v/{token}").get_data(as_text=True)


def test_cancelled_ballot_link_says_so(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    with runtime.session_factory() as s:
        ref = s.scalars(sa.select(Ballot.ref)).one()
    runtime.run(ballots.cancel_ballot, ballot_ref=ref, reason="重新表决")
    response = client.get(f"/v/{tokens['1-101']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "cancelled by the committee" in page and 'type="radio"' not in page
