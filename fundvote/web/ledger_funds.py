"""The fund's money in, as pages: ``/c/<code>/ledger/...``.

- ``fund``: recent deposits; for whoever holds the fund, a deposit form, a bank statement
  import and the interest form;
- ``top-ups``: units due a top-up (续筹), and what owners owe for shortfalls (补足) with, for
  whoever holds the fund, a form to record what an owner paid;
- ``reconciliation``: a bank account's book balance against the statement's, and a statement
  file's unmatched lines and entries (reads only);
- ``public-income``: its totals; forms for income and costs (manager, committee) and the
  transfer into the fund (committee).

Each form performs the use case the JSON API performs (:mod:`fundvote.ledger_funds`); a
success redirects (PRG) with a message; a refusal shows the page again with the message and
what was entered. Amounts go through the one parser and formatter (yuan, two decimals).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from estate.api import MAX_FILE_BYTES, BadQuantity, format_hundredths, parse_hundredths
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.errors import error_text, statement_problem_text, status_for
from fundvote.inputs import text_problem
from fundvote.ledger_funds import (
    DEPOSIT_ROLES,
    PUBLIC_INCOME_ROLES,
    READ_ROLES,
    TRANSFER_ROLES,
    allocate_interest_as,
    deposit_as,
    holder_role,
    import_statement_as,
    may_record_deposits,
    may_record_public_income,
    may_transfer_public_income,
    public_income_as,
    settle_shortfall_as,
    transfer_as,
)
from ledger.api import (
    MAX_REFERENCE,
    PUBLIC_INCOME_KINDS,
    RECONCILED_ACCOUNTS,
    StatementRejected,
    deposits,
    is_bank_reference,
    owed_shortfalls,
    parse_date,
    public_income_summary,
    reconcile,
    top_up_alerts,
)
from notary.api import DomainError

bp = Blueprint("ledger_funds", __name__, url_prefix="/c/<code>/ledger")

MAX_MEMO = 500


def _yuan(text: str, *, signed: bool = False) -> int | None:
    """Yuan with at most two decimals as fen (positive unless ``signed``), or None."""
    try:
        fen = parse_hundredths(text.strip()[:30], signed=signed, grouping=True)
    except BadQuantity:
        return None
    if not signed and fen <= 0:
        return None
    return fen


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "")[: MAX_MEMO + 1] for name in names}


def _date_error(form: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
    value = parse_date(form[name])
    if value is None:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
    return value


def _amount_error(form: dict[str, str], name: str, errors: dict[str, str]) -> int | None:
    value = _yuan(form[name])
    if value is None:
        errors[name] = _("Enter an amount in yuan with at most two decimals, more than zero.")
    return value


def _reference_error(
    form: dict[str, str], name: str, errors: dict[str, str], *, required: bool
) -> str:
    text = form[name].strip()
    if (required or text) and not is_bank_reference(text):
        errors[name] = _(
            "Enter the bank reference: 1 to %(max)s letters, digits or . _ : / -",
            max=MAX_REFERENCE,
        )
    return text


def _memo_error(form: dict[str, str], name: str, errors: dict[str, str]) -> str:
    text = form[name].strip()
    if text and text_problem(text, max_length=MAX_MEMO) is not None:
        errors[name] = _("At most %(max)s characters, without control characters.", max=MAX_MEMO)
    return text


def _unit_payment(
    form: dict[str, str], errors: dict[str, str]
) -> tuple[str, int | None, date | None, str, str]:
    """The fields every payment for one unit has (a deposit, a shortfall paid): the unit,
    the amount, the value date, the bank reference and the memo, each error in ``errors``."""
    unit = form["unit"].strip()
    if not unit or len(unit) > 64:
        errors["unit"] = _("Enter the unit's code.")
    amount = _amount_error(form, "amount", errors)
    when = _date_error(form, "value_date", errors)
    reference = _reference_error(form, "bank_reference", errors, required=True)
    memo = _memo_error(form, "memo", errors)
    return unit, amount, when, reference, memo


# -- the fund: deposits, statement import, interest -----------------------------------------


def _fund_page(code: str, *, status: int = 200, **extra: Any) -> ResponseReturnValue:
    community = require_community(code)
    rt = current_runtime()
    principal = require_staff()
    today = rt.clock.now().date().isoformat()
    deposit_form = {
        "unit": "",
        "amount": "",
        "value_date": today,
        "bank_reference": "",
        "first": "first",
        "memo": "",
    }
    deposit_form.update(extra.pop("deposit_form", {}))
    interest_form = {
        "start": "",
        "end": "",
        "amount": "",
        "value_date": "",
        "bank_reference": "",
        "memo": "",
    }
    interest_form.update(extra.pop("interest_form", {}))
    html = render_template(
        "ledger/fund.html",
        community=community,
        deposits=rt.query(deposits, code, limit=50),
        may_record=may_record_deposits(rt, principal, code),
        holder_role=holder_role(rt, code),
        deposit_form=deposit_form,
        interest_form=interest_form,
        max_mb=MAX_FILE_BYTES // (1024 * 1024),
        problem_text=statement_problem_text,
        **extra,
    )
    return html, status


@bp.get("/fund")
@staff(*READ_ROLES)
def fund(code: str) -> ResponseReturnValue:
    return _fund_page(code)


@bp.post("/deposits")
@staff(*DEPOSIT_ROLES)
def deposit(code: str) -> ResponseReturnValue:
    form = _form("unit", "amount", "value_date", "bank_reference", "first", "memo")
    errors: dict[str, str] = {}
    unit, amount, when, reference, memo = _unit_payment(form, errors)
    if form["first"] not in ("first", "top_up"):
        errors["first"] = _("Choose first deposit or top-up.")
    if errors:
        return _fund_page(code, status=422, deposit_form=form, deposit_errors=errors)
    assert amount is not None and when is not None
    try:
        entry = deposit_as(
            current_runtime(),
            require_staff(),
            code,
            unit_code=unit,
            amount_fen=amount,
            value_date=when,
            bank_reference=reference,
            is_first=form["first"] == "first",
            memo=memo,
        )
    except DomainError as error:
        return _fund_page(
            code, status=status_for(error), deposit_form=form, deposit_error=error_text(error)
        )
    flash(
        _(
            "Deposit of %(amount)s yuan into unit %(unit)s recorded as entry %(number)s.",
            amount=format_hundredths(amount, grouping=True),
            unit=unit,
            number=entry.number,
        ),
        "ok",
    )
    return redirect(url_for("ledger_funds.fund", code=code))


@bp.post("/deposits/import")
@staff(*DEPOSIT_ROLES)
def deposit_import(code: str) -> ResponseReturnValue:
    max_mb = MAX_FILE_BYTES // (1024 * 1024)
    if (request.content_length or 0) > MAX_FILE_BYTES + 64 * 1024:
        return _fund_page(
            code, status=413, import_error=_("The file is larger than %(mb)s MB.", mb=max_mb)
        )
    upload = request.files.get("file")
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][-100:] if upload else ""
    if upload is None or not name:
        return _fund_page(
            code, status=422, import_error=_("Choose a bank statement file (CSV or XLSX) first.")
        )
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        return _fund_page(
            code, status=413, import_error=_("The file is larger than %(mb)s MB.", mb=max_mb)
        )
    try:
        done = import_statement_as(
            current_runtime(), require_staff(), code, data=content, filename=name
        )
    except StatementRejected as exc:
        return _fund_page(
            code,
            status=status_for(exc),
            import_error=error_text(exc),
            import_problems=exc.problems[:200],
            import_problem_count=len(exc.problems),
        )
    except DomainError as error:
        return _fund_page(code, status=status_for(error), import_error=error_text(error))
    if done.is_replay:
        flash(
            _(
                "This statement was imported before (entry %(number)s); nothing new was posted.",
                number=done.entry.number,
            ),
            "ok",
        )
    else:
        flash(
            _(
                "Statement imported: %(rows)s deposits, %(amount)s yuan, entry %(number)s.",
                rows=done.rows,
                amount=format_hundredths(done.total_fen, grouping=True),
                number=done.entry.number,
            ),
            "ok",
        )
    return redirect(url_for("ledger_funds.fund", code=code))


@bp.post("/interest")
@staff(*DEPOSIT_ROLES)
def interest(code: str) -> ResponseReturnValue:
    form = _form("start", "end", "amount", "value_date", "bank_reference", "memo")
    errors: dict[str, str] = {}
    start = _date_error(form, "start", errors)
    end = _date_error(form, "end", errors)
    amount = _amount_error(form, "amount", errors)
    when: date | None = None
    if form["value_date"].strip():
        when = _date_error(form, "value_date", errors)
    reference = _reference_error(form, "bank_reference", errors, required=False)
    memo = _memo_error(form, "memo", errors)
    if errors:
        return _fund_page(code, status=422, interest_form=form, interest_errors=errors)
    assert start is not None and end is not None and amount is not None
    try:
        done = allocate_interest_as(
            current_runtime(),
            require_staff(),
            code,
            start=start,
            end=end,
            amount_fen=amount,
            value_date=when,
            bank_reference=reference,
            memo=memo,
        )
    except DomainError as error:
        return _fund_page(
            code, status=status_for(error), interest_form=form, interest_error=error_text(error)
        )
    flash(
        _(
            "Interest of %(amount)s yuan credited to %(units)s sub-accounts as entry %(number)s.",
            amount=format_hundredths(amount, grouping=True),
            units=sum(1 for share in done.shares.values() if share),
            number=done.entry.number,
        ),
        "ok",
    )
    return redirect(url_for("ledger_funds.fund", code=code))


# -- top-ups --------------------------------------------------------------------------------


def _top_ups_page(code: str, *, status: int = 200, **extra: Any) -> ResponseReturnValue:
    community = require_community(code)
    rt = current_runtime()
    shortfall_form = {
        "unit": "",
        "amount": "",
        "value_date": rt.clock.now().date().isoformat(),
        "bank_reference": "",
        "memo": "",
    }
    shortfall_form.update(extra.pop("shortfall_form", {}))
    html = render_template(
        "ledger/top_ups.html",
        community=community,
        alerts=rt.query(top_up_alerts, code),
        owed=rt.query(owed_shortfalls, code),
        may_record=may_record_deposits(rt, require_staff(), code),
        shortfall_form=shortfall_form,
        **extra,
    )
    return html, status


@bp.get("/top-ups")
@staff(*READ_ROLES)
def top_ups(code: str) -> ResponseReturnValue:
    return _top_ups_page(code)


@bp.post("/shortfalls")
@staff(*DEPOSIT_ROLES)
def shortfall_payment(code: str) -> ResponseReturnValue:
    form = _form("unit", "amount", "value_date", "bank_reference", "memo")
    errors: dict[str, str] = {}
    unit, amount, when, reference, memo = _unit_payment(form, errors)
    if errors:
        return _top_ups_page(code, status=422, shortfall_form=form, shortfall_errors=errors)
    assert amount is not None and when is not None
    try:
        entry = settle_shortfall_as(
            current_runtime(),
            require_staff(),
            code,
            unit_code=unit,
            amount_fen=amount,
            value_date=when,
            bank_reference=reference,
            memo=memo,
        )
    except DomainError as error:
        return _top_ups_page(
            code, status=status_for(error), shortfall_form=form, shortfall_error=error_text(error)
        )
    flash(
        _(
            "Payment of %(amount)s yuan by the owner of unit %(unit)s towards shortfalls "
            "recorded as entry %(number)s.",
            amount=format_hundredths(amount, grouping=True),
            unit=unit,
            number=entry.number,
        ),
        "ok",
    )
    return redirect(url_for("ledger_funds.top_ups", code=code))


# -- reconciliation -------------------------------------------------------------------------


@bp.route("/reconciliation", methods=["GET", "POST"])
@staff(*READ_ROLES)
def reconciliation(code: str) -> ResponseReturnValue:
    community = require_community(code)
    rt = current_runtime()
    source = request.form if request.method == "POST" else request.args
    form = {
        "account": source.get("account", "1001")[:10],
        "at": source.get("at", "")[:20],
        "statement_balance": source.get("statement_balance", "")[:40],
    }
    errors: dict[str, str] = {}
    report = None
    problems: list[Any] = []
    error = None
    status = 200
    asked = request.method == "POST" or bool(form["at"])
    if asked:
        if form["account"] not in RECONCILED_ACCOUNTS:
            errors["account"] = _("Choose a bank account.")
        at = _date_error(form, "at", errors)
        statement: int | None = None
        if form["statement_balance"].strip():
            statement = _yuan(form["statement_balance"], signed=True)
            if statement is None:
                errors["statement_balance"] = _(
                    "Enter the statement's balance in yuan with at most two decimals."
                )
        content: bytes | None = None
        upload = request.files.get("file") if request.method == "POST" else None
        if upload is not None and upload.filename:
            content = upload.stream.read(MAX_FILE_BYTES + 1)
            if len(content) > MAX_FILE_BYTES:
                errors["file"] = _(
                    "The file is larger than %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024)
                )
        if errors:
            status = 422
        else:
            assert at is not None
            try:
                report = rt.query(
                    reconcile,
                    community_code=code,
                    account=form["account"],
                    at=at,
                    statement_balance_fen=statement,
                    data=content,
                    filename=(upload.filename or "statement.csv") if upload else "statement.csv",
                )
            except StatementRejected as exc:
                error, problems, status = error_text(exc), exc.problems[:200], status_for(exc)
            except DomainError as exc:
                error, status = error_text(exc), status_for(exc)
    html = render_template(
        "ledger/reconciliation.html",
        community=community,
        form=form,
        errors=errors,
        report=report,
        error=error,
        problems=problems,
        problem_text=statement_problem_text,
        accounts=RECONCILED_ACCOUNTS,
    )
    return html, status


# -- public income --------------------------------------------------------------------------


def _income_page(code: str, *, status: int = 200, **extra: Any) -> ResponseReturnValue:
    community = require_community(code)
    rt = current_runtime()
    principal = require_staff()
    today = rt.clock.now().date().isoformat()
    income_form = {
        "kind": "parking",
        "amount": "",
        "value_date": today,
        "bank_reference": "",
        "invoices": "",
        "memo": "",
    }
    income_form.update(extra.pop("income_form", {}))
    transfer_form = {"amount": "", "value_date": today, "decision": "", "memo": ""}
    transfer_form.update(extra.pop("transfer_form", {}))
    html = render_template(
        "ledger/public_income.html",
        community=community,
        summary=rt.query(public_income_summary, code),
        kinds=list(PUBLIC_INCOME_KINDS),
        may_record=may_record_public_income(rt, principal, code),
        may_transfer=may_transfer_public_income(rt, principal, code),
        income_form=income_form,
        transfer_form=transfer_form,
        **extra,
    )
    return html, status


@bp.get("/public-income")
@staff(*READ_ROLES)
def public_income(code: str) -> ResponseReturnValue:
    return _income_page(code)


@bp.post("/public-income")
@staff(*PUBLIC_INCOME_ROLES)
def public_income_record(code: str) -> ResponseReturnValue:
    form = _form("kind", "amount", "value_date", "bank_reference", "invoices", "memo")
    errors: dict[str, str] = {}
    if form["kind"] not in (*PUBLIC_INCOME_KINDS, "cost"):
        errors["kind"] = _("Choose what kind of income, or a cost.")
    amount = _amount_error(form, "amount", errors)
    when = _date_error(form, "value_date", errors)
    reference = _reference_error(form, "bank_reference", errors, required=False)
    invoices = [i.strip() for i in form["invoices"].replace("，", ",").split(",") if i.strip()]
    if len(invoices) > 50 or any(text_problem(i, max_length=200) for i in invoices):
        errors["invoices"] = _("At most 50 invoice numbers, separated by commas.")
    memo = _memo_error(form, "memo", errors)
    if errors:
        return _income_page(code, status=422, income_form=form, income_errors=errors)
    assert amount is not None and when is not None
    try:
        entry = public_income_as(
            current_runtime(),
            require_staff(),
            code,
            kind=form["kind"],
            amount_fen=amount,
            value_date=when,
            bank_reference=reference,
            invoices=invoices,
            memo=memo,
        )
    except DomainError as error:
        return _income_page(
            code, status=status_for(error), income_form=form, income_error=error_text(error)
        )
    flash(_("Recorded as entry %(number)s.", number=entry.number), "ok")
    return redirect(url_for("ledger_funds.public_income", code=code))


@bp.post("/public-income/transfer")
@staff(*TRANSFER_ROLES)
def public_income_transfer(code: str) -> ResponseReturnValue:
    form = _form("amount", "value_date", "decision", "memo")
    errors: dict[str, str] = {}
    amount = _amount_error(form, "amount", errors)
    when = _date_error(form, "value_date", errors)
    decision = form["decision"].strip()
    if not decision or text_problem(decision, max_length=200) is not None:
        errors["decision"] = _("Cite the committee's decision (at most 200 characters).")
    memo = _memo_error(form, "memo", errors)
    if errors:
        return _income_page(code, status=422, transfer_form=form, transfer_errors=errors)
    assert amount is not None and when is not None
    try:
        done = transfer_as(
            current_runtime(),
            require_staff(),
            code,
            amount_fen=amount,
            value_date=when,
            decision=decision,
            memo=memo,
        )
    except DomainError as error:
        return _income_page(
            code, status=status_for(error), transfer_form=form, transfer_error=error_text(error)
        )
    flash(
        _(
            "%(amount)s yuan of public income transferred into the fund, credited to "
            "%(units)s units by area (entry %(number)s).",
            amount=format_hundredths(amount, grouping=True),
            units=sum(1 for share in done.shares.values() if share),
            number=done.entry.number,
        ),
        "ok",
    )
    return redirect(url_for("ledger_funds.public_income", code=code))
