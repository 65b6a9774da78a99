"""Health and database faults: whether the database answers, and which exceptions mean it
does not (so that a request gets a clear, retryable 503 instead of a 500)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from notary.work import UnitOfWork

try:  # psycopg is installed wherever PostgreSQL is used; SQLite-only installs may lack it
    import psycopg
except ImportError:  # pragma: no cover - psycopg is a dependency of fundvote
    psycopg = None  # type: ignore[assignment]


def database_answers(uow: UnitOfWork) -> bool:
    """Run a trivial query (``SELECT 1``) in the unit of work; True when it answers 1.

    Raises the driver's error when the database cannot be reached; reads nothing else and
    writes nothing."""
    return bool(uow.session.execute(text("SELECT 1")).scalar() == 1)


_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no connection free in the pool in time
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
)
if psycopg is not None:
    _UNAVAILABLE += (psycopg.OperationalError, psycopg.InterfaceError)


def is_database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or the error it was raised from) means the database could not be
    reached or dropped the connection: refused or lost connections, a terminated backend, a
    database file that cannot be opened, a lock not obtained in time, an exhausted pool. The
    request may succeed when retried; nothing it did was committed."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _UNAVAILABLE):
            return True
        current = current.__cause__ or current.__context__
    return False
