"""The ballots JSON API: shapes, the lifecycle, problems, roles, the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, UserFactory
from tests.http.test_ballot_pages import seed_units
from tests.services.voting.ballot_helpers import at, cast

BASE = f"/api/v1/communities/{COMMUNITY_CODE}/ballots"

BODY: dict[str, Any] = {
    "title": "三号楼电梯更新",
    "description": "更换电梯主机",
    "opens_at": "2026-11-02T08:00:00+08:00",
    "closes_at": "2026-11-09T20:00:00+08:00",
    "scope_kind": "buildings",
    "scope_codes": ["1", "2"],
    "questions": [
        {
            "matter": "fund_use",
            "text": "同意使用维修资金更换电梯吗？",
            "use_plan": {
                "repair": "更换电梯主机",
                "budget_fen": 1_234_567,
                "sources": {"subsidy": 234_560, "maintenance_fund": 1_000_007},
                "emergency": "停运",
            },
        }
    ],
}


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    seed_units(runtime)
    return runtime


@pytest.fixture
def headers(rt: Runtime, make_user: UserFactory) -> Any:
    def make(role: str) -> dict[str, str]:
        user = make_user(role)
        token = rt.run(issue_token, username=user.username)
        return {"Authorization": f"Bearer {token.secret}"}

    return make


def test_lifecycle_through_the_api(rt: Runtime, client: FlaskClient, headers: Any) -> None:
    h = headers("committee")
    created = client.post(BASE, json=BODY, headers=h)
    assert created.status_code == 201, created.get_json()
    ballot = created.get_json()
    ref = ballot["ref"]
    assert ballot["status"] == "draft" and ballot["scope"] == {
        "kind": "buildings",
        "codes": ["1", "2"],
    }
    plan = ballot["questions"][0]["use_plan"]
    assert plan["budget_fen"] == 1_234_567 and plan["sources"]["owners_direct"] == 0
    assert ballot["opens_at"].startswith("2026-11-02T00:00:00")
    assert ballot["roll"] == {"heads": 0, "area": "0.00", "commitment": None}

    opened = client.post(f"{BASE}/{ref}/open", headers=h).get_json()
    assert opened["status"] == "open" and opened["roll"]["heads"] == 6
    assert opened["roll"]["area"] == "782.79" and len(opened["roll"]["commitment"]) == 64

    early = client.post(f"{BASE}/{ref}/close", headers=h)
    assert early.status_code == 409
    assert early.mimetype == "application/problem+json"
    assert early.get_json()["type"] == "urn:fundvote:problem:window-not-over"

    at(rt, rt.clock.now().replace(day=3))
    cast(rt, ref, "1-101", "agree")
    cast(rt, ref, "2-102", "oppose")
    turnout = client.get(f"{BASE}/{ref}/turnout", headers=h).get_json()
    assert turnout["cast"] == 2 and turnout["overall"]["roll"] == {"heads": 6, "area": "782.79"}
    assert [b["building"] for b in turnout["buildings"]] == ["1", "2"]

    at(rt, rt.clock.now().replace(day=10))
    assert client.post(f"{BASE}/{ref}/close", headers=h).get_json()["status"] == "closed"
    assert client.get(f"{BASE}/{ref}/tally", headers=h).status_code == 404
    tally = client.post(f"{BASE}/{ref}/tally", headers=h).get_json()
    q = tally["questions"][0]
    assert q["plain"]["participated"] == {"heads": 2, "area": "273.37"}
    assert q["plain"]["quorum_met"] is False and q["deemed_majority"] is None
    assert client.get(f"{BASE}/{ref}/tally", headers=h).get_json() == tally

    board = client.get(f"{BASE}/{ref}/board", headers=h).get_json()
    assert board["mode"] == "tracker" and len(board["rows"]) == 2
    assert all(r["units"] == [] and r["tracker"] for r in board["rows"])

    published = client.post(f"{BASE}/{ref}/publish", headers=h).get_json()
    assert published["status"] == "published" and published["notice"]["tree_size"] > 0
    again = client.post(f"{BASE}/{ref}/publish", headers=h)
    assert again.status_code == 409
    assert again.get_json()["type"] == "urn:fundvote:problem:illegal-transition"
    assert client.post(f"{BASE}/{ref}/finalize", headers=h).status_code == 409  # too soon
    listed = client.get(BASE, headers=h).get_json()
    assert [b["ref"] for b in listed] == [ref]


def test_invalid_drafts_are_problems(rt: Runtime, client: FlaskClient, headers: Any) -> None:
    h = headers("committee")
    bad = dict(
        BODY,
        questions=[
            dict(
                BODY["questions"][0], use_plan=dict(BODY["questions"][0]["use_plan"], budget_fen=5)
            )
        ],
    )
    response = client.post(BASE, json=bad, headers=h)
    assert response.status_code == 422
    assert response.get_json()["type"] == "urn:fundvote:problem:invalid-use-plan"
    narrow = dict(BODY, questions=[{"matter": "rules", "text": "修改规约"}])
    assert (
        client.post(BASE, json=narrow, headers=h).get_json()["type"]
        == "urn:fundvote:problem:scope-too-narrow"
    )
    naive = dict(BODY, opens_at="2026-11-02T08:00:00")
    assert client.post(BASE, json=naive, headers=h).status_code == 422
    assert client.get(f"{BASE}/bnope", headers=h).status_code == 404


@pytest.mark.parametrize("role", ["manager", "authority", "auditor"])
def test_readers_cannot_act(rt: Runtime, client: FlaskClient, headers: Any, role: str) -> None:
    ref = client.post(BASE, json=BODY, headers=headers("committee")).get_json()["ref"]
    h = headers(role)
    assert client.get(f"{BASE}/{ref}", headers=h).status_code == 200
    assert client.post(BASE, json=BODY, headers=h).status_code == 403
    assert client.post(f"{BASE}/{ref}/open", headers=h).status_code == 403


def test_openapi_documents_the_ballot_routes(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for tail in (
        "",
        "/{ref}",
        "/{ref}/open",
        "/{ref}/close",
        "/{ref}/tally",
        "/{ref}/publish",
        "/{ref}/board",
        "/{ref}/turnout",
    ):
        assert f"/api/v1/communities/{{code}}/ballots{tail}" in paths, tail
