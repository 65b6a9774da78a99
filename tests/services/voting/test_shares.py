"""Members' shares of a fund_use question: stored at opening, equal to apportioning the roll,
and backfilled by migration 0003 for ballots opened before it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from hypothesis import given
from hypothesis import strategies as st

from estate.apportion import apportion
from fundvote.runtime import Runtime
from fundvote.schema import alembic_config
from voting import ballots
from voting.ballots import QuestionDraft
from voting.models import RollShare, RollUnit
from voting.shares import member_shares

from .ballot_helpers import draft, make_register, plan


def _stored(rt: Runtime) -> dict[tuple[int, int], int]:
    with rt.session_factory() as s:
        return {
            (m, p): fen
            for m, p, fen in s.execute(
                sa.select(RollShare.member_id, RollShare.position, RollShare.share_fen)
            )
        }


def _opened_fund_ballot(rt: Runtime) -> str:
    make_register(rt)
    info = draft(
        rt,
        questions=[
            QuestionDraft("fund_use", "换电梯?", plan(1_000_001)),
            QuestionDraft("manager", "换物业?"),
            QuestionDraft("fund_use", "修屋顶?", plan(77_777)),
        ],
    )
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    return info.ref


def test_shares_are_stored_at_opening_and_add_up(runtime: Runtime) -> None:
    _opened_fund_ballot(runtime)
    stored = _stored(runtime)
    with runtime.session_factory() as s:
        units = s.execute(sa.select(RollUnit.unit_code, RollUnit.area_centi, RollUnit.member_id))
        units = [tuple(u) for u in units]
    by_unit = apportion(1_000_001, {code: area for code, area, _m in units})
    for code, _area, member in units:
        assert stored[(member, 1)] >= by_unit[code]
    assert sum(fen for (_m, p), fen in stored.items() if p == 1) == 1_000_001
    assert sum(fen for (_m, p), fen in stored.items() if p == 3) == 77_777
    assert not any(p == 2 for _m, p in stored)  # no plan, no share


def test_migration_backfills_ballots_opened_before_it(runtime: Runtime) -> None:
    _opened_fund_ballot(runtime)
    before = _stored(runtime)
    cfg = alembic_config(runtime.settings.database_url)
    command.downgrade(cfg, "0002")
    try:
        command.upgrade(cfg, "head")
    finally:
        command.upgrade(cfg, "head")
    assert _stored(runtime) == before and before


@given(
    fund=st.integers(min_value=0, max_value=10**12),
    units=st.lists(st.tuples(st.integers(1, 10**7), st.integers(0, 5)), min_size=1, max_size=40),
)
def test_member_shares_sum_their_units(fund: int, units: list[tuple[int, int]]) -> None:
    rows = [(f"u{i}", area, member) for i, (area, member) in enumerate(units)]
    shares = member_shares(fund, rows)
    assert sum(shares.values()) == fund
    by_unit = apportion(fund, {code: area for code, area, _m in rows})
    for member in {m for _c, _a, m in rows}:
        assert shares[member] == sum(by_unit[c] for c, _a, m in rows if m == member)
