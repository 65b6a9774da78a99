"""PostgreSQL concurrency: parallel draws never overdraw a sub-account; parallel retries with
one idempotency key record (and post) once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from ledger.api import (
    DrawInfo,
    ShortfallNotOwed,
    approve_draw,
    balances,
    largest_remainder,
    open_project_from_decision,
    owed_shortfalls,
    posted_balances,
    project_report,
    record_draw,
    settle_shortfall,
)
from tests.conftest import requires_postgres
from tests.services.ledger.project_helpers import (
    AREAS,
    AUTHORITY,
    MANAGER,
    decided,
    deposit,
    draw_leaving_shortfalls,
    register_with_books,
    use_plan,
)
from tests.services.ledger.test_projects import DAY
from tests.services.voting.ballot_helpers import CODE

pytestmark = requires_postgres
THREADS = 20


def _parallel(work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    start = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        start.wait()
        try:
            result = work(i)
        except BaseException as error:  # collected and asserted on below
            with lock:
                errors.append(error)
        else:
            with lock:
                results.append(result)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results, errors


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    register_with_books(runtime)
    return runtime


def test_twenty_parallel_draws_never_overdraw_a_subaccount(rt: Runtime) -> None:
    # Every unit holds 10,000 fen (70,000 in all); twenty draws of 5,000 charge 100,000.
    for unit in ("1-101", "1-102", "1-103", "1-104", "2-101", "2-102", "2-S01"):
        deposit(rt, unit, 10_000)
    project = rt.run_as(
        MANAGER,
        open_project_from_decision,
        community_code=CODE,
        ballot_ref=decided(rt, use_plan(100_000)),
        position=1,
    )
    draws: list[DrawInfo] = [
        rt.run_as(
            MANAGER,
            record_draw,
            community_code=CODE,
            project_ref=project.ref,
            stage="progress",
            amount_fen=5_000,
            value_date=DAY,
        )
        for _ in range(THREADS)
    ]

    def approve(i: int) -> DrawInfo:
        return rt.run_as(
            AUTHORITY,
            approve_draw,
            community_code=CODE,
            draw_ref=draws[i].ref,
            is_authority=True,
            is_committee_member=False,
            committee_size=3,
        )

    results, errors = _parallel(approve)
    assert errors == []
    assert sorted(r.status for r in results) == ["posted"] * THREADS
    shares = largest_remainder(100_000, sorted(AREAS.items()))
    held = {b.unit_code: b.natural_balance_fen for b in rt.query(balances, CODE)}
    report = rt.query(project_report, CODE, project.ref)
    assert report.drawn_fen == 100_000
    for line in report.units:
        unit = line.unit_code
        assert held[unit] == max(0, 10_000 - shares[unit]) >= 0  # never below zero
        assert line.drawn_fen == shares[unit]
        assert line.paid_fen == min(10_000, shares[unit])
        assert line.shortfall_fen == max(0, shares[unit] - 10_000)
    assert report.shortfall_fen == sum(max(0, s - 10_000) for s in shares.values()) > 0
    running = {b.code: b.balance_fen for b in rt.query(balances, CODE)}
    assert running == rt.query(posted_balances, CODE)


def test_parallel_retries_with_one_key_record_and_post_once(rt: Runtime) -> None:
    deposit(rt, "1-101", 1_000_000)
    project = rt.run_as(
        MANAGER,
        open_project_from_decision,
        community_code=CODE,
        ballot_ref=decided(rt, use_plan(100_000)),
        position=1,
    )

    def record(_: int) -> DrawInfo:
        return rt.run_as(
            MANAGER,
            record_draw,
            community_code=CODE,
            project_ref=project.ref,
            stage="advance",
            amount_fen=10_000,
            value_date=DAY,
            idempotency_key="advance-1",
        )

    results, errors = _parallel(record)
    assert errors == []
    assert len({r.ref for r in results}) == 1
    assert sum(not r.is_replay for r in results) == 1
    ref = results[0].ref

    def approve(_: int) -> DrawInfo:
        return rt.run_as(
            AUTHORITY,
            approve_draw,
            community_code=CODE,
            draw_ref=ref,
            is_authority=True,
            is_committee_member=False,
            committee_size=3,
        )

    posted, refused = _parallel(approve)
    assert len(posted) == 1 and posted[0].status == "posted"
    assert len(refused) == THREADS - 1
    assert {type(e).__name__ for e in refused} == {"DrawNotPending"}
    with rt.session_factory() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM ledger_draw")) == 1
        assert s.scalar(sa.text("SELECT count(*) FROM journal_entry WHERE kind = 'draw'")) == 1


def test_parallel_shortfall_payments_never_settle_more_than_is_owed(runtime: Runtime) -> None:
    unit, owed = next(iter(draw_leaving_shortfalls(runtime).items()))
    piece = owed // 10 + 1  # twenty of them are about twice what is owed

    def pay(i: int) -> Any:
        return runtime.run_as(
            AUTHORITY,
            settle_shortfall,
            community_code=CODE,
            may_record=True,
            unit_code=unit,
            amount_fen=piece,
            value_date=DAY,
            bank_reference=f"PAY-{i}",
        )

    results, errors = _parallel(pay)
    assert errors and all(isinstance(e, ShortfallNotOwed) for e in errors), errors
    assert len(results) == owed // piece
    left = {o.unit_code: o.owed_fen for o in runtime.query(owed_shortfalls, CODE)}
    assert left.get(unit, 0) == owed - len(results) * piece >= 0
    running = {b.code: b.balance_fen for b in runtime.query(balances, CODE)}
    assert running == runtime.query(posted_balances, CODE)
