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
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notary import envelope, store
from notary.clock import Clock
from notary.constraints import broken_constraint
from notary.errors import DomainError
from notary.keys import KeyRing
from notary.orm import Base


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

    def log(self, community: str, event: str, data: Mapping[str, Any]) -> store.Appended:
        """Append ``event`` with ``data`` to ``community``'s log in this transaction.

        Guarantees: the entry is ``{"v", "type", "at", "community", "data"}`` stamped with the
        unit's clock; it holds no personal-data key and canonicalizes (else ``TypeError``,
        ``ValueError`` or ``PersonalDataInEntry`` before anything is written); it gets the next
        index of that log and is gone if the unit of work rolls back. Takes the log's lock until
        the commit, so call it as the last step that writes.
        """
        if not self.is_writable:
            raise ReadOnlyWork("a read-only unit of work cannot append to the log")
        body = envelope.entry_body(event, self.clock.now(), community, data)
        return store.append_body(self.session, community, body)

    @contextmanager
    def constraint_errors(self, errors: Mapping[str, Callable[[], DomainError]]) -> Iterator[None]:
        """Run the block, then flush; when a database constraint named in ``errors`` refuses
        a row written in the block, raise that constraint's named error instead.

        Any other integrity failure propagates unchanged (it is a fault, not a user's
        mistake). The unit of work is unusable afterwards and rolls back as the error leaves
        it, so nothing of the refused step is kept.
        """
        try:
            yield
            self.session.flush()
        except IntegrityError as error:
            named = errors.get(broken_constraint(error, Base.metadata) or "")
            if named is None:
                raise
            raise named() from None
