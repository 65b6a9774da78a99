"""Transactions: a reader never holds up a writer (not even one in the same request)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from fundvote.runtime import Runtime
from notary import store
from notary.envelope import make_entry
from notary.store import LogHead


def _append(runtime: Runtime, i: int) -> None:
    with runtime.session_factory.begin() as s:
        at = datetime(2026, 11, 1, tzinfo=UTC)
        store.append(s, "txn", make_entry("test.event", at, "txn", {"i": i}))


def test_a_write_succeeds_while_a_read_session_is_open(runtime: Runtime) -> None:
    _append(runtime, 0)
    with runtime.session_factory() as reader:
        before = reader.scalar(select(LogHead.size).where(LogHead.log == "txn"))
        _append(runtime, 1)  # would wait for the reader's lock if reads took write locks
        assert before == 1
    with runtime.session_factory() as s:
        assert store.tree_size(s, "txn") == 2


def test_a_service_transaction_rolls_back_as_a_whole(runtime: Runtime) -> None:
    try:
        with runtime.session_factory.begin() as s:
            at = datetime(2026, 11, 1, tzinfo=UTC)
            store.append(s, "txn", make_entry("test.event", at, "txn", {"i": 0}))
            raise RuntimeError("the use case failed after logging")
    except RuntimeError:
        pass
    with runtime.session_factory() as s:
        assert store.tree_size(s, "txn") == 0
