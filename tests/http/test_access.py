"""Every route declares who may use it, and the declarations hold for every role.

The routes are read from ``app.url_map``, so routes other packages add later are covered
without touching this file. URL parameters are filled generically: integers with 1, UUIDs
with a fixed UUID, ``filename`` with the stylesheet, everything else with the test
community's code. CSRF is off here (it has its own tests) so POST routes reach their checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import FloatConverter, IntegerConverter, Rule, UUIDConverter

from fundvote.access import Access, declaration_of, is_api_path, require_community
from fundvote.accounts import ROLES
from fundvote.app import create_app
from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, PASSWORD, UserFactory, make_community

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False},
        runtime=runtime,
    )


def _value(rule: Rule, name: str) -> object:
    converter = rule._converters[name]
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, FloatConverter):
        return 1.0
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    if name == "filename":
        return "fundvote.css"
    return COMMUNITY_CODE


def _url(app: Flask, rule: Rule) -> str:
    adapter = app.url_map.bind("localhost")
    values = {name: _value(rule, name) for name in rule.arguments}
    return adapter.build(rule.endpoint, values, method=next(iter(rule.methods or {"GET"})))


@dataclass
class Caller:
    """One way of calling: anonymous or a role, by session (HTML) and token (API)."""

    role: str | None
    session_cookie: str | None = None
    token: str | None = None
    username: str | None = None

    def request(self, app: Flask, method: str, url: str):  # type: ignore[no-untyped-def]
        client: FlaskClient = app.test_client()  # fresh: no state carried between calls
        headers = {}
        if is_api_path(url.split("?")[0]):
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
        elif self.session_cookie:
            client.set_cookie("fundvote_session", self.session_cookie)
        response = client.open(url, method=method, headers=headers, data={})
        response.close()
        if self.username and url == "/logout":  # the session ended on the server: log in again
            self.session_cookie = _session_cookie(app, self.username)
        return response


def _session_cookie(app: Flask, username: str) -> str:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    cookie = client.get_cookie("fundvote_session")
    assert cookie is not None
    return cookie.value


@pytest.fixture
def callers(app: Flask, runtime: Runtime, make_user: UserFactory) -> dict[str | None, Caller]:
    result: dict[str | None, Caller] = {None: Caller(None)}
    # URLs are filled with id 1: let token 1 be nobody's credential, so that revoking "token 1"
    # as its owner does not spoil the calls that follow.
    spare = make_user("auditor")
    runtime.run(issue_token, username=spare.username)
    for role in ROLES:
        user = make_user(role)
        token = runtime.run(issue_token, username=user.username)
        result[role] = Caller(
            role,
            session_cookie=_session_cookie(app, user.username),
            token=token.secret,
            username=user.username,
        )
    return result


def _routes(app: Flask) -> Iterator[tuple[Rule, Access, str]]:
    for rule in app.url_map.iter_rules():
        access = declaration_of(app, rule.endpoint)
        assert access is not None, f"{rule.rule} ({rule.endpoint}) declares no access"
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield rule, access, method


def _refused(response, api: bool) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return not api and response.status_code in (302, 303) and location.startswith("/login")


def test_every_route_declares_access(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {
        "static",
        "home.index",
        "auth.login",
        "auth.logout",
        "auth.users",
        "api_v1.me",
        "api-docs.openapi_json",
    } <= endpoints
    assert list(_routes(app))


def test_every_route_refuses_whom_it_should(
    app: Flask, community: int, callers: dict[str | None, Caller]
) -> None:
    checked = 0
    for rule, access, method in _routes(app):
        url = _url(app, rule)
        api = is_api_path(rule.rule)
        for role, caller in callers.items():
            response = caller.request(app, method, url)
            where = f"{method} {rule.rule} as {role or 'anonymous'}: {response.status_code}"
            assert response.status_code < 500, where
            if access.is_public or role in access.roles:
                assert not _refused(response, api), where
            elif role is None and api:
                assert response.status_code == 401, where
            elif role is None:
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/login?next="), where
            else:
                assert response.status_code == 403, where
            checked += 1
    assert checked >= 6 * 5
    restricted = [r for r, a, _m in _routes(app) if not a.is_public and a.roles != set(ROLES)]
    assert restricted, "no role-restricted route: the 403 branch above was not exercised"


def test_require_community(
    app: Flask, runtime: Runtime, community: int, make_user: UserFactory
) -> None:
    from werkzeug.exceptions import HTTPException

    from fundvote.auth import load_principal

    make_community(runtime, "other", "其他小区")
    committee = make_user("committee")
    admin = make_user("admin")

    def attempt(user_id: int | None, code: str) -> int | str:
        with app.test_request_context("/"):
            from flask import g

            g.fundvote_principal = runtime.query(load_principal, user_id) if user_id else None
            try:
                return require_community(code).code
            except HTTPException as exc:
                return exc.code or 0

    assert attempt(committee.user_id, "demo") == "demo"
    assert attempt(committee.user_id, "other") == 403
    assert attempt(committee.user_id, "missing") == 404
    assert attempt(admin.user_id, "other") == "other"
    assert attempt(None, "demo") == 401


def test_a_disabled_user_loses_the_session_at_once(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory
) -> None:
    from sqlalchemy import update

    from fundvote.accounts import StaffUser

    user = make_user("committee")
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert client.post("/logout").status_code == 302  # logged in: allowed
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    with runtime.session_factory.begin() as s:
        s.execute(update(StaffUser).values(is_active=False))
    response = client.post("/logout")
    assert response.headers["Location"].startswith("/login")
