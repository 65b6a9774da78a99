"""The JSON API: bearer tokens, scoping, problem+json, and the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from fundvote.auth import issue_token, revoke_token
from fundvote.runtime import Runtime
from tests.http.conftest import Login, UserFactory, make_community

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def _token(runtime: Runtime, username: str) -> Any:
    return runtime.run(issue_token, username=username)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_me_with_a_valid_token(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory
) -> None:
    user = make_user("committee")
    response = client.get("/api/v1/me", headers=_bearer(_token(runtime, user.username).secret))
    assert response.status_code == 200
    assert response.get_json() == {
        "username": user.username,
        "display_name": "Test committee",
        "role": "committee",
        "is_admin": False,
        "communities": [{"code": "demo", "name": "江滨花园"}],
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_communities_are_scoped_and_admin_sees_all(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory
) -> None:
    make_community(runtime, "other", "其他小区")
    auditor = make_user("auditor")
    admin = make_user("admin")
    scoped = client.get(
        "/api/v1/communities", headers=_bearer(_token(runtime, auditor.username).secret)
    )
    assert [c["code"] for c in scoped.get_json()] == ["demo"]
    everything = client.get(
        "/api/v1/communities", headers=_bearer(_token(runtime, admin.username).secret)
    )
    assert [c["code"] for c in everything.get_json()] == ["demo", "other"]


def test_missing_wrong_malformed_and_revoked_tokens_get_401_problems(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory
) -> None:
    user = make_user("manager")
    issued = _token(runtime, user.username)
    runtime.run(revoke_token, token_id=issued.token_id)
    for headers in [
        {},
        _bearer("fvt_not-a-real-token"),
        _bearer(issued.secret),
        {"Authorization": f"Basic {issued.secret}"},
        {"Authorization": "Bearer "},
    ]:
        response = client.get("/api/v1/me", headers=headers)
        body = _assert_problem(response, 401)
        assert body["instance"] == "/api/v1/me" and body["type"] == "about:blank"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_api_ignores_the_session_cookie(client: FlaskClient, login: Login) -> None:
    login("committee")
    assert "已登录" in client.get("/").get_data(as_text=True)
    _assert_problem(client.get("/api/v1/me"), 401)


def test_api_errors_are_problems_in_the_chosen_language(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory
) -> None:
    body = _assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert body["title"] == "页面不存在"
    body = _assert_problem(client.get("/api/v1/nothing-here?lang=en"), 404)
    assert body["title"] == "Page not found"
    secret = _token(runtime, make_user("committee").username).secret
    response = client.post("/api/v1/me", headers=_bearer(secret))
    _assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_openapi_document_declares_bearer_and_documents_every_api_route(
    app: Flask, client: FlaskClient
) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "From `fundvote user token`.",
    }
    assert {"bearerAuth": []} in spec["security"]
    documented = {path: set(ops) for path, ops in spec["paths"].items()}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in documented, f"{rule.rule} is not in the OpenAPI document"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented[path], f"{method} {rule.rule} undocumented"
        checked += 1
    assert checked >= 2


def test_no_swagger_ui_or_cdn(client: FlaskClient) -> None:
    for path in ["/api/docs", "/api/swagger-ui", "/api/redoc", "/api/rapidoc"]:
        assert client.get(path).status_code == 404
