"""The ledger's reports, read from the journal: trial balance, balances by fund, the annual
maintenance-fund disclosure, the quarterly public-income statement, a unit's statement, and
the journal itself (paged).

Every report is a frozen dataclass of integer fen, built from postings with a value date in
its period (never from the running balances, so a report re-rendered later for the same
period gives the same figures unless an entry was back-dated into it). Guarantees, checked by
the tests on SQLite and PostgreSQL:

- the trial balance's debit and credit totals are equal;
- the disclosure's totals are the sums of its unit lines; each unit line's closing balance is
  its opening balance plus deposits, interest and transfers in, minus draws, plus other
  movements; each project's cost is the sum of its lines by source;
- the public-income statement's closing balance is its opening balance plus income, minus
  costs and transfers into the fund, plus other movements;
- a unit statement's running balance ends at the sub-account's balance at the period's end.

Large communities: every per-unit figure is one aggregate (``GROUP BY``) over the postings,
never a query per unit. A reversal counts under the kind of the entry it reverses (a reversed
draw lowers the draws), so corrections net out where they belong.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from estate.models import Community, Unit
from ledger.chart import UNIT_RECEIVABLE, UNIT_SUBACCOUNT
from ledger.journal import AccountBalance, PostedLine, balances, community_row, entry_row
from ledger.models import JournalEntry, LedgerAccount, Posting
from ledger.posting_rules import EARLIEST_DATE, LATEST_DATE
from ledger.report_errors import N_, ReportPeriodInvalid, UnitNotFound
from notary.canonical import canonical_bytes
from notary.work import UnitOfWork

UNIT_KINDS = (UNIT_SUBACCOUNT.kind, UNIT_RECEIVABLE.kind)
SOURCE_KINDS = (
    UNIT_SUBACCOUNT.kind,
    UNIT_RECEIVABLE.kind,
    "subsidy_received",
    "social_capital_received",
    "owners_direct_received",
    "public_income_balance",
)
"""Accounts a draw takes its money from, in the order of the funding sources: the units'
sub-accounts and receivables (the maintenance fund's share), subsidy, social capital,
owners paying directly, public income. A draw's debit on one of them is that source's part of
the cost."""
MAX_PERIOD_DAYS = 366 * 50
ENTRIES_PER_PAGE = 50
LINES_IN_LIST = 6
LINES_PER_PAGE = 500


# -- periods -------------------------------------------------------------------------------


def check_date(value: object, *, field: str = "date") -> date:
    """``value`` as a date within the books' range, else ``ReportPeriodInvalid`` naming
    ``field``."""
    if not isinstance(value, date) or not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ReportPeriodInvalid(
            N_("The start date must be a date from 1990-01-01 to 2100-12-31.")
            if field == "start date"
            else N_("The end date must be a date from 1990-01-01 to 2100-12-31.")
            if field == "end date"
            else N_("The date must be a date from 1990-01-01 to 2100-12-31.")
        )
    return value


def check_period(start: object, end: object) -> tuple[date, date]:
    """``(start, end)`` when both are dates in range, ``start <= end`` and the period spans at
    most fifty years; else ``ReportPeriodInvalid``."""
    first = check_date(start, field="start date")
    last = check_date(end, field="end date")
    if first > last:
        raise ReportPeriodInvalid(N_("The start date is after the end date."))
    if (last - first).days > MAX_PERIOD_DAYS:
        raise ReportPeriodInvalid(N_("A period spans at most fifty years."))
    return first, last


def year_period(year: object) -> tuple[date, date]:
    """January 1 to December 31 of ``year`` (1990-2100), else ``ReportPeriodInvalid``."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
        raise ReportPeriodInvalid(N_("The year must be from 1990 to 2100."))
    return date(year, 1, 1), date(year, 12, 31)


def quarter_period(year: object, quarter: object) -> tuple[date, date]:
    """The first and last day of ``quarter`` (1-4) of ``year``, else ``ReportPeriodInvalid``."""
    start, _ = year_period(year)
    if isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4:
        raise ReportPeriodInvalid(N_("The quarter must be 1, 2, 3 or 4."))
    first = date(start.year, 3 * quarter - 2, 1)
    following = date(start.year + 1, 1, 1) if quarter == 4 else date(start.year, 3 * quarter + 1, 1)
    return first, following - timedelta(days=1)


# -- content hash -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def report_content(report: object) -> dict[str, Any]:
    """A report as plain JSON values (dates as ISO strings): what is hashed and what the API
    sends."""
    plain = _plain(report)
    assert isinstance(plain, dict)
    return plain


def content_sha256(report: object) -> str:
    """SHA-256 (hex) of the report's canonical JSON (RFC 8785): equal figures give equal
    hashes, whenever and wherever the report is built."""
    return hashlib.sha256(canonical_bytes(report_content(report))).hexdigest()


# -- helpers ------------------------------------------------------------------------------


def _effective_kind() -> tuple[Any, sa.ColumnElement[str]]:
    """The reversed entry (aliased) and the kind a posting counts under: its entry's kind, or
    for a reversal the kind of the entry it reverses."""
    reversed_entry = aliased(JournalEntry)
    return reversed_entry, sa.func.coalesce(reversed_entry.kind, JournalEntry.kind)


def _sum(value: Any) -> int:
    return int(value or 0)


# -- trial balance ------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialBalanceLine:
    """One account of the trial balance: its balance in the debit or the credit column."""

    code: str
    name_zh: str
    name_en: str
    type: str
    fund: str
    debit_fen: int
    credit_fen: int


@dataclass(frozen=True)
class TrialBalance:
    """Every account's balance at ``as_of``; the two totals are equal."""

    community_code: str
    as_of: date
    lines: tuple[TrialBalanceLine, ...]
    total_debit_fen: int
    total_credit_fen: int


def trial_balance(uow: UnitOfWork, community_code: str, as_of: date) -> TrialBalance:
    """The trial balance of the community's books at the end of ``as_of``: every account in
    code order (one aggregate over the postings), a debit balance in the debit column and a
    credit balance in the credit column. Its totals are equal because every entry balances.
    ``BooksNotOpen`` for an unknown community, ``ReportPeriodInvalid`` for a bad date."""
    check_date(as_of, field="date")
    lines = tuple(
        TrialBalanceLine(
            code=b.code,
            name_zh=b.name_zh,
            name_en=b.name_en,
            type=b.type,
            fund=b.fund,
            debit_fen=max(b.balance_fen, 0),
            credit_fen=max(-b.balance_fen, 0),
        )
        for b in balances(uow, community_code, to=as_of)
    )
    return TrialBalance(
        community_code=community_code,
        as_of=as_of,
        lines=lines,
        total_debit_fen=sum(line.debit_fen for line in lines),
        total_credit_fen=sum(line.credit_fen for line in lines),
    )


# -- balances by fund ---------------------------------------------------------------------


@dataclass(frozen=True)
class FundLine:
    """One account, or the units' accounts of one kind together, with its balance on its
    natural side."""

    fund: str
    code: str
    name_zh: str
    name_en: str
    accounts: int
    natural_fen: int


@dataclass(frozen=True)
class FundBalances:
    """The three funds at ``as_of``: what the owners' sub-accounts hold (the maintenance
    fund), what owners owe for shortfalls, the owners' public-income balance, and each bank
    account; ``lines`` lists every account by fund (the units' accounts summed by kind)."""

    community_code: str
    as_of: date
    maintenance_fen: int
    owed_fen: int
    maintenance_bank_fen: int
    public_income_fen: int
    public_income_bank_fen: int
    project_bank_fen: int
    lines: tuple[FundLine, ...]


def public_income_equity(balance: AccountBalance) -> bool:
    """Whether the account is part of the owners' public-income balance (its net-assets,
    income and cost accounts; not its bank account)."""
    return balance.fund == "public_income" and balance.type in ("net_assets", "income", "expense")


def fund_balances(uow: UnitOfWork, community_code: str, as_of: date) -> FundBalances:
    """The community's funds at the end of ``as_of`` (one aggregate over the postings).
    The maintenance fund is what the units' sub-accounts hold together; the owners'
    public-income balance is its net-assets account plus income not yet closed, minus costs.
    ``BooksNotOpen`` for an unknown community, ``ReportPeriodInvalid`` for a bad date."""
    check_date(as_of, field="date")
    all_balances = balances(uow, community_code, to=as_of)
    grouped: dict[str, list[AccountBalance]] = defaultdict(list)
    lines: list[FundLine] = []
    for b in all_balances:
        if b.kind in UNIT_KINDS:
            grouped[b.kind].append(b)
        else:
            lines.append(FundLine(b.fund, b.code, b.name_zh, b.name_en, 1, b.natural_balance_fen))
    for spec in (UNIT_SUBACCOUNT, UNIT_RECEIVABLE):
        members = grouped.get(spec.kind, [])
        lines.append(
            FundLine(
                spec.fund,
                spec.code,
                spec.name_zh,
                spec.name_en,
                len(members),
                sum(m.natural_balance_fen for m in members),
            )
        )
    by_code = {b.code: b for b in all_balances}

    def natural(code: str) -> int:
        return by_code[code].natural_balance_fen if code in by_code else 0

    order = {"maintenance": 0, "public_income": 1, "project": 2}
    lines.sort(key=lambda line: (order.get(line.fund, 9), line.code))
    return FundBalances(
        community_code=community_code,
        as_of=as_of,
        maintenance_fen=sum(m.natural_balance_fen for m in grouped.get(UNIT_SUBACCOUNT.kind, [])),
        owed_fen=sum(m.natural_balance_fen for m in grouped.get(UNIT_RECEIVABLE.kind, [])),
        maintenance_bank_fen=natural("1001"),
        public_income_fen=-sum(b.balance_fen for b in all_balances if public_income_equity(b)),
        public_income_bank_fen=natural("1002"),
        project_bank_fen=natural("1003"),
        lines=tuple(lines),
    )


# -- the annual disclosure ----------------------------------------------------------------


@dataclass(frozen=True)
class UnitYear:
    """One unit's sub-account over the period (natural amounts: what it holds), and what its
    owner owes for shortfalls at the end. ``draws_fen`` is what left the sub-account
    (positive); ``other_fen`` every other movement (settlements, adjustments, legacy), signed."""

    unit_code: str
    opening_fen: int
    deposits_fen: int
    interest_fen: int
    transfers_fen: int
    draws_fen: int
    other_fen: int
    closing_fen: int
    owed_fen: int


@dataclass(frozen=True)
class ProjectUnit:
    """One unit's share of a project's draws in the period: paid from its sub-account, and
    owed by its owner for a shortfall."""

    unit_code: str
    drawn_fen: int
    owed_fen: int


@dataclass(frozen=True)
class ProjectYear:
    """A project's draws in the period: the cost by source (the maintenance fund's share
    from the units, subsidy, social capital, owners paying directly, public income) and the
    maintenance fund's apportionment by unit. ``cost_fen`` is the sum of the sources."""

    project: str
    entries: int
    maintenance_fen: int
    owed_fen: int
    subsidy_fen: int
    social_capital_fen: int
    owners_direct_fen: int
    public_income_fen: int
    cost_fen: int
    units: tuple[ProjectUnit, ...]


@dataclass(frozen=True)
class FundDisclosure:
    """The annual maintenance-fund disclosure (DOMAIN.md §5): the totals, each project with
    its cost and apportionment, and each unit's deposits, draws, interest and balance."""

    community_code: str
    community_name: str
    start: date
    end: date
    totals: UnitYear
    projects: tuple[ProjectYear, ...]
    units: tuple[UnitYear, ...]


_SOURCE_FIELDS = {
    "subsidy_received": "subsidy_fen",
    "social_capital_received": "social_capital_fen",
    "owners_direct_received": "owners_direct_fen",
    "public_income_balance": "public_income_fen",
}


def fund_disclosure(uow: UnitOfWork, community_code: str, start: date, end: date) -> FundDisclosure:
    """The maintenance-fund disclosure for ``start``..``end`` (a year, usually): each unit's
    opening balance, deposits, interest, public income transferred in, draws, other movements
    and closing balance, with the shortfall its owner owes at the end; the totals (the sums of
    the unit lines); each project with the draws' cost by source and by unit (a draw names its
    project in ``documents.project``; draws with none are listed under ``""``). Three
    aggregates whatever the number of units. ``BooksNotOpen``, ``ReportPeriodInvalid``."""
    start, end = check_period(start, end)
    s = uow.session
    community = community_row(s, community_code)
    accounts = s.execute(
        sa.select(LedgerAccount.id, LedgerAccount.kind, Unit.code)
        .join(Unit, Unit.id == LedgerAccount.unit_id)
        .where(LedgerAccount.community_id == community.id, LedgerAccount.kind.in_(UNIT_KINDS))
    ).all()
    kind_of = {row.id: (row.kind, row.code) for row in accounts}
    opening: dict[int, int] = {
        account_id: _sum(total)
        for account_id, total in s.execute(
            sa.select(Posting.account_id, sa.func.sum(Posting.amount_fen))
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(
                Posting.community_id == community.id,
                Posting.value_date < start,
                LedgerAccount.kind.in_(UNIT_KINDS),
            )
            .group_by(Posting.account_id)
        )
    }
    reversed_entry, effective = _effective_kind()
    moves: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, kind, total in s.execute(
        sa.select(Posting.account_id, effective, sa.func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_id)
        .where(
            Posting.community_id == community.id,
            Posting.value_date >= start,
            Posting.value_date <= end,
            LedgerAccount.kind.in_(UNIT_KINDS),
        )
        .group_by(Posting.account_id, effective)
    ):
        moves[account_id][kind] += _sum(total)
    per_unit: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, (kind, unit_code) in kind_of.items():
        row = per_unit[unit_code]
        if kind == UNIT_RECEIVABLE.kind:
            row["owed"] += opening.get(account_id, 0) + sum(moves[account_id].values())
            continue
        row["opening"] += -opening.get(account_id, 0)
        for entry_kind, amount in moves.get(account_id, {}).items():
            natural = -amount
            if entry_kind == "deposit":
                row["deposits"] += natural
            elif entry_kind == "interest":
                row["interest"] += natural
            elif entry_kind == "public_income_transfer":
                row["transfers"] += natural
            elif entry_kind == "draw":
                row["draws"] += amount
            else:
                row["other"] += natural
    units = tuple(_unit_year(code, per_unit[code]) for code in sorted(per_unit, key=_unit_key))
    totals = UnitYear(
        unit_code="",
        **{
            f.name: sum(getattr(u, f.name) for u in units)
            for f in fields(UnitYear)
            if f.name != "unit_code"
        },
    )
    return FundDisclosure(
        community_code=community.code,
        community_name=community.name,
        start=start,
        end=end,
        totals=totals,
        projects=_projects(s, community.id, start, end),
        units=units,
    )


def _unit_key(code: str) -> str:
    return code


def _unit_year(code: str, row: Mapping[str, int]) -> UnitYear:
    opening = row.get("opening", 0)
    deposits = row.get("deposits", 0)
    interest = row.get("interest", 0)
    transfers = row.get("transfers", 0)
    draws = row.get("draws", 0)
    other = row.get("other", 0)
    return UnitYear(
        unit_code=code,
        opening_fen=opening,
        deposits_fen=deposits,
        interest_fen=interest,
        transfers_fen=transfers,
        draws_fen=draws,
        other_fen=other,
        closing_fen=opening + deposits + interest + transfers - draws + other,
        owed_fen=row.get("owed", 0),
    )


def _projects(s: Session, community_id: int, start: date, end: date) -> tuple[ProjectYear, ...]:
    reversed_entry, effective = _effective_kind()
    rows = s.execute(
        sa.select(
            JournalEntry.documents,
            LedgerAccount.kind,
            Unit.code,
            sa.func.sum(Posting.amount_fen),
            sa.func.count(sa.distinct(Posting.entry_id)),
        )
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_id)
        .outerjoin(Unit, Unit.id == LedgerAccount.unit_id)
        .where(
            Posting.community_id == community_id,
            Posting.value_date >= start,
            Posting.value_date <= end,
            effective == "draw",
            LedgerAccount.kind.in_(SOURCE_KINDS),
        )
        .group_by(JournalEntry.documents, LedgerAccount.kind, Unit.code)
    ).all()
    entry_counts = dict(
        s.execute(
            sa.select(JournalEntry.documents, sa.func.count(JournalEntry.id))
            .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_id)
            .where(
                JournalEntry.community_id == community_id,
                JournalEntry.value_date >= start,
                JournalEntry.value_date <= end,
                effective == "draw",
            )
            .group_by(JournalEntry.documents)
        ).all()
    )
    project_of: dict[str, str] = {}

    def project(documents: str) -> str:
        if documents not in project_of:
            try:
                value = json.loads(documents or "{}")
            except ValueError:
                value = {}
            ref = value.get("project") if isinstance(value, dict) else None
            project_of[documents] = ref if isinstance(ref, str) else ""
        return project_of[documents]

    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    shares: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for documents, kind, unit_code, total, _count in rows:
        ref = project(documents)
        amount = _sum(total)
        if kind == UNIT_SUBACCOUNT.kind:
            totals[ref]["maintenance_fen"] += amount
            shares[ref][unit_code][0] += amount
        elif kind == UNIT_RECEIVABLE.kind:
            totals[ref]["owed_fen"] += amount
            shares[ref][unit_code][1] += amount
        else:
            totals[ref][_SOURCE_FIELDS[kind]] += amount
    counts: dict[str, int] = defaultdict(int)
    for documents, count in entry_counts.items():
        counts[project(documents)] += int(count)
    result = []
    for ref in sorted(set(totals) | set(counts)):
        t = totals.get(ref, {})
        parts = {
            name: t.get(name, 0)
            for name in (
                "maintenance_fen",
                "owed_fen",
                "subsidy_fen",
                "social_capital_fen",
                "owners_direct_fen",
                "public_income_fen",
            )
        }
        result.append(
            ProjectYear(
                project=ref,
                entries=counts.get(ref, 0),
                cost_fen=sum(parts.values()),
                units=tuple(
                    ProjectUnit(code, drawn, owed)
                    for code, (drawn, owed) in sorted(shares.get(ref, {}).items())
                    if drawn or owed
                ),
                **parts,
            )
        )
    return tuple(result)


# -- the public-income statement ----------------------------------------------------------


@dataclass(frozen=True)
class IncomeLine:
    """Income of one kind in the period (natural: credits minus debits)."""

    code: str
    name_zh: str
    name_en: str
    amount_fen: int


@dataclass(frozen=True)
class PublicIncomeStatement:
    """The owners' public income over a period (DOMAIN.md §6): opening balance, income by
    kind, reasonable costs, net, transfers into the maintenance fund, other movements and the
    closing balance (= opening + net - transfers + other), and the bank account's balance."""

    community_code: str
    community_name: str
    start: date
    end: date
    opening_fen: int
    income: tuple[IncomeLine, ...]
    income_fen: int
    costs_fen: int
    net_fen: int
    transfers_fen: int
    other_fen: int
    closing_fen: int
    bank_fen: int


def public_income_statement(
    uow: UnitOfWork, community_code: str, start: date, end: date
) -> PublicIncomeStatement:
    """The public-income statement for ``start``..``end`` (a quarter, usually). Income and
    costs are the postings on the income and cost accounts, except those of transfers;
    transfers are what ``public_income_transfer`` entries took from the owners' balance.
    ``BooksNotOpen``, ``ReportPeriodInvalid``."""
    start, end = check_period(start, end)
    s = uow.session
    community = community_row(s, community_code)
    accounts = s.execute(
        sa.select(
            LedgerAccount.id,
            LedgerAccount.code,
            LedgerAccount.type,
            LedgerAccount.name_zh,
            LedgerAccount.name_en,
        ).where(
            LedgerAccount.community_id == community.id,
            LedgerAccount.fund == "public_income",
        )
    ).all()
    equity = {a.id for a in accounts if a.type in ("net_assets", "income", "expense")}
    bank = [a.id for a in accounts if a.type == "asset"]

    def before(ids: Collection[int], day: date) -> int:
        if not ids:
            return 0
        return _sum(
            s.scalar(
                sa.select(sa.func.sum(Posting.amount_fen)).where(
                    Posting.community_id == community.id,
                    Posting.account_id.in_(sorted(ids)),
                    Posting.value_date <= day,
                )
            )
        )

    opening = -before(equity, start - timedelta(days=1))
    reversed_entry, effective = _effective_kind()
    moves: dict[tuple[int, bool], int] = defaultdict(int)
    if equity:
        for account_id, kind, total in s.execute(
            sa.select(Posting.account_id, effective, sa.func.sum(Posting.amount_fen))
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_id)
            .where(
                Posting.community_id == community.id,
                Posting.account_id.in_(sorted(equity)),
                Posting.value_date >= start,
                Posting.value_date <= end,
            )
            .group_by(Posting.account_id, effective)
        ):
            moves[(account_id, kind == "public_income_transfer")] += _sum(total)
    income_lines = []
    costs = transfers = other = 0
    for a in sorted(accounts, key=lambda a: a.code):
        if a.id not in equity:
            continue
        amount = moves.get((a.id, False), 0)
        transfers += moves.get((a.id, True), 0)
        if a.type == "income":
            income_lines.append(IncomeLine(a.code, a.name_zh, a.name_en, -amount))
        elif a.type == "expense":
            costs += amount
        else:
            other -= amount
    income = sum(line.amount_fen for line in income_lines)
    return PublicIncomeStatement(
        community_code=community.code,
        community_name=community.name,
        start=start,
        end=end,
        opening_fen=opening,
        income=tuple(income_lines),
        income_fen=income,
        costs_fen=costs,
        net_fen=income - costs,
        transfers_fen=transfers,
        other_fen=other,
        closing_fen=opening + income - costs - transfers + other,
        bank_fen=before(bank, end),
    )


# -- a unit's statement -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One posting on a unit's sub-account: natural amount (+ in, - out) and the balance
    after it."""

    value_date: date
    entry: int
    kind: str
    memo: str
    amount_fen: int
    running_fen: int


@dataclass(frozen=True)
class UnitStatement:
    """A unit's sub-account over a period: opening balance, every posting in date order with
    the running balance, closing balance, and what its owner owes for shortfalls at the end."""

    community_code: str
    unit_code: str
    start: date
    end: date
    opening_fen: int
    lines: tuple[StatementLine, ...]
    closing_fen: int
    owed_fen: int


def unit_statement(
    uow: UnitOfWork, community_code: str, unit_code: str, start: date, end: date
) -> UnitStatement:
    """Unit ``unit_code``'s statement for ``start``..``end``: the closing balance equals the
    sub-account's balance at the end of ``end`` (the running balance of the last line).
    ``UnitNotFound`` for a unit the community does not have (or one without a sub-account),
    ``BooksNotOpen``, ``ReportPeriodInvalid``."""
    start, end = check_period(start, end)
    s = uow.session
    community = community_row(s, community_code)
    ids = dict(
        s.execute(
            sa.select(LedgerAccount.kind, LedgerAccount.id)
            .join(Unit, Unit.id == LedgerAccount.unit_id)
            .where(
                LedgerAccount.community_id == community.id,
                Unit.code == unit_code,
                LedgerAccount.kind.in_(UNIT_KINDS),
            )
        ).all()
    )
    account_id = ids.get(UNIT_SUBACCOUNT.kind)
    if account_id is None:
        raise UnitNotFound(N_("There is no unit %(unit)s in this community."), unit=unit_code)
    opening = -_sum(
        s.scalar(
            sa.select(sa.func.sum(Posting.amount_fen)).where(
                Posting.account_id == account_id, Posting.value_date < start
            )
        )
    )
    running = opening
    lines = []
    for value_date, entry_id, kind, memo, amount in s.execute(
        sa.select(
            Posting.value_date,
            Posting.entry_id,
            JournalEntry.kind,
            JournalEntry.memo,
            Posting.amount_fen,
        )
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            Posting.account_id == account_id,
            Posting.value_date >= start,
            Posting.value_date <= end,
        )
        .order_by(Posting.value_date, Posting.entry_id, Posting.position)
    ):
        running -= amount
        lines.append(StatementLine(value_date, entry_id, kind, memo, -amount, running))
    owed = 0
    receivable = ids.get(UNIT_RECEIVABLE.kind)
    if receivable is not None:
        owed = _sum(
            s.scalar(
                sa.select(sa.func.sum(Posting.amount_fen)).where(
                    Posting.account_id == receivable, Posting.value_date <= end
                )
            )
        )
    return UnitStatement(
        community_code=community.code,
        unit_code=unit_code,
        start=start,
        end=end,
        opening_fen=opening,
        lines=tuple(lines),
        closing_fen=running,
        owed_fen=owed,
    )


# -- the journal, paged -------------------------------------------------------------------


@dataclass(frozen=True)
class EntrySummary:
    """An entry in the journal list: header, total, number of postings and its first few."""

    number: int
    kind: str
    value_date: date
    memo: str
    total_debit_fen: int
    posting_count: int
    reverses: int | None
    reversed_by: int | None
    is_legacy: bool
    log_index: int | None
    lines: tuple[PostedLine, ...]


@dataclass(frozen=True)
class EntryPage:
    """One page of the journal, newest first (by value date, then number)."""

    community_code: str
    page: int
    pages: int
    total: int
    entries: tuple[EntrySummary, ...]


@dataclass(frozen=True)
class EntryDetail:
    """One entry with a page of its postings (an interest entry may have 50,000)."""

    number: int
    kind: str
    value_date: date
    memo: str
    documents: Mapping[str, Any]
    posted_at: Any
    posted_by: int | None
    idempotency_key: str | None
    reverses: int | None
    reversed_by: int | None
    is_legacy: bool
    legacy_file_sha256: str | None
    log_index: int | None
    content_sha256: str
    total_debit_fen: int
    posting_count: int
    page: int
    pages: int
    lines: tuple[PostedLine, ...]


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _lines(
    s: Session,
    entry_ids: Collection[int],
    *,
    upto: int | None = None,
    first: int = 1,
    last: int | None = None,
) -> dict[int, list[PostedLine]]:
    query = (
        sa.select(
            Posting.entry_id,
            LedgerAccount.code,
            LedgerAccount.name_zh,
            LedgerAccount.name_en,
            Unit.code,
            Posting.amount_fen,
        )
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .outerjoin(Unit, Unit.id == LedgerAccount.unit_id)
        .where(Posting.entry_id.in_(sorted(entry_ids)), Posting.position >= first)
        .order_by(Posting.entry_id, Posting.position)
    )
    if upto is not None:
        query = query.where(Posting.position <= upto)
    if last is not None:
        query = query.where(Posting.position <= last)
    found: dict[int, list[PostedLine]] = defaultdict(list)
    for entry_id, code, name_zh, name_en, unit_code, amount in s.execute(query):
        found[entry_id].append(PostedLine(code, name_zh, name_en, unit_code, amount))
    return found


def list_entries(
    uow: UnitOfWork, community_code: str, *, page: int = 1, per_page: int = ENTRIES_PER_PAGE
) -> EntryPage:
    """Page ``page`` (from 1; a page past the end is the last) of the community's journal,
    newest first, each entry with its total, posting count and first postings. A constant
    number of queries per page. ``BooksNotOpen`` for an unknown community."""
    s = uow.session
    community = community_row(s, community_code)
    per_page = min(max(per_page, 1), 200)
    total = int(
        s.scalar(
            sa.select(sa.func.count(JournalEntry.id)).where(
                JournalEntry.community_id == community.id
            )
        )
        or 0
    )
    pages = _pages(total, per_page)
    page = min(max(page, 1), pages)
    reversal = aliased(JournalEntry)
    rows = s.execute(
        sa.select(JournalEntry, reversal.id)
        .outerjoin(reversal, reversal.reverses_id == JournalEntry.id)
        .where(JournalEntry.community_id == community.id)
        .order_by(JournalEntry.value_date.desc(), JournalEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [entry.id for entry, _ in rows]
    stats: dict[int, tuple[int, int]] = {}
    lines: dict[int, list[PostedLine]] = {}
    if ids:
        stats = {
            entry_id: (_sum(debit), int(count))
            for entry_id, debit, count in s.execute(
                sa.select(
                    Posting.entry_id,
                    sa.func.sum(sa.case((Posting.amount_fen > 0, Posting.amount_fen), else_=0)),
                    sa.func.count(Posting.id),
                )
                .where(Posting.entry_id.in_(ids))
                .group_by(Posting.entry_id)
            )
        }
        lines = _lines(s, ids, upto=LINES_IN_LIST)
    return EntryPage(
        community_code=community.code,
        page=page,
        pages=pages,
        total=total,
        entries=tuple(
            EntrySummary(
                number=entry.id,
                kind=entry.kind,
                value_date=entry.value_date,
                memo=entry.memo,
                total_debit_fen=stats.get(entry.id, (0, 0))[0],
                posting_count=stats.get(entry.id, (0, 0))[1],
                reverses=entry.reverses_id,
                reversed_by=reversed_by,
                is_legacy=entry.is_legacy,
                log_index=entry.log_index,
                lines=tuple(lines.get(entry.id, ())),
            )
            for entry, reversed_by in rows
        ),
    )


def entry_detail(
    uow: UnitOfWork,
    community_code: str,
    number: int,
    *,
    page: int = 1,
    per_page: int = LINES_PER_PAGE,
) -> EntryDetail:
    """Entry ``number`` with page ``page`` of its postings (in posting order), its document
    references, what it reverses or is reversed by, and where it is in the log.
    ``EntryNotFound`` for a number the community's books do not have."""
    s = uow.session
    community = community_row(s, community_code)
    entry = entry_row(s, community.id, number)
    debit, count = s.execute(
        sa.select(
            sa.func.sum(sa.case((Posting.amount_fen > 0, Posting.amount_fen), else_=0)),
            sa.func.count(Posting.id),
        ).where(Posting.entry_id == entry.id)
    ).one()
    per_page = min(max(per_page, 1), 2000)
    pages = _pages(int(count or 0), per_page)
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page + 1
    lines = _lines(s, [entry.id], first=first, last=first + per_page - 1).get(entry.id, [])
    try:
        documents = json.loads(entry.documents or "{}")
    except ValueError:
        documents = {}
    return EntryDetail(
        number=entry.id,
        kind=entry.kind,
        value_date=entry.value_date,
        memo=entry.memo,
        documents=documents if isinstance(documents, dict) else {},
        posted_at=entry.posted_at,
        posted_by=entry.posted_by,
        idempotency_key=entry.idempotency_key,
        reverses=entry.reverses_id,
        reversed_by=s.scalar(
            sa.select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id)
        ),
        is_legacy=entry.is_legacy,
        legacy_file_sha256=entry.legacy_file_sha256,
        log_index=entry.log_index,
        content_sha256=entry.content_sha256,
        total_debit_fen=_sum(debit),
        posting_count=int(count or 0),
        page=page,
        pages=pages,
        lines=tuple(lines),
    )


# -- across communities -------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityFunds:
    """One community's funds now (running balances) for the authority's overview, and how
    many projects its draws and project funding name."""

    community_code: str
    community_name: str
    maintenance_fen: int
    owed_fen: int
    public_income_fen: int
    project_count: int


def funds_overview(uow: UnitOfWork, community_ids: Collection[int] | None) -> list[CommunityFunds]:
    """The funds of each community in ``community_ids`` (every community when None), in
    code order: one aggregate over the running balances for all of them, one over the
    entries that name a project. Communities without books show zeros."""
    s = uow.session
    query = sa.select(Community.id, Community.code, Community.name).order_by(Community.code)
    if community_ids is not None:
        if not community_ids:
            return []
        query = query.where(Community.id.in_(sorted(community_ids)))
    communities = s.execute(query).all()
    ids = [c.id for c in communities]
    if not ids:
        return []
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for community_id, kind, fund, type_, total in s.execute(
        sa.select(
            LedgerAccount.community_id,
            LedgerAccount.kind,
            LedgerAccount.fund,
            LedgerAccount.type,
            sa.func.sum(LedgerAccount.balance_fen),
        )
        .where(LedgerAccount.community_id.in_(ids))
        .group_by(
            LedgerAccount.community_id, LedgerAccount.kind, LedgerAccount.fund, LedgerAccount.type
        )
    ):
        amount = _sum(total)
        if kind == UNIT_SUBACCOUNT.kind:
            sums[community_id]["maintenance"] -= amount
        elif kind == UNIT_RECEIVABLE.kind:
            sums[community_id]["owed"] += amount
        elif fund == "public_income" and type_ in ("net_assets", "income", "expense"):
            sums[community_id]["public_income"] -= amount
    projects: dict[int, set[str]] = defaultdict(set)
    for community_id, documents in s.execute(
        sa.select(JournalEntry.community_id, JournalEntry.documents)
        .where(
            JournalEntry.community_id.in_(ids),
            JournalEntry.kind.in_(("draw", "project_funding")),
        )
        .distinct()
    ):
        try:
            value = json.loads(documents or "{}")
        except ValueError:
            continue
        ref = value.get("project") if isinstance(value, dict) else None
        if isinstance(ref, str) and ref:
            projects[community_id].add(ref)
    return [
        CommunityFunds(
            community_code=c.code,
            community_name=c.name,
            maintenance_fen=sums[c.id]["maintenance"],
            owed_fen=sums[c.id]["owed"],
            public_income_fen=sums[c.id]["public_income"],
            project_count=len(projects.get(c.id, ())),
        )
        for c in communities
    ]


__all__ = [
    "CommunityFunds",
    "EntryDetail",
    "EntryPage",
    "EntrySummary",
    "FundBalances",
    "FundDisclosure",
    "FundLine",
    "IncomeLine",
    "ProjectUnit",
    "ProjectYear",
    "PublicIncomeStatement",
    "StatementLine",
    "TrialBalance",
    "TrialBalanceLine",
    "UnitStatement",
    "UnitYear",
    "check_date",
    "check_period",
    "content_sha256",
    "entry_detail",
    "fund_balances",
    "fund_disclosure",
    "funds_overview",
    "list_entries",
    "public_income_statement",
    "quarter_period",
    "report_content",
    "trial_balance",
    "unit_statement",
    "year_period",
]
