"""Reports add up: trial balance, funds, disclosure, public income, unit statements, the
journal pages, publication and owners' statement links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from ledger import api as ledger
from ledger.api import EntryInfo
from notary import store
from tests.services.ledger.conftest import CODE

Post = Callable[..., EntryInfo]


@pytest.fixture
def history(books: Runtime, post: Post) -> Runtime:
    """Two years of history: deposits, interest, public income and costs, a transfer into
    the fund, two draws for project P1 (one with a shortfall owed) and one reversed draw."""
    d = date
    post(("1001", 100_000), ("2101.1-101", -100_000), value_date=d(2024, 3, 1))
    post(("1001", 80_000), ("2101.1-102", -80_000), value_date=d(2024, 3, 2))
    post(("1001", 50_000), ("2101.2-101", -50_000), value_date=d(2025, 1, 10))
    post(
        ("1001", 1_001),
        ("2101.1-101", -500),
        ("2101.1-102", -400),
        ("2101.2-101", -101),
        kind="interest",
        value_date=d(2025, 6, 30),
    )
    post(("1002", 30_000), ("4101", -30_000), kind="public_income", value_date=d(2025, 2, 1))
    post(("1002", 12_345), ("4102", -12_345), kind="public_income", value_date=d(2025, 3, 3))
    post(("5101", 3_000), ("1002", -3_000), kind="public_income_cost", value_date=d(2025, 3, 20))
    post(
        ("3101", 10_000),
        ("1002", -10_000),
        ("1001", 10_000),
        ("2101.1-101", -5_000),
        ("2101.1-102", -5_000),
        kind="public_income_transfer",
        value_date=d(2025, 3, 31),
    )
    with books.write() as uow:
        ledger.open_unit_account(
            uow,
            uow.session.scalar(sa.text("SELECT id FROM community WHERE code = :c"), {"c": CODE}),
            "2-101",
            "unit_receivable",
        )
    post(
        ("2101.1-101", 20_000),
        ("2101.2-101", 6_000),
        ("1202.2-101", 4_000),
        ("2301", 10_000),
        ("1001", -26_000),
        ("2201", -14_000),
        kind="draw",
        documents={"project": "P1"},
        value_date=d(2025, 5, 5),
    )
    wrong = post(
        ("2101.1-102", 7_000),
        ("1001", -7_000),
        kind="draw",
        documents={"project": "P2"},
        value_date=d(2025, 7, 1),
    )
    books.run(
        ledger.reverse_entry,
        community_code=CODE,
        number=wrong.number,
        value_date=d(2025, 7, 2),
        memo="wrong unit",
    )
    return books


def test_trial_balance_totals_are_equal(history: Runtime) -> None:
    tb = history.query(ledger.trial_balance, CODE, date(2025, 12, 31))
    assert tb.total_debit_fen == tb.total_credit_fen > 0
    codes = [line.code for line in tb.lines]
    assert "1001" in codes and "2101.2-101" in codes and "4109" in codes
    early = history.query(ledger.trial_balance, CODE, date(2024, 12, 31))
    assert early.total_debit_fen == 180_000


def test_fund_balances_at_a_date(history: Runtime) -> None:
    funds = history.query(ledger.fund_balances, CODE, date(2025, 12, 31))
    subaccounts = [b for b in history.query(ledger.balances, CODE) if b.code.startswith("2101.")]
    assert funds.maintenance_fen == sum(b.natural_balance_fen for b in subaccounts)
    assert funds.owed_fen == 4_000
    assert funds.public_income_fen == 30_000 + 12_345 - 3_000 - 10_000
    assert funds.public_income_bank_fen == funds.public_income_fen
    assert funds.maintenance_bank_fen == 100_000 + 80_000 + 50_000 + 1_001 + 10_000 - 26_000
    lines = {line.code: line for line in funds.lines}
    assert lines["2101"].accounts == 3 and lines["2101"].natural_fen == funds.maintenance_fen


def test_the_disclosure_adds_up(history: Runtime) -> None:
    report = history.query(ledger.fund_disclosure, CODE, date(2025, 1, 1), date(2025, 12, 31))
    units = {u.unit_code: u for u in report.units}
    assert set(units) == {"1-101", "1-102", "2-101"}
    for field in (
        "opening_fen",
        "deposits_fen",
        "interest_fen",
        "transfers_fen",
        "draws_fen",
        "other_fen",
        "closing_fen",
        "owed_fen",
    ):
        assert getattr(report.totals, field) == sum(getattr(u, field) for u in report.units)
    for u in report.units:
        assert u.closing_fen == (
            u.opening_fen
            + u.deposits_fen
            + u.interest_fen
            + u.transfers_fen
            - u.draws_fen
            + u.other_fen
        )
    assert units["1-101"].opening_fen == 100_000
    assert units["1-101"].draws_fen == 20_000
    assert units["1-102"].draws_fen == 0  # the reversed draw nets out
    assert units["2-101"].owed_fen == 4_000
    assert report.totals.deposits_fen == 50_000
    assert report.totals.interest_fen == 1_001
    assert report.totals.transfers_fen == 10_000
    balances = {b.code: b.natural_balance_fen for b in history.query(ledger.balances, CODE)}
    for u in report.units:
        assert u.closing_fen == balances[f"2101.{u.unit_code}"]
    projects = {p.project: p for p in report.projects}
    p1 = projects["P1"]
    assert (p1.maintenance_fen, p1.owed_fen, p1.subsidy_fen) == (26_000, 4_000, 10_000)
    assert (
        p1.cost_fen
        == 40_000
        == sum(
            (
                p1.maintenance_fen,
                p1.owed_fen,
                p1.subsidy_fen,
                p1.social_capital_fen,
                p1.owners_direct_fen,
                p1.public_income_fen,
            )
        )
    )
    assert sum(u.drawn_fen for u in p1.units) == p1.maintenance_fen
    assert sum(u.owed_fen for u in p1.units) == p1.owed_fen
    assert [u.unit_code for u in p1.units] == ["1-101", "2-101"]
    assert projects["P2"].cost_fen == 0 and projects["P2"].entries == 2


def test_public_income_statement_for_a_quarter(history: Runtime) -> None:
    start, end = ledger.quarter_period(2025, 1)
    assert (start, end) == (date(2025, 1, 1), date(2025, 3, 31))
    st = history.query(ledger.public_income_statement, CODE, start, end)
    income = {line.code: line.amount_fen for line in st.income}
    assert income == {"4101": 30_000, "4102": 12_345, "4103": 0, "4109": 0}
    assert (st.income_fen, st.costs_fen, st.net_fen) == (42_345, 3_000, 39_345)
    assert st.transfers_fen == 10_000 and st.opening_fen == 0
    assert st.closing_fen == st.opening_fen + st.net_fen - st.transfers_fen + st.other_fen
    assert st.closing_fen == st.bank_fen == 29_345
    q2 = history.query(ledger.public_income_statement, CODE, *ledger.quarter_period(2025, 2))
    assert q2.opening_fen == st.closing_fen == q2.closing_fen


def test_unit_statement_running_balance_ends_at_the_account_balance(history: Runtime) -> None:
    st = history.query(ledger.unit_statement, CODE, "1-102", date(2025, 1, 1), date(2025, 12, 31))
    assert st.opening_fen == 80_000
    kinds = [line.kind for line in st.lines]
    assert kinds == ["public_income_transfer", "interest", "draw", "reversal"]
    assert st.lines[-1].running_fen == st.closing_fen
    balance = {b.code: b.natural_balance_fen for b in history.query(ledger.balances, CODE)}
    assert st.closing_fen == balance["2101.1-102"] == 85_400
    with pytest.raises(ledger.UnitNotFound):
        history.query(ledger.unit_statement, CODE, "9-999", date(2025, 1, 1), date(2025, 2, 1))
    with pytest.raises(ledger.ReportPeriodInvalid):
        history.query(ledger.unit_statement, CODE, "1-101", date(2025, 2, 1), date(2025, 1, 1))


def test_the_journal_pages_newest_first(history: Runtime) -> None:
    first = history.query(ledger.list_entries, CODE, page=1, per_page=4)
    assert first.total == 11 and first.pages == 3
    dates = [e.value_date for e in first.entries]
    assert dates == sorted(dates, reverse=True)
    reversal = first.entries[0]
    assert reversal.kind == "reversal" and reversal.reverses is not None
    assert first.entries[1].reversed_by == reversal.number
    last = history.query(ledger.list_entries, CODE, page=99, per_page=4)
    assert last.page == 3 and len(last.entries) == 3
    detail = history.query(ledger.entry_detail, CODE, reversal.reverses, per_page=1, page=2)
    assert detail.posting_count == 2 and detail.pages == 2 and len(detail.lines) == 1
    assert detail.lines[0].account == "1001" and detail.documents == {"project": "P2"}
    with pytest.raises(ledger.EntryNotFound):
        history.query(ledger.entry_detail, CODE, 999_999)


def test_publication_freezes_the_content_and_signs_a_checkpoint(history: Runtime) -> None:
    with pytest.raises(ledger.ReportPeriodInvalid):
        history.run(
            ledger.publish_report,
            community_code=CODE,
            kind="fund_disclosure",
            period="2025",
            today=date(2025, 12, 31),
        )
    with pytest.raises(ledger.ReportPeriodInvalid):
        history.run(
            ledger.publish_report,
            community_code=CODE,
            kind="public_income",
            period="2025",
            today=date(2026, 1, 1),
        )
    info = history.run(
        ledger.publish_report,
        community_code=CODE,
        kind="fund_disclosure",
        period="2025",
        today=date(2026, 1, 1),
    )
    report = history.query(ledger.build_report, CODE, "fund_disclosure", "2025")
    assert info.content_sha256 == ledger.content_sha256(report)
    assert info.checkpoint_size == info.log_index + 1
    with history.session_factory() as s:
        entry = list(store.entries(s, CODE))[info.log_index]
    assert entry.data["type"] == "ledger.report_published"
    assert entry.data["data"]["content_sha256"] == info.content_sha256
    with pytest.raises(ledger.ReportAlreadyPublished):
        history.run(
            ledger.publish_report,
            community_code=CODE,
            kind="fund_disclosure",
            period="2025",
            today=date(2026, 1, 1),
        )
    history.run(
        ledger.publish_report,
        community_code=CODE,
        kind="public_income",
        period="2025-Q1",
        today=date(2026, 1, 1),
    )
    listed = history.query(ledger.list_publications, CODE)
    assert [(p.kind, p.period) for p in listed] == [
        ("fund_disclosure", "2025"),
        ("public_income", "2025-Q1"),
    ]
    with pytest.raises(ledger.ReportNotFound):
        history.query(ledger.get_publication, CODE, "public_income", "2025-Q2")


def _owner_ref(rt: Runtime, unit: str) -> str:
    links = rt.query(ledger.unit_owner_links, CODE, unit)
    assert len(links) == 1
    return links[0].owner_ref


def test_statement_links_are_hashed_and_reissue_revokes(history: Runtime) -> None:
    ref = _owner_ref(history, "1-101")
    first = history.run(ledger.issue_statement_link, community_code=CODE, owner_ref=ref)
    assert first.unit_codes == ("1-101",) and not first.is_reissue
    opened = history.query(ledger.open_statement_link, first.token)
    assert opened.unit_codes == ("1-101",) and opened.community_code == CODE
    with history.session_factory() as s:
        stored = s.scalars(sa.text("SELECT token_hash FROM ledger_statement_link")).all()
    assert first.token not in stored and len(stored[0]) == 64
    second = history.run(ledger.issue_statement_link, community_code=CODE, owner_ref=ref)
    assert second.is_reissue and second.token != first.token
    with pytest.raises(ledger.StatementLinkInvalid, match="replaced"):
        history.query(ledger.open_statement_link, first.token)
    assert history.query(ledger.open_statement_link, second.token).owner_ref == ref
    assert history.query(ledger.unit_owner_links, CODE, "1-101")[0].has_live_link
    with pytest.raises(ledger.StatementLinkInvalid):
        history.query(ledger.open_statement_link, "x" * 32)
    with pytest.raises(ledger.OwnerNotFound):
        history.run(ledger.issue_statement_link, community_code=CODE, owner_ref="nobody")


def test_overview_sums_each_community(history: Runtime) -> None:
    rows = history.query(ledger.funds_overview, None)
    row = next(r for r in rows if r.community_code == CODE)
    funds = history.query(ledger.fund_balances, CODE, date(2100, 1, 1))
    assert row.maintenance_fen == funds.maintenance_fen
    assert row.public_income_fen == funds.public_income_fen
    assert row.owed_fen == 4_000 and row.project_count == 2
    assert history.query(ledger.funds_overview, []) == []
