"""The legal tally (Civil Code art. 278; DOMAIN.md §3): worked examples at the exact boundaries.

Areas are in centi-m². Unless a test says otherwise, member ``mN`` has the N-th area given to
``roll(...)``; ``votes("aa.o-x")`` gives member N the N-th letter: a = agree, o = oppose,
x = abstain, - or . = did not vote.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from fractions import Fraction

import pytest

from estate.roll import parse_roll
from notary.errors import DomainError
from voting.matters import (
    CONSULTATION,
    MATTER_KEYS,
    MATTERS,
    QUORUM,
    Matter,
    MatterUnknown,
    ScopeTooNarrow,
    Threshold,
    check_scope,
    matter_by_key,
)
from voting.members import Member, UnitHolding, group_members, holdings_from_roll
from voting.tally import (
    BadMemberWeight,
    Ballot,
    Choice,
    DuplicateBallot,
    DuplicateMember,
    EmptyRoll,
    Figure,
    MemberNotOnRoll,
    TallyResult,
    UnknownChoice,
    count_votes,
    count_votes_deemed_majority,
    majority_choice,
    parse_choice,
    result_from_figures,
    tally,
)

HALF_MATTERS = ["rules", "committee", "manager", "fund_use", "other"]
THREE_QUARTER_MATTERS = ["fund_raise", "rebuild", "change_use"]
RULES = MATTERS["rules"]
FUND_RAISE = MATTERS["fund_raise"]

_LETTERS = {"a": "agree", "o": "oppose", "x": "abstain"}


def roll(*areas: int) -> list[Member]:
    return [Member(f"m{i}", (f"u{i}",), area, (f"o{i}",)) for i, area in enumerate(areas)]


def votes(pattern: str) -> list[Ballot]:
    return [Ballot(f"m{i}", _LETTERS[c]) for i, c in enumerate(pattern) if c in _LETTERS]


def count(areas: list[int], pattern: str, matter: Matter = RULES) -> TallyResult:
    assert len(areas) == len(pattern)
    return count_votes(roll(*areas), votes(pattern), matter)


# --- the table of DOMAIN.md §3 ------------------------------------------------------------


def test_the_eight_matters_and_their_thresholds() -> None:
    assert MATTER_KEYS == (
        "rules",
        "committee",
        "manager",
        "fund_use",
        "fund_raise",
        "rebuild",
        "change_use",
        "other",
    )
    for key in HALF_MATTERS:
        t = MATTERS[key].approval
        assert t is not None
        assert (t.numerator, t.denominator, t.is_strict, t.label) == (1, 2, True, "> 1/2")
    for key in THREE_QUARTER_MATTERS:
        t = MATTERS[key].approval
        assert t is not None
        assert (t.numerator, t.denominator, t.is_strict, t.label) == (3, 4, False, ">= 3/4")
    for m in MATTERS.values():
        assert m.quorum == Threshold(2, 3, is_strict=False) == QUORUM
    assert [k for k, m in MATTERS.items() if m.allows_narrow_scope] == ["fund_use"]


# Four equal members all vote, so quorum holds; only the approval boundary differs.
# agree 2 of 4 = exactly 1/2; agree 3 of 4 = exactly 3/4.
@pytest.mark.parametrize(
    ("key", "two_of_four", "three_of_four"),
    [
        ("rules", False, True),
        ("committee", False, True),
        ("manager", False, True),
        ("fund_use", False, True),
        ("fund_raise", False, True),
        ("rebuild", False, True),
        ("change_use", False, True),
        ("other", False, True),
    ],
)
def test_every_row_at_its_exact_fraction(key: str, two_of_four: bool, three_of_four: bool) -> None:
    matter = matter_by_key(key)
    half = count([100] * 4, "aaoo", matter)
    assert (half.quorum_met, half.approved, half.passed) == (True, two_of_four, two_of_four)
    quarters = count([100] * 4, "aaao", matter)
    assert (quarters.quorum_met, quarters.approved, quarters.passed) == (
        True,
        three_of_four,
        three_of_four,
    )


@pytest.mark.parametrize("key", HALF_MATTERS)
def test_more_than_half_is_strict_and_one_centi_or_head_over_is_enough(key: str) -> None:
    matter = MATTERS[key]
    # 5 heads: agree 3 (> 1/2). Area: agree 200 of 400 = exactly 1/2: not approved.
    r = count([100, 50, 50, 100, 100], "aaaoo", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved) == (True, False, False)
    # One centi-m² more for agree: 201 of 401 > 1/2.
    r = count([100, 50, 51, 100, 100], "aaaoo", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved, r.passed) == (
        True,
        True,
        True,
        True,
    )
    # Area passes (600 of 602), heads exactly 2 of 4: not approved.
    r = count([300, 300, 1, 1], "aaoo", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved) == (False, True, False)
    # One head more for agree (3 of 5), area still passing.
    r = count([300, 300, 1, 1, 1], "aaoao", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved) == (True, True, True)


@pytest.mark.parametrize("key", THREE_QUARTER_MATTERS)
def test_three_quarters_is_not_strict_and_one_centi_or_head_under_fails(key: str) -> None:
    matter = MATTERS[key]
    # Exactly 3/4 in both: approved.
    r = count([100, 100, 100, 100], "aaao", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved, r.passed) == (
        True,
        True,
        True,
        True,
    )
    # One centi-m² under in area: 300 of 401 (4 * 300 = 1200 < 3 * 401 = 1203).
    r = count([100, 100, 100, 101], "aaao", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved) == (True, False, False)
    # Exactly 6 of 8 heads with area passing.
    r = count([1000] * 6 + [1, 1], "aaaaaaoo", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved) == (True, True, True)
    # One head under: 5 of 8 heads although the area is overwhelming.
    r = count([1000] * 5 + [1, 1, 1], "aaaaaooo", matter)
    assert (r.approval_heads_met, r.approval_area_met, r.approved) == (False, True, False)


# --- the participation quorum ----------------------------------------------------------------


@pytest.mark.parametrize("key", MATTER_KEYS)
def test_quorum_exactly_two_thirds_is_met_and_one_centi_less_is_not(key: str) -> None:
    matter = MATTERS[key]
    r = count([100, 100, 100], "aa-", matter)  # 2 of 3 heads, 200 of 300 centi-m²
    assert (r.quorum_area_met, r.quorum_heads_met, r.quorum_met) == (True, True, True)
    assert r.participated == Figure(2, 200) and r.roll == Figure(3, 300)
    assert r.passed is True
    r = count([100, 99, 101], "aa-", matter)  # 199 of 300: 3 * 199 = 597 < 600
    assert (r.quorum_area_met, r.quorum_heads_met, r.quorum_met) == (False, True, False)
    assert (r.approved, r.passed) == (True, False)


@pytest.mark.parametrize("key", MATTER_KEYS)
def test_quorum_one_head_less_is_not_met(key: str) -> None:
    matter = MATTERS[key]
    r = count([500, 500, 500, 100, 100, 100], "aaaa--", matter)  # 4 of 6 heads
    assert (r.quorum_area_met, r.quorum_heads_met, r.quorum_met) == (True, True, True)
    r = count([500, 500, 500, 100, 100, 100], "aaa---", matter)  # 3 of 6 heads, 1500 of 1800
    assert (r.quorum_area_met, r.quorum_heads_met, r.quorum_met) == (True, False, False)
    assert (r.approved, r.passed) == (True, False)


def test_quorum_heads_met_but_area_not() -> None:
    r = count([1, 1, 1000], "aa-", RULES)  # 2 of 3 heads, 2 of 1002 area
    assert (r.quorum_heads_met, r.quorum_area_met, r.quorum_met, r.passed) == (
        True,
        False,
        False,
        False,
    )


def test_no_float_even_with_huge_areas() -> None:
    # (2k - 1) / (3k - 1) is below 2/3 by about 1e-19: floats round it to 2/3.
    k = 10**18
    r = count([k, k - 1, k], "aa-", RULES)
    assert (2 * k - 1) / (3 * k - 1) == 2 / 3  # a float comparison would wrongly say "met"
    assert r.quorum_area_met is False
    assert r.quorum_met is False


def test_abstain_counts_for_participation_not_for_approval() -> None:
    # Six members: 3 agree, 1 opposes, 2 abstain. Everyone took part; agree leads oppose,
    # yet agree is 3 of 6 heads = exactly 1/2 of those who took part: not approved.
    r = count([100] * 6, "aaaoxx", RULES)
    assert r.participated == Figure(6, 600)
    assert r.abstain == Figure(2, 200)
    assert (r.quorum_met, r.approval_heads_met, r.approval_area_met, r.approved) == (
        True,
        False,
        False,
        False,
    )
    # Only abstentions: quorum met, nothing approved.
    r = count([100, 100, 100], "xxx", RULES)
    assert (r.quorum_met, r.approved, r.passed) == (True, False, False)


@pytest.mark.parametrize("key", MATTER_KEYS)
def test_no_participants_is_never_approved(key: str) -> None:
    r = count([100, 200], "--", MATTERS[key])
    assert r.participated == Figure(0, 0)
    # 0 >= 3/4 * 0 would hold: the "at least one member took part" rule decides.
    assert (r.approval_area_met, r.approval_heads_met, r.approved) == (False, False, False)
    assert (r.quorum_met, r.passed) == (False, False)


# --- counting heads and scope ----------------------------------------------------------------


def test_developer_units_are_one_member_and_one_buyer_is_one_head() -> None:
    units = [
        UnitHolding("D1", 10000, [], is_developer_held=True),
        UnitHolding("D2", 10000, ["buyer-not-delivered"], is_developer_held=True),
        UnitHolding("D3", 10000, [], is_developer_held=True),
        UnitHolding("W1", 5000, ["wang"]),
        UnitHolding("W2", 5000, ["wang"]),
        UnitHolding("L1", 9000, ["li"]),
    ]
    members = group_members(units)
    assert sorted(m.key for m in members) == ["developer", "owners:li", "owners:wang"]
    # The developer (30000) and wang (10000) vote agree; li (9000) opposes.
    r = count_votes(members, [Ballot("developer", "agree"), Ballot("owners:wang", "agree")], RULES)
    assert r.roll == Figure(3, 49000)
    assert r.agree == Figure(2, 40000)
    assert (r.quorum_met, r.approved) == (True, True)
    # If each unit were one head the developer alone would hold 3 of 6 heads; it holds 1 of 3.


def test_co_owners_and_a_sole_owner_are_two_members() -> None:
    members = group_members([UnitHolding("X", 100, ["a", "b"]), UnitHolding("Y", 100, ["a"])])
    assert len(members) == 2
    r = count_votes(members, [Ballot("owners:a;b", "agree"), Ballot("owners:a", "oppose")], RULES)
    assert (r.agree, r.oppose) == (Figure(1, 100), Figure(1, 100))
    assert r.approved is False  # 1 of 2 heads is not > 1/2


ROLL_CSV = (
    "unit,building,area,owners,developer\n"
    "1-101,1,100,a,\n"
    "1-102,1,100,b,\n"
    "2-101,2,80,w,\n"
    "3-101,3,60,w,\n"
    "3-102,3,90,c,\n"
    "3-103,3,50,d,\n"
    "3-104,3,70,,1\n"
    "1-103,1,70,,1\n"
)


def test_fund_use_scope_counts_only_the_buildings_members_and_areas() -> None:
    rows, problems = parse_roll(ROLL_CSV.encode(), "roll.csv")
    assert problems == []
    in_scope = [r for r in rows if r.building == "3"]
    members = group_members(holdings_from_roll(in_scope))
    # w has units in buildings 2 and 3: only 3-101 (60 m²) is in scope. The developer holds
    # 1-103 and 3-104: only 3-104 (70 m²) is in scope.
    assert {m.key: m.area_centi for m in members} == {
        "owners:w": 6000,
        "owners:c": 9000,
        "owners:d": 5000,
        "developer": 7000,
    }
    r = count_votes(
        members, [Ballot("owners:w", "agree"), Ballot("owners:c", "agree")], MATTERS["fund_use"]
    )
    assert r.roll == Figure(4, 27000)
    assert r.participated == Figure(2, 15000)
    # 2 of 4 heads is below 2/3: no quorum, although the area would be 15000 of 27000.
    assert (r.quorum_heads_met, r.quorum_area_met, r.quorum_met) == (False, False, False)
    r = count_votes(
        members,
        [Ballot("owners:w", "agree"), Ballot("owners:c", "agree"), Ballot("developer", "oppose")],
        MATTERS["fund_use"],
    )
    # 3 of 4 heads; 22000 of 27000 area. Agree 2 of 3 heads, 15000 of 22000 area.
    assert (r.quorum_met, r.approved, r.passed) == (True, True, True)
    with pytest.raises(MemberNotOnRoll):
        count_votes(members, [Ballot("owners:a", "agree")], MATTERS["fund_use"])


@pytest.mark.parametrize("key", MATTER_KEYS)
def test_only_fund_use_may_have_a_narrow_scope(key: str) -> None:
    check_scope(MATTERS[key], is_whole_community=True)
    if key == "fund_use":
        check_scope(MATTERS[key], is_whole_community=False)
    else:
        with pytest.raises(ScopeTooNarrow) as exc:
            check_scope(MATTERS[key], is_whole_community=False)
        assert exc.value.code == "scope-too-narrow"
    check_scope(CONSULTATION, is_whole_community=False)


# --- the deemed-majority rule ----------------------------------------------------------------


def test_deemed_majority_agree_leads_in_both() -> None:
    members, ballots = roll(100, 100, 100, 100, 100, 100), votes("aao---")
    t = tally(members, ballots, RULES, deemed_majority=True)
    # Plain: 3 of 6 took part: no quorum.
    assert t.plain == count_votes(members, ballots, RULES)
    assert (t.plain.quorum_met, t.plain.passed, t.plain.non_voters_counted_as) == (
        False,
        False,
        None,
    )
    d = t.deemed_majority
    assert d is not None and t.binding == "deemed_majority"
    assert d.non_voters_counted_as is Choice.AGREE
    assert d.participated == d.roll == Figure(6, 600)
    assert (d.agree, d.oppose, d.abstain) == (Figure(5, 500), Figure(1, 100), Figure(0, 0))
    assert (d.quorum_met, d.approved, d.passed) == (True, True, True)
    assert d == count_votes_deemed_majority(members, ballots, RULES)


def test_deemed_majority_lead_in_heads_only_makes_non_voters_abstain() -> None:
    # agree 2 heads / 200; oppose 1 head / 500: agree leads in heads, oppose in area.
    members, ballots = roll(100, 100, 500, 100, 100, 100), votes("aao---")
    d = count_votes_deemed_majority(members, ballots, RULES)
    assert d.non_voters_counted_as is Choice.ABSTAIN
    assert d.abstain == Figure(3, 300)
    assert (d.quorum_met, d.approved, d.passed) == (True, False, False)
    plain = count_votes(members, ballots, RULES)
    assert (plain.agree, plain.abstain, plain.participated) == (
        Figure(2, 200),
        Figure(0, 0),
        Figure(3, 700),
    )


def test_deemed_majority_oppose_leads_and_ties() -> None:
    d = count_votes_deemed_majority(roll(100, 100, 100, 100, 100), votes("oox--"), RULES)
    assert d.non_voters_counted_as is Choice.OPPOSE
    assert d.oppose == Figure(4, 400) and d.passed is False
    # A tie in heads (1 to 1), agree ahead in area: neither leads in both.
    assert majority_choice(Figure(1, 200), Figure(1, 100)) is Choice.ABSTAIN
    # Nobody voted: everyone abstains; quorum met, nothing approved.
    d = count_votes_deemed_majority(roll(100, 100), votes("--"), FUND_RAISE)
    assert d.non_voters_counted_as is Choice.ABSTAIN
    assert (d.participated, d.quorum_met, d.approved) == (Figure(2, 200), True, False)


def test_rule_off_gives_no_second_result() -> None:
    t = tally(roll(100, 100), votes("a-"), RULES)
    assert t.deemed_majority is None and t.binding == "plain"


# --- consultations ----------------------------------------------------------------------------


def test_consultation_reports_figures_and_no_outcome() -> None:
    r = count([100, 200, 300], "ao-", CONSULTATION)
    assert r.matter == "consultation"
    assert (r.agree, r.oppose, r.participated, r.roll) == (
        Figure(1, 100),
        Figure(1, 200),
        Figure(2, 300),
        Figure(3, 600),
    )
    assert (
        r.quorum_area_met,
        r.quorum_heads_met,
        r.approval_area_met,
        r.approval_heads_met,
        r.quorum_met,
        r.approved,
        r.passed,
    ) == (None,) * 7
    d = count_votes_deemed_majority(roll(100, 200, 300), votes("ao-"), CONSULTATION)
    assert d.passed is None and d.non_voters_counted_as is Choice.ABSTAIN


# --- validation --------------------------------------------------------------------------------


def test_bad_ballots_are_named_domain_errors() -> None:
    members = roll(100, 100)
    with pytest.raises(MemberNotOnRoll) as exc:
        count_votes(members, [Ballot("m9", "agree")], RULES)
    assert exc.value.code == "member-not-on-roll" and exc.value.params == {"member": "m9"}
    with pytest.raises(DuplicateBallot) as dup:
        count_votes(members, [Ballot("m0", "agree"), Ballot("m0", "agree")], RULES)
    assert dup.value.code == "duplicate-ballot"
    with pytest.raises(UnknownChoice) as bad:
        count_votes(members, [Ballot("m0", "yes")], RULES)
    assert bad.value.code == "unknown-choice"
    for cls in (MemberNotOnRoll, DuplicateBallot, UnknownChoice):
        assert issubclass(cls, DomainError)
    assert parse_choice("abstain") is Choice.ABSTAIN
    with pytest.raises(UnknownChoice):
        parse_choice("Agree")


def test_bad_rolls_are_named_domain_errors() -> None:
    with pytest.raises(EmptyRoll):
        count_votes([], [], RULES)
    with pytest.raises(DuplicateMember):
        count_votes([*roll(100), *roll(200)], [], RULES)
    with pytest.raises(BadMemberWeight):
        count_votes([Member("m", ("u",), 0, ("o",))], [], RULES)
    with pytest.raises(BadMemberWeight):
        count_votes([Member("m", ("u",), 100, ("o",), heads=2)], [], RULES)


def test_matter_unknown() -> None:
    assert issubclass(MatterUnknown, DomainError)
    assert MatterUnknown.code == "matter-unknown"
    for key in ("", "Rules", " rules", "consultation", "fund-use"):
        with pytest.raises(MatterUnknown) as exc:
            matter_by_key(key)
        assert exc.value.params["matter"] == key
        assert "rules, committee, manager, fund_use" in exc.value.text


def test_threshold_is_exact_and_refuses_impossible_proportions() -> None:
    assert Threshold(2, 3, is_strict=False).holds(2, 3)
    assert not Threshold(2, 3, is_strict=True).holds(2, 3)
    assert Threshold(1, 2, is_strict=True).holds(10**30 + 1, 2 * 10**30)
    assert Fraction(10**30 + 1, 2 * 10**30) > Fraction(1, 2)
    with pytest.raises(ValueError):
        Threshold(1, 2, is_strict=True).holds(3, 2)
    with pytest.raises(ValueError):
        Threshold(3, 2, is_strict=True)
    with pytest.raises(ValueError):
        result_from_figures(
            RULES, Figure(1, 100), agree=Figure(2, 200), oppose=Figure(0, 0), abstain=Figure(0, 0)
        )


def test_result_is_immutable() -> None:
    r = count([100], "a", RULES)
    with pytest.raises(AttributeError):
        r.passed = False  # type: ignore[misc]


def test_the_tally_rules_are_pure() -> None:
    """Importing and running the tally loads no web or database framework."""
    script = textwrap.dedent(
        """
        import sys
        from voting.matters import MATTERS
        from voting.tally import Ballot, count_votes
        import voting.ballot_file
        from voting.members import Member

        r = count_votes([Member("m", ("u",), 1, ("o",))], [Ballot("m", "agree")], MATTERS["rules"])
        assert r.passed is True
        loaded = sorted(
            m for m in sys.modules
            if m.split(".")[0] in {"flask", "sqlalchemy", "marshmallow", "fundvote", "ledger"}
        )
        assert not loaded, loaded
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
