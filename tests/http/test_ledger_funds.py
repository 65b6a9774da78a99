"""The fund's money-in pages and API: deposits and statements by whoever holds the fund,
top-up alerts, interest, reconciliation, public income and its transfer by the committee."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from ledger.api import (
    UNIT_RECEIVABLE,
    PostingLine,
    balances,
    open_books,
    open_unit_account,
    post_entry,
)
from notary.work import UnitOfWork
from tests.http.conftest import COMMUNITY_CODE, Login, UserFactory, csrf_token
from tests.http.test_ballot_pages import seed_units

PAGE = f"/c/{COMMUNITY_CODE}/ledger"
API = f"/api/v1/communities/{COMMUNITY_CODE}/ledger"
STATEMENT = "date,unit,amount,reference\n2026-01-02,1-101,1000.00,S1\n2026-01-03,1-102,500.00,S2\n"


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    seed_units(runtime)
    runtime.run(open_books, community)
    return runtime


@pytest.fixture
def headers(rt: Runtime, make_user: UserFactory) -> Any:
    def make(role: str) -> dict[str, str]:
        user = make_user(role)
        token = rt.run(issue_token, username=user.username)
        return {"Authorization": f"Bearer {token.secret}"}

    return make


def post(client: FlaskClient, url: str, data: dict[str, Any], **kw: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data}, **kw)


def _balance(rt: Runtime, code: str) -> int:
    return {b.code: b.balance_fen for b in rt.query(balances, COMMUNITY_CODE)}[code]


DEPOSIT = {
    "unit": "1-101",
    "amount": "1,000.00",
    "value_date": "2026-01-05",
    "bank_reference": "B1",
    "first": "first",
    "memo": "首期",
}


def test_the_authority_records_deposits_while_it_holds_the_fund(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("authority")
    html = client.get(PAGE + "/fund").get_data(as_text=True)
    assert 'action="/c/demo/ledger/deposits"' in html
    done = post(client, PAGE + "/deposits", DEPOSIT)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _balance(rt, "2101.1-101") == -100_000
    page = client.get(PAGE + "/fund").get_data(as_text=True)
    assert "1,000.00" in page and "B1" in page
    again = post(client, PAGE + "/deposits", DEPOSIT)
    assert again.status_code == 409
    bad = post(client, PAGE + "/deposits", {**DEPOSIT, "amount": "1.001", "value_date": "2026-2-1"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="d_amount-error"' in text and 'id="d_value_date-error"' in text
    assert "1.001" in text  # what was entered is kept


def test_the_committee_records_nothing_until_the_assembly_holds_the_fund(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    html = client.get(PAGE + "/fund").get_data(as_text=True)
    assert 'action="/c/demo/ledger/deposits"' not in html
    refused = post(client, PAGE + "/deposits", DEPOSIT)
    assert refused.status_code == 403
    assert _balance(rt, "1001") == 0


def test_a_statement_import_on_the_page(rt: Runtime, client: FlaskClient, login: Login) -> None:
    login("authority")

    def upload(text: str) -> Any:
        return post(
            client,
            PAGE + "/deposits/import",
            {"file": (io.BytesIO(text.encode()), "statement.csv")},
            content_type="multipart/form-data",
        )

    bad = upload(STATEMENT + "2026-01-04,9-999,x,S1\n")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "9-999" in html and ">4<" in html
    assert _balance(rt, "1001") == 0
    done = upload(STATEMENT)
    assert done.status_code == 302
    assert _balance(rt, "1001") == 150_000
    assert upload(STATEMENT).status_code == 302  # the same file: posted once
    assert _balance(rt, "1001") == 150_000


def test_deposit_api_statement_api_and_top_ups(
    rt: Runtime, client: FlaskClient, headers: Any
) -> None:
    authority = headers("authority")
    body = {
        "unit": "1-101",
        "amount": "1000.00",
        "value_date": "2026-01-05",
        "bank_reference": "B1",
        "first": True,
    }
    made = client.post(API + "/deposits", json=body, headers=authority)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["total_fen"] == 100_000
    dup = client.post(API + "/deposits", json=body, headers=authority)
    assert dup.status_code == 409
    assert dup.get_json()["type"] == "urn:fundvote:problem:duplicate-bank-reference"
    float_amount = client.post(API + "/deposits", json={**body, "amount": 1.5}, headers=authority)
    assert float_amount.status_code == 422
    committee = headers("committee")
    refused = client.post(
        API + "/deposits", json={**body, "bank_reference": "B2"}, headers=committee
    )
    assert refused.status_code == 403
    assert refused.get_json()["type"] == "urn:fundvote:problem:fund-operation-forbidden"

    rejected = client.post(
        API + "/deposits/import",
        data={
            "file": (io.BytesIO(b"date,unit,amount,reference\n2026-01-02,1-101,1.00,B1\n"), "s.csv")
        },
        headers=authority,
        content_type="multipart/form-data",
    )
    assert rejected.status_code == 422
    problems = rejected.get_json()["problems"]
    assert problems[0]["line"] == 2 and problems[0]["field"] == "reference"
    assert "B1" in problems[0]["message"]
    imported = client.post(
        API + "/deposits/import",
        data={"file": (io.BytesIO(STATEMENT.replace("S1", "S9").encode()), "s.csv")},
        headers=authority,
        content_type="multipart/form-data",
    )
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["rows"] == 2 and imported.get_json()["first_deposits"] == 1

    # spend 1-102 down below 30% of its first deposit (500.00): a draw posted directly
    from ledger.api import PostingLine, post_entry

    rt.run(
        post_entry,
        community_code=COMMUNITY_CODE,
        kind="draw",
        value_date=__import__("datetime").date(2026, 2, 1),
        lines=[PostingLine("2101.1-102", 40_000), PostingLine("1001", -40_000)],
    )
    alerts = client.get(API + "/top-ups", headers=committee)
    assert alerts.status_code == 200
    assert alerts.get_json() == [
        {
            "unit": "1-102",
            "balance_fen": 10_000,
            "first_deposit_fen": 50_000,
            "floor_fen": 15_000,
            "shortfall_fen": 5_000,
        }
    ]


def test_top_up_page(rt: Runtime, client: FlaskClient, login: Login) -> None:
    login("manager")
    html = client.get(PAGE + "/top-ups").get_data(as_text=True)
    assert client.get(PAGE + "/top-ups").status_code == 200
    assert "续筹" in html


def test_interest_on_the_page_and_the_api(
    rt: Runtime, client: FlaskClient, login: Login, headers: Any
) -> None:
    login("authority")
    post(client, PAGE + "/deposits", DEPOSIT)
    post(
        client,
        PAGE + "/deposits",
        {**DEPOSIT, "unit": "2-101", "bank_reference": "B2", "value_date": "2026-01-01"},
    )
    done = post(
        client,
        PAGE + "/interest",
        {"start": "2026-01-01", "end": "2026-01-10", "amount": "1.00"},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    # products: 1-101 holds 1000 for 6 days, 2-101 1000 for 10 days: 100 fen split 6:10
    assert _balance(rt, "2101.1-101") == -(100_000 + 38)
    assert _balance(rt, "2101.2-101") == -(100_000 + 62)
    again = client.post(
        API + "/interest",
        json={"start": "2026-01-01", "end": "2026-01-10", "amount": "2.00"},
        headers=headers("authority"),
    )
    assert again.status_code == 409
    bad = post(
        client, PAGE + "/interest", {"start": "2026-01-10", "end": "2026-01-01", "amount": "1"}
    )
    assert bad.status_code == 422


def test_reconciliation_page_and_api(
    rt: Runtime, client: FlaskClient, login: Login, headers: Any
) -> None:
    login("authority")
    post(client, PAGE + "/deposits", DEPOSIT)
    page = client.get(
        PAGE + "/reconciliation?account=1001&at=2026-01-31&statement_balance=1,000.50"
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1,000.00" in html and "0.50" in html
    bank = "date,amount,reference\n2026-01-05,1000.00,B1\n2026-01-06,3.00,Z\n"
    got = post(
        client,
        PAGE + "/reconciliation",
        {"account": "1001", "at": "2026-01-31", "file": (io.BytesIO(bank.encode()), "b.csv")},
        content_type="multipart/form-data",
    )
    assert got.status_code == 200
    assert ">Z<" in got.get_data(as_text=True)
    api = client.post(
        API + "/reconciliation?account=1001&at=2026-01-31&statement_balance=1003.00",
        data={"file": (io.BytesIO(bank.encode()), "b.csv")},
        headers=headers("auditor"),
        content_type="multipart/form-data",
    )
    assert api.status_code == 200, api.get_json()
    body = api.get_json()
    assert body["difference_fen"] == 300 and body["book_balance_fen"] == 100_000
    assert [x["reference"] for x in body["unmatched_lines"]] == ["Z"]
    assert body["unmatched_entries"] == []
    assert (
        client.get(API + "/reconciliation?at=2026-13-01", headers=headers("auditor")).status_code
        == 422
    )


def test_public_income_and_transfer(
    rt: Runtime, client: FlaskClient, login: Login, headers: Any
) -> None:
    manager = headers("manager")
    made = client.post(
        API + "/public-income",
        json={
            "kind": "parking",
            "amount": "1000.00",
            "value_date": "2026-03-31",
            "invoices": ["F1"],
        },
        headers=manager,
    )
    assert made.status_code == 201, made.get_json()
    cost = client.post(
        API + "/public-income",
        json={"kind": "cost", "amount": "100.00", "value_date": "2026-03-31"},
        headers=manager,
    )
    assert cost.status_code == 201
    refused = client.post(
        API + "/public-income/transfers",
        json={"amount": "1.00", "value_date": "2026-04-01", "decision": "D1"},
        headers=manager,
    )
    assert refused.status_code == 403
    login("committee")
    html = client.get(PAGE + "/public-income").get_data(as_text=True)
    assert "900.00" in html and "/public-income/transfer" in html
    over = post(
        client,
        PAGE + "/public-income/transfer",
        {"amount": "900.01", "value_date": "2026-04-01", "decision": "业委会2026-3号"},
    )
    assert over.status_code == 409
    done = post(
        client,
        PAGE + "/public-income/transfer",
        {"amount": "900.00", "value_date": "2026-04-01", "decision": "业委会2026-3号"},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _balance(rt, "1001") == 90_000 and _balance(rt, "1002") == 0
    summary = client.get(API + "/public-income", headers=headers("auditor")).get_json()
    assert summary["available_fen"] == 0 and summary["transferred_fen"] == 90_000
    subaccounts = [b for b in rt.query(balances, COMMUNITY_CODE) if b.code.startswith("2101.")]
    assert sum(b.balance_fen for b in subaccounts) == -90_000
    assert all(b.balance_fen < 0 for b in subaccounts)  # every unit, by area


# -- shortfalls owed by owners --------------------------------------------------------------


@pytest.fixture
def owing(rt: Runtime, community: int) -> Runtime:
    """Unit 1-101's owner owes 500 yuan for a shortfall (what a draw leaves when the unit's
    sub-account cannot cover its share: the draw itself is tested in the services)."""

    def owe(uow: UnitOfWork) -> None:
        open_unit_account(uow, community, "1-101", UNIT_RECEIVABLE.kind)
        post_entry(
            uow,
            community_code=COMMUNITY_CODE,
            kind="draw",
            value_date=date(2026, 3, 1),
            lines=[PostingLine("1202.1-101", 50_000), PostingLine("2201", -50_000)],
        )

    rt.run(owe)
    return rt


PAYMENT = {"unit": "1-101", "amount": "300.00", "value_date": "2026-03-05", "bank_reference": "P1"}


def test_the_fund_holder_records_what_an_owner_paid_for_a_shortfall(
    owing: Runtime, client: FlaskClient, login: Login
) -> None:
    login("authority")
    html = client.get(PAGE + "/top-ups").get_data(as_text=True)
    assert "1-101" in html and "500.00" in html
    assert 'action="/c/demo/ledger/shortfalls"' in html
    too_much = post(client, PAGE + "/shortfalls", {**PAYMENT, "amount": "500.01"})
    assert too_much.status_code == 409
    shown = too_much.get_data(as_text=True)  # what is owed, in yuan, in the message
    assert "欠缴 500.00 元" in shown or "owes 500.00 yuan" in shown
    bad = post(client, PAGE + "/shortfalls", {**PAYMENT, "amount": "-3", "bank_reference": ""})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="s_amount-error"' in text and 'id="s_bank_reference-error"' in text
    assert _balance(owing, "1202.1-101") == 50_000
    done = post(client, PAGE + "/shortfalls", PAYMENT)
    assert done.status_code == 302
    assert _balance(owing, "1202.1-101") == 20_000 and _balance(owing, "2201") == -20_000
    assert "200.00" in client.get(PAGE + "/top-ups").get_data(as_text=True)


def test_only_the_fund_holder_records_shortfall_payments(
    owing: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    html = client.get(PAGE + "/top-ups").get_data(as_text=True)
    assert "500.00" in html and 'action="/c/demo/ledger/shortfalls"' not in html
    assert post(client, PAGE + "/shortfalls", PAYMENT).status_code == 403
    assert _balance(owing, "1202.1-101") == 50_000


def test_shortfalls_in_the_api(owing: Runtime, client: FlaskClient, headers: Any) -> None:
    authority = headers("authority")
    listed = client.get(API + "/shortfalls", headers=headers("auditor"))
    assert listed.status_code == 200
    assert listed.get_json() == [{"unit": "1-101", "owed_fen": 50_000}]
    body = {**PAYMENT, "idempotency_key": "pay-1"}
    done = client.post(API + "/shortfalls", json=body, headers=authority)
    assert done.status_code == 201, done.get_json()
    entry = done.get_json()
    assert entry["kind"] == "shortfall_settlement" and entry["total_fen"] == 30_000
    assert entry["documents"] == {"bank_reference": "P1"} and not entry["is_replay"]
    again = client.post(API + "/shortfalls", json=body, headers=authority).get_json()
    assert again["is_replay"] and again["number"] == entry["number"]
    assert _balance(owing, "1202.1-101") == 20_000
    refused = client.post(
        API + "/shortfalls", json={**PAYMENT, "amount": "200.01"}, headers=authority
    )
    assert refused.status_code == 409
    assert refused.get_json()["type"] == "urn:fundvote:problem:shortfall-not-owed"
    bad = client.post(API + "/shortfalls", json={**PAYMENT, "amount": 2.5}, headers=authority)
    assert bad.status_code == 422
    committee = headers("committee")
    assert client.post(API + "/shortfalls", json=PAYMENT, headers=committee).status_code == 403
