"""Importing a community's earlier books (``fundvote ledger import COMMUNITY FILE.csv``).

The file (CSV in UTF-8, or the first sheet of an XLSX workbook; the limits of
``estate.tables``: 10 MB, 100,000 rows) has the columns ``entry,date,memo,account,debit,
credit``, in any order. Rows sharing an ``entry`` id form one entry (they need not be
adjacent); ``date`` is ``YYYY-MM-DD`` and the same on every row of an entry; ``memo`` may be
given on one row or repeated identically; ``account`` is a code of the community's chart
(``1001``, ``2101.<unit>``; a unit's receivable ``1202.<unit>`` is opened when first named);
``debit`` and ``credit`` are yuan with at most two decimals, exactly one of them on a row.

All or nothing: the whole file is checked first and every problem is reported with its line
and column (an unbalanced entry is named by its id and its first line), and nothing is
written unless there is none. Then every entry is posted through ``ledger.journal.post_entry``
in (date, first line) order with ``kind="legacy"`` and ``legacy_file_sha256`` = the file's
SHA-256, so it is marked as legacy and logged like any entry; a posting that would overdraw a
bounded account refuses the whole file, naming the entry. The idempotency key of each entry
is ``legacy:<first 40 hex of the file hash>:<entry id>``: importing the same file again posts
nothing and reports every entry as already present.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from estate.api import BadQuantity, Fen, RollProblem, parse_hundredths
from estate.models import Community, Unit
from estate.tables import UnreadableTable, read_table
from ledger.chart import UNIT_RECEIVABLE, UNIT_SUBACCOUNT, open_unit_account
from ledger.errors import N_, BooksNotOpen, LegacyImportRejected
from ledger.journal import post_entry
from ledger.models import LedgerAccount
from ledger.posting_rules import MAX_AMOUNT_FEN, PostingLine, entry_problems
from notary.errors import DomainError
from notary.work import UnitOfWork

COLUMNS = ("entry", "date", "memo", "account", "debit", "credit")
"""The columns of a legacy file, in the order the documentation lists them."""
MAX_ENTRY_ID = 64
_ENTRY_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_PROBLEMS = 1_000
"""Problems listed at most (the count says when there are more)."""


@dataclass(frozen=True)
class LegacySummary:
    """What an import did: the file's hash, its entries, how many were posted now and how
    many were already in the books (the same file imported before), and the postings."""

    file_sha256: str
    entries: int
    posted: int
    already: int
    postings: int
    first_date: date | None
    last_date: date | None


@dataclass
class _Entry:
    id: str
    first_line: int
    value_date: date | None = None
    memo: str = ""
    memo_line: int = 0
    lines: list[PostingLine] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)


class _Problems:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[RollProblem] = []
        self.total = 0

    def add(self, at_line: int, at_column: str, message: str, /, **params: object) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(RollProblem(self.filename, at_line, at_column, message, params))


def parse_legacy(
    data: bytes, filename: str, known_accounts: Mapping[str, bool]
) -> tuple[list[_Entry], list[RollProblem]]:
    """The entries of a legacy file in (date, first line) order, or every problem (module
    docstring). ``known_accounts`` maps each account code the file may name to whether it
    exists already (False: a unit receivable that the import would open). Pure."""
    problems = _Problems(filename)
    try:
        table = read_table(data, filename)
    except UnreadableTable as exc:
        problems.add(exc.line, exc.field, exc.message, **exc.params)
        return [], problems.items
    header = [h.strip().lower() for h in table.header]
    for name in COLUMNS:
        if name not in header:
            problems.add(1, name, N_("the column %(column)s is missing"), column=name)
    extra = [h for h in header if h not in COLUMNS]
    for name in extra:
        problems.add(1, name[:40], N_("the column %(column)s is not expected"), column=name[:40])
    if len(set(header)) != len(header):
        problems.add(1, "", N_("a column appears twice in the header"))
    if problems.items:
        return [], problems.items
    where = {name: header.index(name) for name in COLUMNS}
    if not table.records:
        problems.add(1, "", N_("the file has no entries"))
        return [], problems.items
    entries: dict[str, _Entry] = {}
    for line, cells in table.records:
        row = {name: (cells[i] if i < len(cells) else "").strip() for name, i in where.items()}
        if any(c.strip() for c in cells[len(header) :]):
            problems.add(line, "", N_("the row has more cells than the header"))
        entry_id = row["entry"]
        if not _ENTRY_ID.fullmatch(entry_id):
            problems.add(
                line,
                "entry",
                N_(
                    "the entry id must be 1 to %(max)s letters, digits or . _ - (found '%(value)s')"
                ),
                max=MAX_ENTRY_ID,
                value=entry_id[:80],
            )
            continue
        entry = entries.setdefault(entry_id, _Entry(entry_id, line))
        value_date = _date(row["date"], line, problems)
        if value_date is not None:
            if entry.value_date is None:
                entry.value_date = value_date
            elif entry.value_date != value_date:
                problems.add(
                    line,
                    "date",
                    N_("entry %(entry)s has the date %(date)s on line %(first)s"),
                    entry=entry_id,
                    date=entry.value_date.isoformat(),
                    first=entry.first_line,
                )
        memo = row["memo"]
        if memo:
            if not entry.memo:
                entry.memo, entry.memo_line = memo, line
            elif memo != entry.memo:
                problems.add(
                    line,
                    "memo",
                    N_("entry %(entry)s has a different memo on line %(first)s"),
                    entry=entry_id,
                    first=entry.memo_line,
                )
        account = row["account"]
        if not account:
            problems.add(line, "account", N_("the account is missing"))
        elif account not in known_accounts:
            problems.add(
                line,
                "account",
                N_("there is no account %(account)s in the books"),
                account=account[:80],
            )
        amount = _amount(row["debit"], row["credit"], line, problems)
        if amount is not None and account in known_accounts:
            entry.lines.append(PostingLine(account, amount))
            entry.line_numbers.append(line)
    if problems.total == 0:
        for entry in entries.values():
            assert entry.value_date is not None
            for message, params in entry_problems(
                "legacy", entry.value_date, entry.memo, {}, entry.lines
            ):
                if message.startswith("The postings do not balance"):
                    problems.add(
                        entry.first_line,
                        "",
                        N_(
                            "entry %(entry)s (first line %(line)s) does not balance: debits "
                            "exceed credits by %(difference)s yuan"
                        ),
                        entry=entry.id,
                        line=entry.first_line,
                        difference=Fen(params["difference"]),
                    )
                elif message.startswith("An entry needs at least two"):
                    problems.add(
                        entry.first_line,
                        "",
                        N_("entry %(entry)s (first line %(line)s) has only one row"),
                        entry=entry.id,
                        line=entry.first_line,
                    )
                else:
                    field_name = "memo" if "memo" in message else "date"
                    line = entry.memo_line if field_name == "memo" else entry.first_line
                    problems.add(line, field_name, message, **params)
    if problems.total:
        return [], problems.items
    ordered = sorted(entries.values(), key=lambda e: (e.value_date, e.first_line))
    return ordered, []


def _date(text: str, line: int, problems: _Problems) -> date | None:
    if not text:
        problems.add(line, "date", N_("the date is missing"))
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        problems.add(line, "date", N_("'%(value)s' is not a date (YYYY-MM-DD)"), value=text[:40])
        return None


def _amount(debit: str, credit: str, line: int, problems: _Problems) -> int | None:
    if bool(debit) == bool(credit):
        problems.add(
            line,
            "debit",
            N_("give exactly one of debit and credit")
            if debit
            else N_("the row has neither a debit nor a credit"),
        )
        return None
    column, text = ("debit", debit) if debit else ("credit", credit)
    try:
        fen = parse_hundredths(text)
    except BadQuantity as exc:
        problems.add(line, column, exc.message, **exc.params)
        return None
    if fen == 0:
        problems.add(line, column, N_("the amount is zero"))
        return None
    if fen > MAX_AMOUNT_FEN:
        problems.add(line, column, N_("'%(value)s' is too large"), value=text[:40])
        return None
    return fen if column == "debit" else -fen


def _known_accounts(uow: UnitOfWork, community_id: int) -> dict[str, bool]:
    s = uow.session
    known = dict.fromkeys(
        s.scalars(sa.select(LedgerAccount.code).where(LedgerAccount.community_id == community_id)),
        True,
    )
    for unit_code in s.scalars(sa.select(Unit.code).where(Unit.community_id == community_id)):
        known.setdefault(f"{UNIT_RECEIVABLE.code}.{unit_code}", False)
        known.setdefault(f"{UNIT_SUBACCOUNT.code}.{unit_code}", False)
    return known


def import_legacy(
    uow: UnitOfWork, *, community_code: str, data: bytes, filename: str = "legacy.csv"
) -> LegacySummary:
    """Import a legacy file into the community's books (module docstring): all or nothing,
    ``LegacyImportRejected`` listing every problem (file, line, column) and writing nothing;
    each entry posted once with ``kind="legacy"`` and the file's hash, logged like any entry,
    in the caller's unit of work; a second import of the same file posts nothing.
    ``BooksNotOpen`` for an unknown community. Never commits."""
    s = uow.session
    community_id = s.scalar(sa.select(Community.id).where(Community.code == community_code))
    if community_id is None:
        raise BooksNotOpen(N_("There is no community %(code)s."), code=community_code)
    known = _known_accounts(uow, community_id)
    entries, problems = parse_legacy(data, filename, known)
    if problems:
        raise LegacyImportRejected(problems)
    sha = hashlib.sha256(data).hexdigest()
    for code in sorted({line.account for e in entries for line in e.lines}):
        if not known[code]:
            kind = (
                UNIT_RECEIVABLE.kind
                if code.startswith(UNIT_RECEIVABLE.code + ".")
                else UNIT_SUBACCOUNT.kind
            )
            open_unit_account(uow, community_id, code.split(".", 1)[1], kind)
    posted = already = postings = 0
    for entry in entries:
        assert entry.value_date is not None
        try:
            info = post_entry(
                uow,
                community_code=community_code,
                kind="legacy",
                value_date=entry.value_date,
                lines=entry.lines,
                memo=entry.memo,
                idempotency_key=f"legacy:{sha[:40]}:{entry.id}",
                legacy_file_sha256=sha,
            )
        except DomainError as exc:
            raise LegacyImportRejected(
                [
                    RollProblem(
                        filename,
                        entry.first_line,
                        "",
                        N_("entry %(entry)s (first line %(line)s): %(problem)s"),
                        {"entry": entry.id, "line": entry.first_line, "problem": exc.text},
                    )
                ]
            ) from None
        postings += len(entry.lines)
        if info.is_replay:
            already += 1
        else:
            posted += 1
    return LegacySummary(
        file_sha256=sha,
        entries=len(entries),
        posted=posted,
        already=already,
        postings=postings,
        first_date=entries[0].value_date if entries else None,
        last_date=max((e.value_date for e in entries if e.value_date), default=None),
    )
