"""A community whose log holds a million entries, a tenth of them journal entries, loaded fast.

The bundle benchmark needs a log far larger than appending one entry at a time could build in
a benchmark run (the append path is measured by the cast and ledger benchmarks). So this loader
writes exactly the rows that appending would have written, in bulk:

- the community and its roll come from the real use cases (``create_community_with_books``,
  ``import_roll_with_books``), so its first entries are genuine;
- ``journal_entries`` journal entries (the ledger benchmark's ten-year plan: deposits, top-ups,
  public income and its costs) are inserted with
  their postings, each pointing at its own ``ledger.entry_posted`` log entry whose data is
  :func:`ledger.journal.entry_log_data` of that entry (bulky postings as documents, as the
  journal stores them);
- the rest of the log, up to ``log_entries``, is statement links issued to owners
  (``ledger.statement_link_issued``, the shape ``ledger.statement_links`` logs), spread
  between the journal entries;
- every leaf and every completed perfect subtree is written (``log_entry``, ``log_node``) by
  PostgreSQL ``COPY``, computed with the same :func:`notary.merkle.completed_nodes` the
  append path uses, from a frontier only (memory stays ``O(log n)``); the head is updated and
  a checkpoint is signed by the real unit of work.

Then ``fundvote log verify`` would find the log whole: the loader is a faster writer of the
same rows, not a different log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fundvote.runtime import Runtime
from ledger.api import PostingLine
from ledger.journal import _content_sha256, entry_log_data
from ledger.models import JournalEntry
from notary import store
from notary.documents import BULK_INLINE_LIMIT, MAX_ENTRY_BYTES
from notary.envelope import entry_body
from notary.merkle import completed_nodes, frontier_keys, leaf_hash, tree_root
from notary.work import UnitOfWork
from tests.bench.bench_ledger import Plan, _community, _plan, community_accounts, insert_plan

BATCH = 20_000
_GATED = ("interest", "draw")
SHANGHAI_10AM_UTC = time(2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class LogHistory:
    """What was loaded: the community, its log's size and the journal's size."""

    code: str
    units: int
    log_entries: int
    journal_entries: int
    postings: int


def load(rt: Runtime, code: str, *, units: int, years: int, journal_entries: int,
         log_entries: int) -> LogHistory:  # fmt: skip
    """Load the history (see the module docstring) on PostgreSQL; returns its sizes."""
    roll = _community(rt, code, units)
    # The plan's interest and draws are shortcuts (interest by closing balance, draws without
    # a project or a decision) that the verifier rightly refuses; a bundle must verify clean,
    # so the history keeps deposits, top-ups, public income and its costs.
    gated = 5 * years  # quarterly interest and yearly draws
    plan = [p for p in _plan(roll, years, journal_entries + gated) if p[0] not in _GATED]
    plan = plan[:journal_entries]
    owners = [f"O{u}" for u, _ in roll]

    def write(uow: UnitOfWork) -> tuple[int, int]:
        s = uow.session
        community_id, accounts = community_accounts(s, code)
        owner_refs = [
            r
            for (r,) in s.execute(
                sa.text(
                    "SELECT o.ref FROM owner o JOIN community c ON c.id = o.community_id "
                    "WHERE c.code = :c ORDER BY o.id"
                ),
                {"c": code},
            )
        ] or owners
        head = s.execute(
            sa.text("SELECT size, frontier FROM log_head WHERE log = :l FOR UPDATE"), {"l": code}
        ).one()
        start = head.size
        total = max(log_entries - start, len(plan))
        every = total // len(plan)  # one journal entry every `every` log entries
        positions = {start + k * every: k for k in range(len(plan))}
        now = uow.clock.now()
        ids = _insert_journal(s, community_id, accounts, plan, positions, now)
        writer = _LogWriter(s, code, start, head.frontier)
        at = datetime.combine(plan[0][1], SHANGHAI_10AM_UTC)
        postings = 0
        for index in range(start, start + total):
            k = positions.get(index)
            if k is None:
                at += timedelta(milliseconds=1)
                body = entry_body(
                    "ledger.statement_link_issued",
                    at,
                    code,
                    {"owner": owner_refs[index % len(owner_refs)], "reissue": False},
                )
            else:
                kind, day, memo, lines = plan[k]
                at = max(at + timedelta(milliseconds=1), datetime.combine(day, SHANGHAI_10AM_UTC))
                body = _entry_posted(s, code, at, ids[k], kind, day, memo, lines)
                postings += len(lines)
            writer.add(body)
        writer.close()
        return total, postings

    total, postings = rt.run(write)
    rt.run(lambda uow: uow.checkpoint(code))
    with rt.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
    return LogHistory(code, units, total, len(plan), postings)


def _insert_journal(
    s: Session,
    community_id: int,
    accounts: dict[str, int],
    plan: Plan,
    positions: dict[int, int],
    now: datetime,
) -> list[int]:
    """Insert the plan's journal entries (``bench_ledger.insert_plan``), then point each at its
    own log entry; return their ids in plan order."""
    ids = insert_plan(s, community_id, accounts, plan, now)
    index_of = {k: index for index, k in positions.items()}
    s.execute(
        sa.update(JournalEntry),
        [{"id": entry_id, "log_index": index_of[k]} for k, entry_id in enumerate(ids)],
    )
    return ids


def _entry_posted(
    s: Session,
    code: str,
    at: datetime,
    entry_id: int,
    kind: str,
    day: date,
    memo: str,
    lines: list[tuple[str, int]],
) -> bytes:
    """The ``ledger.entry_posted`` entry of one journal entry, its postings moved into a
    document when the entry would be bulky (as the journal's append does)."""
    posting_lines = [PostingLine(a, f) for a, f in lines]
    data: dict[str, Any] = entry_log_data(
        entry_id,
        kind,
        day,
        memo,
        {},
        posting_lines,
        None,
        None,
        None,
        _content_sha256(kind, day, memo, {}, posting_lines, None, None),
    )
    body = entry_body("ledger.entry_posted", at, code, data)
    if len(body) > BULK_INLINE_LIMIT:
        data["postings"] = store.put_document(s, code, data["postings"])
        body = entry_body("ledger.entry_posted", at, code, data)
    if len(body) > MAX_ENTRY_BYTES:
        raise RuntimeError("a benchmark entry is larger than a log entry may be")
    return body


class _LogWriter:
    """Writes leaves and completed subtrees by COPY, keeping only the frontier in memory."""

    def __init__(self, s: Session, log: str, size: int, frontier: bytes) -> None:
        self.s, self.log, self.size = s, log, size
        keys = frontier_keys(size)
        self.known = {key: frontier[32 * i : 32 * (i + 1)] for i, key in enumerate(keys)}
        self.entries: list[tuple[str, int, bytes, str]] = []
        self.nodes: list[tuple[str, int, int, bytes]] = []

    def _get(self, level: int, index: int) -> bytes:
        return self.known[(level, index)]

    def add(self, body: bytes) -> None:
        leaf = leaf_hash(body)
        for node in completed_nodes(self.size, leaf, self._get):
            self.known[(node.level, node.index)] = node.hash
            self.nodes.append((self.log, node.level, node.index, node.hash))
        self.entries.append((self.log, self.size, leaf, body.decode("utf-8")))
        self.size += 1
        keep = set(frontier_keys(self.size))
        for key in [k for k in self.known if k not in keep]:
            del self.known[key]
        if len(self.entries) >= BATCH:
            self._flush()

    def close(self) -> None:
        self._flush()
        keys = frontier_keys(self.size)
        root = tree_root(self._get, self.size)
        self.s.execute(
            sa.text("UPDATE log_head SET size = :n, root = :r, frontier = :f WHERE log = :l"),
            {"n": self.size, "r": root, "f": b"".join(self.known[k] for k in keys), "l": self.log},
        )

    def _flush(self) -> None:
        raw = self.s.connection().connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            with cur.copy("COPY log_entry (log, idx, leaf_hash, body) FROM STDIN") as copy:
                for row in self.entries:
                    copy.write_row(row)
            with cur.copy("COPY log_node (log, level, idx, hash) FROM STDIN") as copy:
                for row in self.nodes:
                    copy.write_row(row)
        self.entries.clear()
        self.nodes.clear()


def digest_of_rows(rows: Iterator[bytes]) -> str:
    """SHA-256 over rows (for the baseline's work to be kept, not optimised away)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(row)
    return h.hexdigest()
