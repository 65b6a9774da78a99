"""Money in: deposits one by one and from a statement, top-up alerts, interest by daily
balance products, reconciliation, public income and its transfer into the fund."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fundvote.runtime import Runtime
from ledger.api import (
    DuplicateBankReference,
    FirstDepositExists,
    FundOperationForbidden,
    IdempotencyConflict,
    InsufficientFunds,
    NothingToAllocate,
    PublicIncomeShort,
    StatementRejected,
    UnitNotInBooks,
    allocate_interest_entry,
    balances,
    daily_balance_product,
    daily_balance_products,
    deposits,
    import_statement,
    posted_balances,
    public_income_summary,
    reconcile,
    record_deposit,
    record_public_income,
    record_public_income_cost,
    reverse_entry,
    top_up_alerts,
    transfer_public_income,
)
from tests.conftest import requires_postgres
from tests.services.ledger.conftest import CODE

D = date(2026, 1, 5)


def _deposit(rt: Runtime, unit: str, fen: int, ref: str, *, first: bool = True, on: date = D):
    return rt.run_as(
        1,
        record_deposit,
        community_code=CODE,
        may_record=True,
        unit_code=unit,
        amount_fen=fen,
        value_date=on,
        bank_reference=ref,
        is_first=first,
    )


def _balance(rt: Runtime, code: str) -> int:
    return {b.code: b.balance_fen for b in rt.query(balances, CODE)}[code]


def _import(rt: Runtime, text: str, **kw: object):
    return rt.run_as(
        1,
        import_statement,
        community_code=CODE,
        may_record=kw.pop("may_record", True),
        data=text.encode(),
        filename="s.csv",
    )


def test_a_deposit_credits_the_subaccount_and_refuses_repeats(books: Runtime) -> None:
    entry = _deposit(books, "1-101", 500_000, "B001")
    assert entry.documents == {"bank_reference": "B001"}
    assert _balance(books, "1001") == 500_000 and _balance(books, "2101.1-101") == -500_000
    with pytest.raises(DuplicateBankReference):
        _deposit(books, "1-102", 1, "B001")
    with pytest.raises(FirstDepositExists):
        _deposit(books, "1-101", 1, "B002")
    with pytest.raises(UnitNotInBooks):
        _deposit(books, "9-999", 1, "B003")
    with pytest.raises(FundOperationForbidden):
        books.run_as(
            1,
            record_deposit,
            community_code=CODE,
            may_record=False,
            unit_code="1-101",
            amount_fen=1,
            value_date=D,
            bank_reference="B004",
            is_first=False,
        )
    _deposit(books, "1-101", 100, "B002", first=False)
    listed = books.query(deposits, CODE)
    assert [(d.bank_reference, d.is_first) for d in listed] == [("B002", False), ("B001", True)]
    # a reversed deposit frees its reference and its first-deposit mark
    books.run_as(
        1, reverse_entry, community_code=CODE, number=entry.number, value_date=D, memo="错"
    )
    _deposit(books, "1-101", 400_000, "B001")
    assert books.query(posted_balances, CODE)["2101.1-101"] == -400_100


STATEMENT = (
    "date,unit,amount,reference\n"
    '2026-01-02,1-101,"1,000.00",S1\n'
    "2026-01-03,1-102,800.50,S2\n"
    "2026-01-04,1-101,10.00,S3\n"
)


def test_a_statement_posts_one_entry_once(books: Runtime) -> None:
    done = _import(books, STATEMENT)
    assert (done.rows, done.first_deposits, done.total_fen) == (3, 2, 181_050)
    assert done.entry.documents == {"statement_sha256": done.statement_sha256}
    assert done.entry.value_date == date(2026, 1, 4) and not done.is_replay
    again = _import(books, STATEMENT)
    assert again.is_replay and again.entry.number == done.entry.number and again.rows == 3
    assert _balance(books, "1001") == 181_050
    assert _balance(books, "2101.1-101") == -101_000
    firsts = {(d.bank_reference, d.is_first) for d in books.query(deposits, CODE)}
    assert firsts == {("S1", True), ("S2", True), ("S3", False)}


def test_a_bad_statement_names_every_problem_and_writes_nothing(books: Runtime) -> None:
    _deposit(books, "2-101", 100, "OLD1")
    bad = (
        "date,unit,amount,reference\n"
        "2026-13-01,1-101,1.00,R1\n"
        "2026-01-02,9-999,1.00,R2\n"
        "2026-01-02,1-101,1.001,R3\n"
        "2026-01-02,1-101,-1.00,R4\n"
        "2026-01-02,1-101,1.00,R1\n"
        "2026-01-02,1-101,1.00,OLD1\n"
        "2026-01-02,1-101,0,\n"
    )
    with pytest.raises(StatementRejected) as caught:
        _import(books, bad)
    found = [(p.line, p.field) for p in caught.value.problems]
    assert found == [
        (2, "date"),
        (3, "unit"),
        (4, "amount"),
        (5, "amount"),
        (6, "reference"),
        (7, "reference"),
        (8, "amount"),
        (8, "reference"),
    ]
    assert _balance(books, "1001") == 100
    for text in ("date,amount,reference\n2026-01-02,1.00,R1\n", "date,unit,amount,reference\n"):
        with pytest.raises(StatementRejected):
            _import(books, text)
    with pytest.raises(StatementRejected) as unreadable:
        _import(books, 'date,unit,amount,reference\n"2026-01-02,1-101\n')
    assert unreadable.value.problems[0].line == 2
    with pytest.raises(FundOperationForbidden):
        _import(books, STATEMENT, may_record=False)


def test_top_up_alerts_below_thirty_percent_of_the_first_deposit(books: Runtime) -> None:
    _deposit(books, "1-101", 1_000, "A1")
    _deposit(books, "1-102", 1_000, "A2")
    _deposit(books, "2-101", 1_000, "A3")
    # draw down 1-101 to 299 (due) and 1-102 to 300 (not due)
    from ledger.api import PostingLine, post_entry

    for unit, fen in (("1-101", 701), ("1-102", 700)):
        books.run_as(
            1,
            post_entry,
            community_code=CODE,
            kind="draw",
            value_date=D,
            lines=[PostingLine(f"2101.{unit}", fen), PostingLine("1001", -fen)],
        )
    alerts = books.query(top_up_alerts, CODE)
    assert [(a.unit_code, a.balance_fen, a.floor_fen, a.shortfall_fen) for a in alerts] == [
        ("1-101", 299, 300, 1)
    ]


def test_interest_by_daily_balance_products(books: Runtime) -> None:
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    _deposit(books, "1-101", 10_000, "I1", on=date(2025, 6, 1))  # all year: 365 days
    _deposit(books, "1-102", 10_000, "I2", on=date(2026, 7, 2))  # 183 days
    _deposit(books, "1-102", 5_000, "I3", first=False, on=date(2027, 1, 1))  # after the period
    products = books.query(daily_balance_products, CODE, start, end)
    assert products == {"1-101": 10_000 * 365, "1-102": 10_000 * 183}
    done = books.run_as(
        1,
        allocate_interest_entry,
        community_code=CODE,
        may_record=True,
        start=start,
        end=end,
        amount_fen=10_001,
    )
    assert done.shares == {"1-101": 6_661, "1-102": 3_340}
    assert sum(done.shares.values()) == 10_001 and "2-101" not in done.shares
    assert done.entry.documents == {"period": "2026-01-01/2026-12-31"}
    with pytest.raises(IdempotencyConflict):
        books.run_as(
            1,
            allocate_interest_entry,
            community_code=CODE,
            may_record=True,
            start=start,
            end=end,
            amount_fen=10_000,
        )
    with pytest.raises(NothingToAllocate):
        books.run_as(
            1,
            allocate_interest_entry,
            community_code=CODE,
            may_record=True,
            start=date(2020, 1, 1),
            end=date(2020, 12, 31),
            amount_fen=5,
        )


def test_the_sql_products_equal_the_rule_on_random_histories(books: Runtime) -> None:
    import random

    rng = random.Random(7)
    history: dict[str, list[tuple[date, int]]] = {"1-101": [], "1-102": [], "2-101": []}
    for n in range(30):
        unit = rng.choice(sorted(history))
        on = date(2025, 10, 1) + timedelta(days=rng.randrange(200))
        fen = rng.randrange(1, 50_000)
        _deposit(books, unit, fen, f"H{n}", first=False, on=on)
        history[unit].append((on, fen))
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    got = books.query(daily_balance_products, CODE, start, end)
    expected = {u: daily_balance_product(h, start, end) for u, h in history.items()}
    assert got == {u: p for u, p in expected.items() if p}


def test_reconciliation_lists_what_matches_nothing(books: Runtime) -> None:
    _import(books, STATEMENT)
    _deposit(books, "2-101", 700, "X9", on=date(2026, 1, 4))
    report = books.query(
        reconcile,
        community_code=CODE,
        account="1001",
        at=date(2026, 1, 31),
        statement_balance_fen=181_000,
    )
    assert report.book_balance_fen == 181_750 and report.difference_fen == -750
    bank = (
        "date,amount,reference\n"
        "2026-01-02,1000.00,S1\n"
        "2026-01-03,800.50,S2\n"
        "2026-01-04,10.01,S3\n"
        "2026-01-05,5.00,Z1\n"
    )
    report = books.query(
        reconcile,
        community_code=CODE,
        account="1001",
        at=date(2026, 1, 31),
        data=bank.encode(),
    )
    assert [(x.reference, x.amount_fen) for x in report.unmatched_lines] == [
        ("S3", 1_001),
        ("Z1", 500),
    ]
    assert [(x.reference, x.amount_fen) for x in report.unmatched_items] == [
        ("S3", 1_000),
        ("X9", 700),
    ]


def test_public_income_costs_and_transfer_by_area(books: Runtime) -> None:
    def income(kind: str, fen: int) -> None:
        books.run_as(
            1,
            record_public_income,
            community_code=CODE,
            may_record=True,
            kind=kind,
            amount_fen=fen,
            value_date=D,
            invoices=["INV-1"],
        )

    income("parking", 60_000)
    income("advertising", 40_001)
    books.run_as(
        1,
        record_public_income_cost,
        community_code=CODE,
        may_record=True,
        amount_fen=10_000,
        value_date=D,
    )
    summary = books.query(public_income_summary, CODE)
    assert summary.income_fen["parking"] == 60_000 and summary.costs_fen == 10_000
    assert summary.available_fen == 90_001 == summary.bank_fen
    with pytest.raises(PublicIncomeShort):
        books.run_as(
            1,
            transfer_public_income,
            community_code=CODE,
            may_transfer=True,
            amount_fen=90_002,
            value_date=D,
            decision="业委会决定2026-1",
        )
    with pytest.raises(FundOperationForbidden):
        books.run_as(
            1,
            transfer_public_income,
            community_code=CODE,
            may_transfer=False,
            amount_fen=1,
            value_date=D,
            decision="x",
        )
    done = books.run_as(
        1,
        transfer_public_income,
        community_code=CODE,
        may_transfer=True,
        amount_fen=90_001,
        value_date=D,
        decision="业委会决定2026-1",
    )
    # areas 100.00, 80.50, 120.25 (total 300.75)
    # quotas 29925.52, 24090.04, 35985.44: the spare fen goes to the largest remainder
    assert done.shares == {"1-101": 29_926, "1-102": 24_090, "2-101": 35_985}
    assert sum(done.shares.values()) == 90_001
    after = books.query(public_income_summary, CODE)
    assert after.available_fen == 0 == after.bank_fen and after.transferred_fen == 90_001
    assert _balance(books, "1001") == 90_001 and _balance(books, "2101.2-101") == -35_985
    with pytest.raises((PublicIncomeShort, InsufficientFunds)):
        books.run_as(
            1,
            record_public_income_cost,
            community_code=CODE,
            may_record=True,
            amount_fen=1,
            value_date=D,
        )
    assert books.query(posted_balances, CODE) == {
        b.code: b.balance_fen for b in books.query(balances, CODE)
    }


@requires_postgres
def test_parallel_deposits_with_one_reference_post_once(books: Runtime) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(n: int) -> str:
        try:
            _deposit(books, "1-101" if n % 2 else "1-102", 100 + n, "SAME", first=False)
        except DuplicateBankReference:
            return "refused"
        return "posted"

    def twice(_: int) -> bool:
        return _import(books, STATEMENT).is_replay

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
        replays = list(pool.map(twice, range(6)))
    assert outcomes.count("posted") == 1 and outcomes.count("refused") == 7
    assert replays.count(False) == 1 and replays.count(True) == 5
    assert books.query(posted_balances, CODE)["1001"] == _balance(books, "1001")


def test_a_reference_already_recorded_is_refused_whatever_the_header_case(books: Runtime) -> None:
    _deposit(books, "1-101", 100, "K1")
    with pytest.raises(StatementRejected) as caught:
        _import(books, "Date,Unit,Amount,Reference\n2026-01-02,1-102,1.00,K1\n")
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "reference")]
