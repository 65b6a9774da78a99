"""HTTP fixtures: the app on the test runtime, a client, a test community, ``login(role)``."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import count

import pytest
from flask import Flask
from flask.testing import FlaskClient

from estate.models import Community
from fundvote.app import create_app
from fundvote.auth import Principal, add_user
from fundvote.runtime import Runtime

COMMUNITY_CODE = "demo"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

TEST_CONFIG = {"TESTING": True, "RATELIMIT_ENABLED": False}


def make_community(runtime: Runtime, code: str = COMMUNITY_CODE, name: str = "江滨花园") -> int:
    with runtime.session_factory.begin() as s:
        community = Community(code=code, name=name, created_at=runtime.clock.now())
        s.add(community)
        s.flush()
        return community.id


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(dict(TEST_CONFIG), runtime=runtime)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def community(runtime: Runtime) -> int:
    """The id of the test community (code ``demo``)."""
    return make_community(runtime)


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token for this client's session, read from the login form."""
    page = client.get("/login").get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, "login page has no CSRF token"
    return match.group(1)


UserFactory = Callable[..., Principal]
Login = Callable[..., Principal]


@pytest.fixture
def make_user(runtime: Runtime, community: int) -> UserFactory:
    """Create a user of ``role`` scoped to the test community (admins to none)."""
    serial = count(1)

    def make(
        role: str,
        *,
        username: str | None = None,
        communities: list[str] | None = None,
        password: str = PASSWORD,
    ) -> Principal:
        name = username or f"{role}{next(serial)}"
        scope = (
            communities
            if communities is not None
            else ([] if role == "admin" else [COMMUNITY_CODE])
        )
        return runtime.run(
            add_user,
            username=name,
            password=password,
            role=role,
            communities=scope,
            display_name=f"Test {role}",
        )

    return make


@pytest.fixture
def login(client: FlaskClient, make_user: UserFactory) -> Login:
    """``login(role)``: create a user of that role and log ``client`` in as them."""

    def do(role: str, *, on: FlaskClient | None = None, **kwargs: object) -> Principal:
        target = on or client
        user = make_user(role, **kwargs)
        response = target.post(
            "/login",
            data={
                "username": user.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(target),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do
