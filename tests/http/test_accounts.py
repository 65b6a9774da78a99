"""Accounts over HTTP (issue 8): logout ends the session on the server, per-address lockout
and rate limits behind a trusted proxy, the administrator's account pages, the user's own
tokens (page and API)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fundvote.app import create_app
from fundvote.auth import issue_token
from fundvote.proxies import parse_trusted_proxies
from fundvote.runtime import Runtime
from notary.clock import FixedClock
from tests.http.conftest import PASSWORD, TEST_CONFIG, Login, UserFactory, csrf_token

WRONG = "用户名或密码错误，或因尝试次数过多账号已被暂时锁定。"
PROXY = "10.0.0.2"


def _login(client: FlaskClient, username: str, password: str = PASSWORD, **kw: Any) -> Any:
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, **kw)


def _logged_in(client: FlaskClient) -> bool:
    return "已登录：" in client.get("/").get_data(as_text=True)


def _post(client: FlaskClient, url: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


@pytest.fixture
def proxied(runtime: Runtime) -> Flask:
    """The app behind a trusted nginx at 10.0.0.2 (FUNDVOTE_TRUSTED_PROXIES=10.0.0.0/8)."""
    settings = replace(runtime.settings, trusted_proxies=parse_trusted_proxies("10.0.0.0/8"))
    return create_app(dict(TEST_CONFIG), runtime=replace(runtime, settings=settings))


def _via_proxy(app: Flask, client_ip: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip)
    return client


# -- sessions -----------------------------------------------------------------------------


def test_a_cookie_replayed_after_logout_is_refused(
    app: Flask, client: FlaskClient, make_user: UserFactory
) -> None:
    user = make_user("committee")
    assert _login(client, user.username).status_code == 302
    cookie = client.get_cookie("fundvote_session")
    assert cookie is not None and _logged_in(client)
    assert _post(client, "/logout").status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("fundvote_session", cookie.value)
    assert not _logged_in(attacker)
    response = attacker.get("/c/demo/ballots/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_disabling_and_resetting_end_sessions_at_once(
    app: Flask, login: Login, make_user: UserFactory
) -> None:
    admin = app.test_client()
    login("admin", on=admin)
    user = make_user("committee")
    for action, data in [("disable", {"confirm": "yes"}), ("password", {"confirm": "yes"})]:
        victim = app.test_client()
        if action == "password":
            assert _post(admin, f"/staff/{user.username}/enable").status_code == 302
        assert _login(victim, user.username).status_code == 302
        assert _logged_in(victim)
        assert _post(admin, f"/staff/{user.username}/{action}", **data).status_code in (200, 302)
        assert not _logged_in(victim), action


def test_sessions_end_when_idle(
    runtime: Runtime, clock: FixedClock, make_user: UserFactory
) -> None:
    settings = replace(runtime.settings, session_idle_minutes=120, session_max_hours=24)
    client = create_app(
        dict(TEST_CONFIG), runtime=replace(runtime, settings=settings)
    ).test_client()
    user = make_user("committee")
    _login(client, user.username)
    clock.advance(minutes=119)
    assert _logged_in(client)  # and the visit counts as use
    clock.advance(minutes=119)
    assert _logged_in(client)
    clock.advance(minutes=120)
    assert not _logged_in(client)
    # However busy, a login ends after FUNDVOTE_SESSION_MAX_HOURS.
    _login(client, user.username)
    for _ in range(23):
        clock.advance(hours=1)
        assert _logged_in(client)
    clock.advance(hours=1)
    assert not _logged_in(client)


# -- lockout and rate limits per client ---------------------------------------------------


def test_a_stranger_cannot_lock_out_the_owner_of_an_account(
    proxied: Flask, make_user: UserFactory
) -> None:
    user = make_user("committee")
    stranger = _via_proxy(proxied, "203.0.113.66")
    for _ in range(5):
        assert _login(stranger, user.username, "not the password").status_code == 401
    assert _login(stranger, user.username).status_code == 401  # this address is locked
    owner = _via_proxy(proxied, "198.51.100.7")
    assert _login(owner, user.username).status_code == 302


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(
    app: Flask, make_user: UserFactory
) -> None:
    user = make_user("committee")
    for n in range(5):  # the same peer, pretending to be five clients
        spoofer = app.test_client()
        spoofer.environ_base.update(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}")
        assert _login(spoofer, user.username, "not the password").status_code == 401
    spoofer = app.test_client()
    spoofer.environ_base.update(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.1.1.99")
    assert _login(spoofer, user.username).status_code == 401  # the peer is locked


def test_admin_unlocks_an_address(
    app: Flask, client: FlaskClient, login: Login, make_user: UserFactory
) -> None:
    user = make_user("committee")
    for _ in range(5):
        _login(client, user.username, "not the password")
    admin = app.test_client()
    admin.environ_base.update(REMOTE_ADDR="192.0.2.200")
    login("admin", on=admin)
    page = admin.get(f"/staff/{user.username}").get_data(as_text=True)
    assert "127.0.0.1" in page and "解除锁定" in page
    assert _post(admin, f"/staff/{user.username}/unlock").status_code == 302
    assert _login(client, user.username).status_code == 302


@pytest.mark.parametrize("trusted", [True, False])
def test_rate_limit_buckets_follow_the_client(runtime: Runtime, trusted: bool) -> None:
    settings = replace(
        runtime.settings, trusted_proxies=parse_trusted_proxies("10.0.0.0/8" if trusted else "")
    )
    app = create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": True, "FUNDVOTE_LOGIN_RATE_LIMIT": "2 per minute"},
        runtime=replace(runtime, settings=settings),
    )
    first = _via_proxy(app, "203.0.113.1")
    assert [_login(first, "nobody", "whatever pw").status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
    second = _via_proxy(app, "203.0.113.2")
    # Behind a trusted proxy each client has its own bucket; without one, the header is not
    # believed and every client behind the proxy shares the proxy's bucket.
    assert _login(second, "nobody", "whatever pw").status_code == (401 if trusted else 429)


def test_the_access_log_sees_the_client(proxied: Flask) -> None:
    """gunicorn's access log prints ``%({fundvote.client}e)s`` (fundvote serve) from the
    request's WSGI environ: the same address the limiter and the lockout use."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger
    from werkzeug.test import EnvironBuilder

    from fundvote.proxies import ENVIRON_KEY

    environ = EnvironBuilder(
        path="/",
        environ_base={"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5"},
    ).get_environ()
    body = proxied.wsgi_app(environ, lambda status, headers, exc_info=None: None)
    b"".join(body)
    assert environ[ENVIRON_KEY] == "203.0.113.5"
    atoms = Logger(Config()).atoms(
        type("Resp", (), {"status": "200 OK", "headers": [], "sent": 1})(),
        type("Req", (), {"headers": []})(),
        dict(environ, RAW_URI="/", SERVER_PROTOCOL="HTTP/1.1"),
        __import__("datetime").timedelta(seconds=1),
    )
    assert atoms["{fundvote.client}e"] == "203.0.113.5"
    from fundvote.cli.admin import ACCESS_LOG_FORMAT

    assert ACCESS_LOG_FORMAT.startswith("%({fundvote.client}e)s ")


# -- administrator's pages ----------------------------------------------------------------


def test_admin_disables_and_enables_with_confirmation(
    app: Flask, client: FlaskClient, login: Login, make_user: UserFactory, runtime: Runtime
) -> None:
    login("admin")
    user = make_user("committee")
    token = runtime.run(issue_token, username=user.username)
    listing = client.get("/staff").get_data(as_text=True)
    assert f'href="/staff/{user.username}"' in listing
    page = client.get(f"/staff/{user.username}").get_data(as_text=True)
    assert "停用此账号" in page and 'name="confirm"' in page
    unconfirmed = _post(client, f"/staff/{user.username}/disable")
    assert unconfirmed.status_code == 302
    assert "请勾选确认框" in client.get(f"/staff/{user.username}").get_data(as_text=True)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token.secret}"}
    assert api.get("/api/v1/me", headers=bearer).status_code == 200
    assert _post(client, f"/staff/{user.username}/disable", confirm="yes").status_code == 302
    page = client.get(f"/staff/{user.username}").get_data(as_text=True)
    assert "账号已停用" in page and "重新启用" in page
    assert api.get("/api/v1/me", headers=bearer).status_code == 401
    assert _login(app.test_client(), user.username).status_code == 401
    assert _post(client, f"/staff/{user.username}/enable").status_code == 302
    assert api.get("/api/v1/me", headers=bearer).status_code == 200
    history = client.get(f"/staff/{user.username}").get_data(as_text=True)
    assert "账号被停用" in history and "账号被重新启用" in history


def test_admin_cannot_disable_themselves(client: FlaskClient, login: Login) -> None:
    me = login("admin")
    assert "不能停用自己的账号" in client.get(f"/staff/{me.username}").get_data(as_text=True)
    _post(client, f"/staff/{me.username}/disable", confirm="yes")
    assert "不能停用自己的账号" in client.get(f"/staff/{me.username}").get_data(as_text=True)
    assert _logged_in(client)


def test_admin_resets_a_password_generated_or_typed(
    app: Flask, client: FlaskClient, login: Login, make_user: UserFactory
) -> None:
    login("admin")
    user = make_user("committee")
    response = _post(client, f"/staff/{user.username}/password", confirm="yes")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    generated = re.search(r'<p class="reference lead">([^<]+)</p>', page)
    assert generated is not None and "只显示这一次" in page
    assert "fundvote_session" not in "".join(response.headers.getlist("Set-Cookie")) or (
        generated.group(1) not in "".join(response.headers.getlist("Set-Cookie"))
    )
    assert _login(app.test_client(), user.username).status_code == 401
    assert _login(app.test_client(), user.username, generated.group(1)).status_code == 302
    typed = _post(
        client,
        f"/staff/{user.username}/password",
        confirm="yes",
        password="typed by the admin",
        password_again="typed by the admin",
    )
    assert typed.status_code == 200 and "typed by the admin" not in typed.get_data(as_text=True)
    assert _login(app.test_client(), user.username, "typed by the admin").status_code == 302
    weak = _post(
        client, f"/staff/{user.username}/password", confirm="yes", password="x", password_again="x"
    )
    assert weak.status_code == 302
    assert "至少" in client.get(f"/staff/{user.username}").get_data(as_text=True)


def test_admin_lists_and_revokes_tokens(
    app: Flask, client: FlaskClient, login: Login, make_user: UserFactory, runtime: Runtime
) -> None:
    login("admin")
    user = make_user("committee")
    token = runtime.run(issue_token, username=user.username, label="laptop")
    page = client.get(f"/staff/{user.username}").get_data(as_text=True)
    assert f"令牌 {token.token_id}" in page and "laptop" in page and token.secret not in page
    url = f"/staff/{user.username}/tokens/{token.token_id}/revoke"
    assert _post(client, url, confirm="yes").status_code == 302
    bearer = {"Authorization": f"Bearer {token.secret}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    other = make_user("auditor")
    assert (
        _post(
            client, f"/staff/{other.username}/tokens/{token.token_id}/revoke", confirm="yes"
        ).status_code
        == 404
    )
    assert client.get("/staff/nobody").status_code == 404
    assert client.get("/staff/%00bad").status_code == 404


def test_admin_actions_need_csrf(client: FlaskClient, login: Login, make_user: UserFactory) -> None:
    login("admin")
    user = make_user("committee")
    response = client.post(f"/staff/{user.username}/disable", data={"confirm": "yes"})
    assert response.status_code == 400
    assert "账号已停用" not in client.get(f"/staff/{user.username}").get_data(as_text=True)


# -- the user's own account ---------------------------------------------------------------


def test_own_tokens_page_lists_and_revokes(
    app: Flask, client: FlaskClient, login: Login, runtime: Runtime, make_user: UserFactory
) -> None:
    me = login("manager")
    mine = runtime.run(issue_token, username=me.username, label="script")
    theirs = runtime.run(issue_token, username=make_user("auditor").username)
    page = client.get("/account").get_data(as_text=True)
    assert "我的账号" in page and "script" in page and mine.secret not in page
    assert (
        _post(client, f"/account/tokens/{theirs.token_id}/revoke", confirm="yes").status_code == 404
    )
    assert (
        _post(client, f"/account/tokens/{mine.token_id}/revoke", confirm="yes").status_code == 302
    )
    api = app.test_client()
    assert (
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {mine.secret}"}).status_code == 401
    )
    assert (
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {theirs.secret}"}).status_code
        == 200
    )


def test_change_own_password(app: Flask, client: FlaskClient, login: Login) -> None:
    me = login("committee")
    elsewhere = app.test_client()
    _login(elsewhere, me.username)
    _post(
        client,
        "/account/password",
        current="wrong one!!",
        password="new password 1",
        password_again="new password 1",
    )
    assert "当前密码不对" in client.get("/account").get_data(as_text=True)
    response = _post(
        client,
        "/account/password",
        current=PASSWORD,
        password="new password 1",
        password_again="new password 1",
    )
    assert response.status_code == 302
    assert _logged_in(client) and not _logged_in(elsewhere)
    assert _login(app.test_client(), me.username, "new password 1").status_code == 302


def test_own_tokens_api(
    app: Flask, client: FlaskClient, runtime: Runtime, make_user: UserFactory
) -> None:
    me = make_user("committee")
    first = runtime.run(issue_token, username=me.username, label="ci")
    second = runtime.run(issue_token, username=me.username)
    theirs = runtime.run(issue_token, username=make_user("auditor").username)
    bearer = {"Authorization": f"Bearer {second.secret}"}
    listed = client.get("/api/v1/me/tokens", headers=bearer)
    assert listed.status_code == 200
    body = listed.get_json()
    assert [t["id"] for t in body] == [second.token_id, first.token_id]
    assert set(body[0]) == {
        "id",
        "label",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "is_valid",
    }
    assert first.secret not in listed.get_data(as_text=True)
    assert client.delete(f"/api/v1/me/tokens/{theirs.token_id}", headers=bearer).status_code == 404
    assert client.delete(f"/api/v1/me/tokens/{first.token_id}", headers=bearer).status_code == 204
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {first.secret}"}).status_code
        == 401
    )
    assert client.delete(f"/api/v1/me/tokens/{second.token_id}", headers=bearer).status_code == 204
    assert client.get("/api/v1/me/tokens", headers=bearer).status_code == 401


def test_expired_tokens_are_refused(
    client: FlaskClient, runtime: Runtime, clock: FixedClock, make_user: UserFactory
) -> None:
    me = make_user("committee")
    token = runtime.run(issue_token, username=me.username, days=1)
    bearer = {"Authorization": f"Bearer {token.secret}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    clock.advance(days=1)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
