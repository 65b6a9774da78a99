"""HTTP fixtures: the app on the test runtime, a client, a test community, ``login(role)``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import count
from typing import Any

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


_BUILT: dict[tuple[object, ...], tuple[Flask, dict[str, Any], dict[str, Any]]] = {}


def shared_app(runtime: Runtime, config: Mapping[str, Any] | None = None) -> Flask:
    """The application for one test, on that test's ``runtime``.

    Building one costs a fifth of a second (its routes and its OpenAPI document), most of an
    HTTP test's own time; so each worker builds one per distinct configuration (``config``
    and every setting ``create_app`` reads) and hands it to the next test with the runtime
    swapped and its configuration and extensions put back as they were built, so nothing a
    test sets on the app reaches the next one. A test that needs a fresh app calls
    ``create_app`` itself."""
    merged = {**TEST_CONFIG, **(config or {})}
    settings = runtime.settings
    key = (
        settings.secret_key,
        settings.session_cookie_secure,
        settings.is_verify_server_check,
        settings.trusted_proxies,
        tuple(sorted((k, repr(v)) for k, v in merged.items())),
    )
    built = _BUILT.get(key)
    if built is None:
        app = create_app(dict(merged), runtime=runtime)
        built = _BUILT[key] = (app, dict(app.config), dict(app.extensions))
    app, config_as_built, extensions_as_built = built
    app.config.clear()
    app.config.update(config_as_built)
    app.extensions.clear()
    app.extensions.update(extensions_as_built)
    app.extensions["fundvote"] = runtime
    return app


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return shared_app(runtime)


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
