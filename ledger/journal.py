"""Posting journal entries: the one way money moves in the books.

Every operation (a deposit, interest, public income, a draw) ends in :func:`post_entry`,
which guarantees, in the caller's unit of work:

- the entry has two or more postings, each a non-zero integer fen amount on an account of
  the community's chart, and they sum to zero (else ``UnbalancedEntry``); its kind, date,
  memo and document references are within bounds (else ``InvalidEntry``);
- no bounded account (a unit's sub-account, a bank account) is overdrawn: the accounts it
  touches are locked (``FOR UPDATE`` on PostgreSQL, in id order; SQLite has one writer) and
  checked before anything is written (``InsufficientFunds`` naming the account), and the
  database refuses the row anyway (``ck_ledger_account_not_overdrawn``);
- with an idempotency key, a retry with the same content returns the first entry
  (``is_replay``) and one with different content is refused (``IdempotencyConflict``);
  concurrent retries wait on a transaction-scoped advisory lock on PostgreSQL, so one posts;
- the entry is appended to the community's Merkle log (``ledger.entry_posted``) in the same
  transaction, last, and the row records where (``log_index``).

Entries are never changed: :func:`reverse_entry` posts the opposite of an entry, pointing at
it; an entry is reversed at most once.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community, Unit
from estate.quantities import Fen
from ledger.errors import (
    N_,
    AccountNotFound,
    AlreadyReversed,
    BooksNotOpen,
    EntryNotFound,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
)
from ledger.journal_rows import ENTRY_TABLE, community_id_of, lock_entry_accounts, write_entry
from ledger.models import JournalEntry, LedgerAccount, Posting
from ledger.posting_rules import (
    PostingLine,
    check_entry,
)
from notary.canonical import canonical_bytes
from notary.store import Appended, RowWrite
from notary.work import UnitOfWork

ENTRY_EVENT = "ledger.entry_posted"
"""Log event type of a posted entry."""


@dataclass(frozen=True)
class PostedLine:
    """One posted line as read back, with the account's names and unit."""

    account: str
    name_zh: str
    name_en: str
    unit_code: str | None
    amount_fen: int


@dataclass(frozen=True)
class EntryInfo:
    """A posted entry as read back. ``number`` is its id; ``is_replay`` is true when an
    idempotent retry returned the entry an earlier call posted."""

    number: int
    community_code: str
    kind: str
    value_date: date
    memo: str
    documents: Mapping[str, Any]
    posted_at: datetime
    posted_by: int | None
    idempotency_key: str | None
    reverses: int | None
    reversed_by: int | None
    is_legacy: bool
    legacy_file_sha256: str | None
    log_index: int | None
    lines: tuple[PostedLine, ...]
    is_replay: bool = False

    @property
    def total_debit_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.amount_fen > 0)


def _content_sha256(
    kind: str,
    value_date: date,
    memo: str,
    documents: Mapping[str, Any],
    lines: Sequence[PostingLine],
    reverses: int | None,
    legacy_file_sha256: str | None,
) -> str:
    content = {
        "kind": kind,
        "value_date": value_date.isoformat(),
        "memo": memo,
        "documents": dict(documents),
        "postings": [[line.account, line.amount_fen] for line in lines],
        "reverses": reverses,
        "legacy_file_sha256": legacy_file_sha256,
    }
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def entry_under_key(s: Session, community_id: int, key: str) -> int | None:
    """The number of the entry posted in the community under idempotency ``key``, if any
    (a step that checks its own rules first skips them for a retry, which posts nothing)."""
    return s.scalar(
        sa.select(JournalEntry.id).where(
            JournalEntry.community_id == community_id, JournalEntry.idempotency_key == key
        )
    )


def community_row(s: Session, community_code: str, *, for_update: bool = False) -> Community:
    """The community with that code (``BooksNotOpen`` when there is none); its row locked
    until the commit with ``for_update``. Every ledger step finds its community here."""
    query = sa.select(Community).where(Community.code == community_code)
    if for_update:
        query = query.with_for_update()
    community = s.scalar(query)
    if community is None:
        raise _no_books(community_code)
    return community


def _no_books(community_code: str) -> BooksNotOpen:
    return BooksNotOpen(N_("There is no community %(code)s."), code=community_code)


def entry_row(s: Session, community_id: int, number: int) -> JournalEntry:
    """Entry ``number`` of that community's books (``EntryNotFound`` when there is none)."""
    entry = s.scalar(
        sa.select(JournalEntry).where(
            JournalEntry.id == number, JournalEntry.community_id == community_id
        )
    )
    if entry is None:
        raise EntryNotFound(N_("There is no entry %(number)s."), number=number)
    return entry


def _advisory_lock(s: Session, community_id: int, key: str) -> None:
    if s.get_bind().dialect.name != "postgresql":
        return  # SQLite: one writer at a time already
    digest = hashlib.sha256(f"ledger-idempotency:{community_id}:{key}".encode()).digest()
    s.execute(_ADVISORY_LOCK, {"k": int.from_bytes(digest[:8], "big", signed=True)})


_ADVISORY_LOCK = sa.text("SELECT pg_advisory_xact_lock(:k)")


def lock_balances(uow: UnitOfWork, account_ids: Sequence[int]) -> dict[int, int]:
    """The current balances (debits minus credits) of ``account_ids``, their rows locked
    until the commit on PostgreSQL (in id order, so concurrent lockers cannot deadlock), so
    what a step computes from them (a draw's shares) stays true until it posts."""
    if not account_ids:
        return {}
    s = uow.session
    ids = sorted(set(account_ids))
    balances: dict[int, int] = {}
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        query = (
            sa.select(LedgerAccount.id, LedgerAccount.balance_fen)
            .where(LedgerAccount.id.in_(chunk))
            .order_by(LedgerAccount.id)
            .with_for_update()
        )
        balances.update({row.id: row.balance_fen for row in s.execute(query)})
    return balances


def post_entry(
    uow: UnitOfWork,
    *,
    community_code: str,
    kind: str,
    value_date: date,
    lines: Sequence[PostingLine],
    memo: str = "",
    documents: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    reverses: int | None = None,
    legacy_file_sha256: str | None = None,
) -> EntryInfo:
    """Post one balanced entry to ``community_code``'s books (see the module docstring for
    every guarantee). The acting user is ``uow.actor``. Never commits."""
    s = uow.session
    documents = dict(documents or {})
    check_entry(kind, value_date, memo, documents, lines, idempotency_key, legacy_file_sha256)
    # What the caller added through the ORM is written first (the statements below are Core).
    s.flush()
    content = _content_sha256(
        kind, value_date, memo, documents, lines, reverses, legacy_file_sha256
    )
    if idempotency_key is not None:
        earlier = _earlier_entry(s, community_code, idempotency_key)
        if earlier is not None:
            if earlier.content_sha256 != content:
                raise IdempotencyConflict(
                    N_(
                        "The idempotency key %(key)s was used for a different entry "
                        "(number %(number)s)."
                    ),
                    key=idempotency_key,
                    number=earlier.id,
                )
            return _info(s, community_code, earlier, is_replay=True)
    codes = {line.account for line in lines}
    deltas: dict[str, int] = defaultdict(int)
    for line in lines:
        deltas[line.account] += line.amount_fen
    # One statement finds the community and the accounts, locks the rows this entry changes
    # (in id order, so concurrent posters cannot deadlock; SQLite has one writer anyway) and
    # reads what the returned entry shows.
    community_id, accounts = lock_entry_accounts(s, community_code, codes)
    if community_id is None:
        raise _no_books(community_code)
    for line in lines:
        if line.account not in accounts:
            raise AccountNotFound(
                N_("There is no account %(account)s in the books of %(code)s."),
                account=line.account,
                code=community_code,
            )
    for code in sorted(codes, key=lambda c: accounts[c].id):
        account, delta = accounts[code], deltas[code]
        after = account.balance_fen + delta
        if account.is_bounded and (
            (account.normal_side == "credit" and after > 0)
            or (account.normal_side == "debit" and after < 0)
        ):
            raise InsufficientFunds(
                N_(
                    "Account %(account)s holds %(balance)s yuan, less than the %(amount)s yuan "
                    "this entry takes from it."
                ),
                account=account.code,
                balance=Fen(abs(account.balance_fen)),
                amount=Fen(abs(delta)),
            )
    now = uow.clock.now()
    documents_json = canonical_bytes(documents).decode()
    header = {
        "community_id": community_id,
        "kind": kind,
        "value_date": value_date,
        "memo": memo,
        "documents": documents_json,
        "posted_at": now,
        "posted_by": uow.actor,
        "idempotency_key": idempotency_key,
        "content_sha256": content,
        "reverses_id": reverses,
        "is_legacy": legacy_file_sha256 is not None,
        "legacy_file_sha256": legacy_file_sha256,
    }
    with uow.constraint_errors(_NAMED_ERRORS):
        entry_id = write_entry(
            s,
            header,
            [(accounts[line.account].id, line.amount_fen) for line in lines],
            {accounts[c].id: d for c, d in deltas.items() if d},
        )

    def logged_at(appended: Appended) -> RowWrite:
        return RowWrite(ENTRY_TABLE, {"log_index": appended.index}, key={"id": entry_id})

    appended = uow.log(
        community_code,
        ENTRY_EVENT,
        entry_log_data(
            entry_id,
            kind,
            value_date,
            memo,
            documents,
            lines,
            reverses,
            idempotency_key,
            legacy_file_sha256,
            content,
        ),
        bulk=("postings",),
        together=logged_at,
    )
    # What was written, read back from memory: a new entry is reversed by nothing yet.
    return EntryInfo(
        number=entry_id,
        community_code=community_code,
        kind=kind,
        value_date=value_date,
        memo=memo,
        documents=json.loads(documents_json),
        posted_at=now,
        posted_by=uow.actor,
        idempotency_key=idempotency_key,
        reverses=reverses,
        reversed_by=None,
        is_legacy=legacy_file_sha256 is not None,
        legacy_file_sha256=legacy_file_sha256,
        log_index=appended.index,
        lines=tuple(
            PostedLine(
                line.account,
                accounts[line.account].name_zh,
                accounts[line.account].name_en,
                accounts[line.account].unit_code,
                line.amount_fen,
            )
            for line in lines
        ),
    )


def _earlier_entry(s: Session, community_code: str, key: str) -> JournalEntry | None:
    """The entry posted in the community under idempotency ``key``, if any (``BooksNotOpen``
    when there is no such community). On PostgreSQL a transaction-scoped advisory lock on the
    key is taken first, so concurrent retries wait here and one of them posts."""
    found = community_id_of(s, community_code)
    if found is None:
        raise _no_books(community_code)
    _advisory_lock(s, found, key)
    return s.scalar(
        sa.select(JournalEntry).where(
            JournalEntry.community_id == found, JournalEntry.idempotency_key == key
        )
    )


_NAMED_ERRORS = {
    "ck_ledger_account_not_overdrawn": lambda: InsufficientFunds(
        N_("This entry would overdraw an account.")
    ),
    "uq_journal_entry_reverses_id": lambda: AlreadyReversed(
        N_("That entry has been reversed already.")
    ),
}


def entry_log_data(
    entry_id: int,
    kind: str,
    value_date: date,
    memo: str,
    documents: Mapping[str, Any],
    lines: Sequence[PostingLine],
    reverses: int | None,
    idempotency_key: str | None,
    legacy_file_sha256: str | None,
    content_sha256: str,
) -> dict[str, Any]:
    """The data of an entry's ``ledger.entry_posted`` log event: everything the entry holds
    (postings as ``[account code, amount_fen]`` pairs), so the log alone reproduces the
    books. Also what ``fundvote log verify`` compares each stored entry against."""
    return {
        "entry": entry_id,
        "kind": kind,
        "value_date": value_date.isoformat(),
        "memo": memo,
        "documents": dict(documents),
        "postings": [[line.account, line.amount_fen] for line in lines],
        "reverses": reverses,
        "idempotency_key": idempotency_key,
        "legacy_file_sha256": legacy_file_sha256,
        "content_sha256": content_sha256,
    }


def reverse_entry(
    uow: UnitOfWork,
    *,
    community_code: str,
    number: int,
    value_date: date,
    memo: str,
    idempotency_key: str | None = None,
) -> EntryInfo:
    """Post the exact opposite of entry ``number``, pointing at it (``reverses``): the way
    to correct an entry, which is never changed. ``EntryNotFound`` for an unknown number,
    ``AlreadyReversed`` when it was reversed before (also by the database, for a race),
    ``InvalidEntry`` when it is itself a reversal; ``InsufficientFunds`` when undoing it
    would overdraw an account (a deposit already spent). Never commits."""
    s = uow.session
    community = community_row(s, community_code)
    entry = entry_row(s, community.id, number)
    if entry.kind == "reversal":
        raise InvalidEntry(N_("A reversal cannot itself be reversed; post a new entry."))
    already = s.scalar(sa.select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id))
    if already is not None and (
        idempotency_key is None
        or s.scalar(sa.select(JournalEntry.idempotency_key).where(JournalEntry.id == already))
        != idempotency_key
    ):
        raise AlreadyReversed(
            N_("Entry %(number)s was reversed already by entry %(by)s."),
            number=entry.id,
            by=already,
        )
    rows = s.execute(
        sa.select(LedgerAccount.code, Posting.amount_fen)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.entry_id == entry.id)
        .order_by(Posting.position)
    ).all()
    lines = [PostingLine(code, -amount) for code, amount in rows]
    return post_entry(
        uow,
        community_code=community_code,
        kind="reversal",
        value_date=value_date,
        lines=lines,
        memo=memo,
        documents=_documents(entry),
        idempotency_key=idempotency_key,
        reverses=entry.id,
    )


def _documents(entry: JournalEntry) -> dict[str, Any]:
    value = json.loads(entry.documents or "{}")
    return value if isinstance(value, dict) else {}


def _info(
    s: Session, community_code: str, entry: JournalEntry, *, is_replay: bool = False
) -> EntryInfo:
    rows = s.execute(
        sa.select(
            LedgerAccount.code,
            LedgerAccount.name_zh,
            LedgerAccount.name_en,
            Unit.code,
            Posting.amount_fen,
        )
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .outerjoin(Unit, Unit.id == LedgerAccount.unit_id)
        .where(Posting.entry_id == entry.id)
        .order_by(Posting.position)
    ).all()
    reversed_by = s.scalar(sa.select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id))
    return EntryInfo(
        number=entry.id,
        community_code=community_code,
        kind=entry.kind,
        value_date=entry.value_date,
        memo=entry.memo,
        documents=_documents(entry),
        posted_at=entry.posted_at,
        posted_by=entry.posted_by,
        idempotency_key=entry.idempotency_key,
        reverses=entry.reverses_id,
        reversed_by=reversed_by,
        is_legacy=entry.is_legacy,
        legacy_file_sha256=entry.legacy_file_sha256,
        log_index=entry.log_index,
        lines=tuple(PostedLine(*row) for row in rows),
        is_replay=is_replay,
    )


def get_entry(uow: UnitOfWork, community_code: str, number: int) -> EntryInfo:
    """Entry ``number`` of the community's books; ``EntryNotFound`` when there is none."""
    s = uow.session
    community = community_row(s, community_code)
    entry = entry_row(s, community.id, number)
    return _info(s, community.code, entry)


@dataclass(frozen=True)
class AccountBalance:
    """One account and its balance, debits minus credits (a healthy sub-account is <= 0)."""

    code: str
    kind: str
    type: str
    fund: str
    name_zh: str
    name_en: str
    unit_code: str | None
    normal_side: str
    balance_fen: int

    @property
    def natural_balance_fen(self) -> int:
        """The balance on the account's natural side (credits minus debits for a liability,
        net assets or income account): what a sub-account holds."""
        return -self.balance_fen if self.normal_side == "credit" else self.balance_fen


def balances(
    uow: UnitOfWork, community_code: str, *, to: date | None = None
) -> list[AccountBalance]:
    """Every account of the community's books in code order with its balance: the running
    balance kept by :func:`post_entry` when ``to`` is None, else the sum of its postings with
    a value date up to and including ``to`` (one aggregate). ``BooksNotOpen`` for an
    unknown community."""
    s = uow.session
    community = community_row(s, community_code)
    accounts = s.execute(
        sa.select(
            LedgerAccount.id,
            LedgerAccount.code,
            LedgerAccount.kind,
            LedgerAccount.type,
            LedgerAccount.fund,
            LedgerAccount.name_zh,
            LedgerAccount.name_en,
            Unit.code,
            LedgerAccount.normal_side,
            LedgerAccount.balance_fen,
        )
        .outerjoin(Unit, Unit.id == LedgerAccount.unit_id)
        .where(LedgerAccount.community_id == community.id)
    ).all()
    sums: dict[int, int] | None = None
    if to is not None:
        sums = dict(
            s.execute(
                sa.select(Posting.account_id, sa.func.sum(Posting.amount_fen))
                .where(Posting.community_id == community.id, Posting.value_date <= to)
                .group_by(Posting.account_id)
            ).all()
        )
    result = [
        AccountBalance(
            code=row[1],
            kind=row[2],
            type=row[3],
            fund=row[4],
            name_zh=row[5],
            name_en=row[6],
            unit_code=row[7],
            normal_side=row[8],
            balance_fen=int(row[9]) if sums is None else int(sums.get(row[0], 0)),
        )
        for row in accounts
    ]
    return sorted(result, key=lambda b: _code_key(b.code))


def posted_balances(uow: UnitOfWork, community_code: str) -> dict[str, int]:
    """Each account's balance recomputed from every posting (account code -> fen): what the
    running balances must equal (checked by the integrity check and the tests)."""
    s = uow.session
    community = community_row(s, community_code)
    return {
        code: int(total)
        for code, total in s.execute(
            sa.select(LedgerAccount.code, sa.func.coalesce(sa.func.sum(Posting.amount_fen), 0))
            .outerjoin(Posting, Posting.account_id == LedgerAccount.id)
            .where(LedgerAccount.community_id == community.id)
            .group_by(LedgerAccount.code)
        )
    }


def _code_key(code: str) -> tuple[str, ...]:
    return tuple(code.split("."))
