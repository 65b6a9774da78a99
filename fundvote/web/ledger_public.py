"""Public ledger pages: published reports under ``/r/<code>/ledger`` and an owner's
statement link ``/s/<token>``. No login; nothing personal (unit codes only).

- ``/r/<code>/ledger/`` the community's published reports, each with its content
  fingerprint and the log checkpoint that anchors it;
- ``/r/<code>/ledger/<kind>/<period>/`` a published report, re-rendered from the ledger for
  its period, with the stored fingerprint and whether today's figures still match it;
  ``report.pdf`` the same as PDF;
- ``/r/<code>/ledger/emergency/<ref>/`` an emergency repair's costs as published to the
  owners (by source and by unit), with the signed checkpoint that anchors the publication;
- ``/s/<token>`` an owner's own units' statements (``?year=``): a link reissued by the
  committee stops working at once. Works on a phone, without JavaScript;
  ``statement.json?unit=&year=`` one unit's statement as JSON (unit code and amounts only),
  the file the offline verifier's ledger check (``audit.verify_ledger``) compares with the
  public log.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from fundvote.access import current_runtime, public
from fundvote.errors import error_text, status_for
from fundvote.inputs import parse_int
from fundvote.ledger_reports import today
from fundvote.web.ledger_files import report_file
from fundvote.web.results import public_community
from ledger import api as ledger
from ledger.api import PublicationInfo
from notary.api import DomainError

bp = Blueprint("ledger_public", __name__, url_prefix="/r/<code>/ledger")
owner_bp = Blueprint("ledger_owner", __name__, url_prefix="/s")

REPORT_NAMES = {"fund_disclosure": "disclosure", "public_income": "public-income"}


def _published(code: str, kind: str, period: str) -> tuple[PublicationInfo, Any, bool]:
    rt = current_runtime()
    try:
        info = rt.query(ledger.get_publication, code, kind, period[:16])
        report = rt.query(ledger.build_report, code, kind, period[:16])
    except DomainError:
        abort(404)
    return info, report, ledger.content_sha256(report) == info.content_sha256


@bp.get("/")
@public
def index(code: str) -> ResponseReturnValue:
    community = public_community(code)
    rt = current_runtime()
    items = rt.query(ledger.list_publications, code)
    emergencies = rt.query(ledger.published_emergencies, code)
    return render_template(
        "ledger/public_index.html",
        community=community,
        items=items,
        names=REPORT_NAMES,
        emergencies=emergencies,
    )


@bp.get("/emergency/<ref>/")
@public
def emergency(code: str, ref: str) -> ResponseReturnValue:
    community = public_community(code)
    found = next(
        (e for e in current_runtime().query(ledger.published_emergencies, code)
         if e.info.ref == ref[:64]),
        None,
    )  # fmt: skip
    if found is None:
        abort(404)
    return render_template("ledger/public_emergency.html", community=community, item=found)


@bp.get("/<kind>/<period>/")
@public
def published(code: str, kind: str, period: str) -> ResponseReturnValue:
    community = public_community(code)
    info, report, matches = _published(code, kind, period)
    return render_template(
        "ledger/public_report.html",
        community=community,
        info=info,
        report=report,
        name=REPORT_NAMES[kind],
        matches=matches,
    )


@bp.get("/<kind>/<period>/report.pdf")
@public
def published_pdf(code: str, kind: str, period: str) -> ResponseReturnValue:
    community = public_community(code)
    info, report, _matches = _published(code, kind, period)
    return report_file(
        REPORT_NAMES[kind],
        report,
        community,
        "pdf",
        f"{code}-{kind}-{info.period}",
        anchor=info,
    )


_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _period(year_text: str) -> tuple[int, date, date]:
    """The year asked for (this year by default) and its dates, up to today."""
    now = today(current_runtime())
    year = parse_int(year_text[:4], lo=1990, hi=now.year) or now.year
    return year, date(year, 1, 1), min(date(year, 12, 31), now)


@owner_bp.get("/<token>")
@public
def statement(token: str) -> ResponseReturnValue:
    rt = current_runtime()
    try:
        access = rt.query(ledger.open_statement_link, token[:100])
    except DomainError as error:
        return render_template("ledger/owner_invalid.html", message=error_text(error)), (
            status_for(error)
        )
    now = today(rt)
    year, start, end = _period(request.args.get("year", ""))
    statements = [
        rt.query(ledger.unit_statement, access.community_code, unit, start, end)
        for unit in access.unit_codes
    ]
    response = render_template(
        "ledger/owner.html",
        access=access,
        statements=statements,
        token=token[:100],
        year=year,
        years=list(range(now.year, max(now.year - 10, 1989), -1)),
    )
    return response, 200, _PRIVATE


@owner_bp.get("/<token>/statement.json")
@public
def statement_download(token: str) -> ResponseReturnValue:
    """One of the owner's units' statement for a year as JSON: what the offline verifier
    checks line by line against the log. 404 for a dead link or a unit not the owner's."""
    rt = current_runtime()
    try:
        access = rt.query(ledger.open_statement_link, token[:100])
    except DomainError:
        abort(404)
    unit = request.args.get("unit", "")[:64]
    if unit not in access.unit_codes:
        abort(404)
    year, start, end = _period(request.args.get("year", ""))
    found = rt.query(ledger.unit_statement, access.community_code, unit, start, end)
    body = json.dumps(ledger.statement_json(found), ensure_ascii=False, sort_keys=True, indent=1)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", unit)
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={
            **_PRIVATE,
            "Content-Disposition": f'attachment; filename="statement-{safe}-{year}.json"',
        },
    )
