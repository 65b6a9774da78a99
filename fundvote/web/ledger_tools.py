"""The committee's page for importing a community's earlier books:
``/c/<code>/ledger/legacy-import`` (GET the form, POST the file).

The same use case as ``fundvote ledger import`` and ``POST /api/v1/communities/<code>/ledger/
legacy-import`` (:func:`ledger.api.import_legacy`): every entry or none; on a refusal every
problem is listed with its line and column, and nothing is written; the same file imported
again posts nothing. Who: the committee, the housing authority and the administrator, each
for the communities it acts for. Works without JavaScript (a plain multipart form).
"""

from __future__ import annotations

import posixpath
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from estate.api import MAX_FILE_BYTES
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.errors import roll_problem_text, status_for
from fundvote.roles import LEGACY_IMPORT_ROLES
from ledger.api import LegacyImportRejected, LegacySummary, import_legacy

bp = Blueprint("ledger_tools", __name__, url_prefix="/c/<code>/ledger")

SUFFIXES = (".csv", ".xlsx")
COLUMNS = (
    ("entry", lazy_gettext("Entry id: rows with the same id form one entry")),
    ("date", lazy_gettext("Value date, YYYY-MM-DD, the same on every row of an entry")),
    ("memo", lazy_gettext("Memo of the entry (on one row, or the same on each)")),
    ("account", lazy_gettext("Account code of the chart, e.g. 1001 or 2101.<unit>")),
    ("debit", lazy_gettext("Debit in yuan, at most two decimals")),
    ("credit", lazy_gettext("Credit in yuan, at most two decimals (one of debit and credit)")),
)


def _upload_name(raw: str | None) -> str:
    return posixpath.basename((raw or "").replace("\\", "/")).strip()[-100:]


def _error(ctx: dict[str, Any], message: str, status: int) -> ResponseReturnValue:
    return render_template("ledger_tools/legacy_import.html", error=message, **ctx), status


@bp.route("/legacy-import", methods=["GET", "POST"])
@staff(*LEGACY_IMPORT_ROLES)
def legacy_import(code: str) -> ResponseReturnValue:
    community = require_community(code)
    ctx: dict[str, Any] = {
        "community": community,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "columns": COLUMNS,
    }
    if request.method == "GET":
        return render_template("ledger_tools/legacy_import.html", **ctx)
    if (request.content_length or 0) > MAX_FILE_BYTES + 64 * 1024:
        return _error(ctx, _("The file is larger than %(mb)s MB.", mb=ctx["max_mb"]), 413)
    upload = request.files.get("file")
    name = _upload_name(upload.filename if upload else None)
    if upload is None or not name:
        return _error(ctx, _("Choose a file of earlier entries (CSV or XLSX) first."), 400)
    if not name.lower().endswith(SUFFIXES):
        return _error(ctx, _("Only CSV or XLSX files can be imported."), 400)
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        return _error(ctx, _("The file is larger than %(mb)s MB.", mb=ctx["max_mb"]), 413)
    rt = current_runtime()
    try:
        summary: LegacySummary = rt.run_as(
            require_staff().user_id,
            import_legacy,
            community_code=code,
            data=content,
            filename=name,
        )
    except LegacyImportRejected as exc:
        html = render_template(
            "ledger_tools/legacy_import.html",
            filename=name,
            problems=exc.problems,
            problem_text=roll_problem_text,
            **ctx,
        )
        return html, status_for(exc)
    return render_template("ledger_tools/legacy_done.html", filename=name, summary=summary, **ctx)
