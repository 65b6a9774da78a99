"""The legacy import in the JSON API and on the committee's page: who may, the summary, the
problem listing every bad row (in the caller's language), idempotency, nothing written on a
refusal."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from fundvote.auth import issue_token
from fundvote.books import import_roll_with_books
from fundvote.runtime import Runtime
from ledger.api import balances, get_entry, open_books
from tests.http.conftest import Login, UserFactory, csrf_token, make_community

URL = "/api/v1/communities/demo/ledger/legacy-import"
ROLL = "unit,building,area,owners,developer\n1-101,1,100.00,A1,\n1-102,1,80.50,B1,\n"
LEGACY = (
    "entry,date,memo,account,debit,credit\n"
    "L1,2019-01-02,首次交存,1001,1000.00,\n"
    "L1,2019-01-02,,2101.1-101,,600.00\n"
    "L1,2019-01-02,,2101.1-102,,400.00\n"
    "L2,2019-06-30,利息,1001,0.35,\n"
    "L2,2019-06-30,利息,2101.1-101,,0.35\n"
)
BAD = (
    "entry,date,memo,account,debit,credit\n"
    "L1,2019-01-02,,1001,1.00,\n"
    "L1,2019-01-02,,2101.1-101,,0.99\n"
    "L2,2019-01-02,,9999,1.00,\n"
    "L2,2019-01-02,,1001,,1.00\n"
)


@pytest.fixture
def books(runtime: Runtime, community: int) -> Runtime:
    runtime.run(open_books, community)
    runtime.run(
        import_roll_with_books,
        community_code="demo",
        data=ROLL.encode(),
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    return runtime


@pytest.fixture
def bearer(runtime: Runtime, make_user: UserFactory) -> Any:
    def make(role: str, **kwargs: Any) -> dict[str, str]:
        user = make_user(role, **kwargs)
        token = runtime.run(issue_token, username=user.username)
        return {"Authorization": f"Bearer {token.secret}"}

    return make


def _upload(client: FlaskClient, headers: dict[str, str], body: str, lang: str = "en") -> Any:
    return client.post(
        f"{URL}?lang={lang}",
        headers=headers,
        data={"file": (io.BytesIO(body.encode()), "old-books.csv")},
        content_type="multipart/form-data",
    )


def _fund(runtime: Runtime) -> dict[str, int]:
    return {b.code: b.balance_fen for b in runtime.query(balances, "demo")}


def test_the_committee_imports_once(client: FlaskClient, bearer: Any, books: Runtime) -> None:
    headers = bearer("committee")
    response = _upload(client, headers, LEGACY)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {
        "file_sha256": hashlib.sha256(LEGACY.encode()).hexdigest(),
        "entries": 2,
        "posted": 2,
        "already": 0,
        "postings": 5,
        "first_date": "2019-01-02",
        "last_date": "2019-06-30",
    }
    assert _fund(books)["1001"] == 1000_35
    entry = books.query(get_entry, "demo", 1)
    assert entry.is_legacy and entry.posted_by is not None
    again = _upload(client, headers, LEGACY).get_json()
    assert (again["posted"], again["already"]) == (0, 2)
    assert _fund(books)["1001"] == 1000_35


def test_a_bad_file_lists_every_problem_and_writes_nothing(
    client: FlaskClient, bearer: Any, books: Runtime
) -> None:
    before = _fund(books)
    response = _upload(client, bearer("admin"), BAD, lang="zh_Hans")
    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "urn:fundvote:problem:legacy-import-rejected"
    assert [(p["line"], p["field"]) for p in body["problems"]] == [(4, "account")]
    assert "账簿中没有科目 9999" in body["problems"][0]["message"]
    assert _fund(books) == before
    unbalanced = (
        "entry,date,memo,account,debit,credit\n"
        "L1,2019-01-02,,1001,1.00,\n"
        "L1,2019-01-02,,2101.1-101,,0.99\n"
        "L2,2019-01-03,,1001,3.00,\n"
        "L2,2019-01-03,,2101.1-102,,1.00\n"
    )
    response = _upload(client, bearer("admin"), unbalanced)
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert problems == [
        {
            "line": 2,
            "field": "",
            "message": "entry L1 (first line 2) does not balance: "
            "debits exceed credits by 0.01 yuan",
        },
        {
            "line": 4,
            "field": "",
            "message": "entry L2 (first line 4) does not balance: "
            "debits exceed credits by 2.00 yuan",
        },
    ]


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_other_roles_are_refused(
    client: FlaskClient, bearer: Any, books: Runtime, role: str
) -> None:
    assert _upload(client, bearer(role), LEGACY).status_code == 403
    assert _fund(books)["1001"] == 0


def test_another_communitys_committee_is_refused(
    client: FlaskClient, bearer: Any, books: Runtime
) -> None:
    make_community(books, "other", "别的小区")
    assert _upload(client, bearer("committee", communities=["other"]), LEGACY).status_code == 403


def test_the_upload_needs_a_file(client: FlaskClient, bearer: Any, books: Runtime) -> None:
    response = client.post(
        URL, headers=bearer("admin"), data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 422


# --- the committee's page ---------------------------------------------------------------


def _post_page(client: FlaskClient, body: str, name: str = "old-books.csv") -> Any:
    return client.post(
        "/c/demo/ledger/legacy-import",
        data={"csrf_token": csrf_token(client), "file": (io.BytesIO(body.encode()), name)},
        content_type="multipart/form-data",
    )


def test_the_page_imports_and_then_finds_everything_already_there(
    client: FlaskClient, login: Login, books: Runtime
) -> None:
    login("committee")
    page = client.get("/c/demo/ledger/legacy-import")
    assert page.status_code == 200
    assert "导入历史账目" in page.get_data(as_text=True)
    done = _post_page(client, LEGACY)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "历史账目已导入" in text and "本次入账凭证" in text
    assert _fund(books)["1001"] == 1000_35
    again = _post_page(client, LEGACY).get_data(as_text=True)
    assert re.search(r"已在账簿中</dt><dd>2</dd>", again)
    assert _fund(books)["1001"] == 1000_35


def test_the_page_lists_every_problem_and_writes_nothing(
    client: FlaskClient, login: Login, books: Runtime
) -> None:
    login("authority")
    response = _post_page(client, BAD)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "账簿中没有科目 9999" in text and "未写入任何内容" in text
    assert _fund(books)["1001"] == 0


@pytest.mark.parametrize(
    ("body", "name", "status"),
    [(LEGACY, "old-books.txt", 400), (LEGACY, "", 400)],
)
def test_the_page_refuses_what_is_not_a_table(
    client: FlaskClient, login: Login, books: Runtime, body: str, name: str, status: int
) -> None:
    login("admin")
    assert _post_page(client, body, name).status_code == status
    assert _fund(books)["1001"] == 0


def test_the_page_is_not_for_the_manager(client: FlaskClient, login: Login, books: Runtime) -> None:
    login("manager")
    assert client.get("/c/demo/ledger/legacy-import").status_code == 403
