"""Secrecy of a cast vote through personal links, and who may do what (issue 8, items 5-6).

- a link reissued after the member voted shows that the vote was recorded and takes
  objections, never the choices, the tracker or the receipt (page, PDF, file, JSON API);
- no reissue once the ballot is final, annulled or cancelled (service, API and desk page);
- where the ballot has an identity check, every route of the link that shows the member's
  data shows only the identity form (or refuses) until the check passes;
- only a committee member of the community confirms a paper ballot (pages and API);
- objections: at most 2,000 characters (422 at the field), three per link (also in the
  database), phone and ID numbers masked for everyone but the community's committee.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, Login, UserFactory, csrf_token, make_community
from tests.services.voting.owner_helpers import (
    BASE_URL,
    import_rows,
    issue_all,
    log_text,
    member_id_of,
    open_ballot,
    token_of,
    tokens_by_unit,
)
from voting import ballots
from voting.credentials import reissue_link
from voting.errors import ObjectionLimitReached, ReissueClosed
from voting.models import Ballot, Credential, Objection, Vote
from voting.objections import lodge_objection
from voting.paper import enter_paper_ballot
from voting.proxies import record_proxy
from voting.publication import answer_objection

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SCAN = hashlib.sha256(b"paper form").hexdigest()
ORIGIN = "fundvote.test"
PHONE, ID_NUMBER = "13812345678", "110101199003071234"


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


def csrf(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def bearer(runtime: Runtime, make_user: UserFactory, role: str) -> dict[str, str]:
    user = make_user(role)
    return {"Authorization": f"Bearer {runtime.run(issue_token, username=user.username).secret}"}


def the_ballot(runtime: Runtime) -> Ballot:
    with runtime.session_factory() as s:
        return s.scalars(sa.select(Ballot)).one()


def to_published(runtime: Runtime) -> str:
    ballot = the_ballot(runtime)
    runtime.clock.set(ballot.closes_at)  # type: ignore[attr-defined]
    runtime.run(ballots.close_ballot, ballot_ref=ballot.ref)
    runtime.run(ballots.tally_ballot, ballot_ref=ballot.ref)
    runtime.run(ballots.publish_ballot, ballot_ref=ballot.ref, origin_prefix=ORIGIN)
    return ballot.ref


def to_final(runtime: Runtime) -> str:
    ref = to_published(runtime)
    runtime.clock.advance(days=8)  # type: ignore[attr-defined]
    runtime.run(ballots.finalize_ballot, ballot_ref=ref)
    return ref


def paper_vote(runtime: Runtime, ref: str, unit: str) -> None:
    for keyer in (101, 102):
        runtime.run(
            enter_paper_ballot,
            ballot_ref=ref,
            member_id=member_id_of(runtime, ref, unit),
            choices={1: "oppose", 2: "abstain"},
            scan_sha256=SCAN,
            entered_by=keyer,
            is_committee=True,
        )


def vote_online(client: FlaskClient, token: str) -> str:
    page = client.get(f"/v/{token}").get_data(as_text=True)
    response = client.post(
        f"/v/{token}/cast", data={"csrf_token": csrf(page), "q1": "agree", "q2": "oppose"}
    )
    assert response.status_code == 303
    return csrf(page)


def tracker_of(runtime: Runtime, ref: str, unit: str) -> str:
    member = member_id_of(runtime, ref, unit)
    with runtime.session_factory() as s:
        return s.scalars(sa.select(Vote.tracker).where(Vote.member_id == member)).one()


# -- a link reissued after the member voted ---------------------------------------------------


@pytest.fixture
def tokens(runtime: Runtime, community: int) -> dict[str, str]:
    import_rows(runtime, COMMUNITY_CODE)
    info = open_ballot(runtime, code=COMMUNITY_CODE)
    return tokens_by_unit(issue_all(runtime, info.ref))


def reissue(runtime: Runtime, ref: str, unit: str) -> str:
    issued = runtime.run(
        reissue_link, ballot_ref=ref, member_id=member_id_of(runtime, ref, unit), base_url=BASE_URL
    )
    return token_of(issued.links[0].url)


def assert_no_vote_shown(client: FlaskClient, token: str, tracker: str) -> None:
    """Every route of the link: the page says the vote was recorded; the receipt's page, PDF,
    file and JSON never come."""
    response = client.get(f"/v/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This member’s vote was recorded" in page or "This member's vote was recorded" in page
    assert tracker not in page
    assert "ov-picked" not in page and "receipt.json" not in page and "receipt.pdf" not in page
    for tail in ("receipt.json", "receipt.pdf"):
        response = client.get(f"/v/{token}/{tail}")
        assert response.status_code == 403, tail
        assert response.mimetype == "text/html"
        assert tracker not in response.get_data(as_text=True)
    api = client.post("/api/v1/receipt", json={"token": token})
    assert api.status_code == 403 and api.mimetype == "application/problem+json"
    assert api.get_json()["type"] == "urn:fundvote:problem:receipt-withheld"
    assert tracker not in api.get_data(as_text=True)


def test_a_link_reissued_after_the_vote_shows_only_that_it_was_recorded(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    ref = the_ballot(runtime).ref
    token_csrf = vote_online(client, tokens["2-102"])
    tracker = tracker_of(runtime, ref, "2-102")
    assert tracker in client.get(f"/v/{tokens['2-102']}").get_data(as_text=True)  # the voter's
    new = reissue(runtime, ref, "2-102")
    assert client.get(f"/v/{tokens['2-102']}").status_code == 404  # the old link is replaced
    assert_no_vote_shown(client, new, tracker)
    # A cast through the new link is refused quietly: still nothing shown.
    client.post(f"/v/{new}/cast", data={"csrf_token": token_csrf, "q1": "oppose", "q2": "oppose"})
    assert_no_vote_shown(client, new, tracker)
    # Published: the reissued link may object, and still sees no vote.
    to_published(runtime)
    newer = reissue(runtime, ref, "2-102")
    page = client.get(f"/v/{newer}").get_data(as_text=True)
    assert 'name="text"' in page and tracker not in page
    response = client.post(
        f"/v/{newer}/objection", data={"csrf_token": csrf(page), "text": "计票有误"}
    )
    assert response.status_code == 303
    assert "计票有误" in client.get(f"/v/{newer}").get_data(as_text=True)
    assert_no_vote_shown(client, newer, tracker)
    # Final: still nothing, and no more reissues.
    with runtime.session_factory() as s:
        objection_id = s.scalars(sa.select(Objection.id)).one()
    runtime.run(
        answer_objection,
        ballot_ref=ref,
        objection_id=objection_id,
        answer="计票无误",
        is_upheld=False,
    )
    runtime.clock.advance(days=8)  # type: ignore[attr-defined]
    runtime.run(ballots.finalize_ballot, ballot_ref=ref)
    assert_no_vote_shown(client, newer, tracker)
    with pytest.raises(ReissueClosed):
        reissue(runtime, ref, "2-102")


def test_a_link_issued_after_a_paper_vote_does_not_show_it(
    client: FlaskClient, runtime: Runtime, community: int
) -> None:
    import_rows(runtime, COMMUNITY_CODE)
    ref = open_ballot(runtime, code=COMMUNITY_CODE).ref
    paper_vote(runtime, ref, "1-103")
    token = tokens_by_unit(issue_all(runtime, ref))["1-103"]
    assert_no_vote_shown(client, token, tracker_of(runtime, ref, "1-103"))


def test_the_links_own_votes_stay_visible(
    client: FlaskClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    """The link held when the vote was recorded keeps its receipt: the voter's own online
    vote, a paper vote recorded later, and a represented member's vote cast through it."""
    ref = the_ballot(runtime).ref
    paper_vote(runtime, ref, "1-103")
    assert tracker_of(runtime, ref, "1-103") in client.get(f"/v/{tokens['1-103']}").get_data(
        as_text=True
    )
    assert client.get(f"/v/{tokens['1-103']}/receipt.json").status_code == 200
    # A member represented through a link reissued after the represented member voted
    # is withheld; one who votes through the new link is shown.
    represented = member_id_of(runtime, ref, "1-102")
    runtime.run(
        record_proxy,
        ballot_ref=ref,
        member_id=represented,
        acting_member_id=member_id_of(runtime, ref, "2-102"),
        authorization_sha256="a" * 64,
    )
    new = reissue(runtime, ref, "2-102")
    page = client.get(f"/v/{new}?for={represented}").get_data(as_text=True)
    client.post(
        f"/v/{new}/cast",
        data={"csrf_token": csrf(page), "for": represented, "q1": "agree", "q2": "agree"},
    )
    assert client.get(f"/v/{new}/receipt.json?for={represented}").status_code == 200
    newer = reissue(runtime, ref, "2-102")
    response = client.get(f"/v/{newer}/receipt.json?for={represented}")
    assert response.status_code == 403
    assert tracker_of(runtime, ref, "1-102") not in client.get(
        f"/v/{newer}?for={represented}"
    ).get_data(as_text=True)


def test_no_reissue_once_final_and_the_desk_does_not_offer_it(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    make_user: UserFactory,
    tokens: dict[str, str],
) -> None:
    ref = to_final(runtime)
    login("committee")
    links = f"/c/{COMMUNITY_CODE}/ballots/{ref}/links"
    page = client.get(links).get_data(as_text=True)
    assert "Reissue the link" not in page and "no longer reissued" in page
    with runtime.session_factory() as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(Credential))
    response = client.post(
        f"{links}/reissue", data={"csrf_token": csrf_token(client), "unit": "2-102"}
    )
    assert response.status_code == 303
    assert "no longer reissued" in client.get(links).get_data(as_text=True)
    api = client.post(
        f"/api/v1/communities/{COMMUNITY_CODE}/ballots/{ref}/links/reissue",
        json={"unit": "2-102"},
        headers=bearer(runtime, make_user, "committee"),
    )
    assert api.status_code == 409
    assert api.get_json()["type"] == "urn:fundvote:problem:reissue-closed"
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Credential)) == before


@pytest.mark.parametrize("status", ["annulled", "cancelled"])
def test_no_reissue_once_annulled_or_cancelled(
    runtime: Runtime, tokens: dict[str, str], status: str
) -> None:
    if status == "annulled":
        ref = to_published(runtime)
        lodged = runtime.run(lodge_objection, token=tokens["1-101"], text="计票有误")
        runtime.run(
            answer_objection,
            ballot_ref=ref,
            objection_id=lodged.objection_id,
            answer="异议成立",
            is_upheld=True,
        )
        runtime.run(ballots.annul_ballot, ballot_ref=ref, reason="异议成立")
    else:
        ref = the_ballot(runtime).ref
        runtime.run(ballots.cancel_ballot, ballot_ref=ref, reason="重新表决")
    with pytest.raises(ReissueClosed):
        reissue(runtime, ref, "1-101")


# -- the identity check guards every route of the link --------------------------------------


@pytest.fixture
def guarded(runtime: Runtime, community: int) -> Iterator[tuple[str, str, int]]:
    """A ballot with a phone check; 1-102 represents 1-103; both voted on paper after the
    links were issued, so 1-102's link would show both receipts, but it is not verified."""
    import_rows(runtime, COMMUNITY_CODE)
    ref = open_ballot(runtime, code=COMMUNITY_CODE, identity_check="phone_last4").ref
    token = tokens_by_unit(issue_all(runtime, ref))["1-102"]
    represented = member_id_of(runtime, ref, "1-103")
    runtime.run(
        record_proxy,
        ballot_ref=ref,
        member_id=represented,
        acting_member_id=member_id_of(runtime, ref, "1-102"),
        authorization_sha256="b" * 64,
    )
    paper_vote(runtime, ref, "1-102")
    paper_vote(runtime, ref, "1-103")
    yield ref, token, represented


def assert_identity_only(client: FlaskClient, runtime: Runtime, ref: str, token: str) -> None:
    trackers = [tracker_of(runtime, ref, "1-102"), tracker_of(runtime, ref, "1-103")]
    represented = member_id_of(runtime, ref, "1-103")
    for url in (f"/v/{token}", f"/v/{token}?for={represented}"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert 'name="digits"' in page, url
        for secret in (*trackers, "1-102", "1-103", "李*", "王*六", "89.37", "Whose vote"):
            assert secret not in page, (url, secret)
    for url in (
        f"/v/{token}/receipt.json",
        f"/v/{token}/receipt.pdf",
        f"/v/{token}/receipt.json?for={represented}",
        f"/v/{token}/receipt.pdf?for={represented}",
    ):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 403, url
        assert 'name="digits"' in page and not any(t in page for t in trackers), url
    for body in ({"token": token}, {"token": token, "for_member": represented}):
        api = client.post("/api/v1/receipt", json=body)
        assert api.status_code == 403
        assert api.get_json()["type"] == "urn:fundvote:problem:identity-check-required"
        assert not any(t in api.get_data(as_text=True) for t in trackers)
    page = client.get(f"/v/{token}").get_data(as_text=True)
    for tail, data in (
        ("confirm", {"q1": "agree", "q2": "agree"}),
        ("confirm", {"q1": "agree", "q2": "agree", "for": str(represented)}),
        ("cast", {"q1": "agree", "q2": "agree"}),
        ("objection", {"text": "异议"}),
    ):
        response = client.post(f"/v/{token}/{tail}", data={"csrf_token": csrf(page), **data})
        assert response.status_code == 303, tail
        if tail == "confirm":  # to the confirm page's address, which sends to the form
            response = client.get(response.headers["Location"])
            assert response.status_code == 303, tail
        assert response.headers["Location"].endswith(f"/v/{token}"), tail


def test_identity_check_guards_every_route_of_the_link(
    client: FlaskClient, runtime: Runtime, guarded: tuple[str, str, int]
) -> None:
    ref, token, represented = guarded
    assert_identity_only(client, runtime, ref, token)
    api = client.post(
        "/api/v1/cast",
        json={"token": token, "choices": {"1": "agree", "2": "agree"}, "for_member": represented},
    )
    assert api.status_code == 403
    assert api.get_json()["type"] == "urn:fundvote:problem:identity-check-required"
    to_published(runtime)
    assert_identity_only(client, runtime, ref, token)
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Objection)) == 0
    # Once the check passes, the link shows its member's and the represented member's votes.
    page = client.get(f"/v/{token}").get_data(as_text=True)
    response = client.post(
        f"/v/{token}/identity", data={"csrf_token": csrf(page), "digits": "1111"}
    )
    assert response.status_code == 303
    assert tracker_of(runtime, ref, "1-102") in client.get(f"/v/{token}").get_data(as_text=True)
    assert client.get(f"/v/{token}/receipt.json?for={represented}").status_code == 200
    assert client.post("/api/v1/receipt", json={"token": token}).status_code == 200
    response = client.post(f"/v/{token}/objection", data={"csrf_token": csrf(page), "text": "异议"})
    assert response.status_code == 303
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Objection)) == 1


def test_ballot_documents_are_public_information_behind_the_check(
    client: FlaskClient, runtime: Runtime, community: int
) -> None:
    """Not guarded: a document of the ballot is what the results page shows anyone."""
    import_rows(runtime, COMMUNITY_CODE)
    now = runtime.clock.now()
    info = runtime.run(
        ballots.create_ballot,
        community_code=COMMUNITY_CODE,
        title="三号楼电梯更新",
        description="",
        opens_at=now,
        closes_at=now + timedelta(days=7),
        questions=[ballots.QuestionDraft("other", "同意吗?")],
        identity_check="phone_last4",
    )
    doc = runtime.run(
        ballots.add_attachment,
        ballot_ref=info.ref,
        filename="plan.pdf",
        content_type="application/pdf",
        data=b"%PDF-1.4 plan",
    )
    runtime.run(ballots.open_ballot, ballot_ref=info.ref)
    token = tokens_by_unit(issue_all(runtime, info.ref))["1-102"]
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert 'name="digits"' in page and "1-102" not in page
    response = client.get(f"/v/{token}/documents/{doc.id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 plan"


# -- paper ballots: only a committee member of the community confirms ------------------------


def test_an_admin_does_not_confirm_a_paper_ballot_through_the_desk(
    app: Flask, login: Login, runtime: Runtime, tokens: dict[str, str]
) -> None:
    ref = the_ballot(runtime).ref
    committee, admin = app.test_client(), app.test_client()
    for c in (committee, admin):
        c.set_cookie("lang", "en")
    login("committee", on=committee)
    login("admin", on=admin)
    paper = f"/c/{COMMUNITY_CODE}/ballots/{ref}/paper"
    assert "first entry only" not in committee.get(paper).get_data(as_text=True)
    assert "first entry only" in admin.get(paper).get_data(as_text=True)
    form = {"unit": "1-103", "q1": "agree", "q2": "oppose", "scan_sha256": SCAN}
    committee.post(paper, data={**form, "csrf_token": csrf_token(committee)})
    response = admin.post(paper, data={**form, "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    page = admin.get(paper).get_data(as_text=True)
    assert "must come from a different member of the owners" in page
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0


def test_the_api_refuses_a_confirming_entry_by_an_admin(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, tokens: dict[str, str]
) -> None:
    ref = the_ballot(runtime).ref
    url = f"/api/v1/communities/{COMMUNITY_CODE}/ballots/{ref}/paper"
    entry = {"unit": "1-103", "choices": {"1": "agree", "2": "agree"}, "scan_sha256": SCAN}
    alice = bearer(runtime, make_user, "committee")
    assert client.post(url, json=entry, headers=alice).get_json()["status"] == "pending"
    admin = client.post(url, json=entry, headers=bearer(runtime, make_user, "admin"))
    assert admin.status_code == 403
    assert admin.get_json()["type"] == "urn:fundvote:problem:confirmer-not-committee"
    # A committee member of another community cannot reach this one at all.
    make_community(runtime, "other")
    other = make_user("committee", communities=["other"])
    token = runtime.run(issue_token, username=other.username).secret
    stranger = client.post(url, json=entry, headers={"Authorization": f"Bearer {token}"})
    assert stranger.status_code == 403
    bob = client.post(url, json=entry, headers=bearer(runtime, make_user, "committee"))
    assert bob.get_json()["status"] == "counted"


# -- objections: length, number, masking --------------------------------------------------


def test_objection_limits(client: FlaskClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    to_published(runtime)
    token = tokens["1-101"]
    page = client.get(f"/v/{token}").get_data(as_text=True)
    long = "长" * 2001
    response = client.post(f"/v/{token}/objection", data={"csrf_token": csrf(page), "text": long})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in body and 'id="objection-error"' in body
    assert "1 to 2000 characters" in body
    for n in range(3):
        response = client.post(
            f"/v/{token}/objection", data={"csrf_token": csrf(page), "text": f"第{n}条"}
        )
        assert response.status_code == 303
    response = client.post(
        f"/v/{token}/objection", data={"csrf_token": csrf(page), "text": "第四条"}
    )
    assert response.status_code == 409
    assert "at most 3 objections" in response.get_data(as_text=True)
    assert 'name="text"' not in client.get(f"/v/{token}").get_data(as_text=True)
    with runtime.session_factory() as s:
        rows = s.execute(sa.select(Objection.sequence, Objection.credential_id)).all()
    assert (
        sorted(r.sequence for r in rows) == [1, 2, 3] and len({r.credential_id for r in rows}) == 1
    )


def test_the_database_refuses_a_fourth_objection_per_link(
    runtime: Runtime, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    to_published(runtime)
    token = tokens["1-101"]
    for n in range(3):
        runtime.run(lodge_objection, token=token, text=f"异议{n}")
    # Without the service's own count, the check constraint refuses, by its name.
    monkeypatch.setattr("voting.objections.MAX_PER_LINK", 10)
    with pytest.raises(ObjectionLimitReached):
        runtime.run(lodge_objection, token=token, text="第四条")
    with runtime.session_factory() as s:
        objection = s.scalars(sa.select(Objection)).first()
        assert objection is not None
        credential_id, ballot_id, member_id = (
            objection.credential_id,
            objection.ballot_id,
            objection.member_id,
        )
    for sequence in (1, 0, 4):
        with pytest.raises(IntegrityError), runtime.session_factory.begin() as s:
            s.add(
                Objection(
                    ballot_id=ballot_id,
                    member_id=member_id,
                    credential_id=credential_id,
                    sequence=sequence,
                    text="x",
                    lodged_at=runtime.clock.now(),
                )
            )
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Objection)) == 3


def test_phone_and_id_numbers_are_masked_for_all_but_the_committee(
    app: Flask, login: Login, runtime: Runtime, tokens: dict[str, str]
) -> None:
    ref = to_published(runtime)
    text = f"计票有误，请联系 {PHONE}，身份证 {ID_NUMBER}，座机 010-87654321"
    runtime.run(lodge_objection, token=tokens["1-101"], text=text)
    masked = ("138****5678", "1101**********1234", "010-****4321")
    raw = (PHONE, ID_NUMBER, "87654321")
    public = app.test_client()
    page = public.get(f"/r/{COMMUNITY_CODE}/{ref}/objections").get_data(as_text=True)
    assert all(m in page for m in masked) and not any(r in page for r in raw)
    staff = f"/c/{COMMUNITY_CODE}/ballots/{ref}/objections"
    for role in ("admin", "auditor", "authority"):
        c = app.test_client()
        c.set_cookie("lang", "en")
        login(role, on=c)
        page = c.get(staff).get_data(as_text=True)
        assert all(m in page for m in masked) and not any(r in page for r in raw), role
        assert "only the members of this community" in page
    committee = app.test_client()
    login("committee", on=committee)
    page = committee.get(staff).get_data(as_text=True)
    assert all(r in page for r in raw)
    # A committee member of another community does not read this community's objections.
    other = app.test_client()
    make_community(runtime, "other")
    login("committee", on=other, communities=["other"])
    assert other.get(staff).status_code == 403
    # The owner reads their own objection as written; a later link of theirs reads it masked.
    owner = app.test_client()
    assert PHONE in owner.get(f"/v/{tokens['1-101']}").get_data(as_text=True)
    new = reissue(runtime, ref, "1-101")
    page = owner.get(f"/v/{new}").get_data(as_text=True)
    assert "138****5678" in page and PHONE not in page
    # Other members' links do not list it; the log holds only the text's hash.
    assert "138****5678" not in owner.get(f"/v/{tokens['2-102']}").get_data(as_text=True)
    log = log_text(runtime, COMMUNITY_CODE)
    assert not any(r in log for r in raw)
    assert hashlib.sha256(text.encode()).hexdigest() in log
