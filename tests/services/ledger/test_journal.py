"""Posting entries: balanced, bounded, idempotent, logged, never changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from ledger import journal, journal_rows
from ledger.api import (
    AccountNotFound,
    AlreadyReversed,
    EntryInfo,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
    UnbalancedEntry,
    balances,
    get_entry,
    posted_balances,
    reverse_entry,
)
from notary import store
from tests.conftest import requires_postgres
from tests.services.ledger.conftest import CODE

Post = Callable[..., EntryInfo]


def _balance(rt: Runtime, code: str) -> int:
    return {b.code: b.balance_fen for b in rt.query(balances, CODE)}[code]


def test_books_open_with_the_chart_and_one_subaccount_per_unit(books: Runtime) -> None:
    codes = [b.code for b in books.query(balances, CODE)]
    assert "1001" in codes and "3101" in codes and "2202" in codes
    assert [c for c in codes if c.startswith("2101.")] == ["2101.1-101", "2101.1-102", "2101.2-101"]
    assert all(b.balance_fen == 0 for b in books.query(balances, CODE))


def test_a_deposit_posts_balanced_and_is_logged(books: Runtime, post: Post) -> None:
    entry = post(
        ("1001", 50_000), ("2101.1-101", -50_000), memo="首期", documents={"bank_reference": "B1"}
    )
    assert entry.number > 0 and entry.log_index is not None
    assert _balance(books, "1001") == 50_000
    assert _balance(books, "2101.1-101") == -50_000
    with books.session_factory() as s:
        logged = [e for e in store.entries(s, CODE) if e.data["type"] == "ledger.entry_posted"]
    assert len(logged) == 1
    assert logged[0].index == entry.log_index
    assert logged[0].data["data"]["postings"] == [["1001", 50_000], ["2101.1-101", -50_000]]
    assert books.query(posted_balances, CODE)["1001"] == 50_000


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ((("1001", 100), ("2101.1-101", -99)), UnbalancedEntry),
        ((("1001", 100),), UnbalancedEntry),
        ((("1001", 0), ("2101.1-101", 0)), InvalidEntry),
        ((("1001", 100), ("9999", -100)), AccountNotFound),
    ],
)
def test_bad_entries_are_refused_and_write_nothing(
    books: Runtime, post: Post, lines: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        post(*lines)
    assert _balance(books, "1001") == 0
    with books.session_factory() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM journal_entry")) == 0


def test_a_subaccount_is_never_overdrawn(books: Runtime, post: Post) -> None:
    post(("1001", 1_000), ("2101.1-101", -1_000))
    post(("1001", 5_000), ("2101.1-102", -5_000))
    with pytest.raises(InsufficientFunds) as caught:
        post(("2101.1-101", 1_001), ("1001", -1_001), kind="draw")
    assert caught.value.params["account"] == "2101.1-101"
    post(("2101.1-101", 1_000), ("1001", -1_000), kind="draw")
    assert _balance(books, "2101.1-101") == 0


def test_an_idempotent_retry_returns_the_first_entry(books: Runtime, post: Post) -> None:
    first = post(("1001", 300), ("2101.1-102", -300), idempotency_key="dep-1")
    again = post(("1001", 300), ("2101.1-102", -300), idempotency_key="dep-1")
    assert again.number == first.number and again.is_replay
    assert _balance(books, "1001") == 300
    with pytest.raises(IdempotencyConflict):
        post(("1001", 301), ("2101.1-102", -301), idempotency_key="dep-1")


def test_a_correction_is_a_reversal_posted_once(books: Runtime, post: Post) -> None:
    first = post(("1001", 500), ("2101.2-101", -500))
    undo = books.run_as(
        1,
        reverse_entry,
        community_code=CODE,
        number=first.number,
        value_date=date(2026, 1, 6),
        memo="录入错误",
    )
    assert undo.reverses == first.number
    assert [line.amount_fen for line in undo.lines] == [-500, 500]
    assert _balance(books, "1001") == 0
    assert books.query(get_entry, CODE, first.number).reversed_by == undo.number
    with pytest.raises(AlreadyReversed):
        books.run_as(
            1,
            reverse_entry,
            community_code=CODE,
            number=first.number,
            value_date=date(2026, 1, 6),
            memo="again",
        )


def test_the_database_refusals_are_named_errors(
    books: Runtime, post: Post, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the checks before writing would catch, the database refuses anyway (a race that
    slipped past them): a second reversal of an entry, an overdraft of a bounded account."""
    first = post(("1001", 500), ("2101.1-101", -500))
    post(("1001", 900), ("2101.1-102", -900))
    post(("2101.1-101", 500), ("1001", -500), kind="reversal", reverses=first.number)
    with pytest.raises(AlreadyReversed):
        post(("2101.1-102", 500), ("1001", -500), kind="reversal", reverses=first.number)

    def unbounded(*args: Any) -> Any:
        found, accounts = journal_rows.lock_entry_accounts(*args)
        return found, {c: replace(a, is_bounded=False) for c, a in accounts.items()}

    monkeypatch.setattr(journal, "lock_entry_accounts", unbounded)
    # Refused by ck_ledger_account_not_overdrawn (stored as ck_ledger_account_ck_ledger_...:
    # notary.constraints reads it under the name the ledger maps).
    with pytest.raises(InsufficientFunds, match="would overdraw"):
        post(("2101.1-101", 1), ("1001", -1), kind="draw")
    assert _balance(books, "2101.1-101") == 0
    with books.session_factory() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM journal_entry")) == 3


def test_balances_at_a_date_sum_postings_up_to_that_day(books: Runtime, post: Post) -> None:
    post(("1001", 100), ("2101.1-101", -100), value_date=date(2025, 12, 31))
    post(("1001", 200), ("2101.1-101", -200), value_date=date(2026, 1, 1))
    at = {b.code: b.balance_fen for b in books.query(balances, CODE, to=date(2025, 12, 31))}
    assert at["1001"] == 100
    assert sum(at.values()) == 0


@requires_postgres
def test_postgres_refuses_changing_or_deleting_a_posted_entry(books: Runtime, post: Post) -> None:
    from sqlalchemy.exc import IntegrityError

    entry = post(("1001", 100), ("2101.1-101", -100))
    for statement in (
        "UPDATE journal_entry SET memo = 'x' WHERE id = :n",
        "DELETE FROM posting WHERE entry_id = :n",
        "UPDATE posting SET amount_fen = 1 WHERE entry_id = :n",
        "UPDATE journal_entry SET log_index = 99 WHERE id = :n",
    ):
        with books.engine.connect() as conn, pytest.raises(IntegrityError) as caught:
            conn.execute(sa.text(statement), {"n": entry.number})
        assert caught.value.orig.diag.constraint_name == "ledger_append_only"  # type: ignore[union-attr]


@requires_postgres
def test_postgres_refuses_an_unbalanced_entry_at_commit(books: Runtime) -> None:
    from sqlalchemy.exc import IntegrityError

    with books.engine.connect() as conn, pytest.raises(IntegrityError) as caught, conn.begin():
        entry_id = conn.execute(
            sa.text(
                "INSERT INTO journal_entry (community_id, kind, value_date, memo, documents,"
                " posted_at, content_sha256, is_legacy) SELECT id, 'adjustment', '2026-01-01',"
                " '', '{}', now(), 'x', false FROM community WHERE code = :c RETURNING id"
            ),
            {"c": CODE},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO posting (entry_id, account_id, community_id, value_date, position,"
                " amount_fen) SELECT :e, a.id, a.community_id, '2026-01-01', 1, 5"
                " FROM ledger_account a WHERE a.code = '1001'"
            ),
            {"e": entry_id},
        )
    assert caught.value.orig.diag.constraint_name == "ledger_entry_balanced"  # type: ignore[union-attr]
