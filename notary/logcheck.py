"""Recomputing a stored log from its entries: the integrity self-check's part in ``notary``.

:func:`check_log` reads a log's entries once, in index order and in batches, recomputes
every leaf hash and every perfect subtree from them, and compares that with what is stored:
each entry's ``leaf_hash``, each ``log_node`` row, the ``log_head`` row (size, root,
frontier) and every stored checkpoint (its signature, by the active or a retired key, its
origin, and its root against the recomputed root at its size). Each disagreement is a
:class:`Difference` naming the table, the row by its key and the field; never an entry's
contents. Every document an entry references (``notary.documents``) must be stored and hash to
its reference. Whoever reads the entries for another check (the tables derived from the log)
gets each one, its documents attached, through ``observe`` during the same pass (an entry
whose documents are missing or altered is reported and not passed on).

Cost: one pass over the entries (one ``SELECT`` per :data:`BATCH` entries), one over the
nodes (per level, in batches), one ``SHA-256`` per entry and per node; memory is the
recomputed nodes, about 2 × 32 bytes per entry (a 100,000-entry log: ~15 MB of Python objects).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notary import store
from notary.checkpoint import MalformedCheckpoint, log_origin, open_checkpoint
from notary.documents import DocumentMismatch, parse_document
from notary.errors import DomainError
from notary.keys import KeyRing
from notary.merkle import frontier_keys, leaf_hash, node_hash, tree_root
from notary.note import split_note

BATCH = 5000
"""Rows per ``SELECT`` when reading entries and nodes."""


@dataclass(frozen=True)
class Difference:
    """One place where a stored table disagrees with the log (or the log with itself).

    ``table`` and ``key`` name the row by its opaque key (``id=17``, ``idx=42``,
    ``ref=B7K2``), ``field`` the column or fact, ``detail`` what is wrong, in English; none of
    them ever holds personal data or a row's contents."""

    log: str
    table: str
    key: str
    field: str
    detail: str

    @property
    def text(self) -> str:
        """One line: ``<log>: <table> <key>: <field>: <detail>``."""
        return f"{self.log}: {self.table} {self.key}: {self.field}: {self.detail}"


def entries_from(
    session: Session, log: str, start: int = 0, stop: int | None = None
) -> Iterator[store.StoredEntry]:
    """The entries of ``log`` with ``start <= index < stop``, in index order, read
    :data:`BATCH` at a time (keyset pagination on the primary key), each with the documents
    it references (one more ``SELECT`` per batch that references any)."""
    e = store.LogEntry
    next_idx = start
    while True:
        query = sa.select(e.idx, e.leaf_hash, e.body).where(e.log == log, e.idx >= next_idx)
        if stop is not None:
            query = query.where(e.idx < stop)
        rows = session.execute(query.order_by(e.idx).limit(BATCH)).all()
        batch = [store.StoredEntry(row.idx, row.leaf_hash, row.body.encode()) for row in rows]
        yield from store.with_documents(session, log, batch)
        if len(rows) < BATCH:
            return
        next_idx = rows[-1].idx + 1


def check_log(
    session: Session,
    log: str,
    keyring: KeyRing,
    origin_prefix: str,
    observe: Callable[[store.StoredEntry], None] | None = None,
) -> list[Difference]:
    """Recompute ``log`` from its stored entries and list every disagreement with its stored
    nodes, head, checkpoints and documents (see the module docstring). ``observe`` is called
    with each entry whose documents are whole, in index order. Reads only."""
    diffs: list[Difference] = []

    def differ(table: str, key: str, field: str, detail: str) -> None:
        diffs.append(Difference(log, table, key, field, detail))

    levels: list[list[bytes]] = [[]]
    for expected, entry in enumerate(entries_from(session, log)):
        if entry.index != expected:
            differ("log_entry", f"idx={expected}", "row", f"missing (next is {entry.index})")
            break  # the tree cannot be rebuilt past a gap
        computed = leaf_hash(entry.body_bytes)
        if computed != entry.leaf_hash:
            differ("log_entry", f"idx={entry.index}", "leaf_hash", "not the hash of its body")
        _push(levels, computed)
        if _check_documents(entry, differ) and observe is not None:
            observe(entry)
    size = len(levels[0])

    def get(level: int, index: int) -> bytes:
        return levels[level][index]

    _check_nodes(session, log, levels, differ)
    head = session.execute(
        sa.select(store.LogHead.size, store.LogHead.root, store.LogHead.frontier).where(
            store.LogHead.log == log
        )
    ).one_or_none()
    if head is None:
        if size:
            differ("log_head", f"log={log}", "row", "missing")
    else:
        if head.size != size:
            differ("log_head", f"log={log}", "size", f"{head.size}, but {size} entries")
        elif head.root != tree_root(get, size):
            differ("log_head", f"log={log}", "root", "not the root of the entries")
        elif head.frontier != b"".join(get(lvl, i) for lvl, i in frontier_keys(size)):
            differ("log_head", f"log={log}", "frontier", "not the frontier of the entries")
    _check_checkpoints(session, log, keyring, origin_prefix, size, get, differ)
    return diffs


def _check_documents(
    entry: store.StoredEntry, differ: Callable[[str, str, str, str], None]
) -> bool:
    """Whether every document the entry references is stored and hashes to its reference;
    a :class:`Difference` for each that is not."""
    whole = True
    for sha in dict.fromkeys(entry.references):
        key = f"sha256={sha}"
        body = entry.documents.get(sha)
        if body is None:
            differ("log_document", key, "row", f"missing (referenced by idx={entry.index})")
            whole = False
            continue
        try:
            parse_document(sha, body)
        except DocumentMismatch:
            differ("log_document", key, "body", "not the canonical JSON of its hash")
            whole = False
    return whole


def _push(levels: list[list[bytes]], leaf: bytes) -> None:
    """Add a leaf hash and every perfect subtree it completes."""
    level, h = 0, leaf
    while True:
        if len(levels) == level:
            levels.append([])
        row = levels[level]
        row.append(h)
        if len(row) % 2:
            return
        h = node_hash(row[-2], row[-1])
        level += 1


def _check_nodes(
    session: Session,
    log: str,
    levels: list[list[bytes]],
    differ: Callable[[str, str, str, str], None],
) -> None:
    n = store.LogNode
    stored_levels = session.scalars(
        sa.select(n.level).where(n.log == log).group_by(n.level).order_by(n.level)
    ).all()
    for level in sorted(set(stored_levels) | {i for i, row in enumerate(levels) if row}):
        computed = levels[level] if level < len(levels) else []
        seen = 0
        next_idx = 0
        while True:
            rows = session.execute(
                sa.select(n.idx, n.hash)
                .where(n.log == log, n.level == level, n.idx >= next_idx)
                .order_by(n.idx)
                .limit(BATCH)
            ).all()
            for row in rows:
                key = f"level={level} idx={row.idx}"
                if row.idx >= len(computed):
                    differ("log_node", key, "row", "no such subtree in the entries")
                elif row.hash != computed[row.idx]:
                    differ("log_node", key, "hash", "not the hash of its entries")
                seen += 1
            if len(rows) < BATCH:
                break
            next_idx = rows[-1].idx + 1
        if seen < len(computed):
            differ("log_node", f"level={level}", "row", f"{len(computed) - seen} subtrees missing")


def _check_checkpoints(
    session: Session,
    log: str,
    keyring: KeyRing,
    origin_prefix: str,
    size: int,
    get: Callable[[int, int], bytes],
    differ: Callable[[str, str, str, str], None],
) -> None:
    c = store.LogCheckpoint
    verifiers = keyring.verifiers()
    try:
        origin = log_origin(origin_prefix, log)
    except MalformedCheckpoint:
        origin = ""
    for row in session.execute(
        sa.select(c.size, c.root, c.note).where(c.log == log).order_by(c.size)
    ):
        key = f"size={row.size}"
        try:
            split_note(row.note)
            checkpoint = open_checkpoint(row.note, verifiers)
        except DomainError as exc:
            differ("log_checkpoint", key, "signature", exc.text)
            continue
        if checkpoint.origin != origin:
            differ("log_checkpoint", key, "origin", f"{checkpoint.origin!r}, not {origin!r}")
        if checkpoint.size != row.size or checkpoint.root != row.root:
            differ("log_checkpoint", key, "size/root", "the columns differ from the signed note")
        if checkpoint.size > size:
            differ("log_checkpoint", key, "size", f"beyond the {size} entries of the log")
        elif checkpoint.root != tree_root(get, checkpoint.size):
            differ("log_checkpoint", key, "root", "not the root of the entries at that size")
