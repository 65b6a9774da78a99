"""``/verify``: anyone pastes or uploads a receipt and sees whether it is genuine and counted in
the log (public, works without JavaScript)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from fundvote.access import current_runtime, public
from fundvote.edge import embedded_json_problem
from fundvote.errors import status_for
from fundvote.web.ballot_labels import error_text
from voting.api import PROBLEMS, MalformedReceipt, check_receipt

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
        raw = upload.read(MAX_RECEIPT_BYTES + 1)
        if len(raw) > MAX_RECEIPT_BYTES:
            return render_template(
                "verify/index.html",
                text="",
                error=_("The file is too large to be a receipt."),
            ), 413
        text = raw.decode("utf-8", errors="replace")
    text = text[:MAX_RECEIPT_BYTES]
    problem = embedded_json_problem(text)
    if problem is not None:
        return render_template("verify/index.html", text="", error=problem), 422
    rt = current_runtime()
    try:
        result = rt.run(check_receipt, receipt_json=text)
    except MalformedReceipt as exc:
        return render_template("verify/index.html", text=text, error=error_text(exc)), status_for(
            exc
        )
    return render_template("verify/result.html", result=result, problems=PROBLEMS)
