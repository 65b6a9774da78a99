"""Money into the fund and public income in the JSON API:
``/api/v1/communities/<code>/ledger/...``.

The same use cases as the pages (:mod:`fundvote.ledger_funds`): whoever holds the fund
records deposits, statement imports and interest; the manager or the committee record
public income and its costs; the committee transfers public income into the fund. Amounts
go in as yuan strings with at most two decimals (``"1234.56"``, never a float) and come out
as integer fen (``*_fen``). Refusals are problem+json; a rejected statement (422
``statement-rejected``) lists every problem with its line and field.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from estate.api import MAX_FILE_BYTES, BadQuantity, parse_hundredths
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ApiBlueprint
from fundvote.api.fields import Text
from fundvote.errors import error_text, problem_response, statement_problem_text, status_for
from fundvote.ledger_funds import (
    DEPOSIT_ROLES,
    PUBLIC_INCOME_ROLES,
    READ_ROLES,
    TRANSFER_ROLES,
    allocate_interest_as,
    deposit_as,
    import_statement_as,
    public_income_as,
    settle_shortfall_as,
    transfer_as,
)
from ledger.api import (
    MAX_REFERENCE,
    PUBLIC_INCOME_KINDS,
    RECONCILED_ACCOUNTS,
    EntryInfo,
    StatementRejected,
    owed_shortfalls,
    public_income_summary,
    reconcile,
    top_up_alerts,
)

blp = ApiBlueprint(
    "api_ledger_funds",
    __name__,
    url_prefix=API_PREFIX + "/communities/<code>/ledger",
    description="The fund's money in: deposits, statements, top-ups, shortfalls owed by "
    "owners, interest, reconciliation, public income",
)

_DENIED = "Not logged in, or not allowed for this community"
_YUAN = {"description": "yuan with at most two decimals, as a string", "example": "1234.56"}


def _amount(text: str) -> int:
    try:
        fen = parse_hundredths(text, grouping=True)
    except BadQuantity as exc:
        raise ValidationError("not an amount in yuan with at most two decimals") from exc
    if fen <= 0:
        raise ValidationError("must be more than zero")
    return fen


class Yuan(fields.String):
    """An amount in yuan as a string, loaded as integer fen."""

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 30:
            raise ValidationError("too long")
        return _amount(text)


class EntrySchema(Schema):
    number = fields.Integer(required=True)
    kind = fields.String(required=True)
    value_date = fields.Date(required=True)
    total_fen = fields.Integer(required=True)
    documents = fields.Dict(required=True)
    log_index = fields.Integer(required=True, allow_none=True)
    is_replay = fields.Boolean(required=True)


def _entry(entry: EntryInfo) -> dict[str, Any]:
    return {
        "number": entry.number,
        "kind": entry.kind,
        "value_date": entry.value_date,
        "total_fen": entry.total_debit_fen,
        "documents": dict(entry.documents),
        "log_index": entry.log_index,
        "is_replay": entry.is_replay,
    }


_REF = {"description": "The bank's reference of the transaction"}


class UnitPaymentInSchema(Schema):
    """What every payment for one unit gives (a deposit, a shortfall paid)."""

    unit = Text(required=True, min_length=1, max_length=64)
    amount = Yuan(required=True, metadata=_YUAN)
    value_date = fields.Date(required=True)
    bank_reference = Text(required=True, min_length=1, max_length=MAX_REFERENCE, metadata=_REF)
    memo = Text(load_default="", max_length=500)


class DepositInSchema(UnitPaymentInSchema):
    first = fields.Boolean(
        required=True, metadata={"description": "true: the unit's first deposit; false: a top-up"}
    )


class StatementUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "date,unit,amount,reference (CSV/XLSX)"})


class StatementImportSchema(Schema):
    entry = fields.Nested(EntrySchema, required=True)
    statement_sha256 = fields.String(required=True)
    rows = fields.Integer(required=True)
    first_deposits = fields.Integer(required=True)
    total_fen = fields.Integer(required=True)
    is_replay = fields.Boolean(required=True)


class TopUpSchema(Schema):
    unit = fields.String(required=True)
    balance_fen = fields.Integer(required=True)
    first_deposit_fen = fields.Integer(required=True)
    floor_fen = fields.Integer(required=True)
    shortfall_fen = fields.Integer(required=True)


class OwedShortfallSchema(Schema):
    unit = fields.String(required=True)
    owed_fen = fields.Integer(
        required=True, metadata={"description": "What the unit's owner owes for shortfalls"}
    )


class ShortfallPaymentInSchema(UnitPaymentInSchema):
    idempotency_key = Text(load_default=None, allow_none=True, max_length=128)


class InterestInSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    amount = Yuan(required=True, metadata=_YUAN)
    value_date = fields.Date(load_default=None, allow_none=True)
    bank_reference = Text(load_default="", max_length=MAX_REFERENCE)
    memo = Text(load_default="", max_length=500)


class InterestSchema(Schema):
    entry = fields.Nested(EntrySchema, required=True)
    products = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    shares_fen = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ReconcileQuerySchema(Schema):
    account = fields.String(load_default="1001", validate=validate.OneOf(RECONCILED_ACCOUNTS))
    at = fields.Date(required=True)
    statement_balance = fields.String(
        load_default=None, allow_none=True, metadata={**_YUAN, "description": "signed yuan"}
    )


class ItemSchema(Schema):
    entry = fields.Integer(required=True)
    value_date = fields.Date(required=True)
    reference = fields.String(required=True)
    amount_fen = fields.Integer(required=True)


class LineSchema(Schema):
    line = fields.Integer(required=True)
    value_date = fields.Date(required=True)
    reference = fields.String(required=True)
    amount_fen = fields.Integer(required=True)


class ReconciliationSchema(Schema):
    account = fields.String(required=True)
    at = fields.Date(required=True)
    book_balance_fen = fields.Integer(required=True)
    statement_balance_fen = fields.Integer(required=True, allow_none=True)
    difference_fen = fields.Integer(required=True, allow_none=True)
    unmatched_lines = fields.List(fields.Nested(LineSchema), required=True)
    unmatched_entries = fields.List(fields.Nested(ItemSchema), required=True)


class PublicIncomeInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([*PUBLIC_INCOME_KINDS, "cost"]))
    amount = Yuan(required=True, metadata=_YUAN)
    value_date = fields.Date(required=True)
    bank_reference = Text(load_default="", max_length=MAX_REFERENCE)
    invoices = fields.List(
        Text(max_length=200), load_default=list, validate=validate.Length(max=50)
    )
    memo = Text(load_default="", max_length=500)


class PublicIncomeSummarySchema(Schema):
    income_fen = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    costs_fen = fields.Integer(required=True)
    transferred_fen = fields.Integer(required=True)
    available_fen = fields.Integer(required=True)
    bank_fen = fields.Integer(required=True)


class TransferInSchema(Schema):
    amount = Yuan(required=True, metadata=_YUAN)
    value_date = fields.Date(required=True)
    decision = Text(required=True, min_length=1, max_length=200)
    memo = Text(load_default="", max_length=500)


class TransferSchema(Schema):
    entry = fields.Nested(EntrySchema, required=True)
    shares_fen = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class StatementProblemSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "1 is the header line"})
    field = fields.String(required=True, metadata={"description": "Column, or '' for the row"})
    message = fields.String(required=True, metadata={"description": "In the caller's language"})


class StatementRejectedSchema(ProblemSchema):
    problems = fields.List(
        fields.Nested(StatementProblemSchema),
        metadata={"description": "For a rejected statement: every problem, line by line"},
    )


def _rejected(exc: StatementRejected) -> Any:
    return problem_response(
        status_for(exc),
        detail=error_text(exc),
        type_=f"urn:fundvote:problem:{exc.code}",
        extra={
            "problems": [
                {"line": p.line, "field": p.field, "message": statement_problem_text(p)}
                for p in exc.problems
            ]
        },
    )


def _upload(files: dict[str, Any]) -> tuple[bytes, str]:
    upload: FileStorage = files["file"]
    name = (upload.filename or "statement.csv").replace("\\", "/").rsplit("/", 1)[-1][-100:]
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        abort(413)
    return content, name or "statement.csv"


def _errors(*codes: int) -> Any:
    def decorate(view: Any) -> Any:
        for status in codes:
            schema = StatementRejectedSchema if status == 422 else ProblemSchema
            view = blp.alt_response(status, schema=schema, description=_ERRORS[status])(view)
        return view

    return decorate


_ERRORS = {
    401: _DENIED,
    403: "Not allowed: deposits and interest by whoever holds the fund, public income by the "
    "manager or the committee, transfers by the committee (fund-operation-forbidden)",
    404: "No such community or unit",
    409: "A reference already recorded, a first deposit already made, an idempotency "
    "conflict, or not enough money",
    413: "The file is larger than 10 MB",
    422: "A bad value, or a statement rejected (every problem listed); nothing was written",
}


@blp.route("/deposits", methods=["POST"])
@blp.arguments(DepositInSchema)
@blp.response(201, EntrySchema)
@_errors(401, 403, 404, 409, 422)
@staff(*DEPOSIT_ROLES)
def post_deposit(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Record one deposit into a unit's sub-account (debit 1001, credit 2101.<unit>)."""
    require_community(code)
    entry = deposit_as(
        current_runtime(),
        require_staff(),
        code,
        unit_code=body["unit"],
        amount_fen=body["amount"],
        value_date=body["value_date"],
        bank_reference=body["bank_reference"],
        is_first=body["first"],
        memo=body["memo"],
    )
    return _entry(entry)


@blp.route("/deposits/import", methods=["POST"])
@blp.arguments(StatementUploadSchema, location="files")
@blp.response(200, StatementImportSchema)
@_errors(401, 403, 404, 409, 413, 422)
@staff(*DEPOSIT_ROLES)
def post_statement(files: dict[str, Any], code: str) -> Any:
    """Import a bank statement (multipart field ``file``): one deposit a row, every row or
    none, one entry for the file; the same file again answers the first import
    (``is_replay``)."""
    require_community(code)
    data, name = _upload(files)
    try:
        done = import_statement_as(
            current_runtime(), require_staff(), code, data=data, filename=name
        )
    except StatementRejected as exc:
        return _rejected(exc)
    return {
        "entry": _entry(done.entry),
        "statement_sha256": done.statement_sha256,
        "rows": done.rows,
        "first_deposits": done.first_deposits,
        "total_fen": done.total_fen,
        "is_replay": done.is_replay,
    }


@blp.route("/top-ups", methods=["GET"])
@blp.response(200, TopUpSchema(many=True))
@_errors(401, 403, 404)
@staff(*READ_ROLES)
def get_top_ups(code: str) -> list[dict[str, Any]]:
    """Units whose sub-account holds less than 30% of their first deposit (续筹)."""
    require_community(code)
    return [
        {
            "unit": a.unit_code,
            "balance_fen": a.balance_fen,
            "first_deposit_fen": a.first_deposit_fen,
            "floor_fen": a.floor_fen,
            "shortfall_fen": a.shortfall_fen,
        }
        for a in current_runtime().query(top_up_alerts, code)
    ]


@blp.route("/shortfalls", methods=["GET"])
@blp.response(200, OwedShortfallSchema(many=True))
@_errors(401, 403, 404)
@staff(*READ_ROLES)
def get_shortfalls(code: str) -> list[dict[str, Any]]:
    """Units whose owner owes something for shortfalls: their share of a draw that their
    sub-account could not cover (补足), in unit-code order."""
    require_community(code)
    return [
        {"unit": o.unit_code, "owed_fen": o.owed_fen}
        for o in current_runtime().query(owed_shortfalls, code)
    ]


@blp.route("/shortfalls", methods=["POST"])
@blp.arguments(ShortfallPaymentInSchema)
@blp.response(201, EntrySchema)
@_errors(401, 403, 404, 409, 422)
@staff(*DEPOSIT_ROLES)
def post_shortfall_payment(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Record what an owner paid towards their shortfalls (at most what they owe): the
    payment settles the contractor payable for them (debit 2201, credit 1202.<unit>). A
    retry with the same ``idempotency_key`` answers the first entry (``is_replay``)."""
    require_community(code)
    entry = settle_shortfall_as(
        current_runtime(),
        require_staff(),
        code,
        unit_code=body["unit"],
        amount_fen=body["amount"],
        value_date=body["value_date"],
        bank_reference=body["bank_reference"],
        memo=body["memo"],
        idempotency_key=body["idempotency_key"],
    )
    return _entry(entry)


@blp.route("/interest", methods=["POST"])
@blp.arguments(InterestInSchema)
@blp.response(201, InterestSchema)
@_errors(401, 403, 404, 409, 422)
@staff(*DEPOSIT_ROLES)
def post_interest(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Credit a period's interest to the sub-accounts by their daily-balance products."""
    require_community(code)
    done = allocate_interest_as(
        current_runtime(),
        require_staff(),
        code,
        start=body["start"],
        end=body["end"],
        amount_fen=body["amount"],
        value_date=body["value_date"],
        bank_reference=body["bank_reference"],
        memo=body["memo"],
    )
    return {"entry": _entry(done.entry), "products": done.products, "shares_fen": done.shares}


def _reconciliation(code: str, query: dict[str, Any], data: bytes | None, name: str) -> Any:
    balance = query["statement_balance"]
    statement: int | None = None
    if balance is not None:
        try:
            statement = parse_hundredths(balance[:30], signed=True, grouping=True)
        except BadQuantity:
            abort(422)
    try:
        report = current_runtime().query(
            reconcile,
            community_code=code,
            account=query["account"],
            at=query["at"],
            statement_balance_fen=statement,
            data=data,
            filename=name,
        )
    except StatementRejected as exc:
        return _rejected(exc)
    return {
        "account": report.account,
        "at": report.at,
        "book_balance_fen": report.book_balance_fen,
        "statement_balance_fen": report.statement_balance_fen,
        "difference_fen": report.difference_fen,
        "unmatched_lines": [
            {
                "line": x.line,
                "value_date": x.value_date,
                "reference": x.reference,
                "amount_fen": x.amount_fen,
            }
            for x in report.unmatched_lines
        ],
        "unmatched_entries": [
            {
                "entry": x.entry,
                "value_date": x.value_date,
                "reference": x.reference,
                "amount_fen": x.amount_fen,
            }
            for x in report.unmatched_items
        ],
    }


@blp.route("/reconciliation", methods=["GET"])
@blp.arguments(ReconcileQuerySchema, location="query")
@blp.response(200, ReconciliationSchema)
@_errors(401, 403, 404, 422)
@staff(*READ_ROLES)
def get_reconciliation(query: dict[str, Any], code: str) -> Any:
    """The bank account's book balance at ``at`` beside the statement's balance, and the
    difference (statement minus books). Reads only."""
    require_community(code)
    return _reconciliation(code, query, None, "")


@blp.route("/reconciliation", methods=["POST"])
@blp.arguments(ReconcileQuerySchema, location="query")
@blp.arguments(StatementUploadSchema, location="files")
@blp.response(200, ReconciliationSchema)
@_errors(401, 403, 404, 413, 422)
@staff(*READ_ROLES)
def post_reconciliation(query: dict[str, Any], files: dict[str, Any], code: str) -> Any:
    """As GET, with a statement file (``date,amount,reference``, signed amounts, a ``unit``
    column optional): also the lines no entry matches by reference and amount, and the
    entries no line matches. Reads only: nothing is written."""
    require_community(code)
    data, name = _upload(files)
    return _reconciliation(code, query, data, name)


@blp.route("/public-income", methods=["GET"])
@blp.response(200, PublicIncomeSummarySchema)
@_errors(401, 403, 404)
@staff(*READ_ROLES)
def get_public_income(code: str) -> dict[str, Any]:
    """Public income's totals: income by kind, costs, transferred, what remains."""
    require_community(code)
    s = current_runtime().query(public_income_summary, code)
    return {
        "income_fen": s.income_fen,
        "costs_fen": s.costs_fen,
        "transferred_fen": s.transferred_fen,
        "available_fen": s.available_fen,
        "bank_fen": s.bank_fen,
    }


@blp.route("/public-income", methods=["POST"])
@blp.arguments(PublicIncomeInSchema)
@blp.response(201, EntrySchema)
@_errors(401, 403, 404, 409, 422)
@staff(*PUBLIC_INCOME_ROLES)
def post_public_income(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Record public income received (``kind`` parking, advertising, leasing, other: debit
    1002, credit 4101-4109) or a reasonable cost paid from it (``kind`` ``cost``: debit
    5101, credit 1002)."""
    require_community(code)
    entry = public_income_as(
        current_runtime(),
        require_staff(),
        code,
        kind=body["kind"],
        amount_fen=body["amount"],
        value_date=body["value_date"],
        bank_reference=body["bank_reference"],
        invoices=body["invoices"],
        memo=body["memo"],
    )
    return _entry(entry)


@blp.route("/public-income/transfers", methods=["POST"])
@blp.arguments(TransferInSchema)
@blp.response(201, TransferSchema)
@_errors(401, 403, 404, 409, 422)
@staff(*TRANSFER_ROLES)
def post_transfer(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Transfer public income into the fund, credited to every unit's sub-account by area,
    as the committee decided (cite the decision)."""
    require_community(code)
    done = transfer_as(
        current_runtime(),
        require_staff(),
        code,
        amount_fen=body["amount"],
        value_date=body["value_date"],
        decision=body["decision"],
        memo=body["memo"],
    )
    return {"entry": _entry(done.entry), "shares_fen": done.shares}
