"""The books as a Beancount 3 file (``fundvote ledger export-beancount``), written as a stream.

What the file holds, so that Beancount re-adds every posting and checks our records:

- ``option "operating_currency" "CNY"`` and ``option "tolerance_multiplier" "0"`` (amounts
  are checked exactly: a balance assertion of ``12.34 CNY`` tolerates nothing);
- an ``open`` for every account of the community's chart, with its code, Chinese and English
  names as metadata; dated on its first posting, its opening or the end date, whichever is
  earliest (a legacy entry may predate the account's row);
- every entry with a value date up to the end date as a transaction, in (value date, number)
  order: date, narration = memo, metadata ``entry`` (number), ``kind``, ``log_index``,
  ``documents`` (canonical JSON), ``reverses`` and ``legacy_file_sha256`` when set; each
  posting an exact decimal of its fen in ``CNY`` (debit positive, as in our tables);
- a ``balance`` assertion for every account dated the day after the end date (Beancount
  checks a balance at the start of its day) with the balance from OUR records: the running
  balance without ``to``, the sum of postings up to ``to`` with it.

Account names are ASCII and follow Beancount's grammar (every component starts with an
upper-case letter or a digit, then letters, digits and ``-``): ``<root>:<fund>:<name>`` for
the standard chart (``Assets:Fund:Bank``, ``Income:PublicIncome:Parking``), and
``...:Units:U<unit>`` for a unit's accounts (``Liabilities:Fund:Units:U1-101``), where the
unit code is encoded injectively: ASCII letters, digits and ``-`` are kept except ``X``, and
every other character (``X`` included) becomes ``X<hex code point>X`` (``A.1`` ->
``UAX2EX1``, ``1栋`` -> ``U1X680BX``). An account the table below does not name is
``<root>:<fund>:A<code encoded the same way>``.

Memory is bounded: entries and their postings are read by one streamed query in (value date,
id, position) order and written as they are read; only the chart (one row per account) is
held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.api import format_hundredths
from estate.models import Community, Unit
from ledger.chart import UNIT_RECEIVABLE, UNIT_SUBACCOUNT
from ledger.errors import N_, BooksNotOpen
from ledger.journal import balances
from ledger.models import JournalEntry, LedgerAccount, Posting
from notary.work import UnitOfWork

CURRENCY = "CNY"
BATCH = 10_000
"""Rows (postings) fetched from the database at a time."""

ROOTS = {
    "asset": "Assets",
    "liability": "Liabilities",
    "net_assets": "Equity",
    "income": "Income",
    "expense": "Expenses",
}
FUND_NAMES = {"maintenance": "Fund", "public_income": "PublicIncome", "project": "Project"}
KIND_NAMES = {
    "fund_bank": "Bank",
    "public_income_bank": "Bank",
    "project_bank": "Bank",
    "owner_receivable_control": "OwnersReceivable",
    "contractor_payable": "ContractorPayable",
    "warranty_retention": "WarrantyRetention",
    "subsidy_received": "Subsidy",
    "social_capital_received": "SocialCapital",
    "owners_direct_received": "OwnersDirect",
    "public_income_balance": "Balance",
    "public_income_parking": "Parking",
    "public_income_advertising": "Advertising",
    "public_income_leasing": "Leasing",
    "public_income_other": "Other",
    "public_income_costs": "ReasonableCosts",
}
"""The last component of each standard account's name (a unit account is under ``UNIT_PARENTS``)."""
UNIT_PARENTS = {
    UNIT_SUBACCOUNT.kind: "Units",
    UNIT_RECEIVABLE.kind: "UnitReceivables",
}


def encode_component(text: str) -> str:
    """``text`` as the ASCII tail of an account-name component, injectively: ``[A-Za-z0-9-]``
    except ``X`` is kept, every other character becomes ``X<upper-case hex>X``. Prefix a
    capital letter to make it a whole component."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char == "-") and char != "X":
            out.append(char)
        else:
            out.append(f"X{ord(char):X}X")
    return "".join(out)


def decode_component(text: str) -> str:
    """The inverse of :func:`encode_component` (for tests and readers of the file)."""
    out = []
    i = 0
    while i < len(text):
        if text[i] == "X":
            end = text.index("X", i + 1)
            out.append(chr(int(text[i + 1 : end], 16)))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def account_name(type_: str, fund: str, kind: str, code: str, unit_code: str | None) -> str:
    """The Beancount name of one account (module docstring); distinct accounts of one
    community get distinct names (a unit account by its unit code, the rest by kind or code)."""
    prefix = f"{ROOTS[type_]}:{FUND_NAMES.get(fund, 'F' + encode_component(fund))}"
    if unit_code is not None and kind in UNIT_PARENTS:
        return f"{prefix}:{UNIT_PARENTS[kind]}:U{encode_component(unit_code)}"
    if unit_code is None and kind in KIND_NAMES:
        return f"{prefix}:{KIND_NAMES[kind]}"
    return f"{prefix}:A{encode_component(code)}"


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: accounts, entries, the end date and the date of the balance
    assertions (the day after)."""

    accounts: int
    entries: int
    end_date: date
    balance_date: date


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class _Account:
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    opened: date


def _chart(s: Session, community_id: int) -> list[_Account]:
    rows = s.execute(
        sa.select(
            LedgerAccount.id,
            LedgerAccount.code,
            LedgerAccount.kind,
            LedgerAccount.type,
            LedgerAccount.fund,
            LedgerAccount.name_zh,
            LedgerAccount.name_en,
            LedgerAccount.opened_at,
            Unit.code,
        )
        .outerjoin(Unit, Unit.id == LedgerAccount.unit_id)
        .where(LedgerAccount.community_id == community_id)
    ).all()
    firsts = dict(
        s.execute(
            sa.select(Posting.account_id, sa.func.min(Posting.value_date))
            .where(Posting.community_id == community_id)
            .group_by(Posting.account_id)
        ).all()
    )
    accounts = []
    for id_, code, kind, type_, fund, name_zh, name_en, opened_at, unit_code in rows:
        opened = opened_at.date()
        first = firsts.get(id_)
        accounts.append(
            _Account(
                id_,
                code,
                account_name(type_, fund, kind, code, unit_code),
                name_zh,
                name_en,
                min(opened, first) if first is not None else opened,
            )
        )
    names = [a.name for a in accounts]
    if len(set(names)) != len(names):  # only if two accounts share a kind outside the table
        accounts = [
            _Account(
                a.id,
                a.code,
                f"{a.name.split(':', 1)[0]}:A{encode_component(a.code)}",
                a.name_zh,
                a.name_en,
                a.opened,
            )
            for a in accounts
        ]
    return sorted(accounts, key=lambda a: tuple(a.code.split(".")))


def _entries(
    s: Session, community_id: int, to: date | None
) -> Iterator[tuple[JournalEntryRow, list[tuple[int, int]]]]:
    """(entry header, [(account id, fen), ...]) in (value date, id) order: one query over
    entries joined to their postings, streamed (a server-side cursor on PostgreSQL) and
    grouped here, so memory holds one batch of rows."""
    e, p = JournalEntry, Posting
    query = (
        sa.select(
            e.id,
            e.value_date,
            e.kind,
            e.memo,
            e.documents,
            e.log_index,
            e.reverses_id,
            e.legacy_file_sha256,
            p.account_id,
            p.amount_fen,
        )
        .join(p, p.entry_id == e.id)
        .where(e.community_id == community_id)
        .order_by(e.value_date, e.id, p.position)
    )
    if to is not None:
        query = query.where(e.value_date <= to)
    header: JournalEntryRow | None = None
    lines: list[tuple[int, int]] = []
    for row in s.execute(query, execution_options={"yield_per": BATCH}):
        if header is None or row[0] != header.id:
            if header is not None:
                yield header, lines
            header = JournalEntryRow(*row[:8])
            lines = []
        lines.append((row[8], row[9]))
    if header is not None:
        yield header, lines


@dataclass(frozen=True)
class JournalEntryRow:
    id: int
    value_date: date
    kind: str
    memo: str
    documents: str
    log_index: int | None
    reverses_id: int | None
    legacy_file_sha256: str | None


def write_beancount(
    uow: UnitOfWork, community_code: str, out: TextIO, *, to: date | None = None
) -> ExportSummary:
    """Write the community's books up to ``to`` (every entry without it) to ``out`` as a
    Beancount 3 file (module docstring: options, opens, transactions, balance assertions from
    our records, ASCII names). Reads only; memory stays bounded by one batch of entries.
    ``BooksNotOpen`` for an unknown community."""
    s = uow.session
    if s.get_bind().dialect.name == "postgresql" and not s.in_transaction():
        # one snapshot for every batch (a caller that began reading chose its own)
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    community_id = s.scalar(sa.select(Community.id).where(Community.code == community_code))
    if community_id is None:
        raise BooksNotOpen(N_("There is no community %(code)s."), code=community_code)
    ours = {b.code: b.balance_fen for b in balances(uow, community_code, to=to)}
    accounts = _chart(s, community_id)
    prefix = {a.id: f"  {a.name}  " for a in accounts}
    if to is None:
        last = s.scalar(
            sa.select(sa.func.max(JournalEntry.value_date)).where(
                JournalEntry.community_id == community_id
            )
        )
        end = last if last is not None else uow.clock.now().date()
    else:
        end = to
    balance_day = end + timedelta(days=1)
    write = out.write
    write(f";; fundvote books of {community_code}, entries up to {end.isoformat()}\n")
    write(f'option "title" {_quote(community_code)}\n')
    write(f'option "operating_currency" "{CURRENCY}"\n')
    write('option "tolerance_multiplier" "0"\n\n')
    for a in accounts:
        write(f"{min(a.opened, end).isoformat()} open {a.name} {CURRENCY}\n")
        write(f"  code: {_quote(a.code)}\n  name: {_quote(a.name_zh)}\n")
        write(f"  name_en: {_quote(a.name_en)}\n")
    write("\n")
    count = 0
    for entry, lines in _entries(s, community_id, to):
        count += 1
        parts = [
            f"{entry.value_date.isoformat()} * {_quote(entry.memo)}\n",
            f"  entry: {entry.id}\n  kind: {_quote(entry.kind)}\n",
        ]
        if entry.log_index is not None:
            parts.append(f"  log_index: {entry.log_index}\n")
        if entry.documents and entry.documents != "{}":  # canonical JSON: an empty one is {}
            parts.append(f"  documents: {_quote(entry.documents)}\n")
        if entry.reverses_id is not None:
            parts.append(f"  reverses: {entry.reverses_id}\n")
        if entry.legacy_file_sha256 is not None:
            parts.append(f"  legacy_file_sha256: {_quote(entry.legacy_file_sha256)}\n")
        for account_id, amount in lines:
            parts.append(f"{prefix[account_id]}{format_hundredths(amount)} {CURRENCY}\n")
        parts.append("\n")
        write("".join(parts))
    for a in accounts:
        held = format_hundredths(ours[a.code])
        write(f"{balance_day.isoformat()} balance {a.name}  {held} {CURRENCY}\n")
    return ExportSummary(len(accounts), count, end, balance_day)
