"""Apportionment by the largest-remainder method: worked examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate.apportion import apportion
from estate.errors import EmptyScope, NegativeAmount, NonPositiveArea


def test_exact_split_needs_no_remainder() -> None:
    # 100 yuan over 60 m² and 40 m²: quotas are exact.
    assert apportion(10000, {"A": 6000, "B": 4000}) == {"A": 6000, "B": 4000}


def test_three_equal_units_tie_goes_to_smaller_code() -> None:
    # 100 fen / 3 = 33 r 1 each; the single spare fen goes to the first code in ordinal order.
    assert apportion(100, {"C": 9000, "A": 9000, "B": 9000}) == {"A": 34, "B": 33, "C": 33}


def test_largest_remainder_wins_over_code_order() -> None:
    # amount 10 over areas 1, 2, 4 (total 7): quotas 10/7, 20/7, 40/7
    # floors 1, 2, 5 (sum 8); remainders 3, 6, 5 -> the two spare fen go to B then C.
    assert apportion(10, {"A": 100, "B": 200, "C": 400}) == {"A": 1, "B": 3, "C": 6}


def test_realistic_building_lift_repair() -> None:
    # 12 345.67 yuan over four flats of 89.37, 89.37, 120.05 and 64.00 m² (total 362.79 m²).
    # amount*area divmod total (36279):
    #   3-101, 3-102: 11033325279 -> 304124 r 10683
    #   3-201: 14820976835 -> 408527 r 25802
    #   3-202: 7901228800 -> 217790 r 25390
    # floors sum to 1234565: the 2 spare fen go to the largest remainders, 3-201 and 3-202.
    areas = {"3-101": 8937, "3-102": 8937, "3-201": 12005, "3-202": 6400}
    assert apportion(1234567, areas) == {
        "3-101": 304124,
        "3-102": 304124,
        "3-201": 408528,
        "3-202": 217791,
    }


def test_hand_computed_small_case() -> None:
    # 1 000 fen over 33.33, 33.33, 33.34 m² (total 10 000 centi):
    # quotas 333.3, 333.3, 333.4 -> floors 333, 333, 333 (sum 999); remainders 3000, 3000, 4000
    # -> the spare fen goes to C (largest remainder), not to A (smaller code).
    assert apportion(1000, {"A": 3333, "B": 3333, "C": 3334}) == {"A": 333, "B": 333, "C": 334}


def test_zero_amount_gives_zero_shares() -> None:
    assert apportion(0, {"A": 1, "B": 2}) == {"A": 0, "B": 0}


def test_ordinal_order_not_natural_order() -> None:
    # "10" < "9" in code-point order, so "10" takes the tie.
    assert apportion(1, {"9": 100, "10": 100}) == {"10": 1, "9": 0}
    # upper case sorts before lower case in code-point order
    assert apportion(1, {"b": 100, "B": 100}) == {"B": 1, "b": 0}


def test_alabama_paradox_is_real() -> None:
    # Documented limitation: one more fen can take a fen away from a unit.
    areas = {"A": 100, "B": 300, "C": 300}
    assert apportion(3, areas) == {"A": 1, "B": 1, "C": 1}
    assert apportion(4, areas) == {"A": 0, "B": 2, "C": 2}


def test_errors_are_named() -> None:
    with pytest.raises(NegativeAmount):
        apportion(-1, {"A": 1})
    with pytest.raises(EmptyScope):
        apportion(1, {})
    with pytest.raises(NonPositiveArea) as info:
        apportion(1, {"A": 1, "B": 0})
    assert info.value.params == {"unit": "B"}
    with pytest.raises(NonPositiveArea):
        apportion(1, {"A": -5})
    with pytest.raises(TypeError):
        apportion(1.0, {"A": 1})  # type: ignore[arg-type]


codes = st.text(alphabet="AB12-号楼", min_size=1, max_size=5)
areas_st = st.dictionaries(codes, st.integers(1, 10**7), min_size=1, max_size=30)
amounts = st.integers(0, 10**12)


def _floor_ceil(amount: int, area: int, total: int) -> tuple[int, int]:
    q, r = divmod(amount * area, total)
    return q, q + (1 if r else 0)


@given(amounts, areas_st)
def test_sum_is_exact_and_each_share_is_floor_or_ceiling(
    amount: int, areas: dict[str, int]
) -> None:
    shares = apportion(amount, areas)
    assert set(shares) == set(areas)
    assert sum(shares.values()) == amount
    total = sum(areas.values())
    for code, area in areas.items():
        assert shares[code] in _floor_ceil(amount, area, total)


@given(amounts, areas_st, st.randoms())
def test_input_order_does_not_matter(amount: int, areas: dict[str, int], rnd) -> None:  # type: ignore[no-untyped-def]
    items = list(areas.items())
    rnd.shuffle(items)
    assert apportion(amount, dict(items)) == apportion(amount, areas)


@given(amounts, areas_st)
def test_larger_area_never_gets_fewer_fen(amount: int, areas: dict[str, int]) -> None:
    shares = apportion(amount, areas)
    for a in areas:
        for b in areas:
            if areas[a] > areas[b]:
                assert shares[a] >= shares[b]
            elif areas[a] == areas[b]:
                # equal areas: at most one fen apart, the smaller code never gets less
                assert abs(shares[a] - shares[b]) <= 1
                if a < b:
                    assert shares[a] >= shares[b]


@given(st.integers(0, 10**9), st.integers(1, 10**6), st.integers(1, 50))
def test_proportional_scaling_of_areas_changes_nothing(amount: int, area: int, k: int) -> None:
    areas = {"A": area, "B": area + 7, "C": 3 * area}
    scaled = {c: a * k for c, a in areas.items()}
    assert apportion(amount, scaled) == apportion(amount, areas)
