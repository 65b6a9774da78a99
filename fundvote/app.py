"""The Flask application factory: wires configuration, security, languages, errors and views."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from fundvote.config import Settings, load_settings
from fundvote.proxies import ClientAddressMiddleware
from fundvote.runtime import Runtime, build_runtime
from notary.clock import Clock

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the web application on the given runtime (or one built from the environment).

    ``test_config`` overrides Flask settings, e.g. ``RATELIMIT_ENABLED=False`` or
    ``WTF_CSRF_ENABLED=False``.
    """
    import fundvote_templates

    from fundvote.logs import configure_logging

    configure_logging()
    if runtime is None:
        runtime = build_runtime(settings or load_settings(), clock=clock)
    app = Flask(
        "fundvote",
        template_folder=str(fundvote_templates.TEMPLATE_DIR),
        static_folder=str(fundvote_templates.STATIC_DIR),
        instance_path=str(runtime.settings.instance_path),
    )
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        SESSION_COOKIE_NAME="fundvote_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=runtime.settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=runtime.settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        # CSRF is checked by fundvote.access for every non-API unsafe request.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session's life: old people fill forms slowly
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        FUNDVOTE_LOGIN_RATE_LIMIT="10 per minute",
        FUNDVOTE_VERIFY_SERVER_CHECK=runtime.settings.is_verify_server_check,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["fundvote"] = runtime

    _init_extensions(app, runtime)
    return app


def _init_extensions(app: Flask, runtime: Runtime) -> None:
    from fundvote.access import client_address, init_access, session_principal
    from fundvote.api import init_api
    from fundvote.edge import init_edge
    from fundvote.errors import init_errors
    from fundvote.i18n import init_i18n
    from fundvote.web import auth as auth_views
    from fundvote.web import ballots as ballot_views
    from fundvote.web import community_settings as community_settings_views
    from fundvote.web import health as health_views
    from fundvote.web import home as home_views
    from fundvote.web import ledger as ledger_views
    from fundvote.web import ledger_funds as ledger_funds_views
    from fundvote.web import ledger_public as ledger_public_views
    from fundvote.web import log_tiles as log_tiles_views
    from fundvote.web import owner as owner_views
    from fundvote.web import projects as projects_views
    from fundvote.web import register as register_views
    from fundvote.web import results as results_views
    from fundvote.web import slip_pages as slip_pages_views
    from fundvote.web import verifier_download as verifier_download_views
    from fundvote.web import verify as verify_views
    from fundvote.web import voting_desk as voting_desk_views
    from fundvote.web import wellknown as wellknown_views
    from fundvote.web.ballot_labels import init_ballot_labels

    init_edge(app)  # first: the id converter must be in place before any route is added
    init_i18n(app)
    CSRFProtect(app)

    login_manager = LoginManager(app)
    # "basic", not "strong": strong drops the session whenever the client's IP changes, which
    # on phones (Wi-Fi <-> mobile data) would throw people out in the middle of a form.
    login_manager.session_protection = "basic"

    # The signed cookie names a login session kept on the server (fundvote.auth): logout,
    # disabling the user and a new password end it there, so a replayed cookie is refused.
    login_manager.user_loader(session_principal)

    app.register_blueprint(home_views.bp)
    app.register_blueprint(health_views.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(register_views.bp)
    app.register_blueprint(ballot_views.bp)
    app.register_blueprint(results_views.bp)
    init_ballot_labels(app)
    app.register_blueprint(wellknown_views.bp)
    app.register_blueprint(log_tiles_views.bp)
    app.register_blueprint(owner_views.bp)
    app.register_blueprint(verify_views.bp)
    app.register_blueprint(verifier_download_views.bp)
    app.register_blueprint(voting_desk_views.bp)
    app.register_blueprint(slip_pages_views.bp)
    app.register_blueprint(community_settings_views.bp)
    app.register_blueprint(ledger_views.bp)
    app.register_blueprint(ledger_views.overview_bp)
    app.register_blueprint(ledger_public_views.bp)
    app.register_blueprint(ledger_public_views.owner_bp)
    app.register_blueprint(ledger_funds_views.bp)
    app.register_blueprint(projects_views.bp)
    from fundvote.web import ledger_tools as ledger_tools_views

    app.register_blueprint(ledger_tools_views.bp)
    from fundvote.web import audit as audit_views

    app.register_blueprint(audit_views.bp)
    init_api(app)

    # Every client its own bucket, also behind a trusted reverse proxy (fundvote.proxies).
    limiter = Limiter(client_address, app=app, default_limits=[])
    # flask-limiter checks inside the wrapper it returns, so the wrapper must be the view.
    login_view: Any = app.view_functions["auth.login"]
    app.view_functions["auth.login"] = limiter.limit(
        lambda: str(app.config["FUNDVOTE_LOGIN_RATE_LIMIT"]), methods=["POST"]
    )(login_view)
    app.extensions["fundvote_limiter"] = limiter

    init_access(app)
    init_errors(app)
    app.after_request(_security_headers)
    app.wsgi_app = ClientAddressMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, runtime.settings.trusted_proxies
    )


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        # Pages may carry names and amounts: keep them out of shared caches and the back button.
        headers.setdefault("Cache-Control", "no-store")
    return response


def runtime_of(app: Flask) -> Runtime:
    """The runtime the application was built on."""
    rt: Runtime = app.extensions["fundvote"]
    return rt
