"""The unit of work: what one use case runs in, from its first read to its commit.

A use case (cast a vote, open a ballot, import a roll) runs in exactly one transaction. The
composition root opens a :class:`UnitOfWork` for it (``fundvote.runtime.Runtime.run``), passes
it to the domain steps, and commits when they return or rolls back when one raises. Domain
steps take the unit of work as their first argument and never open a session or commit:

    def cast_vote(uow: UnitOfWork, *, token: str, choices: Mapping[str, str]) -> Receipt:
        ...                                   # reads and writes through uow.session
        appended = uow.log(community, "voting.ballot_cast", data)   # last: takes the log lock

It carries the session, the clock, the signing keys and the acting staff user (``None`` for an
owner, the public or the system), and ``log``, which appends an event to a community's Merkle
log inside the same transaction, so the event and its entry commit together or not at all.
The log's lock is taken at the append and held until the commit: append last.

A read-only unit of work (``Runtime.read``) begins a deferred transaction (on SQLite it never
takes the write lock), refuses ``log`` and is always rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notary import envelope, store
from notary.checkpoint import log_origin
from notary.clock import Clock
from notary.constraints import named_refusal
from notary.errors import DomainError
from notary.keys import KeyRing
from notary.merkle import leaf_hash
from notary.orm import Base

FINAL_ERRORS = "fundvote_final_errors"
"""``session.info`` key of the named errors for the write deferred to the commit."""


@dataclass(frozen=True)
class PreparedEntry:
    """A checked log entry not yet appended: its log, canonical bytes and RFC 6962 leaf hash."""

    community: str
    body: bytes
    leaf_hash: bytes


class ReadOnlyWork(RuntimeError):
    """A read-only unit of work was asked to append to the log (a programming error)."""


@dataclass
class UnitOfWork:
    """One use case's transaction and the world it may touch (see the module docstring)."""

    session: Session
    clock: Clock
    keyring: KeyRing
    actor: int | None = None
    is_writable: bool = True
    log_origin_prefix: str = ""
    """``FUNDVOTE_LOG_ORIGIN`` (the logs' public URL prefix), "" for the key's name."""
    _open_errors: list[Mapping[str, Callable[[], DomainError]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One snapshot of the keys for the whole use case (a rotation may happen meanwhile):
        # a receipt's key ID and signature, a checkpoint's signature line, come from one key.
        self.keyring = self.keyring.current()

    def log(
        self,
        community: str,
        event: str,
        data: Mapping[str, Any],
        *,
        together: store.Together | None = None,
        bulk: tuple[str, ...] = (),
    ) -> store.Appended:
        """Append ``event`` with ``data`` to ``community``'s log in this transaction.

        Guarantees: the entry is ``{"v": 2, "type", "at", "community", "salt", "data"}``
        stamped with the unit's clock and a fresh random salt; it holds no personal-data key
        and canonicalizes (else ``TypeError``, ``ValueError`` or ``PersonalDataInEntry`` before
        anything is written); if it would exceed ``notary.documents.BULK_INLINE_LIMIT`` bytes,
        the top-level fields named in ``bulk`` are stored as documents and referenced
        (``notary.store.event_body``); an entry still longer than ``MAX_ENTRY_BYTES`` is
        refused (``notary.store.EntryTooLarge``). It gets the next index of that log and is
        gone if the unit of work rolls back. Takes the log's lock until the commit, so call it
        as the last step that writes; a row that needs the entry's index (a vote and its
        receipt, or a journal entry's ``log_index``) is written by ``together`` in the same
        statement.
        """
        prepared = self.prepare_entry(community, event, data, bulk=bulk)
        return self.append(prepared, together=together)

    def prepare_entry(
        self,
        community: str,
        event: str,
        data: Mapping[str, Any],
        *,
        bulk: tuple[str, ...] = (),
    ) -> PreparedEntry:
        """Build and check an entry (as :meth:`log` does) without touching the log, so that
        whatever depends on its leaf hash can be computed before the log's lock is taken
        (documents for ``bulk`` fields are written, but not the entry)."""
        if not self.is_writable:
            raise ReadOnlyWork("a read-only unit of work cannot append to the log")
        if bulk:
            body = store.event_body(
                self.session, community, event, self.clock.now(), data, bulk=bulk
            )
        else:
            body = envelope.entry_body(event, self.clock.now(), community, data)
        return PreparedEntry(community, body, leaf_hash(body))

    def append(
        self,
        entry: PreparedEntry,
        *,
        together: store.Together | None = None,
        is_last_write: bool = False,
    ) -> store.Appended:
        """Append a prepared entry to its community's log (see :meth:`log`).

        ``is_last_write``: the step writes nothing after this in the unit of work, so on
        PostgreSQL the write may travel with the COMMIT (``notary.store.append_body``); a
        constraint it breaks is reported by the owner of the unit of work, with the named
        errors of the :meth:`constraint_errors` blocks open now.
        """
        if not self.is_writable:
            raise ReadOnlyWork("a read-only unit of work cannot append to the log")
        appended = store.append_body(
            self.session,
            entry.community,
            entry.body,
            together=together,
            is_last_write=is_last_write,
        )
        if store.FINAL_WRITE in self.session.info:
            merged: dict[str, Callable[[], DomainError]] = {}
            for errors in self._open_errors:
                merged.update(errors)
            self.session.info[FINAL_ERRORS] = merged
        return appended

    @property
    def origin_prefix(self) -> str:
        """What every log origin starts with: the configured prefix, else the active key's
        name."""
        return self.log_origin_prefix or self.keyring.name

    def log_origin(self, community: str) -> str:
        """The origin of ``community``'s log, ``<origin_prefix>/<community>``: the first line
        of its checkpoints and the ``log.origin`` of its receipts."""
        return log_origin(self.origin_prefix, community)

    def checkpoint(self, community: str) -> store.SignedCheckpoint:
        """Sign and store a checkpoint of ``community``'s log at its size in this transaction,
        origin :meth:`log_origin`, signed by the active key (the latest one is
        returned unchanged if the log has not grown since). Takes the log's lock like
        :meth:`log`, so call it last. Steps call it at every ballot state change; the tick
        covers the rest (``notary.coverage``)."""
        if not self.is_writable:
            raise ReadOnlyWork("a read-only unit of work cannot sign a checkpoint")
        return store.issue_checkpoint(
            self.session, community, self.keyring, self.origin_prefix, self.clock.now()
        )

    @contextmanager
    def constraint_errors(self, errors: Mapping[str, Callable[[], DomainError]]) -> Iterator[None]:
        """Run the block, then flush; when a database constraint named in ``errors`` refuses
        a row written in the block, raise that constraint's named error instead.

        Any other integrity failure propagates unchanged (it is a fault, not a user's
        mistake). The unit of work is unusable afterwards and rolls back as the error leaves
        it, so nothing of the refused step is kept.
        """
        self._open_errors.append(errors)
        try:
            yield
            self.session.flush()
        except IntegrityError as error:
            named = named_refusal(error, Base.metadata, errors)
            if named is None:
                raise
            raise named from None
        finally:
            self._open_errors.pop()
