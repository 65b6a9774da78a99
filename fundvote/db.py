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


def read_bind(engine: Engine) -> Engine:
    """The engine read-only units of work use. On PostgreSQL each statement runs in
    autocommit, in a snapshot of its own: what READ COMMITTED gives every statement of a
    transaction anyway, without the BEGIN and the ROLLBACK (two round trips fewer per page).
    A read that needs one snapshot for all its statements asks for an isolation level on its
    connection before the first one (``fundvote.integrity``). SQLite keeps its deferred
    transaction (one snapshot, no write lock)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory services receive; objects stay readable after commit."""
    return SessionFactory(engine, expire_on_commit=False)


def commit_with(session: Session, sql: str, params: Mapping[str, Any]) -> None:
    """Send ``sql``, COMMIT, and wait until that commit is durable (its WAL record flushed to
    disk), all in one round trip (psycopg's pipeline mode); end the session's transaction.

    For the last write of a unit of work on PostgreSQL that holds a hot lock (the community's
    log head). Early lock release: the transaction commits with ``synchronous_commit`` off
    for itself alone, so its row locks are released as soon as the commit record is in the
    WAL buffers instead of after the disk flush; then, in the same pipeline and before
    anything is returned, a second transaction that writes WAL commits synchronously
    (:data:`_DURABLE_MARK`), which waits until the WAL is flushed past its own commit record,
    hence past ours. Nobody is answered before their commit is on disk; only the lock stops
    waiting for the disk, and concurrent waits share one flush (PostgreSQL's group commit). A
    later transaction may read the rows before the flush, but it too answers only after a
    flush that covers them (the WAL is sequential).

    A constraint violation surfaces as the driver's ``IntegrityError`` (with
    ``diag.constraint_name``) and nothing is committed (the server skips the rest of the
    pipeline: the second transaction never runs). If the connection fails during the wait,
    the error propagates and the caller must not claim the commit happened (a retry finds the
    stored result or writes it again).
    """
    driver = session.connection().connection.driver_connection
    with driver.pipeline():  # type: ignore[union-attr]
        driver.execute(_RELEASE_EARLY)  # type: ignore[union-attr]
        driver.execute(sql, params)  # type: ignore[union-attr]
        driver.commit()  # type: ignore[union-attr]
        _queue_durable_mark(driver)


_RELEASE_EARLY = "SET LOCAL synchronous_commit TO off"
# One statement: a synchronous commit for its own transaction (whatever the server's or the
# database's default), and a transactional WAL message, which takes a transaction id and
# writes WAL, so that the COMMIT after it waits for the flush (PostgreSQL commits a
# transaction that wrote no WAL without flushing). It also reads the WAL insert position.
_DURABLE_MARK = (
    "SELECT set_config('synchronous_commit', 'on', true), pg_current_wal_insert_lsn()::text,"
    " pg_logical_emit_message(true, 'fundvote', '')"
)


def _queue_durable_mark(driver: Any) -> Any:
    cursor = driver.execute(_DURABLE_MARK)
    driver.commit()
    return cursor


def wait_until_durable(driver: Any) -> str:
    """Return once every commit made before this call on the server is flushed to disk.

    One round trip, :data:`_DURABLE_MARK` then COMMIT (what :func:`commit_with` sends after
    its own commit). Returns the WAL insert position read inside it, which every earlier
    commit record precedes (a test checks that the server's flush position has passed it).
    """
    with driver.pipeline():
        cursor = _queue_durable_mark(driver)
    row = cursor.fetchone()
    return str(row[1])
