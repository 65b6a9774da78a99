"""The draw split (pure): stages add up to the apportionment of the total whatever the number
of stages; a unit never pays more than it holds; shortfalls are never negative; the postings
of a payment balance."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.draw_rules import (
    SOURCES,
    draw_lines,
    split_draw,
    split_release,
    split_retention,
)
from ledger.errors import DrawExceedsBudget, InvalidDraw
from ledger.rounding import largest_remainder
from voting.use_plans import FUNDING_SOURCES

plans = st.fixed_dictionaries({k: st.integers(0, 3_000_000) for k in SOURCES}).filter(
    lambda p: sum(p.values()) > 0
)
areas = st.dictionaries(
    st.text("0123456789-AB", min_size=1, max_size=6),
    st.integers(1, 50_000),
    min_size=1,
    max_size=12,
)


def test_the_source_order_is_the_use_plans() -> None:
    assert SOURCES == FUNDING_SOURCES


def _stages(total: int, cuts: list[int]) -> list[int]:
    points = sorted({c % (total + 1) for c in cuts} | {0, total})
    return [b - a for a, b in itertools.pairwise(points) if b > a]


@settings(max_examples=200, deadline=None)
@given(
    plan=plans,
    unit_areas=areas,
    cuts=st.lists(st.integers(0, 10**9), max_size=6),
    holdings=st.lists(st.integers(0, 2_000_000), min_size=12, max_size=12),
)
# Stages of 3, 1 and 3 fen of a 3 + 1 + 3 plan: the second stage's maintenance-fund part is
# -1 fen (it corrects the first stage's rounding), which must be split over the units too.
@example(
    plan={
        "subsidy": 3,
        "maintenance_fund": 1,
        "social_capital": 3,
        "public_income": 0,
        "owners_direct": 0,
    },
    unit_areas={"A": 1, "B": 2},
    cuts=[3, 4],
    holdings=[0] * 12,
)
def test_any_split_into_stages_ends_at_the_apportionment_of_the_total(
    plan: dict[str, int], unit_areas: dict[str, int], cuts: list[int], holdings: list[int]
) -> None:
    total = sum(plan.values())
    held = dict(zip(sorted(unit_areas), holdings, strict=False))
    sources: dict[str, int] = defaultdict(int)
    units: dict[str, int] = defaultdict(int)
    drawn = 0
    for amount in _stages(total, cuts):
        split = split_draw(
            plan=plan,
            unit_areas=unit_areas,
            drawn_before_fen=drawn,
            amount_fen=amount,
            sources_before=sources,
            units_before=units,
            holdings=held,
        )
        assert sum(split.sources.values()) == amount
        assert sum(u.share_fen for u in split.units) == split.sources["maintenance_fund"]
        for u in split.units:
            assert u.shortfall_fen >= 0
            assert u.paid_fen + u.shortfall_fen == u.share_fen
            assert u.paid_fen <= max(0, held[u.unit_code]) or u.share_fen <= 0
            held[u.unit_code] -= u.paid_fen
            assert held[u.unit_code] >= 0
            units[u.unit_code] += u.share_fen
        for k, v in split.sources.items():
            sources[k] += v
        lines = draw_lines(
            split,
            split_retention(0, split.paid_from_subaccounts_fen, split.other_sources_fen),
            {u: f"2101.{u}" for u in unit_areas},
            {u: f"1202.{u}" for u in unit_areas},
        )
        assert sum(a for _, a in lines) == 0 and all(a != 0 for _, a in lines)
        drawn += amount
    expected = largest_remainder(total, list(plan.items()))
    assert all(sources.get(k, 0) == v for k, v in expected.items())
    by_unit = largest_remainder(expected["maintenance_fund"], sorted(unit_areas.items()))
    assert all(units.get(k, 0) == v for k, v in by_unit.items())


@given(retention=st.integers(0, 10**7), fund=st.integers(-5, 10**7), project=st.integers(-5, 10**7))
def test_retention_stays_where_the_money_was(retention: int, fund: int, project: int) -> None:
    if retention > max(0, fund) + max(0, project):
        with pytest.raises(InvalidDraw):
            split_retention(retention, fund, project)
        return
    f, p = split_retention(retention, fund, project)
    assert f + p == retention and 0 <= f <= max(0, fund) and 0 <= p <= max(0, project)


@given(release=st.integers(1, 10**6), fund=st.integers(0, 10**6), project=st.integers(0, 10**6))
def test_a_release_never_takes_more_than_is_held(release: int, fund: int, project: int) -> None:
    if release > fund + project:
        with pytest.raises(DrawExceedsBudget):
            split_release(release, fund, project)
        return
    f, p = split_release(release, fund, project)
    assert f + p == release and 0 <= f <= fund and 0 <= p <= project


def test_a_worked_example_three_sources_and_a_short_unit() -> None:
    # The Quanzhou pattern: subsidy + maintenance fund + social capital, 300.00 yuan.
    plan = {"subsidy": 10_000, "maintenance_fund": 10_000, "social_capital": 10_000}
    split = split_draw(
        plan=plan,
        unit_areas={"A": 1, "B": 1, "C": 1},
        drawn_before_fen=0,
        amount_fen=10_000,
        sources_before={},
        units_before={},
        holdings={"A": 5_000, "B": 1_000, "C": 0},
    )
    # 10,000 / 3 sources: 3,334 to the subsidy (first in order), 3,333 to the others.
    assert dict(split.sources)["subsidy"] == 3_334
    assert split.sources["maintenance_fund"] == 3_333
    # 3,333 / 3 units: 1,111 each; B pays 1,000 and owes 111; C pays nothing and owes 1,111.
    assert [(u.unit_code, u.paid_fen, u.shortfall_fen) for u in split.units] == [
        ("A", 1_111, 0),
        ("B", 1_000, 111),
        ("C", 0, 1_111),
    ]
    with pytest.raises(DrawExceedsBudget):
        split_draw(
            plan=plan,
            unit_areas={"A": 1},
            drawn_before_fen=29_000,
            amount_fen=1_001,
            sources_before={},
            units_before={},
            holdings={},
        )
