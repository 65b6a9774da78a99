"""The voting JSON API: links, casting and receipts, verification, paper ballots, proxies."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from tests.http.conftest import COMMUNITY_CODE, UserFactory
from tests.services.voting.owner_helpers import import_rows, log_text, open_ballot

SCAN = hashlib.sha256(b"scan").hexdigest()


@pytest.fixture
def ref(runtime: Runtime, community: int) -> str:
    import_rows(runtime, COMMUNITY_CODE)
    return open_ballot(runtime, code=COMMUNITY_CODE).ref


def bearer(runtime: Runtime, make_user: UserFactory, role: str) -> dict[str, str]:
    user = make_user(role)
    token = runtime.run(issue_token, username=user.username)
    return {"Authorization": f"Bearer {token.secret}"}


def base(ref: str) -> str:
    return f"/api/v1/communities/{COMMUNITY_CODE}/ballots/{ref}"


def issue(client: FlaskClient, headers: dict[str, str], ref: str) -> dict[str, Any]:
    response = client.post(f"{base(ref)}/links", json={}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_issue_cast_receipt_verify(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, ref: str
) -> None:
    committee = bearer(runtime, make_user, "committee")
    body = issue(client, committee, ref)
    assert len(body["links"]) == 5 and body["delivery"] is None
    link = next(link for link in body["links"] if link["units"] == ["1-101", "2-101"])
    assert link["area"] == "209.37" and link["holder"] == "张*明"
    token = link["url"].rsplit("/v/", 1)[1]
    again = client.post(f"{base(ref)}/links", json={}, headers=committee)
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert again.get_json()["type"] == "urn:fundvote:problem:link-already-issued"
    # Cast: public, token in the body.
    response = client.post("/api/v1/cast", json={"token": token, "choices": {"1": "agree"}})
    assert response.status_code == 422
    assert response.get_json()["type"] == "urn:fundvote:problem:invalid-choices"
    response = client.post(
        "/api/v1/cast",
        json={"token": token, "choices": {"1": "agree", "2": "oppose"}, "client_entropy": "x"},
    )
    assert response.status_code == 201
    receipt = response.get_json()
    assert receipt["type"] == "fundvote.receipt" and receipt["channel"] == "online"
    response = client.post(
        "/api/v1/cast", json={"token": token, "choices": {"1": "oppose", "2": "oppose"}}
    )
    assert response.status_code == 409
    assert response.get_json()["type"] == "urn:fundvote:problem:already-voted"
    assert client.post("/api/v1/receipt", json={"token": token}).get_json() == receipt
    unknown = client.post("/api/v1/receipt", json={"token": "z" * 32})
    assert unknown.status_code == 404
    pending = client.post("/api/v1/receipts/verify", json={"receipt": receipt}).get_json()
    assert pending["is_pending"] and not pending["is_valid"] and pending["problems"] == []
    assert pending["covered_by"] == "2026-11-01T02:01:00+00:00"
    assert "10:01" in pending["notice"]  # Asia/Shanghai time
    sign_due_checkpoints(runtime)  # what `fundvote tick` does every minute
    check = client.post("/api/v1/receipts/verify", json={"receipt": receipt}).get_json()
    assert check["is_valid"] and check["problems"] == [] and check["inclusion_proof"] is not None
    assert not check["is_pending"] and check["covered_by"] is None and check["notice"] == ""
    stranger = dict(receipt, community="NOPE")
    missing = client.post("/api/v1/receipts/verify", json={"receipt": stranger})
    assert missing.status_code == 404
    assert missing.get_json()["type"] == "urn:fundvote:problem:community-not-found"
    receipt["questions"][0]["choice"] = "oppose"
    check = client.post("/api/v1/receipts/verify", json={"receipt": receipt}).get_json()
    assert not check["is_valid"] and "signature" in check["problems"]
    bad = client.post("/api/v1/receipts/verify", json={"receipt": "nope"})
    assert bad.status_code == 422
    assert token not in log_text(runtime, COMMUNITY_CODE)


def test_reissue_by_unit(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, ref: str
) -> None:
    committee = bearer(runtime, make_user, "committee")
    old = issue(client, committee, ref)
    response = client.post(f"{base(ref)}/links/reissue", json={"unit": "1-103"}, headers=committee)
    assert response.status_code == 201
    new_url = response.get_json()["links"][0]["url"]
    old_url = next(link["url"] for link in old["links"] if link["units"] == ["1-103"])
    assert new_url != old_url
    assert (
        client.post("/api/v1/receipt", json={"token": old_url.rsplit("/", 1)[1]}).status_code == 404
    )
    bad = client.post(f"{base(ref)}/links/reissue", json={}, headers=committee)
    assert bad.status_code == 422


def test_paper_and_proxies(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, ref: str
) -> None:
    alice = bearer(runtime, make_user, "committee")
    bob = bearer(runtime, make_user, "committee")
    entry = {"unit": "1-103", "choices": {"1": "agree", "2": "agree"}, "scan_sha256": SCAN}
    first = client.post(f"{base(ref)}/paper", json=entry, headers=alice)
    assert first.status_code == 201 and first.get_json()["status"] == "pending"
    second = client.post(f"{base(ref)}/paper", json=entry, headers=bob).get_json()
    assert second["status"] == "counted" and second["receipt"]["channel"] == "paper"
    listed = client.get(f"{base(ref)}/paper", headers=bearer(runtime, make_user, "auditor"))
    assert listed.status_code == 200 and {e["status"] for e in listed.get_json()} == {"counted"}
    proxy = client.post(
        f"{base(ref)}/proxies",
        json={"unit": "2-102", "acting_unit": "1-101", "authorization_sha256": SCAN},
        headers=alice,
    )
    assert proxy.status_code == 201
    proxy_id = proxy.get_json()["proxy_id"]
    revoked = client.post(f"{base(ref)}/proxies/{proxy_id}/revoke", headers=alice)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert client.post(f"{base(ref)}/proxies/{proxy_id}/revoke", headers=alice).status_code == 404


def test_roles_and_scope(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, ref: str
) -> None:
    auditor = bearer(runtime, make_user, "auditor")
    assert client.post(f"{base(ref)}/links", json={}, headers=auditor).status_code == 403
    assert client.post(f"{base(ref)}/links", json={}).status_code == 401
    committee = bearer(runtime, make_user, "committee")
    missing = client.post(f"{base('nope')}/links", json={}, headers=committee)
    assert missing.status_code == 404


def test_openapi_lists_voting_operations(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    assert "/api/v1/cast" in paths and "/api/v1/receipts/verify" in paths
    assert paths["/api/v1/cast"]["post"]["security"] == []
    assert "/api/v1/communities/{code}/ballots/{ref}/links" in paths


def test_issued_links_body_is_what_the_schema_dumps(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, ref: str
) -> None:
    """The links response skips the marshmallow dump for speed; it must be exactly what the
    documented schema would have produced, field for field."""
    from fundvote.api.voting import IssuedSchema

    body = issue(client, bearer(runtime, make_user, "committee"), ref)
    assert IssuedSchema().dump(body) == body
    assert set(body) == {"ballot", "links", "delivery", "slip_job"}
    assert all(
        set(link) == {"member_id", "member_key", "units", "holder", "is_developer", "area", "url"}
        for link in body["links"]
    )
    response = client.post(
        f"{base(ref)}/links/reissue",
        json={"unit": "1-103"},
        headers=bearer(runtime, make_user, "committee"),
    )
    assert response.status_code == 201 and response.mimetype == "application/json"
    assert IssuedSchema().dump(response.get_json()) == response.get_json()
