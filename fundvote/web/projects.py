"""Projects, emergency records and draws: ``/c/<code>/projects/``.

Every staff user of the community reads the projects, their cost-sharing reports (by source
and by unit; CSV too), the draws and the emergency records (those whose costs are still
unpublished first, overdue ones marked). A manager or the committee opens projects (from a
passed ``fund_use`` decision or an emergency record), records emergencies and their
publication, money received and draws; an authority user (while the authority holds the
fund) or committee members (once the owners' assembly does) approve or reject draws. Each
action performs the use case the JSON API performs (:mod:`fundvote.projects`,
``ledger.api``) and answers with a redirect; a refusal shows the page again with the message
and what was entered. Amounts are entered in yuan with at most two decimals.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from estate.api import format_hundredths, parse_hundredths, write_table
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.errors import error_text, status_for
from fundvote.inputs import parse_int, text_problem
from fundvote.projects import (
    APPROVER_ROLES,
    RECORDER_ROLES,
    approve,
    may_approve,
    may_record,
    project_page,
    reject,
)
from ledger import api as ledger
from notary.api import DomainError

bp = Blueprint("projects", __name__, url_prefix="/c/<code>/projects")

MAX_FEN = 10**15


def _yuan(text: str, *, allow_zero: bool = False) -> int | None:
    try:
        fen = parse_hundredths(text.strip()[:40], grouping=True)
    except Exception:  # every parse failure is a bad field, reported by name below
        return None
    if fen < 0 or fen > MAX_FEN or (fen == 0 and not allow_zero):
        return None
    return fen


def _date(text: str) -> date | None:
    try:
        value = date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
    return value if date(1990, 1, 1) <= value <= date(2100, 12, 31) else None


def _form(names: tuple[str, ...], limit: int = 2000) -> dict[str, str]:
    return {name: request.form.get(name, "")[:limit] for name in names}


# --- the index -----------------------------------------------------------------------------


def _index(code: str, *, status: int = 200, **extra: Any) -> ResponseReturnValue:
    community = require_community(code)
    principal = require_staff()
    rt = current_runtime()
    now = rt.clock.now()
    emergencies = rt.query(ledger.list_emergencies, code)
    emergencies.sort(key=lambda e: (e.published_at is not None, e.publish_deadline))
    html = render_template(
        "ledger/projects.html",
        community=community,
        projects=rt.query(ledger.list_projects, code),
        pending=rt.query(ledger.pending_draws, [code]),
        emergencies=emergencies,
        now=now,
        may_record=may_record(principal, community.id),
        categories=ledger.EMERGENCY_CATEGORIES,
        sources=ledger.SOURCES,
        form=extra.pop("form", {}),
        **extra,
    )
    return html, status


@bp.get("/")
@staff()
def index(code: str) -> ResponseReturnValue:
    return _index(code)


@bp.post("/open")
@staff(*RECORDER_ROLES)
def open_project(code: str) -> ResponseReturnValue:
    require_community(code)
    form = _form(("ballot", "question", "title"))
    position = parse_int(form["question"].strip() or "1", lo=1, hi=100)
    if not form["ballot"].strip() or position is None:
        return _index(
            code,
            status=422,
            form=form,
            open_error=_("Enter the ballot's reference and the question's number."),
        )
    title = form["title"].strip() or None
    if title is not None and text_problem(title, max_length=200, multiline=False) is not None:
        return _index(code, status=422, form=form, open_error=_("The title is not acceptable."))
    try:
        info = current_runtime().run_as(
            require_staff().user_id,
            ledger.open_project_from_decision,
            community_code=code,
            ballot_ref=form["ballot"].strip()[:32],
            position=position,
            title=title,
        )
    except DomainError as error:
        return _index(code, status=status_for(error), form=form, open_error=error_text(error))
    flash(_("The project is opened."), "ok")
    return redirect(url_for("projects.detail", code=code, ref=info.ref))


@bp.post("/emergencies")
@staff(*RECORDER_ROLES)
def record_emergency(code: str) -> ResponseReturnValue:
    require_community(code)
    form = _form(("category", "evidence_sha256", "description", "scope_kind", "scope_codes"))
    codes = [c for c in form["scope_codes"].replace("，", ",").split(",") if c.strip()]
    try:
        current_runtime().run_as(
            require_staff().user_id,
            ledger.record_emergency,
            community_code=code,
            category=form["category"],
            evidence_sha256=form["evidence_sha256"],
            description=form["description"],
            scope_kind=form["scope_kind"] or "community",
            scope_codes=codes[:5000],
        )
    except DomainError as error:
        return _index(code, status=status_for(error), form=form, emergency_error=error_text(error))
    flash(_("The emergency is recorded. Publish its costs to the owners in time."), "ok")
    return redirect(url_for("projects.index", code=code))


@bp.post("/emergencies/<ref>/project")
@staff(*RECORDER_ROLES)
def open_emergency_project(code: str, ref: str) -> ResponseReturnValue:
    require_community(code)
    names = ("title", *(f"source_{s}" for s in ledger.SOURCES))
    form = _form(names)
    sources: dict[str, int] = {}
    for source in ledger.SOURCES:
        text = form[f"source_{source}"].strip()
        fen = _yuan(text, allow_zero=True) if text else 0
        if fen is None:
            return _index(
                code,
                status=422,
                form=form,
                emergency_error=_("Enter each source's amount in yuan, e.g. 1200.50."),
            )
        sources[source] = fen
    try:
        info = current_runtime().run_as(
            require_staff().user_id,
            ledger.open_project_from_emergency,
            community_code=code,
            emergency_ref=ref,
            title=form["title"],
            sources=sources,
        )
    except DomainError as error:
        return _index(code, status=status_for(error), form=form, emergency_error=error_text(error))
    flash(_("The project is opened."), "ok")
    return redirect(url_for("projects.detail", code=code, ref=info.ref))


@bp.post("/emergencies/<ref>/publish")
@staff(*RECORDER_ROLES)
def publish_emergency(code: str, ref: str) -> ResponseReturnValue:
    require_community(code)
    try:
        current_runtime().run_as(
            require_staff().user_id,
            ledger.publish_emergency,
            community_code=code,
            emergency_ref=ref,
        )
    except DomainError as error:
        return _index(code, status=status_for(error), emergency_error=error_text(error))
    flash(_("The publication of the emergency's costs is recorded."), "ok")
    return redirect(url_for("projects.index", code=code))


# --- one project ---------------------------------------------------------------------------


def _detail(code: str, ref: str, *, status: int = 200, **extra: Any) -> ResponseReturnValue:
    community = require_community(code)
    principal = require_staff()
    rt = current_runtime()
    page = rt.query(project_page, code, ref)
    html = render_template(
        "ledger/project.html",
        community=community,
        page=page,
        report=page.report,
        project=page.report.project,
        may_record=may_record(principal, community.id),
        may_approve=may_approve(rt, principal, code),
        me=principal.user_id,
        stages=ledger.DRAW_STAGES,
        form=extra.pop("form", {}),
        **extra,
    )
    return html, status


@bp.get("/<ref>")
@staff()
def detail(code: str, ref: str) -> ResponseReturnValue:
    return _detail(code, ref)


@bp.get("/<ref>/report.csv")
@staff()
def report_csv(code: str, ref: str) -> ResponseReturnValue:
    require_community(code)
    report = current_runtime().query(ledger.project_report, code, ref)
    rows = ledger.report_rows(report, format_hundredths)
    body = write_table(ledger.REPORT_HEADER, rows, "csv", numeric=range(2, 8))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="project-{report.project.ref}.csv"'},
    )


@bp.post("/<ref>/funding")
@staff(*RECORDER_ROLES)
def funding(code: str, ref: str) -> ResponseReturnValue:
    require_community(code)
    form = _form(("source", "amount", "value_date", "bank_reference"))
    amount = _yuan(form["amount"])
    day = _date(form["value_date"])
    if amount is None or day is None:
        return _detail(
            code,
            ref,
            status=422,
            form=form,
            funding_error=_("Enter the amount in yuan (e.g. 1200.50) and the date (YYYY-MM-DD)."),
        )
    try:
        current_runtime().run_as(
            require_staff().user_id,
            ledger.receive_funding,
            community_code=code,
            project_ref=ref,
            source=form["source"],
            amount_fen=amount,
            value_date=day,
            bank_reference=form["bank_reference"].strip()[:200] or None,
        )
    except DomainError as error:
        return _detail(
            code, ref, status=status_for(error), form=form, funding_error=error_text(error)
        )
    flash(_("The money received is recorded."), "ok")
    return redirect(url_for("projects.detail", code=code, ref=ref))


@bp.post("/<ref>/draws")
@staff(*RECORDER_ROLES)
def record_draw(code: str, ref: str) -> ResponseReturnValue:
    require_community(code)
    form = _form(("stage", "amount", "retention", "value_date", "invoices", "memo"))
    release = form["stage"] == "retention_release"
    amount = 0 if release else _yuan(form["amount"])
    retention_text = form["retention"].strip()
    retention = _yuan(retention_text, allow_zero=not release) if retention_text else 0
    day = _date(form["value_date"])
    if amount is None or retention is None or day is None:
        return _detail(
            code,
            ref,
            status=422,
            form=form,
            draw_error=_(
                "Enter the amount and the retention in yuan (e.g. 1200.50) and the date "
                "(YYYY-MM-DD)."
            ),
        )
    invoices = [i.strip() for i in form["invoices"].replace("，", ",").split(",") if i.strip()]
    try:
        current_runtime().run_as(
            require_staff().user_id,
            ledger.record_draw,
            community_code=code,
            project_ref=ref,
            stage=form["stage"],
            amount_fen=amount,
            retention_fen=retention,
            value_date=day,
            invoices=invoices[:21],
            memo=form["memo"].strip()[:501],
        )
    except DomainError as error:
        return _detail(code, ref, status=status_for(error), form=form, draw_error=error_text(error))
    flash(_("The draw is recorded. It takes effect when someone else approves it."), "ok")
    return redirect(url_for("projects.detail", code=code, ref=ref))


def _project_of(code: str, draw_ref: str) -> str | None:
    try:
        return current_runtime().query(ledger.get_draw, code, draw_ref).project_ref
    except ledger.DrawNotFound:
        return None


@bp.post("/draws/<ref>/approve")
@staff(*APPROVER_ROLES)
def approve_draw(code: str, ref: str) -> ResponseReturnValue:
    require_community(code)
    project_ref = _project_of(code, ref)
    if project_ref is None:
        return _index(code, status=404, emergency_error=_("There is no such draw."))
    try:
        info = approve(current_runtime(), require_staff(), code, ref)
    except DomainError as error:
        return _detail(code, project_ref, status=status_for(error), draw_error=error_text(error))
    if info.status == "posted":
        flash(_("The draw is approved and posted."), "ok")
    else:
        flash(_("Your approval is recorded; the draw needs more approvals."), "ok")
    return redirect(url_for("projects.detail", code=code, ref=project_ref))


@bp.post("/draws/<ref>/reject")
@staff(*APPROVER_ROLES)
def reject_draw(code: str, ref: str) -> ResponseReturnValue:
    require_community(code)
    project_ref = _project_of(code, ref)
    if project_ref is None:
        return _index(code, status=404, emergency_error=_("There is no such draw."))
    reason = request.form.get("reason", "")[:600]
    try:
        reject(current_runtime(), require_staff(), code, ref, reason)
    except DomainError as error:
        return _detail(code, project_ref, status=status_for(error), draw_error=error_text(error))
    flash(_("The draw is rejected."), "ok")
    return redirect(url_for("projects.detail", code=code, ref=project_ref))
