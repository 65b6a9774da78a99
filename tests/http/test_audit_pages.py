"""The auditor's pages and the bundle in the JSON API: who may download, the period form, the
earlier bundle, the verifier keys and the how-to page."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from fundvote.auth import issue_token
from fundvote.books import import_roll_with_books
from fundvote.runtime import Runtime
from ledger import api as ledger
from ledger.api import PostingLine
from notary.work import UnitOfWork
from tests.http.conftest import COMMUNITY_CODE as CODE
from tests.http.conftest import Login, UserFactory, csrf_token, make_community

ROLL = "unit,building,area,owners,developer\n1-101,1,100.00,A1,\n1-102,1,80.50,B1,\n"


def _checkpoint(uow: UnitOfWork) -> Any:
    return uow.checkpoint(CODE)


@pytest.fixture
def books(runtime: Runtime, community: int) -> Runtime:
    runtime.run(ledger.open_books, community)
    runtime.run(
        import_roll_with_books,
        community_code=CODE,
        data=ROLL.encode(),
        filename="r.csv",
        cipher=runtime.cipher,
    )
    for day, fen in ((date(2025, 3, 1), 100_000), (date(2026, 4, 1), 50_000)):
        runtime.run(
            ledger.post_entry,
            community_code=CODE,
            kind="deposit",
            value_date=day,
            lines=[PostingLine("1001", fen), PostingLine("2101.1-101", -fen)],
        )
    runtime.run(_checkpoint)
    return runtime


@pytest.fixture
def bearer(runtime: Runtime, make_user: UserFactory) -> Any:
    def make(role: str, **kwargs: Any) -> dict[str, str]:
        user = make_user(role, **kwargs)
        token = runtime.run(issue_token, username=user.username)
        return {"Authorization": f"Bearer {token.secret}"}

    return make


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def test_the_auditor_finds_the_community_and_downloads_a_period(
    client: FlaskClient, login: Login, books: Runtime
) -> None:
    login("auditor")
    assert f'href="/c/{CODE}/audit/"' in client.get("/").get_data(as_text=True)
    index = client.get("/audit/")
    assert index.status_code == 200 and f'href="/c/{CODE}/audit/"' in index.get_data(as_text=True)
    page = client.get(f"/c/{CODE}/audit/").get_data(as_text=True)
    assert f'action="/c/{CODE}/audit/bundle.zip"' in page and 'method="get"' in page
    assert 'href="/audit/how-to-verify"' in page and 'href="/audit/fundvote-verify.pyz"' in page
    key_id = books.keyring.active_key_id
    assert f'href="/audit/keys/{key_id}.vkey"' in page

    response = client.get(f"/c/{CODE}/audit/bundle.zip?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert f"{CODE}-audit-2026-01-01-2026-12-31.zip" in disposition
    files = _members(response.data)
    manifest = json.loads(files["manifest.json"])
    assert manifest["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    lines = files["ledger/entries.jsonl"].decode().splitlines()
    assert [json.loads(x)["value_date"] for x in lines] == ["2026-04-01"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "The first day of the period must be a date such as 2025-01-01."),
        ("to=yesterday", "The last day of the period must be a date such as 2025-12-31."),
        ("from=2026-02-01&to=2026-01-01", "The period ends (2026-01-01) before it starts"),
    ],
)
def test_a_bad_period_is_a_page_saying_what_is_wrong(
    client: FlaskClient, login: Login, books: Runtime, query: str, message: str
) -> None:
    login("committee")
    client.get("/?lang=en")
    response = client.get(f"/c/{CODE}/audit/bundle.zip?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_an_earlier_bundle_gives_a_proof(client: FlaskClient, login: Login, books: Runtime) -> None:
    login("authority")
    old = _members(client.get(f"/c/{CODE}/audit/bundle.zip").data)["checkpoint.txt"]
    books.run(
        ledger.post_entry,
        community_code=CODE,
        kind="deposit",
        value_date=date(2026, 5, 1),
        lines=[PostingLine("1001", 1), PostingLine("2101.1-102", -1)],
    )
    books.run(_checkpoint)
    response = client.post(
        f"/c/{CODE}/audit/bundle.zip",
        data={"csrf_token": csrf_token(client), "previous": (io.BytesIO(old), "checkpoint.txt")},
    )
    assert response.status_code == 200
    proof = json.loads(_members(response.data)["proofs/consistency.json"])
    assert proof["previous_checkpoint"] == old.decode()
    client.get("/?lang=en")
    bad = client.post(
        f"/c/{CODE}/audit/bundle.zip",
        data={"csrf_token": csrf_token(client), "previous": (io.BytesIO(b"junk"), "old.zip")},
    )
    assert bad.status_code == 422
    assert "not a signed checkpoint" in bad.get_data(as_text=True)


def test_who_may_download(
    client: FlaskClient, login: Login, books: Runtime, make_user: UserFactory
) -> None:
    assert client.get(f"/c/{CODE}/audit/bundle.zip").status_code in (302, 401)
    login("manager")
    assert client.get(f"/c/{CODE}/audit/").status_code == 403
    assert client.get(f"/c/{CODE}/audit/bundle.zip").status_code == 403
    assert 'href="/c/demo/audit/"' not in client.get("/").get_data(as_text=True)


def test_without_a_checkpoint_there_is_nothing_to_download(
    client: FlaskClient, login: Login, community: int
) -> None:
    login("admin")
    client.get("/?lang=en")
    page = client.get(f"/c/{CODE}/audit/")
    assert "The log has no signed checkpoint yet" in page.get_data(as_text=True)
    assert client.get(f"/c/{CODE}/audit/bundle.zip").status_code == 409


def test_the_verifier_keys_and_the_how_to_are_public(client: FlaskClient, runtime: Runtime) -> None:
    key = runtime.keyring.verifier
    response = client.get(f"/audit/keys/{key.key_id_hex}.vkey")
    assert response.status_code == 200 and response.get_data(as_text=True) == key.text + "\n"
    assert client.get("/audit/keys/00000000.vkey").status_code == 404
    page = client.get("/audit/how-to-verify").get_data(as_text=True)
    assert "fundvote verify FILE.zip --key KEY" in page
    assert "python fundvote-verify.pyz FILE.zip --key KEY" in page
    assert 'href="/audit/fundvote-verify.pyz"' in page
    assert page.index('lang="zh-Hans"') < page.index('lang="en"', page.index("<main"))
    assert "如何" in page and "How to verify a bundle" in page


def test_the_api_twin(client: FlaskClient, bearer: Any, books: Runtime) -> None:
    url = f"/api/v1/communities/{CODE}/bundle"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer("manager")).status_code == 403
    make_community(books, "other", "别的小区")
    assert client.get(url, headers=bearer("auditor", communities=["other"])).status_code == 403
    auditor = bearer("auditor")
    response = client.get(f"{url}?from=2026-01-01", headers=auditor)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    old = _members(response.data)["checkpoint.txt"]
    bad = client.get(f"{url}?to=2026-99-01", headers=auditor)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    proved = client.post(
        url, headers=auditor, data={"previous": (io.BytesIO(old), "checkpoint.txt")}
    )
    assert proved.status_code == 200
    assert "proofs/consistency.json" in _members(proved.data)
    refused = client.post(url, headers=auditor, data={"previous": (io.BytesIO(b"x"), "x.zip")})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
