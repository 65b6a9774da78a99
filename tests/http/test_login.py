"""Login, logout, CSRF, lockout, rate limiting, cookies and security headers."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from fundvote.app import create_app
from fundvote.runtime import Runtime
from tests.http.conftest import PASSWORD, TEST_CONFIG, Login, UserFactory, csrf_token

WRONG = "用户名或密码错误，或因尝试次数过多账号已被暂时锁定。"


def _post_login(client: FlaskClient, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    data.update(extra)
    return client.post("/login", data=data)


def test_login_page_is_chinese_by_default_and_has_a_csrf_token(client: FlaskClient) -> None:
    response = client.get("/login")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in body
    assert "工作人员登录" in body and "用户名" in body and "密码" in body
    assert 'name="csrf_token"' in body
    assert 'autocomplete="current-password"' in body


def test_login_success_redirects_home_and_shows_the_user(
    client: FlaskClient, make_user: UserFactory
) -> None:
    user = make_user("committee")
    response = _post_login(client, user.username, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "已登录：Test committee（业主委员会）" in home
    assert "江滨花园" in home and "您负责的小区" in home


def test_login_follows_a_local_next_but_not_an_external_one(
    client: FlaskClient, make_user: UserFactory
) -> None:
    user = make_user("committee")

    def data() -> dict[str, str]:  # a login starts a new session, so a new token each time
        return {"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)}

    response = client.post("/login?next=/somewhere?x=1", data=data())
    assert response.headers["Location"] == "/somewhere?x=1"
    for bad in ["https://evil.example/", "//evil.example/x", "/\\evil.example"]:
        response = client.post("/login", query_string={"next": bad}, data=data())
        assert response.headers["Location"] == "/", bad


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: FlaskClient, make_user: UserFactory
) -> None:
    user = make_user("committee")
    wrong = _post_login(client, user.username, "not the password")
    unknown = _post_login(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert WRONG in wrong.get_data(as_text=True)
    assert WRONG in unknown.get_data(as_text=True)
    assert "已登录" not in client.get("/").get_data(as_text=True)


def test_lockout_after_five_failures(client: FlaskClient, make_user: UserFactory) -> None:
    user = make_user("manager")
    for _ in range(5):
        assert _post_login(client, user.username, "not the password").status_code == 401
    locked = _post_login(client, user.username, PASSWORD)
    assert locked.status_code == 401
    assert WRONG in locked.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client: FlaskClient, make_user: UserFactory) -> None:
    user = make_user("committee")
    client.get("/login")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    forged = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    assert "已登录" not in client.get("/").get_data(as_text=True)


def test_empty_form_is_a_400_with_a_message(client: FlaskClient) -> None:
    response = _post_login(client, "", "")
    assert response.status_code == 400
    assert "请输入用户名和密码" in response.get_data(as_text=True)


def test_logout_needs_post_and_csrf(client: FlaskClient, login: Login) -> None:
    login("auditor")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert "已登录" in client.get("/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "已登录" not in client.get("/").get_data(as_text=True)


def test_logout_when_anonymous_goes_to_login(client: FlaskClient) -> None:
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_session_cookie_flags(runtime: Runtime, make_user: UserFactory) -> None:
    user = make_user("committee")
    for secure in (False, True):
        app = create_app(dict(TEST_CONFIG, SESSION_COOKIE_SECURE=secure), runtime=runtime)
        client = app.test_client()
        response = _post_login(client, user.username, PASSWORD)
        cookie = next(
            v for v in response.headers.getlist("Set-Cookie") if v.startswith("fundvote_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_secure_cookie_setting_comes_from_settings(runtime: Runtime) -> None:
    from dataclasses import replace

    secure = replace(runtime, settings=replace(runtime.settings, session_cookie_secure=True))
    assert create_app(dict(TEST_CONFIG), runtime=secure).config["SESSION_COOKIE_SECURE"]
    assert not create_app(dict(TEST_CONFIG), runtime=runtime).config["SESSION_COOKIE_SECURE"]


def test_security_headers(client: FlaskClient) -> None:
    for path in ["/", "/login", "/nowhere", "/api/openapi.json", "/static/fundvote.css"]:
        response = client.get(path)
        response.close()
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_login_post_is_rate_limited(runtime: Runtime) -> None:
    app: Flask = create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": True, "FUNDVOTE_LOGIN_RATE_LIMIT": "3 per minute"},
        runtime=runtime,
    )
    client = app.test_client()
    statuses = [_post_login(client, "nobody", "whatever password").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = _post_login(client, "nobody", "whatever password")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    page = limited.get_data(as_text=True)
    assert "尝试次数过多" in page and "请等一分钟后再试" in page
    # GET is not limited.
    assert client.get("/login").status_code == 200


def test_admin_sees_the_staff_list(client: FlaskClient, login: Login) -> None:
    login("admin")
    page = client.get("/staff").get_data(as_text=True)
    assert "工作人员账号" in page and "admin1" in page
