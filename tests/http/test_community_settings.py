"""The community settings page and API; overdue objections on the pages and in the API;
frozen settings and the final state as the ballot pages and the API show them."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask.testing import FlaskClient

from estate.api import current_settings
from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, Login, UserFactory, csrf_token
from tests.http.test_ballot_pages import seed_units
from tests.services.voting.ballot_helpers import ORIGIN, draft, run_to_tallied
from tests.services.voting.test_publication import VOTES, lodge
from voting import ballots

PAGE = f"/c/{COMMUNITY_CODE}/settings/"
API = f"/api/v1/communities/{COMMUNITY_CODE}/settings"
DOC = hashlib.sha256(b"transfer").hexdigest()


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


def post(client: FlaskClient, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


RULES = {
    "deemed_majority": "on",
    "binding": "deemed",
    "publicity_days": "10",
    "basis": "管理规约第12条",
}


def test_committee_changes_the_rules_on_the_page(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'action="/c/demo/settings/rules"' in html and "/settings/fund-holder" not in html
    done = post(client, PAGE + "rules", RULES)
    assert done.status_code == 302 and done.headers["Location"].endswith(PAGE)
    html = client.get(PAGE).get_data(as_text=True)
    assert "管理规约第12条" in html and "Test committee" in html
    got = client.get(PAGE + "rules")
    assert got.status_code == 405


def test_bad_values_are_shown_at_their_fields(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    bad = post(client, PAGE + "rules", {**RULES, "publicity_days": "٣", "basis": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="publicity_days-error"' in html and 'id="rules_basis-error"' in html
    refused = post(client, PAGE + "rules", {**RULES, "deemed_majority": "off"})
    assert refused.status_code == 422
    assert "管理规约第12条" in refused.get_data(as_text=True)  # what was entered is kept


def test_the_emergency_publication_period_on_the_page(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    """Shown in force, changed with the other rules, refused outside 1-90 at its field; a
    form without the field leaves it as it is."""
    login("committee")
    assert 'name="emergency_publish_days"' in client.get(PAGE).get_data(as_text=True)
    for bad in ("0", "91", "١٠", ""):
        refused = post(client, PAGE + "rules", {**RULES, "emergency_publish_days": bad})
        assert refused.status_code == 422, bad
        assert 'id="emergency_publish_days-error"' in refused.get_data(as_text=True)
    assert rt.query(current_settings, "demo").emergency_publish_days == 30
    done = post(client, PAGE + "rules", {**RULES, "emergency_publish_days": "15"})
    assert done.status_code == 302
    assert rt.query(current_settings, "demo").emergency_publish_days == 15
    again = post(client, PAGE + "rules", {**RULES, "publicity_days": "11"})  # no such field
    assert again.status_code == 302
    now = rt.query(current_settings, "demo")
    assert (now.publicity_days, now.emergency_publish_days) == (11, 15)
    html = client.get(PAGE, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "应急维修费用公示期限" in html and "15 天" in html


def test_roles_on_the_page(rt: Runtime, client: FlaskClient, login: Login) -> None:
    login("manager")
    html = client.get(PAGE).get_data(as_text=True)
    assert "/settings/rules" not in html and "/settings/fund-holder" not in html
    assert post(client, PAGE + "rules", RULES).status_code == 403
    assert post(client, PAGE + "fund-holder", {"fund_holder": "assembly"}).status_code == 403


def test_authority_records_the_fund_holder(rt: Runtime, client: FlaskClient, login: Login) -> None:
    login("authority")
    assert "/settings/fund-holder" in client.get(PAGE).get_data(as_text=True)
    assert post(client, PAGE + "rules", RULES).status_code == 403
    no_doc = post(
        client, PAGE + "fund-holder", {"fund_holder": "assembly", "basis": "业主大会决定"}
    )
    assert no_doc.status_code == 422
    done = post(
        client,
        PAGE + "fund-holder",
        {"fund_holder": "assembly", "basis": "业主大会决定", "document_sha256": DOC},
    )
    assert done.status_code == 302
    assert DOC in client.get(PAGE).get_data(as_text=True)


def test_settings_api(rt: Runtime, client: FlaskClient, headers: Any) -> None:
    committee = headers("committee")
    got = client.get(API, headers=committee)
    assert got.status_code == 200
    body = got.get_json()
    assert body["settings"] == {
        "publicity_days": 7,
        "deemed_majority_enabled": False,
        "binding_result": "plain",
        "fund_holder": "authority",
        "emergency_publish_days": 30,
    }
    assert body["may_set_rules"] and not body["may_set_fund_holder"] and body["history"] == []
    changed = client.patch(
        API, json={"publicity_days": 9, "basis": "管理规约第3条"}, headers=committee
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["settings"]["publicity_days"] == 9
    assert (
        body["history"][0]["old"] == {"publicity_days": 7}
        and body["history"][0]["by"] == "Test committee"
    )

    forbidden = client.patch(
        API,
        json={"fund_holder": "assembly", "basis": "x", "document_sha256": DOC},
        headers=committee,
    )
    assert forbidden.status_code == 403
    assert forbidden.mimetype == "application/problem+json"
    assert forbidden.get_json()["type"] == "urn:fundvote:problem:setting-change-forbidden"
    for bad in (
        {"publicity_days": 91, "basis": "x"},
        {"publicity_days": 9},
        {"binding_result": "deemed", "basis": "x"},
        {"publicity_days": 9, "basis": "x"},  # already in force
        {"binding_result": "majority", "basis": "x"},
    ):
        refused = client.patch(API, json=bad, headers=committee)
        assert refused.status_code == 422, bad
        assert refused.mimetype == "application/problem+json"
    authority = headers("authority")
    moved = client.patch(
        API,
        json={"fund_holder": "assembly", "basis": "业主大会决定", "document_sha256": DOC},
        headers=authority,
    )
    assert moved.status_code == 200 and moved.get_json()["settings"]["fund_holder"] == "assembly"
    assert (
        client.patch(
            API, json={"publicity_days": 8, "basis": "x"}, headers=headers("manager")
        ).status_code
        == 403
    )
    assert client.get(API.replace("demo", "nope"), headers=committee).status_code == 404


def test_the_openapi_document_lists_the_settings_operations(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    path = doc["paths"]["/api/v1/communities/{code}/settings"]
    assert set(path) >= {"get", "patch"}
    assert "application/problem+json" in path["patch"]["responses"]["403"]["content"]
    assert "/api/v1/objections/overdue" in doc["paths"]


def published(rt: Runtime) -> ballots.BallotInfo:
    info = draft(rt, code=COMMUNITY_CODE)
    run_to_tallied(rt, info, VOTES)
    return rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=ORIGIN)


def test_pages_and_api_show_the_frozen_settings_and_final_state(
    rt: Runtime, client: FlaskClient, login: Login, headers: Any
) -> None:
    info = published(rt)
    h = headers("committee")
    client.patch(API, json={"deemed_majority_enabled": True, "basis": "管理规约第5条"}, headers=h)
    login("committee")
    detail = client.get(f"/c/{COMMUNITY_CODE}/ballots/{info.ref}").get_data(as_text=True)
    assert "as in force when the ballot opened" in detail or "开启时" in detail
    public = client.get(f"/r/{COMMUNITY_CODE}/{info.ref}/")
    assert public.status_code == 200
    rt.clock.advance(days=7)
    api = client.get(
        f"/api/v1/communities/{COMMUNITY_CODE}/ballots/{info.ref}", headers=h
    ).get_json()
    assert api["status"] == "final" and api["recorded_status"] == "published"
    assert api["deemed_majority_enabled"] is False and api["settings_frozen"] is True
    assert api["final_at"] is not None
    notice = client.get(f"/r/{COMMUNITY_CODE}/{info.ref}/notice.pdf")
    assert notice.status_code == 200 and notice.mimetype == "application/pdf"


def test_overdue_objections_are_shown_to_the_committee_and_the_authority(
    rt: Runtime, client: FlaskClient, login: Login, headers: Any, app: Any
) -> None:
    info = published(rt)
    lodge(rt, info.ref)
    rt.clock.advance(days=8)
    login("authority")
    home = client.get("/").get_data(as_text=True)
    assert f"/c/{COMMUNITY_CODE}/ballots/{info.ref}" in home
    listed = client.get("/api/v1/objections/overdue", headers=headers("authority")).get_json()
    assert [(o["ballot"], o["unanswered"]) for o in listed] == [(info.ref, 1)]
    committee = app.test_client()
    login("committee", on=committee)
    detail = committee.get(f"/c/{COMMUNITY_CODE}/ballots/{info.ref}").get_data(as_text=True)
    assert 'role="alert"' in detail
    other = client.get("/api/v1/objections/overdue", headers=headers_for_other(rt, app)).get_json()
    assert other == []


def headers_for_other(rt: Runtime, app: Any) -> dict[str, str]:
    from fundvote.auth import add_user
    from tests.http.conftest import PASSWORD, make_community

    make_community(rt, code="other", name="别的小区")
    user = rt.run(
        add_user,
        username="authority-other",
        password=PASSWORD,
        role="authority",
        communities=["other"],
        display_name="Other",
    )
    token = rt.run(issue_token, username=user.username)
    return {"Authorization": f"Bearer {token.secret}"}


def test_owner_page_shows_the_settings_frozen_at_opening(
    runtime: Runtime, community: int, client: FlaskClient
) -> None:
    from estate.api import change_settings
    from tests.services.voting.owner_helpers import (
        import_rows,
        issue_all,
        open_ballot,
        tokens_by_unit,
    )

    import_rows(runtime, COMMUNITY_CODE)
    runtime.run(
        change_settings,
        community_code=COMMUNITY_CODE,
        actor=1,
        may_set_rules=True,
        may_set_holder=False,
        basis="管理规约第5条",
        deemed_majority_enabled=True,
        publicity_days=12,
    )
    info = open_ballot(runtime, code=COMMUNITY_CODE)
    runtime.run(
        change_settings,
        community_code=COMMUNITY_CODE,
        actor=1,
        may_set_rules=True,
        may_set_holder=False,
        basis="管理规约第5条",
        deemed_majority_enabled=False,
        publicity_days=5,
    )
    token = tokens_by_unit(issue_all(runtime, info.ref))["1-101"]
    client.set_cookie("lang", "en")
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert "How this vote is counted" in page
    assert "12 days" in page and "on: reported beside the plain result" in page
    assert "5 days" not in page
