"""Database faults: ``/healthz`` says whether the database answers, and a request that meets
an unreachable database or a terminated connection gets a clear, retryable 503 (problem+json
on the API, a page otherwise), never a 500 or a traceback."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from fundvote.access import SESSION_KEY
from fundvote.app import create_app
from fundvote.auth import issue_token
from fundvote.config import load_settings
from fundvote.runtime import Runtime, build_runtime
from notary.clock import FixedClock
from tests.conftest import requires_postgres
from tests.http.conftest import TEST_CONFIG, UserFactory

BRIEFLY = "The service is briefly unavailable. Try again in a moment."


def test_healthz_answers_ok_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def _unreachable_app(tmp_path: Path, clock: FixedClock) -> Flask:
    """The application on a runtime whose database is a directory: SQLite cannot open it."""
    settings = load_settings(
        {
            "FUNDVOTE_INSTANCE_PATH": str(tmp_path / "instance"),
            "FUNDVOTE_DATABASE_URL": f"sqlite:///{tmp_path}",
            "FUNDVOTE_SECRET_KEY": "test-secret-key",
        }
    )
    return create_app(dict(TEST_CONFIG), runtime=build_runtime(settings, clock=clock))


def test_unreachable_database_gives_503_with_retry_after(tmp_path: Path, clock: FixedClock) -> None:
    app = _unreachable_app(tmp_path, clock)
    client = app.test_client()
    client.set_cookie("lang", "en")

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "unavailable"}
    assert health.headers["Retry-After"] == "5"

    api = client.get("/api/v1/me", headers={"Authorization": "Bearer fvt_whatever"})
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"] == "5"
    problem = api.get_json()
    assert problem["type"] == "urn:fundvote:problem:database-unavailable"
    assert problem["detail"] == BRIEFLY and problem["reference"]
    assert "sqlite" not in api.get_data(as_text=True).lower()

    cast = client.post("/api/v1/cast", json={"token": "t" * 32, "choices": {"1": "agree"}})
    assert cast.status_code == 503 and cast.headers["Retry-After"] == "5"

    page = client.get("/r/demo/")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert page.headers["Retry-After"] == "5"
    body = page.get_data(as_text=True)
    assert BRIEFLY in body and "Traceback" not in body and "sqlite" not in body.lower()

    # A logged-in session: loading the user needs the database, and so does the page's frame
    # (who is logged in), so the answer is a bare page that needs none.
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
        session[SESSION_KEY] = "a-login-session-secret"
    staff_page = client.get("/c/demo/")
    assert staff_page.status_code == 503 and staff_page.headers["Retry-After"] == "5"
    assert BRIEFLY in staff_page.get_data(as_text=True)


@requires_postgres
def test_terminated_connection_gives_503_then_recovers(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory
) -> None:
    client.set_cookie("lang", "en")
    secret = runtime.run(issue_token, username=make_user("committee").username).secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # a pooled connection

    killer = create_engine(runtime.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
    finally:
        killer.dispose()
    assert killed and killed >= 1

    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.get_json()["detail"] == BRIEFLY
    # The pool dropped the dead connections: the retry is served.
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}
