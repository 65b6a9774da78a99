"""The ledger's tables checked against the log they are derived from (``fundvote log verify``).

Every entry is appended to the community's log (``ledger.entry_posted``, whose data is
:func:`ledger.journal.entry_log_data`) in the same transaction as its rows, so the log holds
the truth. A row changed behind the service (``UPDATE posting SET amount_fen = ...``) would
move balances and reports while the log still holds the true entry; this check finds it.

What is compared, per community (each difference names the table, the row by its id and the
field; never a memo or an amount):

- ``journal_entry``: every row against its logged entry (kind, value date, memo, documents,
  reverses, idempotency key, legacy file hash, content hash, and ``log_index`` = the index of
  the entry that logs it); its ``content_sha256`` against the hash of its own content; every
  logged entry must have its row;
- ``posting``: an entry's postings, in position order, against the logged ``[account code,
  amount]`` pairs; each posting's community and value date against its entry's;
- ``ledger_account``: each account's running ``balance_fen`` against the sum of its postings.

Cost: the log is read once (by :func:`notary.logcheck.check_log`, which hands each entry to
:meth:`LoggedEntries.add`; entries of other packages are skipped by a substring test before
any JSON is parsed), then entries and their postings in batches of :data:`BATCH`, and one
aggregate for the balances.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community
from ledger.journal import ENTRY_EVENT, _content_sha256, entry_log_data
from ledger.models import JournalEntry, LedgerAccount, Posting
from ledger.posting_rules import PostingLine
from notary.logcheck import Difference
from notary.store import StoredEntry

BATCH = 5_000
_NEEDLE = b'"' + ENTRY_EVENT.encode() + b'"'


class LoggedEntries:
    """Collects the ``ledger.entry_posted`` entries of one log (``add`` each entry, in index
    order): entry number -> (log index, data)."""

    def __init__(self, log: str) -> None:
        self.log = log
        self.by_number: dict[int, tuple[int, dict[str, Any]]] = {}
        self.differences: list[Difference] = []

    def add(self, entry: StoredEntry) -> None:
        """Take one log entry into account (entries of other kinds are skipped)."""
        body = entry.body_bytes
        if _NEEDLE not in body:
            return
        try:
            parsed = entry.data  # documents inlined (the log check names missing ones)
        except ValueError:
            return  # the log check names a body that is not JSON
        if not isinstance(parsed, dict) or parsed.get("type") != ENTRY_EVENT:
            return
        data = parsed.get("data")
        number = data.get("entry") if isinstance(data, dict) else None
        if not isinstance(number, int) or isinstance(number, bool):
            self.differences.append(
                Difference(self.log, "log_entry", f"idx={entry.index}", "data", "no entry number")
            )
            return
        assert isinstance(data, dict)
        if number in self.by_number:
            self.differences.append(
                Difference(self.log, "log_entry", f"idx={entry.index}", "entry", "logged twice")
            )
        self.by_number[number] = (entry.index, data)


def _entry_batches(s: Session, community_id: int) -> Iterator[list[Any]]:
    after = 0
    e = JournalEntry
    while True:
        rows = s.execute(
            sa.select(
                e.id,
                e.kind,
                e.value_date,
                e.memo,
                e.documents,
                e.reverses_id,
                e.idempotency_key,
                e.legacy_file_sha256,
                e.content_sha256,
                e.log_index,
                e.is_legacy,
            )
            .where(e.community_id == community_id, e.id > after)
            .order_by(e.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1].id


def ledger_differences(
    s: Session, community_code: str, logged: LoggedEntries
) -> tuple[int, list[Difference]]:
    """Compare the community's journal entries, postings and running balances with what
    ``logged`` collected from its whole log (module docstring). Returns the number of
    entries checked and every difference. Reads only."""
    log = community_code
    diffs = list(logged.differences)

    def differ(table: str, key: str, field: str, detail: str) -> None:
        diffs.append(Difference(log, table, key, field, detail))

    community_id = s.scalar(sa.select(Community.id).where(Community.code == community_code))
    if community_id is None:
        for number in sorted(logged.by_number):
            differ("journal_entry", f"id={number}", "row", "logged but missing")
        return 0, diffs
    seen: set[int] = set()
    checked = 0
    for rows in _entry_batches(s, community_id):
        ids = [row.id for row in rows]
        postings: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
        dates = {row.id: row.value_date for row in rows}
        for entry_id, code, amount, p_community, p_date in s.execute(
            sa.select(
                Posting.entry_id,
                LedgerAccount.code,
                Posting.amount_fen,
                Posting.community_id,
                Posting.value_date,
            )
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(Posting.entry_id.in_(ids))
            .order_by(Posting.entry_id, Posting.position)
        ):
            postings[entry_id].append((code, int(amount)))
            if p_community != community_id:
                differ("posting", f"entry={entry_id}", "community_id", "not its entry's")
            if p_date != dates[entry_id]:
                differ("posting", f"entry={entry_id}", "value_date", "not its entry's")
        for row in rows:
            checked += 1
            seen.add(row.id)
            key = f"id={row.id}"
            try:
                documents = json.loads(row.documents or "{}")
            except ValueError:
                differ("journal_entry", key, "documents", "not JSON")
                documents = {}
            lines = [PostingLine(code, amount) for code, amount in postings[row.id]]
            own = _content_sha256(
                row.kind,
                row.value_date,
                row.memo,
                documents,
                lines,
                row.reverses_id,
                row.legacy_file_sha256,
            )
            if own != row.content_sha256:
                differ("journal_entry", key, "content_sha256", "not the hash of its content")
            if row.is_legacy != (row.legacy_file_sha256 is not None):
                differ("journal_entry", key, "is_legacy", "disagrees with legacy_file_sha256")
            found = logged.by_number.get(row.id)
            if found is None:
                differ("journal_entry", key, "log_index", "no ledger.entry_posted entry logs it")
                continue
            index, data = found
            if row.log_index != index:
                differ("journal_entry", key, "log_index", f"not idx={index}, which logs it")
            expected = entry_log_data(
                row.id,
                row.kind,
                row.value_date,
                row.memo,
                documents,
                lines,
                row.reverses_id,
                row.idempotency_key,
                row.legacy_file_sha256,
                row.content_sha256,
            )
            for name in sorted(set(expected) | set(data)):
                if expected.get(name) != data.get(name):
                    table = "posting" if name == "postings" else "journal_entry"
                    differ(table, key if table != "posting" else f"entry={row.id}", name,
                           "differs from the log")  # fmt: skip
    for number in sorted(set(logged.by_number) - seen):
        index = logged.by_number[number][0]
        differ("journal_entry", f"id={number}", "row", f"logged at idx={index} but missing")
    for account_id, running, posted in s.execute(
        sa.select(
            LedgerAccount.id,
            LedgerAccount.balance_fen,
            sa.select(sa.func.coalesce(sa.func.sum(Posting.amount_fen), 0))
            .where(Posting.account_id == LedgerAccount.id)
            .scalar_subquery(),
        )
        .where(LedgerAccount.community_id == community_id)
        .order_by(LedgerAccount.id)
    ):
        if int(running) != int(posted):
            differ(
                "ledger_account",
                f"id={account_id}",
                "balance_fen",
                "not the sum of its postings",
            )
    return checked, diffs
