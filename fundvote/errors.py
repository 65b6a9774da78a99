"""Errors to HTTP: one status table, RFC 9457 problem+json for the API, pages for people.

A request gets JSON when its path is under ``/api/`` or it prefers JSON (``Accept``);
everyone else gets an HTML page in their language that says what to do next.

Domain errors (:class:`notary.errors.DomainError`) are looked up in :data:`STATUS_BY_ERROR`
along the exception's MRO, so a package may register its base class once. The problem
``type`` of a domain error is ``urn:fundvote:problem:<code>``; plain HTTP errors use
``about:blank`` as RFC 9457 recommends.

Nothing from the exception's text, the request body or the query string is logged or
shown, except a :class:`DomainError`'s ``message``, which by contract is safe. An
unexpected exception is logged as its class name, the place it was raised (file:line) and a
random reference, which the error page shows so a user can quote it.
"""

from __future__ import annotations

import json
import logging
import secrets
import traceback
from typing import Any

from flask import Flask, Response, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from fundvote import auth
from fundvote.access import is_api_path
from notary.errors import DomainError
from voting import errors as voting_errors
from voting.outbox import OutboxMisconfigured

log = logging.getLogger("fundvote.web")

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    auth.InvalidCredentials: 401,
    auth.OutOfScope: 403,
    auth.UnknownCommunity: 404,
    auth.UnknownUser: 404,
    auth.UnknownToken: 404,
    auth.UsernameTaken: 409,
    auth.WeakPassword: 422,
    auth.InvalidUsername: 422,
    auth.UnknownRole: 422,
    auth.CommunityRequired: 422,
    # Other packages add their errors here (most specific first is not needed: MRO decides).
    # voting, owner side: links, casting, receipts, paper ballots, proxies, objections
    voting_errors.UnknownLink: 404,
    voting_errors.AlreadyVoted: 409,
    voting_errors.BallotClosed: 409,
    voting_errors.LinkAlreadyIssued: 409,
    voting_errors.InvalidChoices: 422,
    voting_errors.IdentityCheckRequired: 403,
    voting_errors.IdentityCheckFailed: 422,
    voting_errors.IdentityLocked: 429,
    voting_errors.MalformedReceipt: 422,
    voting_errors.NotEligible: 422,
    voting_errors.ProxyExists: 409,
    voting_errors.ProxyNotFound: 404,
    voting_errors.ProxyInvalid: 422,
    voting_errors.ProxyUsed: 409,
    voting_errors.PaperEntryInvalid: 422,
    voting_errors.PaperEntryNotFound: 404,
    voting_errors.NotInPublicity: 409,
    voting_errors.InvalidObjection: 422,
    OutboxMisconfigured: 503,
    # voting, committee side: ballots, lifecycle, publication
    voting_errors.BallotNotFound: 404,
    voting_errors.AttachmentNotFound: 404,
    voting_errors.ObjectionNotFound: 404,
    voting_errors.IllegalTransition: 409,
    voting_errors.BallotFrozen: 409,
    voting_errors.WindowNotOver: 409,
    voting_errors.WindowPassed: 409,
    voting_errors.UnresolvedPaperBallots: 409,
    voting_errors.PublicityNotOver: 409,
    voting_errors.ObjectionsPending: 409,
    voting_errors.ObjectionUpheld: 409,
    voting_errors.NoUpheldObjection: 409,
    voting_errors.ObjectionAnswered: 409,
    voting_errors.ResultsNotPublished: 409,
    voting_errors.InvalidBallot: 422,
    DomainError: 422,
}
"""HTTP status of each domain error class (looked up along the MRO)."""

TITLES: dict[int, Any] = {
    400: lazy_gettext("Bad request"),
    401: lazy_gettext("Please log in"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Not allowed this way"),
    409: lazy_gettext("Conflict"),
    413: lazy_gettext("Too large"),
    422: lazy_gettext("Cannot be done"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Something went wrong"),
}

ADVICE: dict[int, Any] = {
    400: lazy_gettext("The request could not be understood. Go back and try again."),
    401: lazy_gettext("This page is for staff. Log in first, then try again."),
    403: lazy_gettext(
        "Your account may not open this page. If you think it should, ask the "
        "administrator of fundvote."
    ),
    404: lazy_gettext(
        "There is no page at this address. Check the address, or start again from the home page."
    ),
    405: lazy_gettext("This address cannot be used this way. Start again from the home page."),
    409: lazy_gettext("This clashes with something that already exists. Check and try again."),
    413: lazy_gettext("What you sent is too large. Send a smaller file."),
    422: lazy_gettext("Check what you entered and try again."),
    429: lazy_gettext("Please wait a minute, then try again."),
    500: lazy_gettext(
        "This is our fault, not yours. Try again in a few minutes. If it keeps happening, "
        "tell the administrator this reference:"
    ),
}


def status_for(error: DomainError) -> int:
    """The HTTP status for a domain error: the entry of its nearest class in the table."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 422


def wants_json() -> bool:
    """True for API paths and for clients that prefer JSON to HTML."""
    if is_api_path(request.path):
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", "application/problem+json"]
    )
    return best is not None and best != "text/html"


def _title(status: int) -> str:
    title = TITLES.get(status)
    if title is None:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    return str(title)


def problem_response(
    status: int,
    *,
    detail: str,
    type_: str = "about:blank",
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An RFC 9457 ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": type_,
        "title": _title(status),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if extra:
        body.update(extra)
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _page(status: int, *, detail: str | None = None, reference: str | None = None) -> Response:
    html = render_template(
        "errors/error.html",
        status=status,
        title=_title(status),
        detail=detail,
        advice=str(ADVICE.get(status, ADVICE[400 if status < 500 else 500])),
        reference=reference,
    )
    return Response(html, status=status, mimetype="text/html")


def _respond(
    status: int,
    *,
    detail: str | None,
    type_: str = "about:blank",
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    reference: str | None = None,
) -> Response:
    if wants_json():
        advice = str(ADVICE.get(status, ""))
        return problem_response(
            status, detail=detail or advice, type_=type_, extra=extra, headers=headers
        )
    response = _page(status, detail=detail, reference=reference)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_domain_error(error: DomainError) -> Response:
    status = status_for(error)
    detail = gettext(error.message, **{k: str(v) for k, v in error.params.items()})
    return _respond(status, detail=detail, type_=f"urn:fundvote:problem:{error.code}")


def handle_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers: dict[str, str] = {}
    for name, value in error.get_headers():
        if name.lower() in {"allow", "retry-after", "www-authenticate"}:
            headers[name] = value
    extra: dict[str, Any] | None = None
    detail: str | None = None
    if isinstance(error, CSRFError):
        detail = gettext("The form has expired. Reload the page and send it again.")
    if status == 401 and is_api_path(request.path):
        headers.setdefault("WWW-Authenticate", 'Bearer realm="fundvote"')
    # flask-smorest puts validation messages (field -> list of messages) in ``data``.
    data = getattr(error, "data", None)
    if isinstance(data, dict) and isinstance(data.get("messages"), dict):
        extra = {"errors": data["messages"]}
    if status >= 500:
        reference = _log_unexpected(error)
        return _respond(status, detail=None, headers=headers, reference=reference)
    return _respond(status, detail=detail, extra=extra, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    reference = _log_unexpected(error)
    return _respond(500, detail=None, extra={"reference": reference}, reference=reference)


def _log_unexpected(error: BaseException) -> str:
    """Log what a developer needs and nothing a user typed: class, place, reference."""
    reference = secrets.token_hex(6)
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    log.error(
        "unexpected %s at %s (reference %s, %s %s)",
        type(error).__name__,
        where,
        reference,
        request.method,
        request.endpoint,
    )
    return reference


def init_errors(app: Flask) -> None:
    """Register the handlers (after flask-smorest, whose own JSON handler they replace)."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
