"""Money into the maintenance fund and public income: deposits (one by one and from a bank
statement), top-up alerts, interest, bank reconciliation, public income, its costs and its
transfer into the fund (DOMAIN.md sections 5 and 6).

Every step takes the caller's unit of work, never commits, and moves money only through
:func:`ledger.journal.post_entry` (balanced, bounded, idempotent, logged). Who may act is a
fact the composition root passes in (``may_record``, ``may_transfer``): ``ledger`` knows no
staff accounts. The rules themselves are pure, in :mod:`ledger.funds_rules`.

Choices, and why:

- **A statement import posts one entry for the whole file.** The file is one bank document
  and the import is all-or-nothing, so one entry (debit 1001 with the file's total, credit
  each unit's sub-account per row) says exactly that, carries the file's SHA-256
  (``statement_sha256``) and is idempotent under the key ``statement:<sha256>``: the same file
  imported twice posts once. It also costs one log append instead of one per row (a
  50,000-row file stays quick). Each row keeps its own bank reference, date, amount and unit
  in ``ledger_deposit`` (:mod:`ledger.funds_models`), which is what reconciliation and the
  top-up baseline read. The entry's value date is the latest row's date.
- **First deposit.** A unit has at most one first deposit that counts (one not reversed);
  the form says which a deposit is, and an imported row is the first when the unit has none
  yet (nor an earlier row of the file), a top-up otherwise.
- **Public income stays in its income and cost accounts; a transfer debits 3101.** No closing
  entries: the income accounts (4101-4109) and the costs (5101) keep their running totals,
  which the quarterly statement reads, and a transfer into the fund debits the owners'
  public-income balance (3101) directly. The balance available to transfer or spend is the
  net credit of 3101, 4101-4109 and 5101 together, never allowed below zero
  (``PublicIncomeShort``); the cash moves from 1002 to 1001 in the same entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from estate.api import Fen, UnreadableTable, apportion, read_table
from estate.models import Unit
from ledger.chart import STANDARD_BY_KIND, UNIT_SUBACCOUNT, unit_account_code
from ledger.errors import N_, BooksNotOpen, InvalidEntry
from ledger.funds_errors import (
    DuplicateBankReference,
    FirstDepositExists,
    FundOperationForbidden,
    NothingToAllocate,
    PublicIncomeShort,
    StatementProblem,
    StatementRejected,
    UnitNotInBooks,
)
from ledger.funds_models import LedgerDeposit
from ledger.funds_rules import (
    MAX_REFERENCE,
    BookItem,
    StatementLine,
    allocate_interest,
    check_period,
    is_bank_reference,
    match_statement,
    parse_statement,
    top_up_floor_fen,
)
from ledger.journal import (
    EntryInfo,
    community_row,
    entry_under_key,
    get_entry,
    lock_balances,
    post_entry,
)
from ledger.models import JournalEntry, LedgerAccount, Posting
from ledger.posting_rules import MAX_AMOUNT_FEN, PostingLine
from notary.work import UnitOfWork

FUND_BANK = STANDARD_BY_KIND["fund_bank"].code
PUBLIC_INCOME_BANK = STANDARD_BY_KIND["public_income_bank"].code
PUBLIC_INCOME_BALANCE = STANDARD_BY_KIND["public_income_balance"].code
PUBLIC_INCOME_COSTS = STANDARD_BY_KIND["public_income_costs"].code
PUBLIC_INCOME_KINDS: dict[str, str] = {
    "parking": STANDARD_BY_KIND["public_income_parking"].code,
    "advertising": STANDARD_BY_KIND["public_income_advertising"].code,
    "leasing": STANDARD_BY_KIND["public_income_leasing"].code,
    "other": STANDARD_BY_KIND["public_income_other"].code,
}
"""Kinds of public income and the income account each is credited to."""
RECONCILED_ACCOUNTS = (FUND_BANK, PUBLIC_INCOME_BANK)
"""The dedicated bank accounts a statement is reconciled against."""
_PUBLIC_INCOME_ACCOUNTS = (
    PUBLIC_INCOME_BALANCE,
    *PUBLIC_INCOME_KINDS.values(),
    PUBLIC_INCOME_COSTS,
)


# -- values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositInfo:
    """One recorded deposit."""

    entry: int
    unit_code: str
    value_date: date
    amount_fen: int
    bank_reference: str
    is_first: bool
    is_reversed: bool


@dataclass(frozen=True)
class StatementImport:
    """What a statement import posted: its entry, rows and total; ``is_replay`` when the
    same file had been imported before and nothing new was posted."""

    entry: EntryInfo
    statement_sha256: str
    rows: int
    first_deposits: int
    total_fen: int
    is_replay: bool


@dataclass(frozen=True)
class TopUpAlert:
    """A unit due a top-up (续筹): what it holds, its first deposit, and the least balance
    that is not due (30% of the first deposit, rounded up)."""

    unit_code: str
    balance_fen: int
    first_deposit_fen: int
    floor_fen: int

    @property
    def shortfall_fen(self) -> int:
        return self.floor_fen - self.balance_fen


@dataclass(frozen=True)
class InterestAllocation:
    """An interest entry and each unit's product and share."""

    entry: EntryInfo
    start: date
    end: date
    products: dict[str, int]
    shares: dict[str, int]


@dataclass(frozen=True)
class ReconciliationReport:
    """A bank account's book balance at a date beside the statement's, the difference
    (statement minus books), and, for a statement file, what matched nothing."""

    account: str
    at: date
    book_balance_fen: int
    statement_balance_fen: int | None
    unmatched_lines: tuple[StatementLine, ...]
    unmatched_items: tuple[BookItem, ...]
    lines_read: int
    items_read: int

    @property
    def difference_fen(self) -> int | None:
        if self.statement_balance_fen is None:
            return None
        return self.statement_balance_fen - self.book_balance_fen


@dataclass(frozen=True)
class PublicIncomeSummary:
    """Public income's running totals: income by kind, costs, transferred into the fund,
    what remains for the owners, and the bank account's balance."""

    income_fen: dict[str, int]
    costs_fen: int
    transferred_fen: int
    available_fen: int
    bank_fen: int


@dataclass(frozen=True)
class PublicIncomeTransfer:
    """A transfer of public income into the fund: its entry and each unit's share."""

    entry: EntryInfo
    shares: dict[str, int]


# -- helpers --------------------------------------------------------------------------------


def _community_id(s: Session, community_code: str) -> int:
    return community_row(s, community_code).id


def _serialise(s: Session, community_id: int, what: str) -> None:
    """Serialise a community's operations of one kind on PostgreSQL (a transaction-scoped
    advisory lock); SQLite has one writer already."""
    if s.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"ledger-{what}:{community_id}".encode()).digest()
    s.execute(
        sa.text("SELECT pg_advisory_xact_lock(:k)"),
        {"k": int.from_bytes(digest[:8], "big", signed=True)},
    )


def _not_reversed() -> sa.ColumnElement[bool]:
    reversal = aliased(JournalEntry)
    return ~sa.exists().where(reversal.reverses_id == LedgerDeposit.entry_id)


def check_amount(amount_fen: int) -> None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidEntry(N_("The amount is not whole fen."))
    if not 0 < amount_fen <= MAX_AMOUNT_FEN:
        raise InvalidEntry(N_("The amount must be more than zero and within bounds."))


def unit_id_of(s: Session, community_id: int, unit_code: str) -> int:
    """The id of the community's unit ``unit_code``; ``UnitNotInBooks`` when there is none."""
    unit_id = s.scalar(
        sa.select(Unit.id).where(Unit.community_id == community_id, Unit.code == unit_code)
    )
    if unit_id is None:
        raise UnitNotInBooks(
            N_("There is no unit %(unit)s in this community."), unit=str(unit_code)[:64]
        )
    return int(unit_id)


def check_reference(reference: str, *, required: bool) -> str:
    reference = reference.strip()
    if not reference and not required:
        return ""
    if not is_bank_reference(reference):
        raise InvalidEntry(
            N_("The bank reference must be 1 to %(max)s letters, digits or . _ : / -"),
            max=MAX_REFERENCE,
        )
    return reference


def unit_codes(uow: UnitOfWork, community_code: str) -> dict[str, int]:
    """The community's units: code -> unit id (``BooksNotOpen`` for an unknown community)."""
    s = uow.session
    community_id = _community_id(s, community_code)
    return dict(
        s.execute(sa.select(Unit.code, Unit.id).where(Unit.community_id == community_id)).all()
    )


def _active_references(s: Session, community_id: int, references: Sequence[str]) -> set[str]:
    found: set[str] = set()
    refs = sorted(set(references))
    for start in range(0, len(refs), 5_000):
        found.update(
            s.scalars(
                sa.select(LedgerDeposit.bank_reference).where(
                    LedgerDeposit.community_id == community_id,
                    LedgerDeposit.bank_reference.in_(refs[start : start + 5_000]),
                    _not_reversed(),
                )
            )
        )
    return found


def _units_with_first(s: Session, community_id: int, unit_id: int | None = None) -> set[int]:
    """The units (of the community, or just ``unit_id``) with a first deposit that stands."""
    query = sa.select(LedgerDeposit.unit_id).where(
        LedgerDeposit.community_id == community_id,
        LedgerDeposit.is_first,
        _not_reversed(),
    )
    if unit_id is not None:
        query = query.where(LedgerDeposit.unit_id == unit_id)
    return set(s.scalars(query))


# -- deposits -------------------------------------------------------------------------------


def record_deposit(
    uow: UnitOfWork,
    *,
    community_code: str,
    may_record: bool,
    unit_code: str,
    amount_fen: int,
    value_date: date,
    bank_reference: str,
    is_first: bool,
    memo: str = "",
) -> EntryInfo:
    """Record one deposit into a unit's sub-account: debit the fund's bank account (1001),
    credit ``2101.<unit>``, and keep the deposit's row (reference, first or top-up).

    Guarantees: only whoever holds the fund records it (``may_record``, else
    ``FundOperationForbidden``); the unit exists (``UnitNotInBooks``); the amount is positive
    whole fen and the bank reference well-formed (``InvalidEntry``); the reference is not
    already recorded for a deposit that stands (``DuplicateBankReference``); a first deposit
    only for a unit without one (``FirstDepositExists``). Deposits of a community are
    serialised, so two concurrent calls cannot both pass these checks. Never commits."""
    if not may_record:
        raise FundOperationForbidden(
            N_("Only whoever holds the fund records deposits into the sub-accounts.")
        )
    s = uow.session
    community_id = _community_id(s, community_code)
    check_amount(amount_fen)
    reference = check_reference(bank_reference, required=True)
    unit_id = unit_id_of(s, community_id, unit_code)
    _serialise(s, community_id, "deposits")
    if _active_references(s, community_id, [reference]):
        raise DuplicateBankReference(
            N_("A deposit with the bank reference %(reference)s is already recorded."),
            reference=reference,
        )
    if is_first and _units_with_first(s, community_id, unit_id):
        raise FirstDepositExists(
            N_("Unit %(unit)s already has a first deposit; record this one as a top-up."),
            unit=unit_code,
        )
    entry = post_entry(
        uow,
        community_code=community_code,
        kind="deposit",
        value_date=value_date,
        lines=[
            PostingLine(FUND_BANK, amount_fen),
            PostingLine(unit_account_code(UNIT_SUBACCOUNT, unit_code), -amount_fen),
        ],
        memo=memo,
        documents={"bank_reference": reference},
    )
    s.execute(
        sa.insert(LedgerDeposit).values(
            community_id=community_id,
            entry_id=entry.number,
            unit_id=unit_id,
            value_date=value_date,
            amount_fen=amount_fen,
            bank_reference=reference,
            is_first=is_first,
        )
    )
    return entry


def _statement_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        table = read_table(data, filename)
    except UnreadableTable as exc:
        problem = StatementProblem(
            line=exc.line, field=exc.field, message=exc.message, params=dict(exc.params)
        )
        raise StatementRejected([problem]) from None
    return table.header, table.records


def _rejected(problems: list[StatementProblem]) -> StatementRejected:
    return StatementRejected(problems)


def import_statement(
    uow: UnitOfWork,
    *,
    community_code: str,
    may_record: bool,
    data: bytes,
    filename: str = "statement.csv",
    memo: str = "",
) -> StatementImport:
    """Import a bank statement file (CSV or XLSX, ``date,unit,amount,reference``, one deposit
    a row, amounts in yuan) as deposits: all or nothing.

    Guarantees: only whoever holds the fund imports (``FundOperationForbidden``); a file that
    is unreadable, too large, or has any bad row is refused with ``StatementRejected`` naming
    every problem with its line and field (unknown unit, bad date or amount, a reference
    malformed, repeated in the file or already recorded) and nothing is written; otherwise
    one entry (see the module docstring) with every row's deposit. The same file imported
    again returns the first import (``is_replay``) and posts nothing. Never commits."""
    if not may_record:
        raise FundOperationForbidden(
            N_("Only whoever holds the fund records deposits into the sub-accounts.")
        )
    s = uow.session
    community_id = _community_id(s, community_code)
    digest = hashlib.sha256(data).hexdigest()
    key = f"statement:{digest}"
    _serialise(s, community_id, "deposits")
    earlier = entry_under_key(s, community_id, key)
    header, records = _statement_table(data, filename)
    units = unit_codes(uow, community_code)
    if earlier is not None:
        rows = s.execute(
            sa.select(LedgerDeposit.amount_fen, LedgerDeposit.is_first).where(
                LedgerDeposit.entry_id == earlier
            )
        ).all()
        return StatementImport(
            entry=_replayed(get_entry(uow, community_code, earlier)),
            statement_sha256=digest,
            rows=len(rows),
            first_deposits=sum(1 for r in rows if r.is_first),
            total_fen=sum(int(r.amount_fen) for r in rows),
            is_replay=True,
        )
    columns = [h.strip().lower() for h in header]
    at = columns.index("reference") if "reference" in columns else None
    references = [
        cells[at].strip() for _line, cells in records if at is not None and at < len(cells)
    ]
    known = _active_references(s, community_id, references)
    lines, problems = parse_statement(header, records, unit_codes=units, known_references=known)
    if problems:
        raise _rejected(problems)
    has_first = _units_with_first(s, community_id)
    firsts: list[bool] = []
    for line in lines:
        unit_id = units[line.unit_code]
        firsts.append(unit_id not in has_first)
        has_first.add(unit_id)
    total = sum(line.amount_fen for line in lines)
    if total > MAX_AMOUNT_FEN:
        raise _rejected(
            [
                StatementProblem(
                    1, "amount", N_("The file's total is beyond what one entry may post."), {}
                )
            ]
        )
    entry = post_entry(
        uow,
        community_code=community_code,
        kind="deposit",
        value_date=max(line.value_date for line in lines),
        lines=[
            PostingLine(FUND_BANK, total),
            *(
                PostingLine(unit_account_code(UNIT_SUBACCOUNT, line.unit_code), -line.amount_fen)
                for line in lines
            ),
        ],
        memo=memo,
        documents={"statement_sha256": digest},
        idempotency_key=key,
    )
    s.execute(
        sa.insert(LedgerDeposit),
        [
            {
                "community_id": community_id,
                "entry_id": entry.number,
                "unit_id": units[line.unit_code],
                "value_date": line.value_date,
                "amount_fen": line.amount_fen,
                "bank_reference": line.reference,
                "is_first": first,
                "line": line.line,
            }
            for line, first in zip(lines, firsts, strict=True)
        ],
    )
    return StatementImport(
        entry=entry,
        statement_sha256=digest,
        rows=len(lines),
        first_deposits=sum(firsts),
        total_fen=total,
        is_replay=False,
    )


def _replayed(entry: EntryInfo) -> EntryInfo:
    return replace(entry, is_replay=True)


def deposits(
    uow: UnitOfWork, community_code: str, *, unit_code: str | None = None, limit: int = 100
) -> list[DepositInfo]:
    """The community's latest deposits (or one unit's), newest first, at most ``limit``."""
    s = uow.session
    community_id = _community_id(s, community_code)
    reversal = aliased(JournalEntry)
    query = (
        sa.select(
            LedgerDeposit.entry_id,
            Unit.code,
            LedgerDeposit.value_date,
            LedgerDeposit.amount_fen,
            LedgerDeposit.bank_reference,
            LedgerDeposit.is_first,
            sa.exists().where(reversal.reverses_id == LedgerDeposit.entry_id),
        )
        .join(Unit, Unit.id == LedgerDeposit.unit_id)
        .where(LedgerDeposit.community_id == community_id)
        .order_by(LedgerDeposit.value_date.desc(), LedgerDeposit.id.desc())
        .limit(max(1, min(limit, 1_000)))
    )
    if unit_code is not None:
        query = query.where(Unit.code == unit_code)
    return [
        DepositInfo(
            entry=row[0],
            unit_code=row[1],
            value_date=row[2],
            amount_fen=int(row[3]),
            bank_reference=row[4],
            is_first=bool(row[5]),
            is_reversed=bool(row[6]),
        )
        for row in s.execute(query)
    ]


def top_up_alerts(uow: UnitOfWork, community_code: str) -> list[TopUpAlert]:
    """Units whose sub-account holds less than 30% of their first deposit (Decree 165
    art. 17), in ordinal unit-code order. Decided in SQL by integer cross-multiplication,
    the same rule as :func:`ledger.funds_rules.is_top_up_due`; a unit with no first deposit
    that stands is never listed."""
    s = uow.session
    community_id = _community_id(s, community_code)
    natural = -LedgerAccount.balance_fen
    rows = s.execute(
        sa.select(Unit.code, natural, LedgerDeposit.amount_fen)
        .join(LedgerDeposit, LedgerDeposit.unit_id == Unit.id)
        .join(
            LedgerAccount,
            sa.and_(
                LedgerAccount.unit_id == Unit.id,
                LedgerAccount.kind == UNIT_SUBACCOUNT.kind,
            ),
        )
        .where(
            LedgerDeposit.community_id == community_id,
            LedgerDeposit.is_first,
            _not_reversed(),
            natural * 10 < LedgerDeposit.amount_fen * 3,
        )
    ).all()
    alerts = [
        TopUpAlert(
            unit_code=code,
            balance_fen=int(balance),
            first_deposit_fen=int(first),
            floor_fen=top_up_floor_fen(int(first)),
        )
        for code, balance, first in rows
    ]
    return sorted(alerts, key=lambda a: a.unit_code)


# -- interest -------------------------------------------------------------------------------


def _days_after(s: Session, end: date, column: Any) -> sa.ColumnElement[int]:
    """``end - column`` in whole days, in SQL."""
    if s.get_bind().dialect.name == "postgresql":
        return sa.literal(end, sa.Date) - column
    return sa.cast(sa.func.julianday(end.isoformat()) - sa.func.julianday(column), sa.Integer)


def daily_balance_products(
    uow: UnitOfWork, community_code: str, start: date, end: date
) -> dict[str, int]:
    """Each unit sub-account's daily-balance product (积数) over ``[start, end]`` (unit code
    -> product, units whose product is zero left out), by one SQL aggregate over postings:
    ``sum(natural amount * days in the period)`` for postings before ``start`` plus
    ``sum(natural amount * (end - value_date + 1))`` for postings inside; later postings do
    not count. Equal to :func:`ledger.funds_rules.daily_balance_product` on every account."""
    check_period(start, end)
    s = uow.session
    community_id = _community_id(s, community_code)
    days = (end - start).days + 1
    weight = sa.case(
        (Posting.value_date < start, days),
        else_=_days_after(s, end, Posting.value_date) + 1,
    )
    product = sa.func.sum(-Posting.amount_fen * weight)
    rows = s.execute(
        sa.select(Unit.code, product)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .join(Unit, Unit.id == LedgerAccount.unit_id)
        .where(
            Posting.community_id == community_id,
            LedgerAccount.kind == UNIT_SUBACCOUNT.kind,
            Posting.value_date <= end,
        )
        .group_by(Unit.code)
    ).all()
    return {code: int(value) for code, value in rows if value}


def allocate_interest_entry(
    uow: UnitOfWork,
    *,
    community_code: str,
    may_record: bool,
    start: date,
    end: date,
    amount_fen: int,
    value_date: date | None = None,
    bank_reference: str = "",
    memo: str = "",
) -> InterestAllocation:
    """Credit the interest the bank paid for ``[start, end]`` to the sub-accounts in
    proportion to their daily-balance products (debit 1001, credit each ``2101.<unit>``; see
    :func:`ledger.funds_rules.allocate_interest` for the rounding).

    Guarantees: only whoever holds the fund records it (``FundOperationForbidden``); the
    period is sound (``InvalidEntry``); the shares sum to the amount; units with a zero
    product get nothing; no sub-account held anything (``NothingToAllocate``) is refused.
    A period is allocated once: the entry's idempotency key is ``interest:<start>:<end>``,
    so a retry returns the first allocation and a second allocation with another amount is
    refused (``IdempotencyConflict``). Dated ``value_date`` (the period's end by default).
    Never commits."""
    if not may_record:
        raise FundOperationForbidden(
            N_("Only whoever holds the fund records the interest it earns.")
        )
    check_amount(amount_fen)
    check_period(start, end)
    when = value_date or end
    if when < start:
        raise InvalidEntry(N_("The interest cannot be dated before its period starts."))
    reference = check_reference(bank_reference, required=False)
    s = uow.session
    community_id = _community_id(s, community_code)
    _serialise(s, community_id, "interest")
    products = daily_balance_products(uow, community_code, start, end)
    if not products:
        raise NothingToAllocate(
            N_("No sub-account held anything from %(start)s to %(end)s."),
            start=start.isoformat(),
            end=end.isoformat(),
        )
    shares = allocate_interest(amount_fen, products)
    documents: dict[str, str] = {"period": f"{start.isoformat()}/{end.isoformat()}"}
    if reference:
        documents["bank_reference"] = reference
    entry = post_entry(
        uow,
        community_code=community_code,
        kind="interest",
        value_date=when,
        lines=[
            PostingLine(FUND_BANK, amount_fen),
            *(
                PostingLine(unit_account_code(UNIT_SUBACCOUNT, code), -share)
                for code, share in shares.items()
                if share
            ),
        ],
        memo=memo,
        documents=documents,
        idempotency_key=f"interest:{start.isoformat()}:{end.isoformat()}",
    )
    return InterestAllocation(entry=entry, start=start, end=end, products=products, shares=shares)


# -- reconciliation -------------------------------------------------------------------------


def book_balance(uow: UnitOfWork, community_code: str, account: str, at: date) -> int:
    """The balance (debits minus credits) of ``account`` from every posting dated on or
    before ``at``."""
    s = uow.session
    community_id = _community_id(s, community_code)
    total = s.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Posting.amount_fen), 0))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(
            LedgerAccount.community_id == community_id,
            LedgerAccount.code == account,
            Posting.value_date <= at,
        )
    )
    return int(total or 0)


def _book_items(
    s: Session, community_id: int, account: str, start: date, end: date
) -> list[BookItem]:
    rows = s.execute(
        sa.select(
            JournalEntry.id,
            JournalEntry.value_date,
            JournalEntry.documents,
            sa.func.sum(Posting.amount_fen),
        )
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(
            JournalEntry.community_id == community_id,
            LedgerAccount.code == account,
            JournalEntry.value_date >= start,
            JournalEntry.value_date <= end,
        )
        .group_by(JournalEntry.id, JournalEntry.value_date, JournalEntry.documents)
        .order_by(JournalEntry.value_date, JournalEntry.id)
    ).all()
    expanded: dict[int, list[BookItem]] = {}
    if account == FUND_BANK and rows:
        ids = [row[0] for row in rows]
        for start_at in range(0, len(ids), 5_000):
            for entry_id, value_date, reference, amount in s.execute(
                sa.select(
                    LedgerDeposit.entry_id,
                    LedgerDeposit.value_date,
                    LedgerDeposit.bank_reference,
                    LedgerDeposit.amount_fen,
                )
                .where(LedgerDeposit.entry_id.in_(ids[start_at : start_at + 5_000]))
                .order_by(LedgerDeposit.id)
            ):
                expanded.setdefault(entry_id, []).append(
                    BookItem(entry_id, value_date, reference, int(amount))
                )
    items: list[BookItem] = []
    for entry_id, value_date, documents, amount in rows:
        if entry_id in expanded:
            items.extend(expanded[entry_id])
            continue
        try:
            reference = json.loads(documents or "{}").get("bank_reference", "")
        except (ValueError, AttributeError):
            reference = ""
        items.append(BookItem(entry_id, value_date, str(reference), int(amount)))
    return items


def reconcile(
    uow: UnitOfWork,
    *,
    community_code: str,
    account: str,
    at: date,
    statement_balance_fen: int | None = None,
    data: bytes | None = None,
    filename: str = "statement.csv",
) -> ReconciliationReport:
    """Reconcile a dedicated bank account (1001 the fund's, 1002 public income's) with the
    bank: its book balance at ``at`` beside the statement's balance, and, with a statement
    file (``date,unit,amount,reference``, amounts signed, the unit optional), the statement
    lines no book item matches by bank reference and amount and the book items between the
    statement's first date and ``at`` no line matches (a deposit import counts row by row).
    Reads only. ``InvalidEntry`` for another account; ``StatementRejected`` naming every bad
    row for a bad file."""
    if account not in RECONCILED_ACCOUNTS:
        raise InvalidEntry(
            N_("Only the bank accounts %(accounts)s are reconciled."),
            accounts=", ".join(RECONCILED_ACCOUNTS),
        )
    s = uow.session
    community_id = _community_id(s, community_code)
    balance = book_balance(uow, community_code, account, at)
    if data is None:
        return ReconciliationReport(account, at, balance, statement_balance_fen, (), (), 0, 0)
    header, records = _statement_table(data, filename)
    lines, problems = parse_statement(header, records, unit_codes=None, signed=True)
    if problems:
        raise _rejected(problems)
    late = [line for line in lines if line.value_date > at]
    if late:
        raise _rejected(
            [
                StatementProblem(
                    line.line,
                    "date",
                    N_("The line is dated after the reconciliation date %(date)s."),
                    {"date": at.isoformat()},
                )
                for line in late
            ]
        )
    start = min(line.value_date for line in lines)
    items = _book_items(s, community_id, account, start, at)
    matched = match_statement(lines, items)
    return ReconciliationReport(
        account=account,
        at=at,
        book_balance_fen=balance,
        statement_balance_fen=statement_balance_fen,
        unmatched_lines=matched.unmatched_lines,
        unmatched_items=matched.unmatched_items,
        lines_read=len(lines),
        items_read=len(items),
    )


# -- public income --------------------------------------------------------------------------


def _account_balances(s: Session, community_id: int, codes: Sequence[str]) -> dict[str, int]:
    return {
        code: int(balance)
        for code, balance in s.execute(
            sa.select(LedgerAccount.code, LedgerAccount.balance_fen).where(
                LedgerAccount.community_id == community_id,
                LedgerAccount.code.in_(list(codes)),
            )
        )
    }


def _summary(balances: Mapping[str, int]) -> PublicIncomeSummary:
    income = {kind: -balances.get(code, 0) for kind, code in PUBLIC_INCOME_KINDS.items()}
    costs = balances.get(PUBLIC_INCOME_COSTS, 0)
    transferred = balances.get(PUBLIC_INCOME_BALANCE, 0)
    available = -sum(balances.get(code, 0) for code in _PUBLIC_INCOME_ACCOUNTS)
    return PublicIncomeSummary(
        income_fen=income,
        costs_fen=costs,
        transferred_fen=transferred,
        available_fen=available,
        bank_fen=balances.get(PUBLIC_INCOME_BANK, 0),
    )


def public_income_summary(uow: UnitOfWork, community_code: str) -> PublicIncomeSummary:
    """Public income's running totals now (income by kind, costs, transferred, what remains
    for the owners: the net credit of 3101, 4101-4109 and 5101, and the bank balance)."""
    s = uow.session
    community_id = _community_id(s, community_code)
    return _summary(
        _account_balances(s, community_id, [*_PUBLIC_INCOME_ACCOUNTS, PUBLIC_INCOME_BANK])
    )


def take_public_income(uow: UnitOfWork, community_id: int, amount_fen: int) -> None:
    """Check that the owners' public-income balance covers ``amount_fen`` about to be taken
    from it (a cost, a transfer into the fund, money committed to a project), with its bank
    account's row locked until the commit so the check stays true until the step posts and
    concurrent takers queue; ``PublicIncomeShort`` otherwise, ``BooksNotOpen`` without the
    books."""
    available = _lock_public_income(uow.session, uow, community_id).available_fen
    if amount_fen > available:
        raise PublicIncomeShort(
            N_("Public income holds %(available)s yuan, less than the %(amount)s yuan asked."),
            available=Fen(available),
            amount=Fen(amount_fen),
        )


def _lock_public_income(s: Session, uow: UnitOfWork, community_id: int) -> PublicIncomeSummary:
    bank_id = s.scalar(
        sa.select(LedgerAccount.id).where(
            LedgerAccount.community_id == community_id,
            LedgerAccount.code == PUBLIC_INCOME_BANK,
        )
    )
    if bank_id is None:
        raise BooksNotOpen(N_("The books of this community are not open."))
    lock_balances(uow, [bank_id])
    return _summary(
        _account_balances(s, community_id, [*_PUBLIC_INCOME_ACCOUNTS, PUBLIC_INCOME_BANK])
    )


def _invoices(invoices: Sequence[str]) -> dict[str, object]:
    cleaned = [i.strip() for i in invoices if i.strip()]
    return {"invoices": cleaned} if cleaned else {}


def record_public_income(
    uow: UnitOfWork,
    *,
    community_code: str,
    may_record: bool,
    kind: str,
    amount_fen: int,
    value_date: date,
    bank_reference: str = "",
    invoices: Sequence[str] = (),
    memo: str = "",
    idempotency_key: str | None = None,
) -> EntryInfo:
    """Record public income received: debit the public-income bank account (1002), credit
    the income account of its ``kind`` (parking 4101, advertising 4102, leasing 4103, other
    4109). Only the manager or the committee (``may_record``, else
    ``FundOperationForbidden``); ``InvalidEntry`` for an unknown kind, amount or reference.
    Never commits."""
    if not may_record:
        raise FundOperationForbidden(
            N_("Only the property manager or the committee records public income.")
        )
    if kind not in PUBLIC_INCOME_KINDS:
        raise InvalidEntry(N_("Unknown kind of public income %(kind)s."), kind=str(kind)[:40])
    check_amount(amount_fen)
    reference = check_reference(bank_reference, required=False)
    documents: dict[str, object] = _invoices(invoices)
    if reference:
        documents["bank_reference"] = reference
    return post_entry(
        uow,
        community_code=community_code,
        kind="public_income",
        value_date=value_date,
        lines=[
            PostingLine(PUBLIC_INCOME_BANK, amount_fen),
            PostingLine(PUBLIC_INCOME_KINDS[kind], -amount_fen),
        ],
        memo=memo,
        documents=documents,
        idempotency_key=idempotency_key,
    )


def record_public_income_cost(
    uow: UnitOfWork,
    *,
    community_code: str,
    may_record: bool,
    amount_fen: int,
    value_date: date,
    bank_reference: str = "",
    invoices: Sequence[str] = (),
    memo: str = "",
    idempotency_key: str | None = None,
) -> EntryInfo:
    """Record a reasonable cost paid out of public income: debit 5101, credit 1002. Only the
    manager or the committee (``FundOperationForbidden``); the owners' public-income balance
    never goes below zero (``PublicIncomeShort``), nor the bank account
    (``InsufficientFunds``). Never commits."""
    if not may_record:
        raise FundOperationForbidden(
            N_("Only the property manager or the committee records public income.")
        )
    check_amount(amount_fen)
    reference = check_reference(bank_reference, required=False)
    s = uow.session
    take_public_income(uow, _community_id(s, community_code), amount_fen)
    documents: dict[str, object] = _invoices(invoices)
    if reference:
        documents["bank_reference"] = reference
    return post_entry(
        uow,
        community_code=community_code,
        kind="public_income_cost",
        value_date=value_date,
        lines=[
            PostingLine(PUBLIC_INCOME_COSTS, amount_fen),
            PostingLine(PUBLIC_INCOME_BANK, -amount_fen),
        ],
        memo=memo,
        documents=documents,
        idempotency_key=idempotency_key,
    )


def transfer_public_income(
    uow: UnitOfWork,
    *,
    community_code: str,
    may_transfer: bool,
    amount_fen: int,
    value_date: date,
    decision: str,
    memo: str = "",
    idempotency_key: str | None = None,
) -> PublicIncomeTransfer:
    """Transfer public income into the maintenance fund, as the committee decided: one entry
    debiting the owners' public-income balance (3101) and crediting every unit's
    sub-account its share by area over all the community's units (``estate``'s
    ``apportion``: largest remainder, ties by unit code), and moving the cash (debit 1001,
    credit 1002).

    Guarantees: only the committee (``may_transfer``, else ``FundOperationForbidden``); the
    decision is cited (``InvalidEntry``); the amount never exceeds the public-income balance
    (``PublicIncomeShort``; checked under the public-income bank account's lock); the shares
    sum to the amount; a community without units is refused (``InvalidEntry``). Never
    commits."""
    if not may_transfer:
        raise FundOperationForbidden(
            N_("Only the committee transfers public income into the maintenance fund.")
        )
    check_amount(amount_fen)
    decision = decision.strip()
    if not decision:
        raise InvalidEntry(N_("Cite the committee's decision for the transfer."))
    s = uow.session
    community_id = _community_id(s, community_code)
    take_public_income(uow, community_id, amount_fen)
    areas = dict(
        s.execute(
            sa.select(Unit.code, Unit.area_centi).where(Unit.community_id == community_id)
        ).all()
    )
    if not areas:
        raise InvalidEntry(N_("The community has no units to credit."))
    shares = apportion(amount_fen, {code: int(area) for code, area in areas.items()})
    entry = post_entry(
        uow,
        community_code=community_code,
        kind="public_income_transfer",
        value_date=value_date,
        lines=[
            PostingLine(PUBLIC_INCOME_BALANCE, amount_fen),
            *(
                PostingLine(unit_account_code(UNIT_SUBACCOUNT, code), -share)
                for code, share in shares.items()
                if share
            ),
            PostingLine(FUND_BANK, amount_fen),
            PostingLine(PUBLIC_INCOME_BANK, -amount_fen),
        ],
        memo=memo,
        documents={"decision": decision},
        idempotency_key=idempotency_key,
    )
    return PublicIncomeTransfer(entry=entry, shares=shares)
