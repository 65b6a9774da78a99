"""The pure rules of money in: top-up threshold, daily-balance products, interest shares,
statement rows and reconciliation matching (property tests and worked examples)."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ledger.api import (
    BookItem,
    StatementLine,
    allocate_interest,
    daily_balance_product,
    is_top_up_due,
)
from ledger.funds_rules import match_statement, parse_statement, top_up_floor_fen

START = date(2026, 1, 1)


def _day_loop(postings: list[tuple[date, int]], start: date, end: date) -> int:
    total = 0
    day = start
    while day <= end:
        total += sum(a for d, a in postings if d <= day)
        day += timedelta(days=1)
    return total


def test_worked_example_of_a_product() -> None:
    # 1,000 yuan all January, 500 more from 21 January: 31 * 1000 + 11 * 500 yuan-days
    postings = [(date(2025, 12, 1), 100_000), (date(2026, 1, 21), 50_000)]
    assert daily_balance_product(postings, START, date(2026, 1, 31)) == 31 * 100_000 + 11 * 50_000


@given(
    st.lists(st.tuples(st.integers(-40, 80), st.integers(-10_000, 10_000)), max_size=12),
    st.integers(0, 60),
)
def test_the_product_equals_the_day_loop(raw: list[tuple[int, int]], length: int) -> None:
    postings = [(START + timedelta(days=d), a) for d, a in raw]
    end = START + timedelta(days=length)
    assert daily_balance_product(postings, START, end) == _day_loop(postings, START, end)


def test_top_up_threshold_is_exact_at_thirty_percent() -> None:
    assert is_top_up_due(299, 1_000) and not is_top_up_due(300, 1_000)
    assert not is_top_up_due(0, 0)
    assert top_up_floor_fen(1_001) == 301 and not is_top_up_due(301, 1_001)
    assert is_top_up_due(300, 1_001)


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_top_up_agrees_with_fractions(balance: int, first: int) -> None:
    assert is_top_up_due(balance, first) == (Fraction(balance, first) < Fraction(3, 10))
    assert not is_top_up_due(top_up_floor_fen(first), first)
    assert top_up_floor_fen(first) == 0 or is_top_up_due(top_up_floor_fen(first) - 1, first)


@given(
    st.integers(0, 10**9),
    st.dictionaries(
        st.text("0123456789-AB", min_size=1, max_size=5), st.integers(0, 10**12), min_size=1
    ),
)
def test_interest_shares_are_exact(amount: int, products: dict[str, int]) -> None:
    if amount and not any(products.values()):
        return
    shares = allocate_interest(amount, products)
    assert sum(shares.values()) == amount
    assert set(shares) == {u for u, p in products.items() if p > 0}
    total = sum(products.values())
    for unit, share in shares.items():
        quota = Fraction(amount * products[unit], total)
        assert quota - 1 < share < quota + 1


def test_interest_ties_go_to_the_smaller_unit_code() -> None:
    assert allocate_interest(1, {"2-101": 5, "10-1": 5, "1-1": 0}) == {"10-1": 1, "2-101": 0}


def test_statement_rows_and_reconciliation() -> None:
    lines, problems = parse_statement(
        ["Date", "unit", "amount", "reference", "note"],
        [(2, ["2026-01-02", "1-101", "1.00", "R1", "x"]), (3, ["2026-02-30", "1-101", "1", "R2"])],
        unit_codes={"1-101"},
    )
    assert [(p.line, p.field) for p in problems] == [(3, "date")]
    assert lines == [StatementLine(2, date(2026, 1, 2), "1-101", 100, "R1")]
    items = [BookItem(7, date(2026, 1, 2), "R1", 100), BookItem(8, date(2026, 1, 2), "", 5)]
    matched = match_statement([*lines, StatementLine(4, date(2026, 1, 3), "", 100, "R1")], items)
    assert [x.line for x in matched.unmatched_lines] == [4]
    assert [x.entry for x in matched.unmatched_items] == [8]
