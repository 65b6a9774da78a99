"""The unit of work: a row written together with a log entry, the write that travels with the
COMMIT on PostgreSQL, constraint violations named by constraint, and read-only units."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from notary import store
from notary.errors import DomainError
from notary.store import Appended, LogCheckpoint, RowWrite
from notary.work import ReadOnlyWork, UnitOfWork
from tests.conftest import requires_postgres

LOG = "UOW1"
AT = datetime(2026, 11, 1, tzinfo=UTC)
CHECKPOINTS = cast(sa.Table, LogCheckpoint.__table__)


class Taken(DomainError):
    code = "taken"


def _row(size: int) -> Any:
    def build(appended: Appended) -> RowWrite:
        return RowWrite(
            CHECKPOINTS,
            {
                "log": LOG,
                "size": size,
                "root": appended.leaf_hash,
                "note": f"entry {appended.index}",
                "created_at": AT,
            },
        )

    return build


def _append(uow: UnitOfWork, size: int, *, last: bool) -> Appended:
    entry = uow.prepare_entry(LOG, "test.event", {"n": size})
    with uow.constraint_errors({"pk_log_checkpoint": lambda: Taken("taken")}):
        return uow.append(entry, together=_row(size), is_last_write=last)


def _size(rt: Runtime) -> int:
    with rt.session_factory() as s:
        return store.tree_size(s, LOG)


@pytest.mark.parametrize("last", [False, True])
def test_row_written_with_the_entry_and_named_refusal(runtime: Runtime, last: bool) -> None:
    first = runtime.run(_append, 1, last=last)
    assert first.index == 0 and _size(runtime) == 1
    with runtime.session_factory() as s:
        note = s.scalar(sa.select(LogCheckpoint.note).where(LogCheckpoint.size == 1))
    assert note == "entry 0"
    # The same primary key again: refused by its constraint, named, and nothing is kept.
    with pytest.raises(Taken):
        runtime.run(_append, 1, last=last)
    assert _size(runtime) == 1
    again = runtime.run(_append, 2, last=last)
    assert again.index == 1 and _size(runtime) == 2


def test_read_only_units_cannot_log(runtime: Runtime) -> None:
    def step(uow: UnitOfWork) -> None:
        uow.log(LOG, "test.event", {"n": 1})

    with pytest.raises(ReadOnlyWork):
        runtime.query(step)
    assert _size(runtime) == 0


@requires_postgres  # SQLite writes at once: nothing waits for the commit there
def test_only_one_write_may_wait_for_the_commit(runtime: Runtime) -> None:

    def twice(uow: UnitOfWork) -> None:
        _append(uow, 1, last=True)
        _append(uow, 2, last=True)

    with pytest.raises(RuntimeError):
        runtime.run(twice)
    assert _size(runtime) == 0


@requires_postgres
def test_a_commit_that_released_its_lock_early_is_durable_before_the_answer(
    runtime: Runtime,
) -> None:
    """The write that travels with the COMMIT releases the log lock before the disk flush, and
    the answer waits for the flush (fundvote.db.commit_with, wait_until_durable)."""
    from fundvote.db import wait_until_durable

    with runtime.engine.connect() as conn:
        driver = cast(Any, conn.connection.driver_connection)
        driver.commit()
        # What an early-released commit leaves behind: a commit record not yet flushed.
        driver.execute("SET LOCAL synchronous_commit TO off")
        driver.execute("CREATE TEMPORARY TABLE durable_probe (n int)")
        driver.execute("INSERT INTO durable_probe VALUES (1)")
        driver.commit()
        mark = wait_until_durable(driver)
        flushed = driver.execute(
            "SELECT pg_current_wal_flush_lsn() >= CAST(%s AS pg_lsn)", (mark,)
        ).fetchone()[0]
        driver.rollback()
    assert flushed
    # The early release is the cast transaction's alone: the connection's next transaction
    # has the database's own setting again.
    with runtime.engine.connect() as conn:
        before = conn.exec_driver_sql("SHOW synchronous_commit").scalar()
    runtime.run(_append, 1, last=True)
    with runtime.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == before
