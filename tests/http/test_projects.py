"""Projects, emergency records and draws: the pages and the JSON API (maker-checker end to
end, refusals as pages and problems, the report as CSV)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from ledger.api import balances
from tests.http.conftest import COMMUNITY_CODE, Login, UserFactory, csrf_token
from tests.http.test_ballot_pages import seed_units
from tests.services.ledger.project_helpers import decided, fund_everyone, open_books_of

PAGE = f"/c/{COMMUNITY_CODE}/projects/"
API = f"/api/v1/communities/{COMMUNITY_CODE}"


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    seed_units(runtime)
    open_books_of(runtime, COMMUNITY_CODE)
    fund_everyone(runtime, code=COMMUNITY_CODE)
    return runtime


@pytest.fixture
def headers(rt: Runtime, make_user: UserFactory) -> Any:
    def make(role: str) -> dict[str, str]:
        user = make_user(role)
        token = rt.run(issue_token, username=user.username)
        return {"Authorization": f"Bearer {token.secret}"}

    return make


def post(client: FlaskClient, url: str, data: dict[str, str] | None = None) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})})


def _balance(rt: Runtime, code: str) -> int:
    return {b.code: b.balance_fen for b in rt.query(balances, COMMUNITY_CODE)}[code]


def test_a_draw_from_the_managers_record_to_the_authoritys_approval(
    rt: Runtime, app: Flask, client: FlaskClient, login: Login
) -> None:
    ref = decided(rt, code=COMMUNITY_CODE)
    login("manager")
    page = client.get(PAGE)
    assert page.status_code == 200 and "维修" in page.get_data(as_text=True)
    opened = post(client, PAGE + "open", {"ballot": ref, "question": "1"})
    assert opened.status_code == 302
    project_url = opened.headers["Location"]
    html = client.get(project_url).get_data(as_text=True)
    assert "1-101" in html and "登记支取" in html
    bad = post(client, project_url + "/draws", {"stage": "progress", "amount": "abc"})
    assert bad.status_code == 422
    recorded = post(
        client,
        project_url + "/draws",
        {"stage": "progress", "amount": "1,000.00", "retention": "50", "value_date": "2026-03-01"},
    )
    assert recorded.status_code == 302
    html = client.get(project_url).get_data(as_text=True)
    assert "/approve" not in html  # the recorder never sees an approve button
    authority = app.test_client()
    login("authority", on=authority)
    overview = authority.get("/ledger/overview").get_data(as_text=True)
    assert "待您审批的支取" in overview and "1,000.00" in overview
    assert f"{project_url}#draw-" in overview
    html = authority.get(project_url).get_data(as_text=True)
    assert "/approve" in html
    start = html.index(f"/c/{COMMUNITY_CODE}/projects/draws/")
    approve_url = html[start : html.index('"', start)]
    assert approve_url.endswith("/approve")
    done = post(authority, approve_url)
    assert done.status_code == 302
    assert _balance(rt, "2202") == -5_000
    assert "没有待审批的支取" in authority.get("/ledger/overview").get_data(as_text=True)
    assert _balance(rt, "1001") == 7_000_000 - 95_000
    report = authority.get(project_url + "/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "unit,1-101" in report.get_data(as_text=True)


def test_a_draw_the_gate_refuses_shows_why(rt: Runtime, client: FlaskClient, login: Login) -> None:
    ref = decided(rt, code=COMMUNITY_CODE, final=False)
    login("committee")
    project_url = post(client, PAGE + "open", {"ballot": ref}).headers["Location"]
    refused = post(
        client,
        project_url + "/draws",
        {"stage": "advance", "amount": "10", "value_date": "2026-03-01"},
    )
    assert refused.status_code == 409
    assert ref in refused.get_data(as_text=True)


def test_the_api_records_approves_and_refuses_with_problems(
    rt: Runtime, headers: Any, client: FlaskClient
) -> None:
    ref = decided(rt, code=COMMUNITY_CODE)
    manager = headers("manager")
    made = client.post(f"{API}/projects", json={"ballot": ref, "question": 1}, headers=manager)
    assert made.status_code == 201, made.get_json()
    project = made.get_json()["ref"]
    again = client.post(f"{API}/projects", json={"ballot": ref, "question": 1}, headers=manager)
    assert again.status_code == 409 and again.get_json()["type"].endswith(":project-exists")
    draw = client.post(
        f"{API}/projects/{project}/draws",
        json={"stage": "advance", "amount_fen": 70_000, "value_date": "2026-03-01"},
        headers=manager,
    )
    assert draw.status_code == 201
    draw_ref = draw.get_json()["ref"]
    auditor = headers("auditor")
    assert client.post(f"{API}/draws/{draw_ref}/approve", headers=auditor).status_code == 403
    committee = headers("committee")
    refused = client.post(f"{API}/draws/{draw_ref}/approve", headers=committee)
    assert refused.status_code == 403 and refused.get_json()["type"].endswith(":not-draw-approver")
    pending = client.get("/api/v1/draws/pending", headers=headers("authority")).get_json()
    assert [p["ref"] for p in pending] == [draw_ref]
    ok = client.post(f"{API}/draws/{draw_ref}/approve", headers=headers("authority"))
    assert ok.status_code == 200 and ok.get_json()["status"] == "posted"
    report = client.get(f"{API}/projects/{project}", headers=auditor).get_json()
    assert sum(u["drawn_fen"] for u in report["units"]) == 70_000
    bad = client.post(
        f"{API}/projects/{project}/draws",
        json={"stage": "bonus", "amount_fen": -1, "value_date": "x"},
        headers=manager,
    )
    assert bad.status_code == 422


def test_emergencies_through_the_api_and_the_unpublished_list(
    rt: Runtime, headers: Any, client: FlaskClient, login: Login
) -> None:
    manager = headers("manager")
    made = client.post(
        f"{API}/emergencies",
        json={
            "category": "water_pump_failure",
            "evidence_sha256": "d" * 64,
            "description": "二次供水水泵故障, 高层停水",
        },
        headers=manager,
    )
    assert made.status_code == 201, made.get_json()
    record = made.get_json()["ref"]
    listed = client.get("/api/v1/emergencies/unpublished", headers=headers("authority"))
    assert [u["ref"] for u in listed.get_json()] == [record]
    login("committee")
    html = client.get(PAGE).get_data(as_text=True)
    assert "水泵故障导致高层停水" in html and "已逾期" not in html
    published = client.post(f"{API}/emergencies/{record}/publish", headers=manager)
    assert published.status_code == 200 and published.get_json()["published_at"]
    assert client.get("/api/v1/emergencies/unpublished", headers=manager).get_json() == []
    # Published to the owners: on the community's public ledger page, with its checkpoint.
    public = client.application.test_client()
    index = public.get(f"/r/{COMMUNITY_CODE}/ledger/").get_data(as_text=True)
    assert "水泵故障导致高层停水" in index and f"/ledger/emergency/{record}/" in index
    page = public.get(f"/r/{COMMUNITY_CODE}/ledger/emergency/{record}/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "二次供水水泵故障" in body and "— " in body
    assert public.get(f"/r/{COMMUNITY_CODE}/ledger/emergency/nope/").status_code == 404


def test_the_committee_sets_the_emergency_publication_deadline(
    rt: Runtime, headers: Any, client: FlaskClient
) -> None:
    url = f"{API}/settings"
    body = {"emergency_publish_days": 15, "basis": "管理规约第20条"}
    assert client.patch(url, json=body, headers=headers("manager")).status_code == 403
    done = client.patch(url, json=body, headers=headers("committee"))
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["settings"]["emergency_publish_days"] == 15
    too_long = client.patch(
        url, json={**body, "emergency_publish_days": 400}, headers=headers("committee")
    )
    assert too_long.status_code == 422
