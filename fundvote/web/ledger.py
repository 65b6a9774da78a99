"""The ledger's staff pages under ``/c/<code>/ledger`` and the authority's overview.

- ``/`` the ledger home: fund balances, the reports, publication (committee), the journal;
- ``/entries`` the journal, newest first, paged; ``/entries/<n>`` one entry with its
  postings (paged), documents, reversal links and log index;
- ``/reports/<report>/`` a report with its period form; ``/reports/<report>/download``
  the same as PDF, CSV or XLSX (``?format=``);
- ``/statement-links`` owners' standing statement links (committee): find a unit's owners,
  issue or reissue a link, shown once with a QR code and printable;
- ``/publish`` publish the annual disclosure or a quarter's public-income statement;
- ``/ledger/overview`` every supervised community's funds, projects and ballots (authority).

Reading is for the committee, the manager, the authority, the auditor and admins; acting for
the committee and admins. Every refusal is a page with the message, never a 5xx.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.errors import error_text, status_for
from fundvote.inputs import parse_int
from fundvote.ledger_reports import (
    OVERVIEW_ROLES,
    PUBLISH_ROLES,
    READ_ROLES,
    REPORTS,
    build,
    issue_link,
    publish,
    report_request,
    supervision,
    today,
)
from fundvote.urls import public_url
from fundvote.web.ledger_files import FORMATS, TITLES, report_file
from fundvote.web.pdf import qr_data_uri
from ledger import api as ledger
from ledger.api import ReportNotFound
from notary.api import N_, DomainError

bp = Blueprint("ledger", __name__, url_prefix="/c/<code>/ledger")
overview_bp = Blueprint("ledger_overview", __name__, url_prefix="/ledger")


def _args() -> dict[str, str]:
    return {k: v[:100] for k, v in request.args.items() if isinstance(v, str)}


def _error_page(code: str, error: DomainError) -> ResponseReturnValue:
    community = require_community(code)
    return (
        render_template("ledger/error.html", community=community, message=error_text(error)),
        status_for(error),
    )


@bp.get("/")
@staff(*READ_ROLES)
def home(code: str) -> ResponseReturnValue:
    community = require_community(code)
    rt = current_runtime()
    now = today(rt)
    funds = rt.query(ledger.fund_balances, code, now)
    recent = rt.query(ledger.list_entries, code, page=1, per_page=10)
    return render_template(
        "ledger/home.html",
        community=community,
        funds=funds,
        recent=recent,
        titles=TITLES,
        reports=REPORTS,
        publications=rt.query(ledger.list_publications, code),
        may_publish=require_staff().role in PUBLISH_ROLES,
        today=now,
    )


@bp.get("/entries")
@staff(*READ_ROLES)
def entries(code: str) -> ResponseReturnValue:
    community = require_community(code)
    page = parse_int(request.args.get("page", "1")[:10], lo=1, hi=10**9) or 1
    listing = current_runtime().query(ledger.list_entries, code, page=page)
    return render_template("ledger/entries.html", community=community, listing=listing)


@bp.get("/entries/<int:number>")
@staff(*READ_ROLES)
def entry(code: str, number: int) -> ResponseReturnValue:
    community = require_community(code)
    page = parse_int(request.args.get("page", "1")[:10], lo=1, hi=10**9) or 1
    try:
        detail = current_runtime().query(ledger.entry_detail, code, number, page=page)
    except DomainError as error:
        return _error_page(code, error)
    return render_template("ledger/entry.html", community=community, entry=detail)


@bp.get("/reports/<report>/")
@staff(*READ_ROLES)
def report(code: str, report: str) -> ResponseReturnValue:
    community = require_community(code)
    rt = current_runtime()
    try:
        wanted = report_request(report, _args(), today(rt))
    except ReportNotFound as error:
        return _error_page(code, error)
    except DomainError as error:
        wanted = report_request(report, {}, today(rt))
        return render_template(
            "ledger/report.html",
            community=community,
            name=report,
            title=TITLES[report],
            wanted=wanted,
            data=None,
            error=error_text(error),
            formats=FORMATS,
        ), status_for(error)
    data: Any = None
    problem: DomainError | None = None
    try:
        data = rt.query(build, code, wanted)
    except DomainError as refused:
        problem = refused
    return render_template(
        "ledger/report.html",
        community=community,
        name=report,
        title=TITLES[report],
        wanted=wanted,
        data=data,
        error=error_text(problem) if problem else None,
        formats=FORMATS,
    ), (status_for(problem) if problem else 200)


@bp.get("/reports/<report>/download")
@staff(*READ_ROLES)
def download(code: str, report: str) -> ResponseReturnValue:
    community = require_community(code)
    rt = current_runtime()
    fmt = request.args.get("format", "pdf")
    try:
        if fmt not in FORMATS:
            raise ReportNotFound(N_FORMAT)
        wanted = report_request(report, _args(), today(rt))
        data = rt.query(build, code, wanted)
    except DomainError as error:
        return _error_page(code, error)
    stem = "-".join([code, report, *wanted.params().values()])
    return report_file(report, data, community, fmt, _safe(stem))


N_FORMAT = N_("Choose PDF, CSV or XLSX.")


def _safe(stem: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in stem)[:120]


@bp.post("/publish")
@staff(*PUBLISH_ROLES)
def publish_report(code: str) -> ResponseReturnValue:
    require_community(code)
    report = request.form.get("report", "")[:40]
    period = request.form.get("period", "").strip()[:16]
    try:
        info = publish(current_runtime(), require_staff(), code, report, period)
    except DomainError as error:
        flash(error_text(error), "error")
        return redirect(url_for("ledger.home", code=code))
    flash(
        _(
            "Published: %(period)s, fingerprint %(hash)s.",
            period=info.period,
            hash=info.content_sha256[:16],
        ),
        "ok",
    )
    return redirect(url_for("ledger.home", code=code))


@bp.get("/statement-links")
@staff(*PUBLISH_ROLES)
def statement_links(code: str) -> ResponseReturnValue:
    community = require_community(code)
    unit = request.args.get("unit", "").strip()[:64]
    owners, error = None, None
    if unit:
        try:
            owners = current_runtime().query(ledger.unit_owner_links, code, unit)
        except DomainError as refused:
            error = error_text(refused)
    return render_template(
        "ledger/statement_links.html",
        community=community,
        unit=unit,
        owners=owners,
        error=error,
        issued=None,
    ), (404 if error else 200)


@bp.post("/statement-links")
@staff(*PUBLISH_ROLES)
def issue_statement_link(code: str) -> ResponseReturnValue:
    community = require_community(code)
    owner = request.form.get("owner", "").strip()[:40]
    unit = request.form.get("unit", "").strip()[:64]
    try:
        issued = issue_link(current_runtime(), require_staff(), code, owner)
    except DomainError as error:
        return render_template(
            "ledger/statement_links.html",
            community=community,
            unit=unit,
            owners=None,
            error=error_text(error),
            issued=None,
        ), status_for(error)
    url = public_url(url_for("ledger_owner.statement", token=issued.token))
    return render_template(
        "ledger/statement_links.html",
        community=community,
        unit=unit,
        owners=None,
        error=None,
        issued=issued,
        url=url,
        qr=qr_data_uri(url),
    )


@overview_bp.get("/overview")
@staff(*OVERVIEW_ROLES)
def show_overview() -> ResponseReturnValue:
    principal = require_staff()
    ids = None if principal.is_admin else principal.community_ids
    page = supervision(current_runtime(), ids)
    return render_template("ledger/overview.html", lines=page.lines, page=page)
