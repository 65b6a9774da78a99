"""Voting members (Civil Code art. 278; judicial interpretation art. 9): examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate.errors import DuplicateUnit, NonPositiveArea
from estate.roll import parse_roll
from voting.members import (
    BadOwnerKey,
    UnitHolding,
    UnitWithoutHolder,
    group_members,
    holdings_from_roll,
)


def U(code: str, area: int, owners: str = "", dev: bool = False) -> UnitHolding:
    return UnitHolding(code, area, [k for k in owners.split(";") if k], dev)


def test_one_buyer_with_several_units_is_one_member() -> None:
    members = group_members([U("1-101", 9000, "wang"), U("2-301", 4000, "wang")])
    assert len(members) == 1
    m = members[0]
    assert (m.key, m.unit_codes, m.area_centi, m.heads) == (
        "owners:wang",
        ("1-101", "2-301"),
        13000,
        1,
    )


def test_owner_sets_must_be_exactly_equal() -> None:
    members = group_members(
        [U("101", 100, "a"), U("102", 200, "a;b"), U("103", 300, " b ; a"), U("104", 400, "b")]
    )
    assert [(m.key, m.unit_codes, m.area_centi) for m in members] == [
        ("owners:a", ("101",), 100),
        ("owners:a;b", ("102", "103"), 500),
        ("owners:b", ("104",), 400),
    ]
    assert members[1].owner_keys == ("a", "b")


def test_all_developer_units_are_one_member_whatever_owners_they_list() -> None:
    members = group_members(
        [
            U("A-1", 100, "a"),
            U("A-2", 200, "", dev=True),
            U("B-9", 300, "a", dev=True),  # sold to a but not delivered: developer holds it
            U("A-0", 50, "", dev=True),
        ]
    )
    assert [(m.key, m.unit_codes, m.area_centi) for m in members] == [
        ("developer", ("A-0", "A-2", "B-9"), 550),
        ("owners:a", ("A-1",), 100),
    ]
    assert members[0].is_developer and not members[1].is_developer


def test_ordered_by_first_unit_code_in_ordinal_order() -> None:
    members = group_members([U("9", 1, "x"), U("10", 1, "y"), U("B", 1, "z"), U("a", 1, "w")])
    assert [m.unit_codes[0] for m in members] == ["10", "9", "B", "a"]


def test_errors() -> None:
    with pytest.raises(DuplicateUnit):
        group_members([U("1", 1, "a"), U("1", 2, "b")])
    with pytest.raises(UnitWithoutHolder):
        group_members([U("1", 1, "")])
    with pytest.raises(NonPositiveArea):
        group_members([U("1", 0, "a")])
    with pytest.raises(BadOwnerKey):
        group_members([UnitHolding("1", 1, ["a", " "])])
    with pytest.raises(BadOwnerKey):
        group_members([UnitHolding("1", 1, ["a;b"])])


def test_from_a_parsed_roll() -> None:
    data = (
        b"unit,building,area,owners,developer\n"
        b"1-101,1,89.37,o1,\n1-102,1,89.37,o1,\n1-201,1,120,o2;o1,\n1-202,1,60,,1\n"
    )
    rows, problems = parse_roll(data, "roll.csv")
    assert problems == []
    members = group_members(holdings_from_roll(rows))
    assert [(m.key, m.area_centi) for m in members] == [
        ("owners:o1", 17874),
        ("owners:o1;o2", 12000),
        ("developer", 6000),
    ]


owner_sets = st.frozensets(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3)
holdings = st.lists(
    st.tuples(st.integers(1, 10**6), owner_sets, st.booleans()), min_size=1, max_size=25
).map(
    lambda xs: [
        UnitHolding(f"U{i:03d}", area, sorted(owners), dev)
        for i, (area, owners, dev) in enumerate(xs)
    ]
)


@given(holdings)
def test_area_preserved_and_each_unit_in_one_member(units: list[UnitHolding]) -> None:
    members = group_members(units)
    assert sum(m.area_centi for m in members) == sum(u.area_centi for u in units)
    listed = [c for m in members for c in m.unit_codes]
    assert sorted(listed) == sorted(u.code for u in units)
    assert all(m.heads == 1 for m in members)
    assert all(list(m.unit_codes) == sorted(m.unit_codes) for m in members)


@given(holdings, st.randoms())
def test_permutation_invariant(units: list[UnitHolding], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(units)
    rnd.shuffle(shuffled)
    reordered = [
        UnitHolding(u.code, u.area_centi, list(reversed(u.owner_keys)), u.is_developer_held)
        for u in shuffled
    ]
    assert group_members(reordered) == group_members(units)


@given(holdings)
def test_member_count(units: list[UnitHolding]) -> None:
    distinct = {frozenset(u.owner_keys) for u in units if not u.is_developer_held}
    has_dev = any(u.is_developer_held for u in units)
    assert len(group_members(units)) == len(distinct) + (1 if has_dev else 0)
