"""Errors to HTTP: one status table, RFC 9457 problem+json for the API, pages for people.

A request gets JSON when its path is under ``/api/`` or it prefers JSON (``Accept``);
everyone else gets an HTML page in their language that says what to do next.

Domain errors (:class:`notary.errors.DomainError`) get their status from the one table
:data:`STATUS_BY_ERROR`, which lists every domain error class of fundvote's packages (a test
walks the subclasses); HTML views that show a domain error on their own page take its text
from :func:`error_text` and its status from :func:`status_for`. The problem
``type`` of a domain error is ``urn:fundvote:problem:<code>``; plain HTTP errors use
``about:blank`` as RFC 9457 recommends.

Nothing from the exception's text, the request body or the query string is logged or
shown, except a :class:`DomainError`'s ``message`` (a translated msgid, its values filled
in), which by contract is safe. An unexpected exception, and a domain error the table makes
a server fault (5xx), is logged as its class name, the place it was raised (file:line) and a
random reference, which the error page shows so a user can quote it; its message is not.
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
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from audit import errors as audit_errors
from estate import errors as estate_errors
from estate.roll import RollProblem
from fundvote import auth
from fundvote.access import is_api_path
from fundvote.health import is_database_unavailable
from ledger import errors as ledger_errors
from ledger import funds_errors
from ledger import report_errors as ledger_report_errors
from ledger.funds_errors import StatementProblem
from notary import checkpoint, documents, envelope, keys, merkle, note, store, tiles
from notary.errors import DomainError
from voting import errors as voting_errors
from voting import matters, members, tally
from voting.outbox import OutboxMisconfigured

log = logging.getLogger("fundvote.web")

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    # fundvote: staff accounts and the desk
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
    auth.WrongPassword: 422,
    auth.OwnAccount: 409,
    # voting, owner side: links, casting, receipts, paper ballots, proxies, objections
    voting_errors.UnknownLink: 404,
    voting_errors.AlreadyVoted: 409,
    voting_errors.BallotClosed: 409,
    voting_errors.LinkAlreadyIssued: 409,
    voting_errors.TablesDisagreeWithLog: 409,
    voting_errors.InvalidChoices: 422,
    voting_errors.IdentityCheckRequired: 403,
    voting_errors.IdentityCheckFailed: 422,
    voting_errors.IdentityLocked: 429,
    voting_errors.IdentityCodeLimit: 429,
    voting_errors.IdentityOnRecord: 409,
    voting_errors.RepresentedByProxy: 409,
    voting_errors.MalformedReceipt: 422,
    voting_errors.BadSignature: 422,
    voting_errors.NotEligible: 422,
    voting_errors.ProxyExists: 409,
    voting_errors.ProxyNotFound: 404,
    voting_errors.ProxyInvalid: 422,
    voting_errors.ProxyUsed: 409,
    voting_errors.PaperEntryInvalid: 422,
    voting_errors.PaperEntryNotFound: 404,
    voting_errors.NotInPublicity: 409,
    voting_errors.InvalidObjection: 422,
    voting_errors.ObjectionLimitReached: 409,
    voting_errors.ReceiptWithheld: 403,
    voting_errors.ConfirmerNotCommittee: 403,
    voting_errors.ReissueClosed: 409,
    voting_errors.MissingDocument: 422,
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
    voting_errors.RecountRollWithheld: 404,
    voting_errors.InvalidBallot: 422,
    voting_errors.InvalidUsePlan: 422,
    # voting, pure rules: matters, members, the tally (also fed by the CLI's files)
    matters.MatterUnknown: 422,
    matters.ScopeTooNarrow: 422,
    members.UnitWithoutHolder: 422,
    members.BadOwnerKey: 422,
    tally.EmptyRoll: 422,
    tally.DuplicateMember: 422,
    tally.BadMemberWeight: 422,
    tally.MemberNotOnRoll: 422,
    tally.DuplicateBallot: 422,
    tally.UnknownChoice: 422,
    # estate: the property register
    estate_errors.CommunityNotFound: 404,
    estate_errors.UnitNotFound: 404,
    estate_errors.CommunityExists: 409,
    estate_errors.BadCommunityCode: 422,
    estate_errors.NegativeAmount: 422,
    estate_errors.EmptyScope: 422,
    estate_errors.NonPositiveArea: 422,
    estate_errors.BadQuantity: 422,
    estate_errors.DuplicateUnit: 422,
    estate_errors.UnitWithoutOwners: 422,
    estate_errors.RollRejected: 422,
    estate_errors.SettingChangeForbidden: 403,
    estate_errors.InvalidSetting: 422,
    estate_errors.NoSettingChanged: 422,
    # ledger: the books
    ledger_errors.BooksNotOpen: 404,
    ledger_errors.AccountNotFound: 404,
    ledger_errors.EntryNotFound: 404,
    ledger_errors.UnbalancedEntry: 422,
    ledger_errors.InvalidEntry: 422,
    ledger_errors.InsufficientFunds: 409,
    ledger_errors.IdempotencyConflict: 409,
    ledger_errors.AlreadyReversed: 409,
    # ledger: reports, statement links, publication
    ledger_report_errors.ReportPeriodInvalid: 422,
    ledger_report_errors.ReportNotFound: 404,
    ledger_report_errors.ReportAlreadyPublished: 409,
    ledger_report_errors.UnitNotFound: 404,
    ledger_report_errors.OwnerNotFound: 404,
    ledger_report_errors.StatementLinkInvalid: 404,
    # ledger: money in (deposits, interest, public income)
    funds_errors.FundOperationForbidden: 403,
    funds_errors.UnitNotInBooks: 404,
    funds_errors.DuplicateBankReference: 409,
    funds_errors.FirstDepositExists: 409,
    funds_errors.NothingToAllocate: 422,
    funds_errors.PublicIncomeShort: 409,
    funds_errors.ShortfallNotOwed: 409,
    funds_errors.StatementRejected: 422,
    # ledger: projects, emergencies, draws
    ledger_errors.ProjectNotFound: 404,
    ledger_errors.EmergencyNotFound: 404,
    ledger_errors.DrawNotFound: 404,
    ledger_errors.InvalidProject: 422,
    ledger_errors.DecisionNotUsable: 422,
    ledger_errors.ProjectExists: 409,
    ledger_errors.PublicIncomeNeedsCommunityDecision: 422,
    ledger_errors.InvalidEmergency: 422,
    ledger_errors.EmergencyPublished: 409,
    ledger_errors.InvalidFunding: 422,
    ledger_errors.FundingExceedsPlan: 409,
    ledger_errors.FundingNotReceived: 409,
    ledger_errors.InvalidDraw: 422,
    ledger_errors.DrawExceedsBudget: 409,
    ledger_errors.DrawNotCovered: 409,
    ledger_errors.DrawNotPending: 409,
    ledger_errors.SelfApproval: 403,
    ledger_errors.NotDrawApprover: 403,
    ledger_errors.AlreadyApproved: 409,
    ledger_errors.LegacyImportRejected: 422,
    # audit: bundles
    audit_errors.BundleError: 422,
    audit_errors.BundlePeriodInvalid: 422,
    audit_errors.NoCheckpoint: 409,
    audit_errors.CheckpointSignerRetired: 409,
    audit_errors.PreviousBundleUnreadable: 422,
    audit_errors.PreviousBundleRejected: 422,
    # notary: evidence the caller handed in (notes, checkpoints, proofs) or asked for
    note.MalformedNote: 422,
    note.UnverifiedNote: 422,
    note.BadSignature: 422,
    checkpoint.MalformedCheckpoint: 422,
    merkle.BeyondTreeSize: 422,
    store.EntryNotFound: 404,
    tiles.MalformedTilePath: 404,
    tiles.MalformedBundle: 422,
    store.DocumentNotFound: 404,
    # Server faults: never the user's doing. 503: the server is not set up to do this (a key,
    # the outbox: the administrator must fix the configuration); 500: stored data or our code
    # is wrong. Shown with a reference and logged, never with the message.
    OutboxMisconfigured: 503,
    keys.SigningKeyMissing: 503,
    keys.MalformedKey: 503,
    estate_errors.DataKeyMissing: 503,
    estate_errors.DataKeyInvalid: 503,
    store.UnsupportedDatabase: 503,
    store.LogCorrupt: 500,
    store.EntryTooLarge: 500,
    documents.DocumentMismatch: 500,
    estate_errors.UndecryptableData: 500,
    envelope.PersonalDataInEntry: 500,
    envelope.NaiveTimestamp: 500,
    # The root: only for an error class defined outside the packages above (tests).
    DomainError: 422,
}
"""HTTP status of each domain error class. Every concrete class has its own entry (a test
walks the subclasses); :func:`status_for` looks a class up along its MRO only so that an
error defined elsewhere still gets its nearest ancestor's status."""

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
    503: lazy_gettext("Temporarily unavailable"),
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
    503: lazy_gettext(
        "This is our fault, not yours: the system is not fully set up. Try again later. "
        "If it keeps happening, tell the administrator this reference:"
    ),
}


def status_for(error: DomainError) -> int:
    """The HTTP status for a domain error: the entry of its class in :data:`STATUS_BY_ERROR`
    (of its nearest ancestor for a class defined outside fundvote's packages)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return STATUS_BY_ERROR[DomainError]


def is_server_fault(error: DomainError) -> bool:
    """True when the table gives the error a 5xx status: our fault, not the user's."""
    return status_for(error) >= 500


def error_text(error: DomainError) -> str:
    """A domain error's message in the user's language: the msgid translated, then the
    error's ``params`` interpolated (ballot status words translated too).

    Every page, flash and problem detail that shows a domain error gets its text here. A
    server fault (:func:`is_server_fault`) is never described to the user: it is re-raised,
    so the error handler logs it and answers with the 500/503 page and a reference.
    """
    if is_server_fault(error):
        raise error
    # Imported here: the web layer's labels import this module's table.
    from fundvote.web.ballot_labels import STATUS_LABELS

    params = {k: str(v) for k, v in error.params.items()}
    if params.get("status") in STATUS_LABELS:
        params["status"] = str(STATUS_LABELS[params["status"]])
    return _translated(error.message, params)


def roll_problem_text(problem: RollProblem) -> str:
    """One problem of a rejected roll (or ballots) file in the user's language."""
    return _translated(problem.message, {k: str(v) for k, v in problem.params.items()})


def statement_problem_text(problem: StatementProblem) -> str:
    """One problem of a rejected bank statement file in the user's language."""
    return _translated(problem.message, {k: str(v) for k, v in problem.params.items()})


def _translated(msgid: str, params: dict[str, str]) -> str:
    """``msgid`` translated, then ``params`` filled in (``%`` left alone without params)."""
    translated = gettext(msgid)
    if not params:
        return translated
    try:
        return translated % params
    except (KeyError, ValueError, TypeError):
        # A catalogue entry with a broken placeholder must not become a 500 (a test checks
        # every entry): fall back to the English text.
        return msgid % params


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


def _page(
    status: int,
    *,
    detail: str | None = None,
    reference: str | None = None,
    advice: str | None = None,
) -> Response:
    advice = advice or str(ADVICE.get(status, ADVICE[400 if status < 500 else 500]))
    try:
        html = render_template(
            "errors/error.html",
            status=status,
            title=_title(status),
            detail=detail,
            advice=advice,
            reference=reference,
        )
    except Exception:
        if status < 500:
            raise
        # The page's frame needs the database (who is logged in): when the fault is the
        # database, answer with a bare page rather than fail a second time.
        html = _bare_page(status, detail=detail, advice=advice, reference=reference)
    return Response(html, status=status, mimetype="text/html")


def _bare_page(status: int, *, detail: str | None, advice: str, reference: str | None) -> str:
    title = escape(_title(status))
    parts = [
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>',
        f"<body><h1>{title}</h1>",
        f"<p>{escape(detail)}</p>" if detail else "",
        f"<p>{escape(advice)} <strong>{escape(reference or '')}</strong></p>",
        f"<p>{status}</p></body></html>",
    ]
    return "".join(parts)


def _respond(
    status: int,
    *,
    detail: str | None,
    type_: str = "about:blank",
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    reference: str | None = None,
    advice: str | None = None,
) -> Response:
    if wants_json():
        advice = str(ADVICE.get(status, ""))
        return problem_response(
            status, detail=detail or advice, type_=type_, extra=extra, headers=headers
        )
    response = _page(status, detail=detail, reference=reference, advice=advice)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def refuse(status: int, detail: str, *, errors: dict[str, Any] | None = None) -> Response:
    """Refuse the request's input: a problem (with ``errors``, field -> messages, as
    flask-smorest gives them) for the API, the error page for a person. ``detail`` is shown
    as it is: already translated, naming the field."""
    return _respond(status, detail=detail, extra={"errors": errors} if errors else None)


def handle_domain_error(error: DomainError) -> Response:
    """A domain error as a problem or a page, with the status from :data:`STATUS_BY_ERROR`.

    A server fault is logged like an unexpected exception and shown with a reference only:
    its message may name server paths or internals and is never sent.
    """
    status = status_for(error)
    type_ = f"urn:fundvote:problem:{error.code}"
    if status >= 500:
        reference = _log_unexpected(error)
        return _respond(
            status, detail=None, type_=type_, extra={"reference": reference}, reference=reference
        )
    return _respond(status, detail=error_text(error), type_=type_)


def handle_http_error(error: HTTPException) -> Response:
    """A plain HTTP error (404, 405, 413, CSRF...) as a problem or a page."""
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


RETRY_AFTER_SECONDS = 5
"""What a 503 for a database fault asks the client to wait before retrying."""


def handle_unexpected(error: Exception) -> Response:
    """Any other exception: logged with a reference, shown as the 500 page or problem.

    A database fault (:func:`fundvote.health.is_database_unavailable`: unreachable, a dropped
    or terminated connection, a lock not obtained in time) is a 503 with ``Retry-After``
    that says to try again: nothing was committed, and a retry may well succeed."""
    if is_database_unavailable(error):
        reference = _log_unexpected(error)
        return _respond(
            503,
            detail=gettext("The service is briefly unavailable. Try again in a moment."),
            type_="urn:fundvote:problem:database-unavailable",
            extra={"reference": reference},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            reference=reference,
            advice=gettext("If it keeps happening, tell the administrator this reference:"),
        )
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
