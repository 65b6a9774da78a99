"""The append-only Merkle log in the database: entries, perfect subtrees, heads, checkpoints.

Every function takes a ``Session`` already inside the caller's transaction: the service that
records an event appends its entry in the same transaction as the event itself, so both
commit or neither does. Rows are only ever inserted, except the one ``log_head`` row per log,
which is the per-log lock and caches the current size and root.

Storage keeps every perfect subtree (``log_node``, about two rows per entry), so an append
writes ``O(log n)`` rows and reads ``O(log n)`` nodes, and a root or proof reads at most
``O(log² n)`` nodes, fetched in one query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Insert,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    TextClause,
    Update,
    bindparam,
    insert,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from notary import documents, envelope
from notary.canonical import canonical_bytes
from notary.checkpoint import Checkpoint, log_origin, parse_checkpoint, sign_checkpoint
from notary.envelope import refuse_personal_data
from notary.errors import N_, DomainError
from notary.merkle import (
    EMPTY_ROOT,
    BeyondTreeSize,
    Getter,
    completed_nodes,
    frontier_keys,
    leaf_hash,
    tree_root,
    verify_consistency,
)
from notary.merkle import consistency_proof as merkle_consistency_proof
from notary.merkle import inclusion_proof as merkle_inclusion_proof
from notary.note import Signer, split_note
from notary.orm import Base, UTCDateTime

T = TypeVar("T")
LOG_NAME_MAX = 64
_LOG_NAME = re.compile(r"[^\s+/]{1,64}")


class LogCorrupt(DomainError):
    """Stored log data contradicts itself (a node is missing or a root does not match)."""

    code = "log-corrupt"


class UnsupportedDatabase(DomainError):
    """The log needs PostgreSQL or SQLite (their upserts and locks)."""

    code = "unsupported-database"


class EntryNotFound(DomainError):
    """The log has no entry at that index."""

    code = "entry-not-found"


class DocumentNotFound(DomainError):
    """The log holds no document with that SHA-256 (an entry references a missing document)."""

    code = "document-not-found"


class EntryTooLarge(DomainError):
    """An entry's canonical JSON is longer than ``notary.documents.MAX_ENTRY_BYTES``: its
    event should have named its bulky fields (``bulk=``). Our fault, never the user's."""

    code = "entry-too-large"


class LogHead(Base):
    """One row per log: its current size, root and frontier; locked by every append.

    ``frontier`` holds the hashes of the perfect subtrees that make up the current tree
    (:func:`notary.merkle.frontier_keys`), 32 bytes each, largest first, so an append reads
    nothing but this row.
    """

    __tablename__ = "log_head"

    log: Mapped[str] = mapped_column(String(LOG_NAME_MAX), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    frontier: Mapped[bytes] = mapped_column(LargeBinary)


class LogEntry(Base):
    """One leaf: the canonical JSON of the entry and its RFC 6962 leaf hash."""

    __tablename__ = "log_entry"

    log: Mapped[str] = mapped_column(ForeignKey("log_head.log"), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    body: Mapped[str] = mapped_column(Text)


class LogNode(Base):
    """The hash of one perfect subtree: ``2**level`` leaves from leaf ``idx * 2**level``."""

    __tablename__ = "log_node"

    log: Mapped[str] = mapped_column(ForeignKey("log_head.log"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogCheckpoint(Base):
    """A signed checkpoint (a C2SP signed note) of a log at one size; one per size."""

    __tablename__ = "log_checkpoint"

    log: Mapped[str] = mapped_column(ForeignKey("log_head.log"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LogDocument(Base):
    """A bulk payload moved out of an entry (``notary.documents``): its canonical JSON, named by
    its SHA-256. Content-addressed, so storing the same value twice keeps one row. No foreign
    key to ``log_head``: a log's first entry may reference a document stored just before it."""

    __tablename__ = "log_document"

    log: Mapped[str] = mapped_column(String(LOG_NAME_MAX), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


# Core tables for the hot paths (appends and node reads): no ORM overhead per statement.
_HEAD_TABLE = cast(Table, LogHead.__table__)
_ENTRY_TABLE = cast(Table, LogEntry.__table__)
_NODE_TABLE = cast(Table, LogNode.__table__)
_DOCUMENT_TABLE = cast(Table, LogDocument.__table__)


_INSERT_ENTRY = insert(_ENTRY_TABLE)
_INSERT_NODES = insert(_NODE_TABLE)
_UPDATE_HEAD = (
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.log == bindparam("head_log"))
    .values(
        size=bindparam("new_size"), root=bindparam("new_root"), frontier=bindparam("new_frontier")
    )
)
_LOCK_HEAD = (
    select(_HEAD_TABLE.c.size, _HEAD_TABLE.c.root, _HEAD_TABLE.c.frontier)
    .where(_HEAD_TABLE.c.log == bindparam("head_log"))
    .with_for_update()
)


@dataclass(frozen=True)
class Appended:
    """Where an entry landed: its index, its leaf hash and the exact bytes that were hashed."""

    index: int
    leaf_hash: bytes
    body_bytes: bytes


_DOC_NEEDLE = b'"' + documents.DOC_KEY.encode() + b'"'


@dataclass(frozen=True)
class StoredEntry:
    """An entry read back from the log, with the documents it references (by SHA-256) as far
    as they were found."""

    index: int
    leaf_hash: bytes
    body_bytes: bytes
    documents: Mapping[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def references(self) -> list[str]:
        """The SHA-256 of every document the entry references (none for most entries)."""
        if _DOC_NEEDLE not in self.body_bytes:
            return []
        return list(documents.referenced_documents(self.raw))

    @property
    def raw(self) -> dict[str, Any]:
        """The entry as a dict, as stored: document references left in place."""
        parsed: dict[str, Any] = json.loads(self.body_bytes)
        return parsed

    @property
    def data(self) -> dict[str, Any]:
        """The entry as a dict with every document reference replaced by the document's value
        (what a reader interprets). Raises :class:`LogCorrupt` for a referenced document that
        was not found and ``notary.documents.DocumentMismatch`` for one whose bytes do not
        hash to its reference."""
        parsed = self.raw
        if _DOC_NEEDLE not in self.body_bytes:
            return parsed
        return _inline(parsed, self.documents)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as issued: the parsed body, the signed note text and when it was made."""

    log: str
    checkpoint: Checkpoint
    note: str
    created_at: datetime

    @property
    def size(self) -> int:
        """The tree size the checkpoint commits to."""
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        """The root hash the checkpoint commits to."""
        return self.checkpoint.root

    @property
    def origin(self) -> str:
        """The checkpoint's origin line."""
        return self.checkpoint.origin


def append(session: Session, log: str, entry: Mapping[str, Any]) -> Appended:
    """Append ``entry`` to ``log`` inside the caller's transaction; return where it landed.

    Refuses personal data (:class:`notary.envelope.PersonalDataInEntry`), anything that is
    not canonical JSON (``TypeError``/``ValueError``) and an entry longer than
    ``notary.documents.MAX_ENTRY_BYTES`` (:class:`EntryTooLarge`) before touching the
    database. Holds the log's lock until the caller's transaction ends, so concurrent
    appenders get consecutive indices and never fork the log (PostgreSQL: ``SELECT ... FOR
    UPDATE`` on the head row; SQLite: transactions begin with ``BEGIN IMMEDIATE``). If the
    transaction rolls back the entry is gone and its index is reused.
    """
    refuse_personal_data(entry)
    return append_body(session, log, canonical_bytes(entry))


@dataclass(frozen=True)
class RowWrite:
    """One row written in the same statement as a log entry: inserted with ``values``, or,
    with ``key`` (column -> value, its primary key), that existing row updated to ``values``."""

    table: Table
    values: Mapping[str, Any]
    key: Mapping[str, Any] = field(default_factory=dict)


Together = Callable[[Appended], RowWrite]
"""Builds, from where an entry landed, the one row written with the entry."""


FINAL_WRITE = "fundvote_final_write"
"""``session.info`` key of a write deferred to the commit (see :func:`append_body`)."""


def append_body(
    session: Session,
    log: str,
    body: bytes,
    *,
    together: Together | None = None,
    is_last_write: bool = False,
) -> Appended:
    """Append an entry given as its canonical JSON bytes (already checked for personal data,
    e.g. by :func:`notary.envelope.entry_body`); otherwise as :func:`append`.

    ``together`` names one more row to write in the same statement as the entry, built from
    the entry's index and leaf hash (:class:`RowWrite`): a row to insert (a vote and its
    receipt) or one to update (a journal entry records its ``log_index``). The log's lock is
    held from the read of the head to the commit, so the fewer round trips in between, the
    more appends a log takes per second. On PostgreSQL the entry, its tree nodes, the new head
    and that row are written by one statement; on SQLite (one writer at a time anyway) by
    several.

    With ``is_last_write`` (the caller writes nothing more in this transaction) that
    PostgreSQL statement is not sent here: it is left in ``session.info[FINAL_WRITE]`` as
    ``(psycopg SQL, parameters)`` for the unit of work's owner to send in one round trip with
    the COMMIT (``fundvote.db.commit_with``), so the lock is held for one round trip less.
    """
    if FINAL_WRITE in session.info:
        raise RuntimeError("a write was already deferred to the commit of this transaction")
    if len(body) > documents.MAX_ENTRY_BYTES:
        raise EntryTooLarge(
            N_("A log entry is too large to record."),
            log=log,
            size=len(body),
            limit=documents.MAX_ENTRY_BYTES,
        )
    leaf = leaf_hash(body)
    index, _, frontier = _lock_head(session, log)
    known = _frontier_nodes(log, index, frontier)
    nodes = completed_nodes(index, leaf, _getter(log, known))
    known.update({(n.level, n.index): n.hash for n in nodes})
    new_root = tree_root(_getter(log, known), index + 1)
    new_frontier = b"".join(known[key] for key in frontier_keys(index + 1))
    appended = Appended(index, leaf, body)
    extra = together(appended) if together is not None else None
    params: dict[str, Any] = {
        "head_log": log,
        "idx": index,
        "leaf_hash": leaf,
        "body": body.decode("utf-8"),
        "new_size": index + 1,
        "new_root": new_root,
        "new_frontier": new_frontier,
    }
    if session.get_bind().dialect.name == "postgresql":
        params["levels"] = [n.level for n in nodes]
        params["idxs"] = [n.index for n in nodes]
        params["hashes"] = [n.hash for n in nodes]
        statement = _pg_append(None)
        if extra is not None:
            params.update({f"row_{k}": v for k, v in extra.values.items()})
            params.update({f"key_{k}": v for k, v in extra.key.items()})
            statement = _pg_append(
                extra.table, tuple(sorted(extra.values)), tuple(sorted(extra.key))
            )
        if is_last_write:
            session.info[FINAL_WRITE] = (_PSYCOPG_SQL[statement.text], params)
        else:
            session.execute(statement, params)
        return appended
    session.execute(
        _INSERT_ENTRY,
        {"log": log, "idx": index, "leaf_hash": leaf, "body": params["body"]},
    )
    session.execute(
        _INSERT_NODES,
        [{"log": log, "level": n.level, "idx": n.index, "hash": n.hash} for n in nodes],
    )
    session.execute(_UPDATE_HEAD, params)
    if extra is not None:
        session.execute(_row_write(extra))
    return appended


def _row_write(row: RowWrite) -> Insert | Update:
    """The Core statement that writes ``row`` on its own (SQLite)."""
    if not row.key:
        return insert(row.table).values(dict(row.values))
    where = [row.table.c[name] == value for name, value in row.key.items()]
    return update(row.table).where(*where).values(dict(row.values))


_PG_APPENDS: dict[tuple[str, tuple[str, ...], tuple[str, ...]], TextClause] = {}
_PSYCOPG_SQL: dict[str, str] = {}  # the same statements in psycopg's %(name)s style


def _pg_append(
    table: Table | None, columns: tuple[str, ...] = (), key: tuple[str, ...] = ()
) -> TextClause:
    """The one PostgreSQL statement that writes an entry, its completed nodes, the new head and
    optionally one more row: inserted with ``columns``, or with ``key`` updated (data-modifying
    CTEs: all or nothing, one round trip)."""
    cache_key = ("" if table is None else table.name, columns, key)
    statement = _PG_APPENDS.get(cache_key)
    if statement is None:
        final = "SELECT 1"
        # Names from our own metadata, never from input; values are bound parameters.
        if table is not None and key:
            sets = ", ".join(f"{c} = :row_{c}" for c in columns)
            where = " AND ".join(f"{c} = :key_{c}" for c in key)
            final = f"UPDATE {table.name} SET {sets} WHERE {where}"  # noqa: S608
        elif table is not None:
            names = ", ".join(columns)
            values = ", ".join(f":row_{c}" for c in columns)
            final = f"INSERT INTO {table.name} ({names}) VALUES ({values})"  # noqa: S608
        statement = text(
            "WITH entry AS (INSERT INTO log_entry (log, idx, leaf_hash, body)"  # noqa: S608
            " VALUES (:head_log, :idx, :leaf_hash, :body)),"
            " nodes AS (INSERT INTO log_node (log, level, idx, hash)"
            " SELECT :head_log, n.level, n.idx, n.hash FROM unnest("
            "CAST(:levels AS smallint[]), CAST(:idxs AS bigint[]), CAST(:hashes AS bytea[]))"
            " AS n(level, idx, hash)),"
            " head AS (UPDATE log_head SET size = :new_size, root = :new_root,"
            " frontier = :new_frontier WHERE log = :head_log) " + final
        )
        _PG_APPENDS[cache_key] = statement
        _PSYCOPG_SQL[statement.text] = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", statement.text)
    return statement


def put_document(session: Session, log: str, value: Any) -> dict[str, str]:
    """Store ``value`` as a document of ``log`` in the caller's transaction; return its
    reference ``{"$doc": "<sha256 hex>"}`` (``notary.documents``).

    Idempotent: the same value twice (same canonical JSON) is one row. Refuses personal data
    (:class:`notary.envelope.PersonalDataInEntry`) and non-canonical values like :func:`append`.
    """
    _check_log_name(log)
    refuse_personal_data(value)
    sha, body = documents.document_bytes(value)
    values = {"log": log, "sha256": sha, "body": body.decode("utf-8")}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(_DOCUMENT_TABLE).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(_DOCUMENT_TABLE).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - fundvote supports these two
        raise UnsupportedDatabase(
            N_("The log supports PostgreSQL and SQLite, not %(dialect)s."), dialect=dialect
        )
    return documents.document_ref(sha)


def document_bytes(session: Session, log: str, sha256_hex: str) -> bytes:
    """The stored bytes of ``log``'s document ``sha256_hex``; raises :class:`DocumentNotFound`
    if there is none. (The bytes are as stored: :func:`notary.documents.parse_document`
    checks them against the hash.)"""
    found = documents_of(session, log, [sha256_hex])
    if sha256_hex not in found:
        raise DocumentNotFound(
            N_("The log has no document with that hash."), log=log, sha256=sha256_hex
        )
    return found[sha256_hex]


_DOCUMENT_BATCH = 500


def documents_of(session: Session, log: str, shas: Iterable[str]) -> dict[str, bytes]:
    """The stored bytes of those of ``log``'s documents named in ``shas`` that exist, by
    SHA-256 (one query per 500 names; unknown names are simply absent)."""
    wanted = sorted(set(shas))
    found: dict[str, bytes] = {}
    c = _DOCUMENT_TABLE.c
    for start in range(0, len(wanted), _DOCUMENT_BATCH):
        batch = wanted[start : start + _DOCUMENT_BATCH]
        rows = session.execute(select(c.sha256, c.body).where(c.log == log, c.sha256.in_(batch)))
        found.update({row.sha256: row.body.encode("utf-8") for row in rows})
    return found


def resolved(session: Session, log: str, stored: StoredEntry | Mapping[str, Any]) -> dict[str, Any]:
    """The entry (a stored entry, or one already parsed) with every document reference replaced
    by the document's value, fetched in one query; raises :class:`LogCorrupt` for a missing
    document and :class:`notary.documents.DocumentMismatch` for one whose bytes do not hash to
    its reference. An entry without references is returned as parsed."""
    parsed = stored.raw if isinstance(stored, StoredEntry) else dict(stored)
    shas = list(documents.referenced_documents(parsed))
    if not shas:
        return parsed
    return _inline(parsed, documents_of(session, log, shas))


def _inline(parsed: dict[str, Any], found: Mapping[str, bytes]) -> dict[str, Any]:
    def fetch(sha: str) -> bytes:
        if sha not in found:
            raise LogCorrupt(N_("An entry references a document the log does not hold."))
        return found[sha]

    inlined: dict[str, Any] = documents.inline_documents(parsed, fetch)
    return inlined


def event_body(
    session: Session,
    log: str,
    event: str,
    at: datetime,
    data: Mapping[str, Any],
    *,
    bulk: Iterable[str] = (),
) -> bytes:
    """The canonical bytes of the entry recording ``event`` with ``data`` in ``log`` (the
    community's code), as :func:`notary.envelope.entry_body` builds them.

    If those bytes would exceed ``notary.documents.BULK_INLINE_LIMIT``, each top-level field
    of ``data`` named in ``bulk`` that holds a list or mapping is stored as a document of the
    log (:func:`put_document`, in the caller's transaction) and replaced in the entry by its
    reference; the entry keeps its salt. The length limit itself is enforced by the append.
    """
    salt = envelope.new_salt()
    body = envelope.entry_body(event, at, log, data, salt=salt)
    if len(body) <= documents.BULK_INLINE_LIMIT or not bulk:
        return body
    moved = dict(data)
    for name in bulk:
        value = moved.get(name)
        if isinstance(value, list | tuple | Mapping) and not documents.is_document_ref(value):
            moved[name] = put_document(session, log, value)
    return envelope.entry_body(event, at, log, moved, salt=salt)


def tree_size(session: Session, log: str) -> int:
    """The number of entries in ``log`` as this transaction sees it (0 for an unknown log)."""
    size = session.execute(select(LogHead.size).where(LogHead.log == log)).scalar_one_or_none()
    return size or 0


def root(session: Session, log: str, size: int | None = None) -> bytes:
    """The root hash of ``log`` at ``size`` entries (default: now); raises
    :class:`notary.merkle.BeyondTreeSize` for a size the log has not reached."""
    head = _head(session, log)
    if size is None or size == head[0]:
        return head[1]
    _check_size(size, head[0])
    return _with_nodes(session, log, lambda get: tree_root(get, size))


def entry(session: Session, log: str, index: int) -> StoredEntry:
    """The entry at ``index`` with the documents it references; raises :class:`EntryNotFound`
    if there is none."""
    row = session.execute(
        select(LogEntry.leaf_hash, LogEntry.body).where(LogEntry.log == log, LogEntry.idx == index)
    ).one_or_none()
    if row is None:
        raise EntryNotFound(N_("The log has no entry at that index."), log=log, index=index)
    return with_documents(session, log, [StoredEntry(index, row.leaf_hash, row.body.encode())])[0]


def entries(
    session: Session, log: str, start: int = 0, stop: int | None = None
) -> Iterator[StoredEntry]:
    """The entries with ``start <= index < stop`` (default: to the end), in index order, each
    with the documents it references (:func:`with_documents`)."""
    query = select(LogEntry.idx, LogEntry.leaf_hash, LogEntry.body).where(
        LogEntry.log == log, LogEntry.idx >= start
    )
    if stop is not None:
        query = query.where(LogEntry.idx < stop)
    for row in session.execute(query.order_by(LogEntry.idx)):
        yield with_documents(
            session, log, [StoredEntry(row.idx, row.leaf_hash, row.body.encode())]
        )[0]


def with_documents(session: Session, log: str, batch: list[StoredEntry]) -> list[StoredEntry]:
    """The entries of ``batch`` with the documents they reference attached (one query for the
    whole batch, none if no entry references a document), so that their ``data`` is whole."""
    wanted = {e.index: e.references for e in batch}
    shas = {sha for refs in wanted.values() for sha in refs}
    if not shas:
        return batch
    found = documents_of(session, log, shas)
    return [
        StoredEntry(
            e.index,
            e.leaf_hash,
            e.body_bytes,
            {sha: found[sha] for sha in wanted[e.index] if sha in found},
        )
        if wanted[e.index]
        else e
        for e in batch
    ]


def tile_hashes(session: Session, log: str, level: int, start: int, count: int) -> list[bytes]:
    """The stored perfect subtrees at tree ``level`` with ``start <= index < start + count``,
    in index order, read with one primary-key range query (a C2SP tile is tree level ``8L``,
    ``notary.tiles.node_range``); raises :class:`LogCorrupt` unless all ``count`` exist, so
    call it only for subtrees the log has completed."""
    c = _NODE_TABLE.c
    rows = session.execute(
        select(c.idx, c.hash)
        .where(c.log == log, c.level == level, c.idx >= start, c.idx < start + count)
        .order_by(c.idx)
    ).all()
    if len(rows) != count or any(row.idx != start + i for i, row in enumerate(rows)):
        raise LogCorrupt(N_("A stored tree node is missing."), log=log)
    return [row.hash for row in rows]


def tile_entries(session: Session, log: str, start: int, count: int) -> list[bytes]:
    """The exact bytes of entries ``start .. start + count - 1`` (the leaves that were hashed),
    in index order, with one range query; raises :class:`LogCorrupt` unless all exist."""
    c = _ENTRY_TABLE.c
    rows = session.execute(
        select(c.idx, c.body)
        .where(c.log == log, c.idx >= start, c.idx < start + count)
        .order_by(c.idx)
    ).all()
    if len(rows) != count or any(row.idx != start + i for i, row in enumerate(rows)):
        raise LogCorrupt(N_("A stored log entry is missing."), log=log)
    return [row.body.encode("utf-8") for row in rows]


def inclusion_proof(session: Session, log: str, index: int, size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of entry ``index`` in ``log`` at ``size`` entries; raises
    :class:`notary.merkle.BeyondTreeSize` unless ``0 <= index < size <= tree size``."""
    _check_size(size, tree_size(session, log))
    return _with_nodes(session, log, lambda get: merkle_inclusion_proof(get, index, size))


def consistency_proof(session: Session, log: str, old: int, new: int) -> list[bytes]:
    """The RFC 9162 consistency proof from ``old`` to ``new`` entries of ``log``; raises
    :class:`notary.merkle.BeyondTreeSize` unless ``0 <= old <= new <= tree size``."""
    _check_size(new, tree_size(session, log))
    return _with_nodes(session, log, lambda get: merkle_consistency_proof(get, old, new))


def latest_checkpoint(session: Session, log: str) -> SignedCheckpoint | None:
    """The checkpoint of ``log`` with the largest size, or None if none was issued."""
    row = session.execute(
        select(LogCheckpoint)
        .where(LogCheckpoint.log == log)
        .order_by(LogCheckpoint.size.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if row is None else _signed(row)


def checkpoint_at(session: Session, log: str, size: int) -> SignedCheckpoint | None:
    """The checkpoint of ``log`` issued at exactly ``size`` entries, if any."""
    row = session.execute(
        select(LogCheckpoint).where(LogCheckpoint.log == log, LogCheckpoint.size == size)
    ).scalar_one_or_none()
    return None if row is None else _signed(row)


def issue_checkpoint(
    session: Session, log: str, keyring: Signer, origin_prefix: str, at: datetime
) -> SignedCheckpoint:
    """Sign and store a checkpoint of ``log`` at its current size, origin
    ``<origin_prefix>/<log>``; if the size has not changed since the latest checkpoint, that
    one is returned unchanged (even if the key was rotated since).

    Before signing it proves the new head consistent with the latest checkpoint from the
    stored nodes and raises :class:`LogCorrupt` if it is not, so the log never signs two
    inconsistent checkpoints. Takes the log's lock, like :func:`append`.
    """
    if at.tzinfo is None:
        raise ValueError("checkpoint times must be timezone-aware")
    size, head_root, _ = _lock_head(session, log)
    latest = latest_checkpoint(session, log)
    if latest is not None:
        if latest.size == size:
            return latest
        proof = consistency_proof(session, log, latest.size, size)
        if not verify_consistency(latest.size, size, latest.root, head_root, proof):
            raise LogCorrupt(
                N_("The log head is not consistent with its last checkpoint."), log=log
            )
    checkpoint = Checkpoint(log_origin(origin_prefix, log), size, head_root)
    note = sign_checkpoint(checkpoint, keyring)
    session.execute(
        insert(LogCheckpoint).values(log=log, size=size, root=head_root, note=note, created_at=at)
    )
    return SignedCheckpoint(log, checkpoint, note, at.astimezone(UTC))


def _signed(row: LogCheckpoint) -> SignedCheckpoint:
    text, _ = split_note(row.note)
    return SignedCheckpoint(row.log, parse_checkpoint(text), row.note, row.created_at)


def _check_log_name(log: str) -> None:
    if not _LOG_NAME.fullmatch(log):
        raise ValueError("a log name is 1 to 64 characters without spaces, '+' or '/'")


def _check_size(size: int, current: int) -> None:
    if not 0 <= size <= current:
        raise BeyondTreeSize(N_("The log has not reached that size."), size=size, current=current)


def _head(session: Session, log: str) -> tuple[int, bytes]:
    row = session.execute(
        select(LogHead.size, LogHead.root).where(LogHead.log == log)
    ).one_or_none()
    return (0, EMPTY_ROOT) if row is None else (row.size, row.root)


def _lock_head(session: Session, log: str) -> tuple[int, bytes, bytes]:
    """Lock the log's head row for this transaction (creating it on first use); return its
    size, root and frontier."""
    _check_log_name(log)
    row = session.execute(_LOCK_HEAD, {"head_log": log}).one_or_none()
    if row is not None:
        return row.size, row.root, row.frontier
    dialect = session.get_bind().dialect.name
    values = {"log": log, "size": 0, "root": EMPTY_ROOT, "frontier": b""}
    if dialect == "postgresql":
        session.execute(pg_insert(LogHead).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(LogHead).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - fundvote supports these two
        raise UnsupportedDatabase(
            N_("The log supports PostgreSQL and SQLite, not %(dialect)s."), dialect=dialect
        )
    row = session.execute(_LOCK_HEAD, {"head_log": log}).one()
    return row.size, row.root, row.frontier


def _frontier_nodes(log: str, size: int, frontier: bytes) -> dict[tuple[int, int], bytes]:
    keys = frontier_keys(size)
    if len(frontier) != 32 * len(keys):
        raise LogCorrupt(N_("The log head's frontier does not match its size."), log=log)
    return {key: frontier[32 * i : 32 * (i + 1)] for i, key in enumerate(keys)}


def _getter(log: str, nodes: Mapping[tuple[int, int], bytes]) -> Getter:
    def get(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LogCorrupt(N_("A stored tree node is missing."), log=log) from None

    return get


def _with_nodes(
    session: Session,
    log: str,
    compute: Callable[[Getter], T],
    known: Mapping[tuple[int, int], bytes] | None = None,
) -> T:
    """Run ``compute`` over the stored perfect subtrees of ``log`` with one query.

    Which nodes a root or proof reads depends only on sizes and indices, never on hash values,
    so a first dry run with placeholder hashes collects the keys to fetch.
    """
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(32)

    compute(record)
    nodes = dict(known or {})
    missing = wanted - nodes.keys()
    if missing:
        nodes.update(_fetch_nodes(session, log, missing))
    return compute(_getter(log, nodes))


def _fetch_nodes(
    session: Session, log: str, keys: set[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """Read the stored perfect-subtree hashes named by ``keys`` in one statement.

    One ``SELECT`` per level joined by ``UNION ALL``: each part is a primary-key range lookup.
    (A single ``WHERE (level = a AND idx IN ...) OR (level = b ...)`` makes SQLite scan every
    node of the log, which turns each append into O(n).)
    """
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        by_level.setdefault(level, []).append(index)
    c = _NODE_TABLE.c  # Core columns: building the statement is on the hot path
    parts = [
        select(c.level, c.idx, c.hash).where(c.log == log, c.level == lvl, c.idx.in_(ids))
        for lvl, ids in by_level.items()
    ]
    if not parts:
        return {}
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    rows = session.execute(statement)
    return {(row.level, row.idx): row.hash for row in rows}
