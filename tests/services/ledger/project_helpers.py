"""Helpers for the project and draw service tests: the ballot tests' register with open books,
deposits, and a ``fund_use`` ballot run to a published (then final) decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from estate.api import find_community
from fundvote.runtime import Runtime
from ledger.api import (
    PostingLine,
    approve_draw,
    largest_remainder,
    open_books,
    open_project_from_decision,
    post_entry,
    record_draw,
)
from notary.work import UnitOfWork
from tests.services.voting.ballot_helpers import CODE, at, draft, make_register, run_to_tallied
from tests.services.voting.test_publication import VOTES, publish
from voting import ballots
from voting.ballots import QuestionDraft, UsePlan

MANAGER = 10
AUTHORITY = 20
COMMITTEE = (31, 32, 33)
AREAS = {
    "1-101": 8937,
    "1-102": 8937,
    "1-103": 10000,
    "1-104": 12005,
    "2-101": 12000,
    "2-102": 6400,
    "2-S01": 20000,
}


def register_with_books(rt: Runtime, **settings: Any) -> str:
    make_register(rt, **settings)
    open_books_of(rt, CODE)
    return CODE


def open_books_of(rt: Runtime, code: str) -> None:
    def _open(uow: UnitOfWork) -> None:
        community = find_community(uow, code)
        assert community is not None
        open_books(uow, community.id)

    rt.run(_open)


def deposit(
    rt: Runtime, unit: str, fen: int, *, day: date = date(2026, 1, 5), code: str = CODE
) -> None:
    rt.run_as(
        1,
        post_entry,
        community_code=code,
        kind="deposit",
        value_date=day,
        lines=[PostingLine("1001", fen), PostingLine(f"2101.{unit}", -fen)],
    )


def fund_everyone(rt: Runtime, fen: int = 1_000_000, *, code: str = CODE) -> None:
    for unit in AREAS:
        deposit(rt, unit, fen, code=code)


def use_plan(budget: int = 1_000_000, **sources: int) -> UsePlan:
    return UsePlan(
        repair="消防系统改造",
        budget_fen=budget,
        sources=sources or {"maintenance_fund": budget},
    )


def decided(
    rt: Runtime,
    plan: UsePlan | None = None,
    *,
    votes: Mapping[str, Any] = VOTES,
    final: bool = True,
    **kw: Any,
) -> str:
    """A ``fund_use`` ballot with ``plan``, voted, tallied and published; past its
    publicity period (final) unless ``final`` is false. Returns its ref."""
    info = draft(
        rt,
        questions=[QuestionDraft("fund_use", "同意按方案使用维修资金?", plan or use_plan())],
        **kw,
    )
    run_to_tallied(rt, info, votes)
    published = publish(rt, info.ref)
    if final:
        assert published.published_at is not None
        at(rt, published.published_at + timedelta(days=published.publicity_days, seconds=1))
    return info.ref


def open_ballot_only(rt: Runtime, plan: UsePlan | None = None) -> str:
    info = draft(
        rt, questions=[QuestionDraft("fund_use", "同意按方案使用维修资金?", plan or use_plan())]
    )
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    return info.ref


def draw_leaving_shortfalls(rt: Runtime, *, code: str = CODE) -> dict[str, int]:
    """A community with books (``register_with_books``) whose seven units hold 10,000 yuan
    each, then an approved draw of 80,000 yuan over them by area: the units whose share is
    larger than what they hold owe the rest (a receivable ``1202.<unit>``). Returns what
    each owing unit owes, in unit order."""
    held, drawn = 1_000_000, 8_000_000
    register_with_books(rt)
    fund_everyone(rt, held, code=code)
    project = rt.run_as(
        MANAGER,
        open_project_from_decision,
        community_code=code,
        ballot_ref=decided(rt, use_plan(drawn)),
        position=1,
    )
    draw = rt.run_as(
        MANAGER,
        record_draw,
        community_code=code,
        project_ref=project.ref,
        amount_fen=drawn,
        stage="progress",
        value_date=date(2026, 3, 1),
    )
    rt.run_as(
        AUTHORITY,
        approve_draw,
        community_code=code,
        draw_ref=draw.ref,
        is_authority=True,
        is_committee_member=False,
        committee_size=len(COMMITTEE),
    )
    shares = largest_remainder(drawn, sorted(AREAS.items()))
    return {u: shares[u] - held for u in sorted(AREAS) if shares[u] > held}
