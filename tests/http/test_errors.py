"""Errors: the status table, problem+json, friendly pages in both languages, nothing leaks."""

from __future__ import annotations

import logging

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from fundvote import auth
from fundvote.access import public
from fundvote.app import create_app
from fundvote.errors import STATUS_BY_ERROR, status_for
from fundvote.runtime import Runtime
from notary.errors import DomainError

SECRET = "SELECT * FROM owner WHERE phone='13800138000'"


class BallotClosedForTest(DomainError):
    code = "ballot-closed"


class SubclassOfScopeError(auth.OutOfScope):
    code = "sub-out-of-scope"


def _add_routes(app: Flask) -> None:
    @app.post("/test/boom")
    @public
    def boom() -> str:
        raise RuntimeError(SECRET)

    @app.get("/test/domain/<kind>")
    @public
    def domain(kind: str) -> str:
        if kind == "closed":
            raise BallotClosedForTest("The ballot closed at %(at)s.", at="18:00")
        if kind == "scope":
            raise SubclassOfScopeError("Not yours.")
        raise auth.UnknownCommunity(auth.N_("No community has the code %(code)s."), code="x")

    @app.get("/test/abort/<int:status>")
    @public
    def aborter(status: int) -> str:
        abort(status)

    @app.get("/api/test/boom")
    @public
    def api_boom() -> str:
        raise RuntimeError(SECRET)

    @app.post("/test/upload")
    @public
    def upload() -> str:
        from flask import request

        return str(len(request.get_data()))


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "MAX_CONTENT_LENGTH": 1024,
        },
        runtime=runtime,
    )
    _add_routes(app)
    return app


def test_status_table_follows_the_mro() -> None:
    assert status_for(auth.UnknownCommunity("x")) == 404
    assert status_for(SubclassOfScopeError("x")) == 403
    assert status_for(BallotClosedForTest("x")) == STATUS_BY_ERROR[DomainError] == 422


@pytest.mark.parametrize(
    ("status", "zh", "en"),
    [
        (400, "请求有误", "Bad request"),
        (401, "请先登录", "Please log in"),
        (403, "无权访问", "Not allowed"),
        (404, "页面不存在", "Page not found"),
        (429, "尝试次数过多", "Too many attempts"),
        (500, "出错了", "Something went wrong"),
    ],
)
def test_html_error_pages_in_both_languages(
    client: FlaskClient, status: int, zh: str, en: str
) -> None:
    chinese = client.get(f"/test/abort/{status}")
    assert chinese.status_code == status and chinese.mimetype == "text/html"
    page = chinese.get_data(as_text=True)
    assert f"<h1>{zh}</h1>" in page and "返回首页" in page
    english = client.get(f"/test/abort/{status}?lang=en")
    page = english.get_data(as_text=True)
    assert f"<h1>{en}</h1>" in page and "Go to the home page" in page
    assert '<html lang="en">' in page


def test_401_page_offers_the_login(client: FlaskClient) -> None:
    page = client.get("/test/abort/401").get_data(as_text=True)
    assert 'href="/login"' in page and "请先登录再试" in page


def test_404_and_405_pages(client: FlaskClient) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "这个地址没有页面" in missing.get_data(as_text=True)
    wrong_method = client.put("/login")
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["Allow"]
    assert "不支持此操作方式" in wrong_method.get_data(as_text=True)


def test_413_too_large(client: FlaskClient) -> None:
    response = client.post("/test/upload", data=b"x" * 4096)
    assert response.status_code == 413
    assert "内容过大" in response.get_data(as_text=True)
    api = client.post("/test/upload", data=b"x" * 4096, headers={"Accept": "application/json"})
    assert api.status_code == 413 and api.mimetype == "application/problem+json"


def test_domain_errors_become_problems_and_pages(client: FlaskClient) -> None:
    response = client.get("/test/domain/closed", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "urn:fundvote:problem:ballot-closed",
        "title": "无法办理",
        "status": 422,
        "detail": "The ballot closed at 18:00.",
        "instance": "/test/domain/closed",
    }
    assert (
        client.get("/test/domain/scope", headers={"Accept": "application/json"}).status_code == 403
    )
    page = client.get("/test/domain/unknown")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "没有编号为 x 的小区。" in page.get_data(as_text=True)
    english = client.get("/test/domain/unknown?lang=en").get_data(as_text=True)
    assert "No community has the code x." in english


def test_500_shows_no_traceback_and_logs_no_details(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        page = client.post("/test/boom", data={"password": "hunter2-secret"})
        api = client.get("/api/test/boom")
    assert page.status_code == 500 and api.status_code == 500
    text = page.get_data(as_text=True)
    assert "出错了" in text and "这是系统的问题" in text
    body = api.get_json(force=True)
    assert api.mimetype == "application/problem+json"
    assert body["status"] == 500 and len(body["reference"]) == 12
    for output in (text, api.get_data(as_text=True), caplog.text):
        assert SECRET not in output and "13800138000" not in output
        assert "Traceback" not in output and "hunter2" not in output
    assert "RuntimeError" in caplog.text and body["reference"] in caplog.text


def test_undeclared_routes_fail_closed(runtime: Runtime) -> None:
    for testing, expected in [(True, 500), (False, 403)]:
        app = create_app({"TESTING": testing, "RATELIMIT_ENABLED": False}, runtime=runtime)

        @app.get("/forgotten")
        def forgotten() -> str:
            return "should never be served"

        response = app.test_client().get("/forgotten")
        assert response.status_code == expected
        assert "should never be served" not in response.get_data(as_text=True)
