"""The process-wide objects use cases need, and the one place that opens their transactions.

``Runtime.run(step, ...)`` is how every entry point (page, API route, CLI command, demo)
performs a use case: it opens one :class:`notary.work.UnitOfWork`, calls the step with it,
commits if the step returns and rolls back if it raises. ``Runtime.query`` does the same for
read-only steps (a deferred transaction that never takes SQLite's write lock, always rolled
back). Steps never open sessions or commit; see docs/decisions.md, "Use cases".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from psycopg import IntegrityError as DBAPIIntegrityError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from estate.personal import DataCipher, load_cipher
from fundvote.config import Settings
from fundvote.db import WRITE_OPTION, commit_with, make_engine, make_session_factory, read_bind
from notary.clock import Clock, SystemClock
from notary.constraints import named_refusal
from notary.errors import DomainError
from notary.keys import KeyRing, load_keyring
from notary.orm import Base
from notary.store import FINAL_WRITE
from notary.work import FINAL_ERRORS, UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Runtime:
    """Everything a use case needs from the outside world, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    keyring: KeyRing
    cipher: DataCipher  # encrypts owners' phone and ID numbers at rest

    def __post_init__(self) -> None:
        self._read_bind = read_bind(self.engine)

    @contextmanager
    def write(self, *, actor: int | None = None) -> Iterator[UnitOfWork]:
        """One write transaction: committed when the block ends, rolled back if it raises
        (except a refusal that is itself recorded, ``DomainError.is_recorded``: what the step
        wrote is committed, then the error propagates).

        On SQLite it begins ``IMMEDIATE`` (writers queue instead of failing on lock upgrade).
        """
        with self.session_factory() as session:
            transaction = session.begin()
            session.connection(execution_options={WRITE_OPTION: True})
            try:
                yield self._unit(session, actor, is_writable=True)
            except DomainError as error:
                if error.is_recorded:
                    transaction.commit()
                raise
            except BaseException:
                transaction.rollback()
                raise
            final = session.info.pop(FINAL_WRITE, None)
            errors = session.info.pop(FINAL_ERRORS, {})
            if final is not None:
                try:
                    commit_with(session, *final)
                except DBAPIIntegrityError as error:
                    transaction.rollback()
                    named = named_refusal(error, Base.metadata, errors)
                    if named is None:
                        raise
                    raise named from None
            transaction.commit()

    @contextmanager
    def read(self, *, actor: int | None = None) -> Iterator[UnitOfWork]:
        """One read-only unit of work, never committed: on SQLite a deferred transaction (no
        write lock); on PostgreSQL statements in autocommit (:func:`fundvote.db.read_bind`).
        Closing the session ends it and keeps what was loaded readable."""
        with self.session_factory(bind=self._read_bind) as session:
            yield self._unit(session, actor, is_writable=False)

    def _unit(self, session: Session, actor: int | None, *, is_writable: bool) -> UnitOfWork:
        return UnitOfWork(
            session,
            self.clock,
            self.keyring,
            actor,
            is_writable=is_writable,
            log_origin_prefix=self.settings.log_origin,
        )

    def run(
        self, step: Callable[Concatenate[UnitOfWork, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Perform the use case ``step`` in one write unit of work with no acting staff user."""
        with self.write() as uow:
            return step(uow, *args, **kwargs)

    def run_as(
        self,
        actor: int | None,
        step: Callable[Concatenate[UnitOfWork, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Perform ``step`` in one write unit of work on behalf of staff user ``actor``."""
        with self.write(actor=actor) as uow:
            return step(uow, *args, **kwargs)

    def query(
        self, step: Callable[Concatenate[UnitOfWork, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run the read-only ``step`` in a read unit of work."""
        with self.read() as uow:
            return step(uow, *args, **kwargs)


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Open the database named by ``settings`` and assemble the runtime."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        keyring=load_keyring(settings.signing_key_file, create=True, name=settings.key_name),
        cipher=load_cipher(settings.data_key_file, create=True),
    )
