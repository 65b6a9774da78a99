"""The API twins of the web actions (issue 9, part 6), each through the test client: it
works, the wrong caller is refused, bad input is a problem+json answer."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, UserFactory
from tests.services.voting.owner_helpers import import_rows, issue_all, open_ballot, token_of
from voting import ballots
from voting.api import QuestionDraft, cast_vote

PROBLEM = "application/problem+json"
BALLOTS = f"/api/v1/communities/{COMMUNITY_CODE}/ballots"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    import_rows(runtime, COMMUNITY_CODE)
    return runtime


@pytest.fixture
def headers(rt: Runtime, make_user: UserFactory) -> Headers:
    def make(role: str) -> dict[str, str]:
        token = rt.run(issue_token, username=make_user(role).username)
        return {"Authorization": f"Bearer {token.secret}"}

    return make


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["detail"]
    return body


def _draft(rt: Runtime) -> str:
    now = rt.clock.now()
    info = rt.run(
        ballots.create_ballot,
        community_code=COMMUNITY_CODE,
        title="草稿",
        description="",
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(days=8),
        questions=[QuestionDraft("other", "同意吗?")],
    )
    return info.ref


DRAFT_BODY: dict[str, Any] = {
    "title": "二号楼外墙修缮",
    "description": "外墙脱落",
    "opens_at": "2026-11-03T08:00:00+08:00",
    "closes_at": "2026-11-10T20:00:00+08:00",
    "questions": [{"matter": "other", "text": "同意由业委会组织验收?"}],
}


# --- draft edits ---------------------------------------------------------------------------


def test_put_replaces_a_draft_and_refuses_after_opening(
    rt: Runtime, client: FlaskClient, headers: Headers
) -> None:
    ref = _draft(rt)
    h = headers("committee")
    done = client.put(f"{BALLOTS}/{ref}", json=DRAFT_BODY, headers=h)
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["title"] == "二号楼外墙修缮" and body["ref"] == ref
    assert body["publicity_days"] == 7  # left out: the community's period
    assert [q["text"] for q in body["questions"]] == ["同意由业委会组织验收?"]
    problem(client.put(f"{BALLOTS}/{ref}", json={**DRAFT_BODY, "title": ""}, headers=h), 422)
    problem(client.put(f"{BALLOTS}/{ref}", json=DRAFT_BODY, headers=headers("auditor")), 403)
    problem(client.put(f"{BALLOTS}/{ref}", json=DRAFT_BODY), 401)
    problem(client.put(f"{BALLOTS}/nope", json=DRAFT_BODY, headers=h), 404)
    rt.run(ballots.open_ballot, ballot_ref=ref)
    refused = problem(client.put(f"{BALLOTS}/{ref}", json=DRAFT_BODY, headers=h), 409)
    assert refused["type"] == "urn:fundvote:problem:ballot-frozen"


# --- documents -----------------------------------------------------------------------------


def test_documents_attach_download_remove(
    rt: Runtime, client: FlaskClient, headers: Headers
) -> None:
    ref = _draft(rt)
    h = headers("committee")
    url = f"{BALLOTS}/{ref}/documents"
    data = "维修方案".encode() * 10
    added = client.post(url, data={"file": (io.BytesIO(data), "方案.pdf")}, headers=h)
    assert added.status_code == 201, added.get_json()
    doc = added.get_json()
    assert doc["sha256"] == hashlib.sha256(data).hexdigest() and doc["size"] == len(data)
    got = client.get(f"{url}/{doc['id']}", headers=headers("auditor"))
    assert got.status_code == 200 and got.data == data
    assert got.headers["X-Document-SHA256"] == doc["sha256"]
    assert client.get(f"{BALLOTS}/{ref}", headers=h).get_json()["attachments"] == [doc]
    problem(client.post(url, data={}, headers=h), 422)  # no file
    problem(client.post(url, data={"file": (io.BytesIO(data), "x.pdf")}, headers=h), 422)
    problem(client.delete(f"{url}/{doc['id']}", headers=headers("auditor")), 403)
    assert client.delete(f"{url}/{doc['id']}", headers=h).status_code == 204
    problem(client.delete(f"{url}/{doc['id']}", headers=h), 404)
    problem(client.get(f"{url}/{doc['id']}", headers=h), 404)


# --- objections, the participation list, the notice ----------------------------------------


def _published(rt: Runtime) -> tuple[str, dict[str, str]]:
    """A published ballot on which 1-101 voted; its links by unit."""
    info = open_ballot(rt, code=COMMUNITY_CODE)
    issued = issue_all(rt, info.ref)
    links = {link.unit_codes[0]: token_of(link.url) for link in issued.links}
    rt.run(cast_vote, token=links["1-101"], choices={1: "agree", 2: "agree"})
    rt.clock.set(info.closes_at)  # type: ignore[attr-defined]
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix="fundvote.test")
    return info.ref, links


def test_objection_lodged_listed_and_answered(
    rt: Runtime, client: FlaskClient, headers: Headers
) -> None:
    ref, links = _published(rt)
    lodged = client.post(
        "/api/v1/objections", json={"token": links["1-101"], "text": "电话13812345678"}
    )
    assert lodged.status_code == 201, lodged.get_json()
    objection = lodged.get_json()
    assert objection["answer"] == "" and objection["is_upheld"] is None
    problem(client.post("/api/v1/objections", json={"token": links["1-101"], "text": "  "}), 422)
    problem(client.post("/api/v1/objections", json={"token": "x" * 30, "text": "异议"}), 404)
    problem(client.post("/api/v1/objections", json={"token": "short", "text": "异议"}), 422)
    url = f"{BALLOTS}/{ref}/objections"
    committee = headers("committee")
    assert client.get(url, headers=committee).get_json()[0]["text"] == "电话13812345678"
    masked = client.get(url, headers=headers("auditor")).get_json()[0]["text"]
    assert "13812345678" not in masked
    public = client.get(f"/api/v1/results/{COMMUNITY_CODE}/ballots/{ref}/objections")
    assert public.status_code == 200 and "13812345678" not in public.get_data(as_text=True)
    answer_url = f"{url}/{objection['id']}/answer"
    body = {"answer": "已复核,计票无误。", "is_upheld": False}
    problem(client.post(answer_url, json=body, headers=headers("auditor")), 403)
    problem(client.post(answer_url, json={"answer": "x"}, headers=committee), 422)
    problem(client.post(answer_url, json={**body, "answer": " "}, headers=committee), 422)
    done = client.post(answer_url, json=body, headers=committee)
    assert done.status_code == 200 and done.get_json()["is_upheld"] is False
    assert done.get_json()["answered_at"] is not None
    again = problem(client.post(answer_url, json=body, headers=committee), 409)
    assert again["type"] == "urn:fundvote:problem:objection-answered"
    problem(client.post(f"{url}/999999/answer", json=body, headers=committee), 404)


def test_participation_and_notice_wait_for_publication(rt: Runtime, client: FlaskClient) -> None:
    info = open_ballot(rt, code=COMMUNITY_CODE)
    base = f"/api/v1/results/{COMMUNITY_CODE}/ballots/{info.ref}"
    problem(client.get(f"{base}/participation"), 409)
    problem(client.get(f"{base}/notice"), 409)
    problem(client.get(f"/api/v1/results/{COMMUNITY_CODE}/ballots/nope/participation"), 404)
    draft_ref = _draft(rt)
    problem(client.get(f"/api/v1/results/{COMMUNITY_CODE}/ballots/{draft_ref}/objections"), 404)


def test_participation_and_notice_once_published(rt: Runtime, client: FlaskClient) -> None:
    ref, _links = _published(rt)
    base = f"/api/v1/results/{COMMUNITY_CODE}/ballots/{ref}"
    listed = client.get(f"{base}/participation")
    assert listed.status_code == 200
    assert listed.get_json() == {"ballot": ref, "units": ["1-101", "2-101"]}
    notice = client.get(f"{base}/notice")
    assert notice.status_code == 200 and notice.mimetype == "application/pdf"
    assert notice.data.startswith(b"%PDF")


# --- the owner's link: identity check, printable receipt ------------------------------------


def test_identity_check_through_the_api(rt: Runtime, client: FlaskClient) -> None:
    info = open_ballot(rt, code=COMMUNITY_CODE, identity_check="phone_last4")
    links = {link.unit_codes[0]: token_of(link.url) for link in issue_all(rt, info.ref).links}
    token = links["2-102"]
    pending = problem(client.post("/api/v1/receipt/pdf", json={"token": token}), 403)
    assert pending["type"] == "urn:fundvote:problem:identity-check-required"
    wrong = problem(client.post("/api/v1/identity", json={"token": token, "answer": "0000"}), 422)
    assert wrong["type"] == "urn:fundvote:problem:identity-check-failed"
    problem(client.post("/api/v1/identity", json={"token": token}), 422)
    problem(client.post("/api/v1/identity", json={"token": token, "answer": "1\x00"}), 422)
    problem(client.post("/api/v1/identity", json={"token": "y" * 30, "answer": "3333"}), 404)
    passed = client.post("/api/v1/identity", json={"token": token, "answer": "3333"})
    assert passed.status_code == 200 and passed.get_json() == {"is_verified": True}
    cast = client.post(
        "/api/v1/cast", json={"token": token, "choices": {"1": "agree", "2": "oppose"}}
    )
    assert cast.status_code == 201, cast.get_json()


def test_receipt_pdf_through_the_api(rt: Runtime, client: FlaskClient) -> None:
    info = open_ballot(rt, code=COMMUNITY_CODE)
    links = {link.unit_codes[0]: token_of(link.url) for link in issue_all(rt, info.ref).links}
    problem(client.post("/api/v1/receipt/pdf", json={"token": links["1-102"]}), 404)  # no vote
    rt.run(cast_vote, token=links["1-102"], choices={1: "agree", 2: "agree"})
    pdf = client.post("/api/v1/receipt/pdf", json={"token": links["1-102"]})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    problem(
        client.post("/api/v1/receipt/pdf", json={"token": links["1-102"], "for_member": 0}), 422
    )
    problem(client.post("/api/v1/receipt/pdf", json={}), 422)


# --- staff accounts ------------------------------------------------------------------------


def test_administrator_manages_accounts_through_the_api(
    rt: Runtime, client: FlaskClient, headers: Headers, make_user: UserFactory
) -> None:
    admin = headers("admin")
    target = make_user("committee", username="clerk")
    token = rt.run(issue_token, username=target.username)
    theirs = {"Authorization": f"Bearer {token.secret}"}
    assert client.get("/api/v1/me", headers=theirs).status_code == 200
    problem(client.post("/api/v1/staff/clerk/disable", headers=theirs), 403)
    assert client.post("/api/v1/staff/clerk/disable", headers=admin).status_code == 204
    problem(client.get("/api/v1/me", headers=theirs), 401)
    assert client.post("/api/v1/staff/clerk/enable", headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=theirs).status_code == 200
    assert client.post("/api/v1/staff/clerk/unlock", headers=admin).get_json() == {"locked": 0}
    generated = client.post("/api/v1/staff/clerk/password", json={}, headers=admin)
    assert generated.status_code == 200 and len(generated.get_json()["password"]) >= 10
    chosen = client.post(
        "/api/v1/staff/clerk/password", json={"password": "a long enough one"}, headers=admin
    )
    assert chosen.get_json() == {"password": None}
    problem(
        client.post("/api/v1/staff/clerk/password", json={"password": "short"}, headers=admin), 422
    )
    problem(client.post("/api/v1/staff/nobody/unlock", headers=admin), 404)
    problem(client.post("/api/v1/staff/..%2Fx/unlock", headers=admin), 404)
    me = client.get("/api/v1/me", headers=admin).get_json()["username"]
    own = problem(client.post(f"/api/v1/staff/{me}/disable", headers=admin), 409)
    assert own["type"] == "urn:fundvote:problem:own-account"
    revoke = f"/api/v1/staff/clerk/tokens/{token.token_id}"
    problem(client.delete(revoke, headers=theirs), 403)
    assert client.delete(revoke, headers=admin).status_code == 204
    problem(client.get("/api/v1/me", headers=theirs), 401)
    problem(client.delete("/api/v1/staff/clerk/tokens/999999", headers=admin), 404)


# --- slips ---------------------------------------------------------------------------------


def test_slips_listed_downloaded_and_deleted(
    rt: Runtime, app: Flask, client: FlaskClient, headers: Headers
) -> None:
    queued: list[Callable[[], None]] = []
    app.extensions["fundvote_slips_executor"] = queued.append
    info = open_ballot(rt, code=COMMUNITY_CODE)
    h = headers("committee")
    issued = client.post(f"{BALLOTS}/{info.ref}/links", json={"slips": True}, headers=h)
    assert issued.status_code == 201
    job = issued.get_json()["slip_job"]
    assert job and len(queued) == 1
    url = f"{BALLOTS}/{info.ref}/slips"
    listed = client.get(url, headers=headers("auditor")).get_json()
    assert [(j["id"], j["total"], j["state"]) for j in listed] == [(job, 5, "waiting")]
    problem(client.get(f"{url}/{job}/download", headers=h), 409)  # not rendered yet
    queued.pop(0)()
    problem(client.get(f"{url}/{job}/download", headers=headers("auditor")), 403)
    got = client.get(f"{url}/{job}/download", headers=h)
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    problem(client.delete(f"{url}/{job}", headers=headers("auditor")), 403)
    assert client.delete(f"{url}/{job}", headers=h).status_code == 204
    problem(client.delete(f"{url}/{job}", headers=h), 404)
    problem(client.get(f"{url}/..%2Fsecret/download", headers=h), 404)
    assert client.get(url, headers=h).get_json() == []
