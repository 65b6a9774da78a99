"""Identity and natural-person proxies over HTTP: the owner's SMS-code page, the desk pages
(proxy with its own link, identity checked in person) and their JSON API twins."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, Login, UserFactory, csrf_token
from tests.http.test_voting_api import base, bearer
from tests.services.voting.owner_helpers import import_rows, issue_all, open_ballot, tokens_by_unit
from voting.outbox import FileSender

AUTH = hashlib.sha256(b"authorization").hexdigest()


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


@pytest.fixture
def outbox(app: Flask, tmp_path: Path) -> Path:
    app.extensions["fundvote_outbox"] = FileSender(tmp_path / "outbox")
    return tmp_path / "outbox"


@pytest.fixture
def ref(runtime: Runtime, community: int, outbox: Path) -> str:
    import_rows(runtime, COMMUNITY_CODE)
    return open_ballot(runtime, code=COMMUNITY_CODE, identity_check="sms_code").ref


def code_from(outbox: Path) -> str:
    newest = max(outbox.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    text = newest.read_text(encoding="utf-8")
    assert "/v/" not in text  # the message carries no link
    assert oct(newest.stat().st_mode & 0o777) == "0o600"
    assert oct(outbox.stat().st_mode & 0o777) == "0o700"
    match = re.search(r"\b([0-9]{6})\b", text)
    assert match
    return match.group(1)


def test_owner_asks_for_a_code_and_passes(
    client: FlaskClient, runtime: Runtime, ref: str, outbox: Path
) -> None:
    token = tokens_by_unit(issue_all(runtime, ref))["1-101"]
    page = client.get(f"/v/{token}")
    assert page.status_code == 200 and "Send me a code" in page.get_data(as_text=True)
    sent = client.post(f"/v/{token}/identity/code", data={"csrf_token": csrf_token(client)})
    assert sent.status_code == 303
    code = code_from(outbox)
    assert code not in client.get(f"/v/{token}").get_data(as_text=True)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    bad = client.post(
        f"/v/{token}/identity", data={"csrf_token": csrf_token(client), "digits": wrong}
    )
    assert bad.status_code == 303  # the message waits at the field of the page
    assert "does not match" in client.get(bad.headers["Location"]).get_data(as_text=True)
    good = client.post(
        f"/v/{token}/identity", data={"csrf_token": csrf_token(client), "digits": code}
    )
    assert good.status_code == 303
    assert "1-101" in client.get(f"/v/{token}").get_data(as_text=True)


def test_api_code_limit_and_identity(
    client: FlaskClient, runtime: Runtime, ref: str, outbox: Path
) -> None:
    token = tokens_by_unit(issue_all(runtime, ref))["1-102"]
    first = client.post("/api/v1/identity/code", json={"token": token})
    assert first.status_code == 202 and first.get_json() == {"written": 2}  # two co-owners
    code = code_from(outbox)
    for _ in range(2):
        assert client.post("/api/v1/identity/code", json={"token": token}).status_code == 202
    limited = client.post("/api/v1/identity/code", json={"token": token})
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    stale = client.post("/api/v1/identity", json={"token": token, "answer": code})
    newest = code_from(outbox)
    if newest != code:
        assert stale.status_code == 422
    ok = client.post("/api/v1/identity", json={"token": token, "answer": newest})
    assert ok.status_code == 200 and ok.get_json() == {"is_verified": True}
    nophone = tokens_by_unit(
        issue_all(runtime, open_ballot(runtime, code=COMMUNITY_CODE, identity_check="sms_code").ref)
    )["1-103"]
    refused = client.post("/api/v1/identity/code", json={"token": nophone})
    assert refused.status_code == 422


def test_desk_person_proxy_link_and_identity_in_person(
    client: FlaskClient, login: Login, runtime: Runtime, ref: str
) -> None:
    own = tokens_by_unit(issue_all(runtime, ref))
    login("committee")
    desk = f"/c/{COMMUNITY_CODE}/ballots/{ref}"
    recorded = client.post(
        f"{desk}/proxies",
        data={
            "csrf_token": csrf_token(client),
            "unit": "1-103",
            "proxy_name": "陈小红",
            "proxy_phone": "13500004444",
            "proxy_id_number": "11010519491231002X",
            "authorization_sha256": AUTH,
        },
    )
    assert recorded.status_code == 303
    page = client.get(f"{desk}/proxies").get_data(as_text=True)
    assert "陈*红" in page and "陈小红" not in page and "Issue the proxy" in page
    proxy_id = int(re.search(r"proxies/([0-9]+)/link", page).group(1))  # type: ignore[union-attr]
    shown = client.post(f"{desk}/proxies/{proxy_id}/link", data={"csrf_token": csrf_token(client)})
    assert shown.status_code == 200
    proxy_token = re.search(r"/v/([A-Za-z0-9_-]{20,})", shown.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    # The represented owner's own link shows, but does not take a vote.
    client.get("/logout")
    # Identity checked in person for the developer.
    login("committee")
    assert client.get(f"{desk}/identity").status_code == 200
    refused = client.post(
        f"{desk}/identity", data={"csrf_token": csrf_token(client), "unit": "2-S01"}
    )
    assert refused.status_code == 303  # the box was not ticked: nothing recorded
    done = client.post(
        f"{desk}/identity",
        data={"csrf_token": csrf_token(client), "unit": "2-S01", "papers_checked": "1"},
    )
    assert done.status_code == 303
    assert "2-S01" in client.get(f"{desk}/identity").get_data(as_text=True)
    assert "2-S01" in client.get(f"/v/{own['2-S01']}").get_data(as_text=True)
    proxy_page = client.get(f"/v/{proxy_token}")
    assert proxy_page.status_code == 200 and "Send me a code" in proxy_page.get_data(as_text=True)


def test_api_person_proxy_link_and_confirmations(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, ref: str
) -> None:
    issue_all(runtime, ref)
    committee = bearer(runtime, make_user, "committee")
    bad = client.post(
        f"{base(ref)}/proxies",
        json={
            "unit": "1-103",
            "proxy_name": "陈小红",
            "proxy_id_number": "110105194912310021",
            "authorization_sha256": AUTH,
        },
        headers=committee,
    )
    assert bad.status_code == 422 and "110105194912310021" not in bad.get_data(as_text=True)
    both = client.post(
        f"{base(ref)}/proxies",
        json={
            "unit": "1-103",
            "acting_unit": "1-101",
            "proxy_name": "陈小红",
            "authorization_sha256": AUTH,
        },
        headers=committee,
    )
    assert both.status_code == 422
    made = client.post(
        f"{base(ref)}/proxies",
        json={
            "unit": "1-103",
            "proxy_name": "陈小红",
            "proxy_phone": "13500004444",
            "authorization_sha256": AUTH,
        },
        headers=committee,
    )
    assert made.status_code == 201
    body = made.get_json()
    assert (
        body["is_person"] and body["acting_label"] == "陈*红" and body["acting_member_id"] is None
    )
    link = client.post(f"{base(ref)}/proxies/{body['proxy_id']}/link", json={}, headers=committee)
    assert link.status_code == 201 and link.get_json()["links"][0]["units"] == ["1-103"]
    confirm = client.post(
        f"{base(ref)}/identity-confirmations",
        json={"unit": "2-S01", "papers_checked": True},
        headers=committee,
    )
    assert confirm.status_code == 201 and confirm.get_json()["units"] == ["2-S01"]
    on_record = client.post(
        f"{base(ref)}/identity-confirmations",
        json={"unit": "1-101", "papers_checked": True},
        headers=committee,
    )
    assert on_record.status_code == 409
    assert on_record.get_json()["type"] == "urn:fundvote:problem:identity-on-record"
    listed = client.get(
        f"{base(ref)}/identity-confirmations", headers=bearer(runtime, make_user, "auditor")
    )
    assert [c["units"] for c in listed.get_json()] == [["2-S01"]]
