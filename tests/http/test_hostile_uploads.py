"""Hostile roll uploads through the committee's page and the JSON API: a zip bomb, malformed
XLSX XML and an unterminated CSV quote are each a clear 422 naming the problem, never a 500,
and nothing is written."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from tests import hostile_files as hostile
from tests.http.conftest import Login, csrf_token
from tests.http.test_register_api import bearer, register  # noqa: F401 - fixtures
from tests.http.test_register_pages import snapshot

CASES = [
    ("bomb.xlsx", hostile.zip_bomb, "XLSX"),
    ("bad.xlsx", hostile.malformed_xml, "XLSX"),
    ("laughs.xlsx", hostile.entity_expansion, "XLSX"),
    ("quote.csv", lambda: hostile.UNTERMINATED_QUOTE, "引号"),
]


@pytest.mark.parametrize(("name", "make", "word"), CASES, ids=[c[0] for c in CASES])
def test_api_refuses_with_a_named_problem(
    client: FlaskClient,
    runtime: Runtime,
    bearer: Any,  # noqa: F811
    register: None,  # noqa: F811
    name: str,
    make: Any,
    word: str,
) -> None:
    before = snapshot(runtime)
    response = client.post(
        "/api/v1/communities/demo/roll",
        headers=bearer("committee"),
        data={"file": (io.BytesIO(make()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    body = response.get_json(force=True)
    assert body["type"] == "urn:fundvote:problem:roll-rejected"
    (problem,) = body["problems"]
    assert word in problem["message"] and problem["line"] >= 1
    assert snapshot(runtime) == before


@pytest.mark.parametrize(("name", "make", "word"), CASES, ids=[c[0] for c in CASES])
def test_page_refuses_with_a_named_problem(
    client: FlaskClient,
    runtime: Runtime,
    login: Login,
    register: None,  # noqa: F811
    name: str,
    make: Any,
    word: str,
) -> None:
    login("committee")
    before = snapshot(runtime)
    response = client.post(
        "/c/demo/roll/import",
        data={"csrf_token": csrf_token(client), "file": (io.BytesIO(make()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert word in response.get_data(as_text=True)
    assert snapshot(runtime) == before
