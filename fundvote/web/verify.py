"""``/verify``: anyone pastes or uploads a receipt and sees whether it is genuine and counted in
the log (public, works without JavaScript).

The upload may be the receipt file (JSON) or the receipt PDF as downloaded: the PDF carries
the receipt as an attached file, read back by ``voting.receipt_pdf`` within its bounds (a
hostile or foreign PDF gets a clear message, never a server error). The result names the
community and the ballot by their names, with a link to the ballot's published results.

The result page also has the owner's browser check the receipt itself (``static/verify.js``,
:mod:`fundvote.web.verify_browser`) and says which checks ran where. With
``FUNDVOTE_VERIFY_SERVER_CHECK`` off the server only reads the receipt and the browser's check
stands alone."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from estate import api as estate
from estate.api import CommunityNotFound
from fundvote.access import current_runtime, public
from fundvote.edge import embedded_json_problem
from fundvote.errors import status_for
from fundvote.web.ballot_labels import error_text, local_time
from fundvote.web.log_tiles import notice_consistency
from fundvote.web.verify_browser import (
    ReceiptFacts,
    browser_panel,
    facts_of,
    is_server_check_on,
    receipt_facts,
)
from voting import api as voting
from voting.api import (
    MAX_RECEIPT_PDF_BYTES,
    PROBLEMS,
    BallotInfo,
    BallotNotFound,
    MalformedReceipt,
    ReceiptCheck,
    check_receipt,
    is_pdf,
    parse_receipt,
    receipt_from_pdf,
)

bp = Blueprint("verify", __name__)

MAX_RECEIPT_BYTES = 64 * 1024


@bp.get("/verify")
@public
def index() -> ResponseReturnValue:
    return render_template("verify/index.html", text="", error=None)


@bp.post("/verify")
@public
def check() -> ResponseReturnValue:
    text = request.form.get("receipt", "")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            raw = upload.read(MAX_RECEIPT_PDF_BYTES + 1)
        finally:
            upload.close()
        limit = MAX_RECEIPT_PDF_BYTES if is_pdf(raw) else MAX_RECEIPT_BYTES
        if len(raw) > limit:
            return render_template(
                "verify/index.html",
                text="",
                error=_("The file is too large to be a receipt."),
            ), 413
        if is_pdf(raw):
            try:
                text = receipt_from_pdf(raw)
            except MalformedReceipt as exc:
                return render_template(
                    "verify/index.html", text="", error=error_text(exc)
                ), status_for(exc)
        else:
            text = raw.decode("utf-8", errors="replace")
    text = text[:MAX_RECEIPT_BYTES]
    problem = embedded_json_problem(text)
    if problem is not None:
        return render_template("verify/index.html", text="", error=problem), 422
    if not is_server_check_on():
        return _browser_only(text)
    rt = current_runtime()
    try:
        result = rt.query(check_receipt, receipt_json=text)  # reads only
    except (MalformedReceipt, CommunityNotFound) as exc:
        return render_template("verify/index.html", text=text, error=error_text(exc)), status_for(
            exc
        )
    return _result_page(text, facts_of(result), result)


def _browser_only(text: str) -> ResponseReturnValue:
    """The result page without the server's checks (the receipt's, and the notice's
    consistency with the log): the receipt is only read, to name its community and ballot,
    and the owner's browser checks it."""
    try:
        facts = receipt_facts(parse_receipt(text))
    except MalformedReceipt as exc:
        return render_template("verify/index.html", text=text, error=error_text(exc)), status_for(
            exc
        )
    return _result_page(text, facts, None)


def _result_page(text: str, facts: ReceiptFacts, result: ReceiptCheck | None) -> str:
    """The result page: the receipt's facts, the server's check and the notice's consistency
    with the log when the server checked (``result``), and the browser's check of ``text``."""
    community, info = _names(facts)
    consistency = None
    if result is not None and info is not None and info.status != "draft":
        consistency = notice_consistency(facts.community, info.notice_tree_size, info.notice_root)
    return render_template(
        "verify/result.html",
        result=result,
        facts=facts,
        consistency=consistency,
        log_code=facts.community,
        problems=PROBLEMS,
        pending=pending_text(result) if result is not None else "",
        community=community,
        ballot_title=_title(info),
        **browser_panel(text),
    )


def _title(info: BallotInfo | None) -> str | None:
    """The ballot's title, unless it is unknown or still a draft."""
    return info.title if info is not None and info.status != "draft" else None


def _names(facts: ReceiptFacts) -> tuple[estate.CommunityInfo | None, BallotInfo | None]:
    """The community the receipt names and its ballot (None where unknown)."""
    rt = current_runtime()
    community = rt.query(estate.find_community, facts.community)
    if community is None:
        return None, None
    try:
        info = rt.query(voting.ballot_in_community, facts.community, facts.ballot)
    except BallotNotFound:
        return community, None
    return community, info


def pending_text(result: ReceiptCheck) -> str:
    """For a receipt no signed checkpoint covers yet: when the next one is due, in
    Asia/Shanghai time (``""`` otherwise)."""
    if not result.is_pending:
        return ""
    if result.covered_by is None:
        return _("Recorded; covered by the next checkpoint.")
    return _(
        "Recorded; covered by the next checkpoint, due by %(time)s.",
        time=local_time(_next_minute(result.covered_by), "%H:%M"),
    )


def _next_minute(at: datetime) -> datetime:
    """``at`` rounded up to the minute, so the time shown is never earlier than the due time."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)
