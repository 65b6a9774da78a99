"""Who may use which route: every endpoint declares it, and undeclared endpoints are refused.

Declare access right below the route decorator::

    @bp.get("/c/<code>/ballots")
    @staff("committee", "auditor")
    def ballots(code: str) -> str:
        community = require_community(code)     # 404 unknown, 403 outside the user's scope
        ...

    @bp.get("/results/<code>")
    @public
    def results(code: str) -> str: ...

``staff()`` with no roles admits every staff role. Roles are never implied: ``admin`` is
admitted only where it is listed (or where ``staff()`` lists no roles), so the administrator
does not silently hold committee powers.

Enforcement happens in one ``before_request`` hook (:func:`init_access`), not in the
decorators, so a route is checked however its decorators are stacked. Fail closed: an
endpoint with no declaration is refused with **500 when the app runs in debug or testing**
(a developer forgot to declare it: make it loud) and **403 otherwise** (a polite refusal to
users). Endpoints registered by libraries (``static``, flask-smorest's ``api-docs.*``) are
declared with :func:`declare`.

Who is asking: under ``/api/`` only a bearer token counts (``Authorization: Bearer ...``),
never the session cookie, so the API can be CSRF-exempt. Elsewhere only the flask-login
session counts. Either way :func:`current_staff` returns the :class:`Principal` or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from estate.api import CommunityInfo, find_community
from fundvote.accounts import ROLES
from fundvote.auth import (
    Principal,
    record_token_use,
    session_holder,
    touch_session,
    user_for_token,
)
from fundvote.proxies import ENVIRON_KEY, environ_client
from fundvote.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "fundvote_access"
SESSION_KEY = "fundvote_sid"
"""Key of the login session's secret in the signed session cookie (see :mod:`fundvote.auth`)."""
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Access:
    """An endpoint's declaration: public, or staff with these roles."""

    is_public: bool
    roles: frozenset[str] = frozenset()

    def admits(self, principal: Principal | None) -> bool:
        if self.is_public:
            return True
        return principal is not None and principal.role in self.roles


PUBLIC = Access(is_public=True)


def public(view: F) -> F:
    """Declare a route open to anyone (including owners' personal-link pages, which check
    their own token)."""
    setattr(view, ATTRIBUTE, PUBLIC)
    return view


def staff(*roles: str) -> Callable[[F], F]:
    """Declare a route for logged-in staff with one of ``roles`` (all roles if none given)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    rule = Access(is_public=False, roles=frozenset(roles or ROLES))

    def decorate(view: F) -> F:
        setattr(view, ATTRIBUTE, rule)
        return view

    return decorate


def declare(app: Flask, endpoint: str, rule: Access) -> None:
    """Declare access for an endpoint whose view function we do not own (static, libraries)."""
    app.extensions.setdefault("fundvote_access", {})[endpoint] = rule


def declaration_of(app: Flask, endpoint: str) -> Access | None:
    """The access declared for ``endpoint``, or None if it has none."""
    declared: dict[str, Access] = app.extensions.get("fundvote_access", {})
    if endpoint in declared:
        return declared[endpoint]
    view = app.view_functions.get(endpoint)
    rule = getattr(view, ATTRIBUTE, None)
    return rule if isinstance(rule, Access) else None


def may_visit(endpoint: str) -> bool:
    """Whether the current user passes ``endpoint``'s access declaration: the same rule the
    request hook enforces, so pages show exactly the tabs and buttons that will not answer
    403 (an undeclared endpoint is never shown)."""
    rule = declaration_of(current_app._get_current_object(), endpoint)  # type: ignore[attr-defined]
    return rule is not None and rule.admits(current_staff())


def current_runtime() -> Runtime:
    """The runtime (settings, session factory, clock) of the current application.

    Views pass ``current_runtime().session_factory`` and ``.clock`` to services; they never
    open transactions themselves.
    """
    rt: Runtime = current_app.extensions["fundvote"]
    return rt


def current_staff() -> Principal | None:
    """The staff user making this request, or None for anonymous requests."""
    principal: Principal | None = g.get("fundvote_principal")
    return principal


def require_staff() -> Principal:
    """The staff user making this request; 401 if there is none."""
    principal = current_staff()
    if principal is None:
        abort(401)
    return principal


def require_community(code: str) -> CommunityInfo:
    """The community with ``code`` if the current user may act for it.

    404 if no community has this code, 401 if nobody is logged in, 403 if the user's scope
    does not include it (admins are never refused).
    """
    principal = require_staff()
    community = current_runtime().query(find_community, code)
    if community is None:
        abort(404)
    if not principal.may_act_for(community.id):
        abort(403)
    return community


def client_address() -> str:
    """The client's address for this request, the same one the rate limiter, the login
    lockout and the access log use (:mod:`fundvote.proxies`, ``FUNDVOTE_TRUSTED_PROXIES``)."""
    known = request.environ.get(ENVIRON_KEY)
    if isinstance(known, str):
        return known
    return environ_client(request.environ, current_runtime().settings.trusted_proxies)


def session_principal(user_id: str) -> Principal | None:
    """flask-login's user loader: the principal of the login session named in the cookie,
    if that session is still open on the server and belongs to ``user_id``."""
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return None
    rt = current_runtime()
    holder = rt.query(session_holder, secret=secret, idle_minutes=rt.settings.session_idle_minutes)
    if holder is None or str(holder.principal.user_id) != user_id:
        return None
    if holder.is_stale:
        rt.run(touch_session, session_id=holder.session_id)
    return holder.principal


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a local path (no scheme, no host), else None: no open redirects."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _bearer_principal() -> Principal | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401)
    rt = current_runtime()
    holder = rt.query(user_for_token, secret=secret.strip())
    if holder is None:
        abort(401)
    if holder.is_stale:
        rt.run(record_token_use, token_id=holder.token_id)
    return holder.principal


def _session_principal() -> Principal | None:
    user = current_user._get_current_object()
    return user if isinstance(user, Principal) else None


def _enforce() -> ResponseReturnValue | None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    api = is_api_path(request.path)
    g.fundvote_principal = _bearer_principal() if api else _session_principal()
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404/405 through
        return None
    rule = declaration_of(app, endpoint)
    if rule is None:
        app.logger.error("endpoint %s has no access declaration: refused", endpoint)
        abort(500 if (app.debug or app.testing) else 403)
    principal = current_staff()
    if not rule.admits(principal):
        if principal is not None:
            abort(403)
        if api:
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not api and request.method in _UNSAFE_METHODS and app.config.get("WTF_CSRF_ENABLED", True):
        csrf: CSRFProtect = app.extensions["csrf"]
        csrf.protect()
    return None


def init_access(app: Flask) -> None:
    """Install the access hook (call after the login manager and CSRF are set up)."""
    from fundvote.i18n import role_label

    declare(app, "static", PUBLIC)
    app.before_request(_enforce)

    @app.context_processor
    def _access_context() -> dict[str, object]:
        return {"current_staff": current_staff(), "role_label": role_label, "may_visit": may_visit}
