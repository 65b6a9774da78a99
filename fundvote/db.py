"""Database engine and transaction factory.

Services open one transaction per use case with ``with session_factory.begin() as s:``.
On SQLite those write transactions start with ``BEGIN IMMEDIATE`` so that concurrent writers
queue on the database lock instead of failing when they upgrade a read lock; plain read
sessions (``with session_factory() as s:``) begin deferred, so in WAL mode they never wait for
a writer and never hold one up (and a view that reads while calling a service cannot lock
itself out). Foreign keys are enforced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings fundvote relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling is disabled).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            is_write = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if is_write else "BEGIN")

        return engine
    # No pre-ping: it costs a round trip on every checkout. A connection the server dropped
    # fails the one request that used it; SQLAlchemy then invalidates the pool's connections.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


WRITE_OPTION = "fundvote_write_transaction"


class SessionFactory(sessionmaker[Session]):
    """A sessionmaker whose ``begin()`` marks its transaction as a write transaction."""

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self() as session, session.begin():
            session.connection(execution_options={WRITE_OPTION: True})
            yield session


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory services receive; objects stay readable after commit."""
    return SessionFactory(engine, expire_on_commit=False)


def commit_with(session: Session, sql: str, params: Mapping[str, Any]) -> None:
    """Send ``sql`` and COMMIT in one round trip (psycopg's pipeline mode), end the session's
    transaction, and return only once that commit is durable (its WAL record flushed to disk).

    For the last write of a unit of work on PostgreSQL that holds a hot lock (the community's
    log head). Early lock release: the transaction commits with ``synchronous_commit`` off
    for itself alone, so its row locks are released as soon as the commit record is in the
    WAL buffers instead of after the disk flush; then, before anything is returned, a second
    transaction that takes a transaction id commits synchronously, which waits until the WAL
    is flushed past its own commit record, hence past ours. Nobody is answered before their
    commit is on disk; only the lock stops waiting for the disk, and concurrent waits share
    one flush (PostgreSQL's group commit). A later transaction may read the rows before the
    flush, but it too answers only after a flush that covers them (the WAL is sequential).

    A constraint violation surfaces as the driver's ``IntegrityError`` (with
    ``diag.constraint_name``) and nothing is committed. If the connection fails during the
    wait, the error propagates and the caller must not claim the commit happened (a retry
    finds the stored result or writes it again).
    """
    driver = session.connection().connection.driver_connection
    with driver.pipeline():  # type: ignore[union-attr]
        driver.execute(_RELEASE_EARLY)  # type: ignore[union-attr]
        driver.execute(sql, params)  # type: ignore[union-attr]
        driver.commit()  # type: ignore[union-attr]
    wait_until_durable(driver)


_RELEASE_EARLY = "SET LOCAL synchronous_commit TO off"
_DURABLE = "SET LOCAL synchronous_commit TO on"  # whatever the server's or database's default
# A transactional WAL message: it takes a transaction id and writes WAL, so the COMMIT after it
# is synchronous (PostgreSQL commits a transaction that wrote no WAL without flushing).
_DURABLE_MARK = (
    "SELECT pg_current_wal_insert_lsn()::text, pg_logical_emit_message(true, 'fundvote', '')"
)


def wait_until_durable(driver: Any) -> str:
    """Return once every commit made before this call on the server is flushed to disk.

    One round trip: a transaction that writes a WAL message (an empty logical message, which
    also gives it a transaction id) commits with ``synchronous_commit`` on (set for it, so a
    database configured otherwise cannot weaken it), which waits for the WAL flush past its
    commit record. Returns the WAL insert position read
    inside it, which every earlier commit record precedes (a test checks that the server's
    flush position has passed it).
    """
    with driver.pipeline():
        driver.execute(_DURABLE)
        cursor = driver.execute(_DURABLE_MARK)
        driver.commit()
    row = cursor.fetchone()
    return str(row[0])
