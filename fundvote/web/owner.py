"""The owner's pages behind a personal link: ``/v/<token>`` (public; the token is the key).

Flow, all without JavaScript: the ballot page (matter, documents, units and area, the
member's share of a fund-use plan, one choice per question) -> the confirm page (a summary)
-> cast -> the receipt (tracker, downloads, how to check it; during the publicity period an
objection form). Where JavaScript runs, ``owner.js`` adds browser randomness to the tracker.

Every response carries ``Referrer-Policy: no-referrer`` (the token is in the address) and is
never cached. An unknown or replaced link gets a friendly page with status 404.

Where the ballot has an identity check, every page of the link that shows the member's data
(the ballot page, proxies' pages, the receipt page, PDF and file, objections) shows only the
identity form and the ballot's public information until the check passes; the ballot's
documents are public information. A link issued after the member's vote was recorded (a
reissued link) shows only that the vote was recorded, never the choices, tracker or receipt.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from fundvote.access import current_runtime, public
from fundvote.errors import status_for
from fundvote.inputs import parse_int
from fundvote.web.ballot_labels import error_text
from fundvote.web.identity_code import send_identity_code
from fundvote.web.pdf import qr_data_uri, render_pdf
from notary.api import TIME_FORMAT
from voting.api import (
    CHOICES,
    MAX_OBJECTION_CHARS,
    RECEIPT_ATTACHMENT,
    AlreadyVoted,
    BallotClosed,
    BallotNotFound,
    IdentityCheckFailed,
    IdentityCheckRequired,
    IdentityCodeLimit,
    IdentityLocked,
    IllegalTransition,
    InvalidChoices,
    InvalidObjection,
    LinkView,
    MemberView,
    NotEligible,
    NotInPublicity,
    ObjectionLimitReached,
    QuestionView,
    Receipt,
    ReceiptWithheld,
    TallyReport,
    UnknownLink,
    attachment_for_link,
    cast_vote,
    get_tally,
    link_receipt,
    lodge_objection,
    objections_for_link,
    open_link,
    verify_identity,
)

bp = Blueprint("owner", __name__, url_prefix="/v")

# Objections are lodged only during the publicity period, so before the result is published a
# link has none and the page need not look for them.
_BEFORE_PUBLICATION = frozenset({"open", "closed", "tallied"})

_SAFE_FILENAME = re.compile(r"[^\w.\-() ]+")
_RESULTS_PUBLIC = frozenset({"published", "final", "annulled"})
_IDENTITY_FLASH = "identity-error"


@bp.after_request
def _owner_headers(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(UnknownLink)
def _unknown_link(exc: UnknownLink) -> ResponseReturnValue:
    return render_template("owner/unknown.html", reason=exc.params.get("reason")), status_for(exc)


def _for_member() -> int | None:
    return parse_int(request.values.get("for"))


def _target(
    view: LinkView, for_member: int | None
) -> tuple[MemberView, tuple[QuestionView, ...], str | None, bool, bool]:
    """Whose ballot the page is about: the link's member, or a member they represent; with
    the receipt this link may show and whether a vote is recorded at all."""
    if for_member is None or for_member == view.member.member_id:
        return view.member, view.questions, view.receipt, False, view.has_voted
    for rep in view.represented:
        if rep.member.member_id == for_member:
            return rep.member, rep.questions, rep.receipt, True, rep.has_voted
    abort(404)


def _choices_from(values: Mapping[str, str], questions: tuple[QuestionView, ...]) -> dict[int, str]:
    picked: dict[int, str] = {}
    for q in questions:
        value = values.get(f"q{q.position}", "")
        if value in CHOICES:
            picked[q.position] = value
    return picked


def _posted_choices(values: Mapping[str, str]) -> dict[int, str]:
    """The answers posted as ``q<position>`` fields (positions of 1 to 3 ASCII digits; the
    cast itself checks them against the ballot's questions)."""
    picked: dict[int, str] = {}
    for key, value in values.items():
        digits = key[1:]
        is_answer = key.startswith("q") and 1 <= len(digits) <= 3 and digits.isascii()
        if is_answer and digits.isdigit() and value in CHOICES:
            picked[int(digits)] = value
    return picked


def _page(
    token: str,
    view: LinkView,
    for_member: int | None,
    *,
    choices: Mapping[int, str] | None = None,
    errors: Mapping[int, str] | None = None,
    status: int = 200,
    identity_error: str | None = None,
    objection_error: str | None = None,
    objection_text: str = "",
) -> ResponseReturnValue:
    after_close = view.status in ("closed", "tallied", *_RESULTS_PUBLIC) or (
        view.status == "open" and current_runtime().clock.now() >= view.closes_at
    )
    if view.needs_identity:  # nothing of the member until the check passes
        return render_template(
            "owner/identity.html",
            token=token,
            view=view,
            identity_error=identity_error or _flashed_identity_error(),
            after_close=after_close,
            report=_published_report(view) if after_close else None,
        ), (429 if view.locked_until else status)
    member, questions, receipt_text, is_proxy, has_voted = _target(view, for_member)
    common: dict[str, Any] = {
        "token": token,
        "view": view,
        "member": member,
        "questions": questions,
        "is_proxy": is_proxy,
        "for_member": member.member_id if is_proxy else None,
        "objections": (
            []
            if is_proxy or view.status in _BEFORE_PUBLICATION
            else current_runtime().query(objections_for_link, token=token)
        ),
        "objection_error": objection_error,
        "objection_text": objection_text[:MAX_OBJECTION_CHARS],
        "max_objection_chars": MAX_OBJECTION_CHARS,
    }
    if receipt_text is not None:
        receipt = Receipt.from_text(receipt_text)
        return render_template(
            "owner/receipt.html",
            receipt=receipt,
            cast_at=cast_time(receipt),
            **common,
        ), status
    if has_voted:  # recorded before this link was issued: that it was, nothing more
        return render_template("owner/recorded.html", **common), status
    if not view.is_accepting:
        return render_template(
            "owner/closed.html",
            now=current_runtime().clock.now(),
            report=_published_report(view),
            **common,
        ), status
    return render_template(
        "owner/ballot.html", choices=choices or {}, errors=errors or {}, **common
    ), status


def _published_report(view: LinkView) -> TallyReport | None:
    """The ballot's counted result once it is public (what the results page shows)."""
    if view.status not in _RESULTS_PUBLIC:
        return None
    return current_runtime().query(get_tally, view.ballot_ref)


def _flashed_identity_error() -> str | None:
    messages = get_flashed_messages(category_filter=[_IDENTITY_FLASH])
    return str(messages[0]) if messages else None


def _missing(questions: tuple[QuestionView, ...], picked: Mapping[int, str]) -> dict[int, str]:
    return {q.position: _("Please choose one.") for q in questions if q.position not in picked}


@bp.get("/<token>")
@public
def ballot(token: str) -> ResponseReturnValue:
    rt = current_runtime()
    view = rt.query(open_link, token=token)
    if view.needs_identity:
        return _page(token, view, None)
    _member, questions, _receipt, _proxy, _voted = _target(view, _for_member())
    picked = _choices_from(request.args, questions)
    errors = _missing(questions, picked) if request.args.get("check") == "1" else {}
    return _page(
        token, view, _for_member(), choices=picked, errors=errors, status=422 if errors else 200
    )


@bp.post("/<token>/identity")
@public
def identity(token: str) -> ResponseReturnValue:
    rt = current_runtime()
    digits = request.form.get("digits", "")[:32]
    message: str | None = None
    try:
        rt.run(verify_identity, token=token, digits=digits, cipher=rt.cipher)
    except IdentityLocked:
        message = None
    except IdentityCheckFailed as exc:
        if exc.params.get("reason") == "no-data":
            message = _("No number is on record for this check. Please ask the owners' committee.")
        elif exc.params.get("reason") == "no-code":
            message = _("There is no valid code for this link. Please ask for a new code.")
        else:
            message = _(
                "The answer does not match. %(remaining)s tries left.",
                remaining=exc.params.get("remaining", 0),
            )
    if message is not None:  # shown at the field of the page redirected to
        flash(message, _IDENTITY_FLASH)
    return redirect(url_for("owner.ballot", token=token), 303)


@bp.post("/<token>/identity/code")
@public
def identity_code(token: str) -> ResponseReturnValue:
    """Send a one-time code to the phone on record (``sms_code`` ballots), then back to the
    page (PRG); the code itself never appears on a page."""
    try:
        send_identity_code(token)
    except IdentityCodeLimit as exc:
        flash(error_text(exc), "error")
    except IdentityCheckFailed:
        flash(
            _("No phone number is on record for this link. Please ask the owners' committee."),
            "error",
        )
    except (IdentityLocked, IllegalTransition):
        pass  # the page shows the lock, or needs no code
    else:
        flash(_("A code was sent to the phone number on record. It is valid for 10 minutes."), "ok")
    return redirect(url_for("owner.ballot", token=token), 303)


@bp.post("/<token>/confirm")
@public
def confirm(token: str) -> ResponseReturnValue:
    """The choices posted from the ballot page, answered with a redirect (so Back never
    resubmits a form): to the confirm page, or back to the ballot page showing what is
    missing."""
    for_member = _for_member()
    picked = _posted_choices(request.form)
    return redirect(_ballot_url(token, for_member, picked, page="owner.confirm_page"), 303)


@bp.get("/<token>/confirm")
@public
def confirm_page(token: str) -> ResponseReturnValue:
    rt = current_runtime()
    view = rt.query(open_link, token=token)
    for_member = _for_member()
    if view.needs_identity:
        return redirect(_ballot_url(token, None), 303)
    member, questions, receipt_text, is_proxy, has_voted = _target(view, for_member)
    if receipt_text is not None or has_voted or not view.is_accepting:
        return redirect(_ballot_url(token, for_member), 303)
    picked = _choices_from(request.args, questions)
    if _missing(questions, picked):
        return redirect(_ballot_url(token, for_member, picked, check=True), 303)
    return render_template(
        "owner/confirm.html",
        token=token,
        view=view,
        member=member,
        questions=questions,
        choices=picked,
        is_proxy=is_proxy,
        for_member=member.member_id if is_proxy else None,
        change_url=_ballot_url(token, for_member, picked),
    )


@bp.post("/<token>/cast")
@public
def cast(token: str) -> ResponseReturnValue:
    """Cast straight away: the cast checks everything itself, so the page is only read again
    when there is something to show (a missing answer)."""
    rt = current_runtime()
    for_member = _for_member()
    picked = _posted_choices(request.form)
    entropy = request.form.get("client_entropy", "")[:512] or None
    try:
        rt.run(
            cast_vote, token=token, choices=picked, client_entropy=entropy, for_member=for_member
        )
    except (AlreadyVoted, BallotClosed, IdentityCheckRequired):
        return redirect(_ballot_url(token, for_member), 303)
    except InvalidChoices:  # the ballot page again, showing what is missing
        return redirect(_ballot_url(token, for_member, picked, check=True), 303)
    except NotEligible:
        abort(404)
    return redirect(_ballot_url(token, for_member) + "#receipt", 303)


@bp.get("/<token>/receipt.json")
@public
def receipt_json(token: str) -> ResponseReturnValue:
    receipt = _receipt_or_404(token)
    if not isinstance(receipt, Receipt):
        return receipt
    return send_file(
        io.BytesIO(receipt.text.encode("utf-8")),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"receipt-{receipt.ballot}-{receipt.tracker}.json",
    )


@bp.get("/<token>/receipt.pdf")
@public
def receipt_pdf(token: str) -> ResponseReturnValue:
    receipt = _receipt_or_404(token)
    if not isinstance(receipt, Receipt):
        return receipt
    return send_receipt_pdf(token, receipt)


def send_receipt_pdf(token: str, receipt: Receipt) -> Response:
    """The printable receipt of ``receipt`` (read through the link ``token``) as a download;
    the owner's page and the JSON API send it alike."""
    view = current_runtime().query(open_link, token=token)
    pdf = render_receipt_pdf(receipt, view)
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"receipt-{receipt.ballot}-{receipt.tracker}.pdf",
    )


def render_receipt_pdf(receipt: Receipt, view: LinkView) -> bytes:
    """The one-page printable receipt: the facts, a QR code holding the whole receipt, and
    the receipt itself as an attached file (``RECEIPT_ATTACHMENT``), which the verify page
    reads back from the uploaded PDF."""
    html = render_template(
        "print/receipt.html",
        receipt=receipt,
        view=view,
        qr=qr_data_uri(receipt.text, scale=3),
        cast_at=cast_time(receipt),
        verify_url=url_for("verify.index", _external=True),
    )
    return render_pdf(html, attachments=[(RECEIPT_ATTACHMENT, receipt.text)])


@bp.post("/<token>/objection")
@public
def objection(token: str) -> ResponseReturnValue:
    rt = current_runtime()
    text = request.form.get("text", "")
    try:
        rt.run(lodge_objection, token=token, text=text)
    except IdentityCheckRequired:
        return redirect(_ballot_url(token, None), 303)
    except (NotInPublicity, InvalidObjection, ObjectionLimitReached) as exc:
        # The page again, with the error at the text field and the text kept.
        view = rt.query(open_link, token=token)
        return _page(
            token,
            view,
            None,
            status=status_for(exc),
            objection_error=error_text(exc),
            objection_text=text,
        )
    flash(_("Your objection was received. The owners' committee will answer it."), "ok")
    return redirect(_ballot_url(token, None) + "#objection", 303)


@bp.get("/<token>/documents/<int:attachment_id>")
@public
def document(token: str, attachment_id: int) -> ResponseReturnValue:
    rt = current_runtime()
    try:
        doc = rt.query(attachment_for_link, token=token, attachment_id=attachment_id)
    except BallotNotFound:
        abort(404)
    name = _SAFE_FILENAME.sub("_", doc.filename)[:120] or "document"
    inline = doc.content_type in ("application/pdf", "image/png", "image/jpeg")
    response = send_file(
        io.BytesIO(doc.data),
        mimetype=doc.content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        download_name=name,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def cast_time(receipt: Receipt) -> datetime | None:
    """The receipt's ``cast_at`` as an aware datetime (None if unreadable)."""
    try:
        return datetime.strptime(str(receipt.data["cast_at"]), TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _receipt_or_404(token: str) -> Receipt | ResponseReturnValue:
    """The receipt this link may download; else the link's page saying why (the identity
    form, or that the vote was recorded before this link was issued) with status 403, or
    404 when there is no receipt."""
    rt = current_runtime()
    for_member = _for_member()
    try:
        receipt = rt.query(link_receipt, token=token, for_member=for_member)
    except NotEligible:
        abort(404)
    except (IdentityCheckRequired, ReceiptWithheld) as exc:
        view = rt.query(open_link, token=token)
        return _page(token, view, for_member, status=status_for(exc))
    if receipt is None:
        abort(404)
    return receipt


def _ballot_url(
    token: str,
    for_member: int | None,
    choices: Mapping[int, str] | None = None,
    *,
    check: bool = False,
    page: str = "owner.ballot",
) -> str:
    """The address of the ballot page (or ``page``) with the choices made so far; ``check``
    asks the ballot page to mark the questions not answered yet."""
    values: dict[str, Any] = {"token": token}
    if for_member is not None:
        values["for"] = for_member
    for position, choice in sorted((choices or {}).items()):
        values[f"q{position}"] = choice
    if check:
        values["check"] = 1
    return url_for(page, **values)
