"""The property register in the JSON API: shapes, scoping, masking, the roll in and out."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from estate.roll import parse_roll
from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import UserFactory, make_community
from tests.http.test_register_pages import (
    BAD_ROLL,
    EXTRA_UNITS,
    PHONES,
    load_register,
    snapshot,
)

AREA = re.compile(r"^[0-9]+\.[0-9]{2}$")


@pytest.fixture
def register(runtime: Runtime, community: int) -> None:
    load_register(runtime)


@pytest.fixture
def bearer(runtime: Runtime, make_user: UserFactory) -> Any:
    """``bearer(role, **user_kwargs)``: headers with a fresh token for a new user."""

    def make(role: str, **kwargs: Any) -> dict[str, str]:
        user = make_user(role, **kwargs)
        token = runtime.run(issue_token, username=user.username)
        return {"Authorization": f"Bearer {token.secret}"}

    return make


def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    for phone in PHONES:
        assert phone not in body and phone[3:] not in body
    return response.get_json(force=True)


def _areas_are_strings(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("area", "member_area"):
                assert isinstance(item, str) and AREA.match(item), (key, item)
            _areas_are_strings(item)
    elif isinstance(value, list):
        for item in value:
            _areas_are_strings(item)
    else:
        assert not isinstance(value, float)


def test_community_totals(client: FlaskClient, bearer: Any, register: None) -> None:
    body = _json(client.get("/api/v1/communities/demo", headers=bearer("manager")))
    _areas_are_strings(body)
    assert body["code"] == "demo" and body["name"] == "江滨花园"
    totals = body["totals"]
    assert totals["units"] == 6 + EXTRA_UNITS and totals["buildings"] == 5
    assert totals["developer_units"] == 1 and totals["members"] == 49 and totals["owners"] == 49
    b01 = next(b for b in body["buildings"] if b["code"] == "01")
    assert b01 == {
        "code": "01",
        "name": "1号楼",
        "units": 3,
        "developer_units": 1,
        "area": "284.87",
    }


def test_units_page_search_and_bounds(client: FlaskClient, bearer: Any, register: None) -> None:
    headers = bearer("committee")
    body = _json(client.get("/api/v1/communities/demo/units?per_page=20&page=2", headers=headers))
    _areas_are_strings(body)
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 20, 51, 3)
    assert len(body["items"]) == 20
    first = _json(client.get("/api/v1/communities/demo/units?q=01-010", headers=headers))
    assert [u["code"] for u in first["items"]] == ["01-0101", "01-0102", "01-0103"]
    assert first["items"][1] == {
        "code": "01-0102",
        "building": "01",
        "building_name": "1号楼",
        "area": "120.50",
        "kind": "flat",
        "developer_held": False,
        "owners": [{"key": "O2", "name": "李四"}, {"key": "O3", "name": "欧阳娜娜"}],
    }
    assert first["items"][2]["developer_held"] is True and first["items"][2]["owners"] == []
    by_name = _json(client.get("/api/v1/communities/demo/units?q=张三", headers=headers))
    assert [u["code"] for u in by_name["items"]] == ["01-0101", "02-0101"]
    dev = _json(client.get("/api/v1/communities/demo/units?developer=true", headers=headers))
    assert dev["total"] == 1
    building = _json(client.get("/api/v1/communities/demo/units?building=P", headers=headers))
    assert [u["code"] for u in building["items"]] == ["P-001"]
    for bad in ["per_page=201", "per_page=0", "page=0", "page=x"]:
        response = client.get(f"/api/v1/communities/demo/units?{bad}", headers=headers)
        assert response.status_code == 422, bad
        assert response.mimetype == "application/problem+json"


def test_names_masked_for_the_auditor_and_no_name_search(
    client: FlaskClient, bearer: Any, register: None
) -> None:
    headers = bearer("auditor")
    body = _json(client.get("/api/v1/communities/demo/units?building=01", headers=headers))
    owners = [o for u in body["items"] for o in u["owners"]]
    assert [o["name"] for o in owners] == ["张*明", "李*", "欧**娜"]
    assert _json(client.get("/api/v1/communities/demo/units?q=张三", headers=headers))["total"] == 0
    detail = _json(client.get("/api/v1/communities/demo/units/01-0102", headers=headers))
    assert [o["name"] for o in detail["owners"]] == ["李*", "欧**娜"]
    assert "李四" not in str(detail)


def test_unit_detail(client: FlaskClient, bearer: Any, register: None) -> None:
    headers = bearer("admin")
    body = _json(client.get("/api/v1/communities/demo/units/01-0102", headers=headers))
    _areas_are_strings(body)
    assert body["owners"] == [
        {"key": "O2", "name": "李四", "kind": "person", "phone": "139****4321"},
        {"key": "O3", "name": "欧阳娜娜", "kind": "person", "phone": "150****2222"},
    ]
    assert body["member_units"] == ["P-001"] and body["member_area"] == "133.70"
    no_phone = _json(client.get("/api/v1/communities/demo/units/S-01", headers=headers))
    assert no_phone["owners"][0]["phone"] is None and no_phone["kind"] == "shop"
    missing = client.get("/api/v1/communities/demo/units/99-9999", headers=headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/api/v1/communities/nowhere", headers=headers).status_code == 404


def test_scoping_and_roles(
    client: FlaskClient, runtime: Runtime, bearer: Any, register: None
) -> None:
    make_community(runtime, "other", "其他小区")
    outsider = bearer("committee", communities=["other"])
    for method, url in [
        ("GET", "/api/v1/communities/demo"),
        ("GET", "/api/v1/communities/demo/units"),
        ("GET", "/api/v1/communities/demo/units/01-0101"),
        ("GET", "/api/v1/communities/demo/roll"),
    ]:
        response = client.open(url, method=method, headers=outsider)
        assert response.status_code == 403, url
        assert response.mimetype == "application/problem+json"
    manager = bearer("manager")
    assert client.get("/api/v1/communities/demo/roll", headers=manager).status_code == 403
    response = client.post(
        "/api/v1/communities/demo/roll",
        headers=manager,
        data={"file": (io.BytesIO(b"unit\n"), "roll.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert client.get("/api/v1/communities/demo").status_code == 401


def _upload(client: FlaskClient, headers: dict[str, str], content: bytes, name: str) -> Any:
    return client.post(
        "/api/v1/communities/demo/roll",
        headers=headers,
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_roll_rejection_is_a_problem_listing_every_row(
    client: FlaskClient, runtime: Runtime, bearer: Any, register: None
) -> None:
    before = snapshot(runtime)
    response = _upload(client, bearer("committee"), BAD_ROLL.encode(), "bad.csv")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["type"] == "urn:fundvote:problem:roll-rejected"
    assert body["status"] == 422 and body["title"] and body["detail"]
    _rows, problems = parse_roll(BAD_ROLL.encode(), "bad.csv")
    assert [(p["line"], p["field"]) for p in body["problems"]] == [
        (p.line, p.field) for p in problems
    ]
    # The messages are in the request's language, like the detail (Chinese by default).
    messages = [p["message"] for p in body["problems"]]
    assert any("小数超过两位" in m for m in messages) and "名册未被接受" in body["detail"]
    english = client.post(
        "/api/v1/communities/demo/roll?lang=en",
        headers=bearer("committee"),
        data={"file": (io.BytesIO(BAD_ROLL.encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert [p["message"] for p in english.get_json(force=True)["problems"]] == [
        p.text for p in problems
    ]
    assert {p["line"] for p in body["problems"]} == {3, 4, 5, 6, 7}
    assert snapshot(runtime) == before


def test_roll_upload_needs_a_file(client: FlaskClient, bearer: Any, register: None) -> None:
    response = client.post(
        "/api/v1/communities/demo/roll",
        headers=bearer("admin"),
        data={},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "file" in response.get_json(force=True)["errors"]["files"]


def test_roll_import_success(
    client: FlaskClient, runtime: Runtime, bearer: Any, register: None
) -> None:
    roll = "unit,building,area,owners,developer\n01-0101,01,90.00,O1,\n05-0101,05,70.10,O30,\n"
    body = _json(_upload(client, bearer("committee"), roll.encode(), "update.csv"))
    assert body["units_created"] == 1 and body["units_updated"] == 1
    assert body["units_unchanged"] == 0 and body["buildings_created"] == 1
    assert body["owners_created"] == 1 and body["source_name"] == "update.csv"
    assert len(body["source_sha256"]) == 64 and isinstance(body["log_index"], int)
    unit = _json(client.get("/api/v1/communities/demo/units/01-0101", headers=bearer("admin")))
    assert unit["area"] == "90.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_roll_export(client: FlaskClient, bearer: Any, register: None, fmt: str) -> None:
    response = client.get(f"/api/v1/communities/demo/roll?format={fmt}", headers=bearer("admin"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=demo-roll.{fmt}"
    rows, problems = parse_roll(response.get_data(), f"roll.{fmt}")
    assert problems == [] and len(rows) == 6 + EXTRA_UNITS
    assert {r.unit: r for r in rows}["01-0101"].owner_names == ("张三明",)
    for phone in PHONES:
        assert phone.encode() not in response.get_data()


def test_roll_export_for_the_auditor_is_masked(
    client: FlaskClient, bearer: Any, register: None
) -> None:
    response = client.get("/api/v1/communities/demo/roll", headers=bearer("auditor"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows, problems = parse_roll(response.get_data(), "roll.csv")
    assert problems == []
    assert {r.unit: r for r in rows}["01-0102"].owner_names == ("李*", "欧**娜")
    bad = client.get("/api/v1/communities/demo/roll?format=pdf", headers=bearer("auditor"))
    assert bad.status_code == 422


def test_openapi_documents_the_register(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/communities/{code}/roll"]) >= {"get", "post"}
    assert "/api/v1/communities/{code}/units/{unit_code}" in paths
    post = paths["/api/v1/communities/{code}/roll"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    rejected = post["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert rejected["$ref"].endswith("/RollRejected")
    schemas = spec["components"]["schemas"]
    assert schemas["Unit"]["properties"]["area"]["type"] == "string"
