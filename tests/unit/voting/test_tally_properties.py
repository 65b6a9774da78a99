"""Properties of the tally (hypothesis): monotonicity, order independence, figures add up, and
agreement with an independent oracle written with ``fractions.Fraction``."""

from __future__ import annotations

import random
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from voting.matters import CONSULTATION, MATTERS, Matter
from voting.members import Member, UnitHolding, group_members
from voting.tally import Ballot, Choice, Figure, TallyResult, count_votes, tally

CHOICES = ["agree", "oppose", "abstain", None]  # None: did not vote

areas = st.one_of(st.integers(1, 20_000), st.integers(1, 10**20))
matters = st.sampled_from([*MATTERS.values(), CONSULTATION])
decisive = st.sampled_from(list(MATTERS.values()))


@st.composite
def elections(draw: st.DrawFn) -> tuple[list[Member], list[str | None]]:
    n = draw(st.integers(1, 12))
    members = [Member(f"m{i}", (f"u{i}",), draw(areas), (f"o{i}",)) for i in range(n)]
    choices = draw(st.lists(st.sampled_from(CHOICES), min_size=n, max_size=n))
    return members, choices


def ballots_of(members: list[Member], choices: list[str | None]) -> list[Ballot]:
    return [Ballot(m.key, c) for m, c in zip(members, choices, strict=True) if c is not None]


def run(members: list[Member], choices: list[str | None], matter: Matter) -> TallyResult:
    return count_votes(members, ballots_of(members, choices), matter)


@given(elections(), decisive, st.data())
def test_turning_oppose_into_agree_never_turns_a_pass_into_a_fail(
    election: tuple[list[Member], list[str | None]], matter: Matter, data: st.DataObject
) -> None:
    members, choices = election
    opposing = [i for i, c in enumerate(choices) if c == "oppose"]
    if not opposing:
        return
    i = data.draw(st.sampled_from(opposing))
    before = run(members, choices, matter)
    after = run(members, [*choices[:i], "agree", *choices[i + 1 :]], matter)
    assert after.quorum_met == before.quorum_met
    if before.approved:
        assert after.approved
    if before.passed:
        assert after.passed


@given(elections(), decisive, st.sampled_from(["agree", "oppose", "abstain"]), st.data())
def test_a_non_voter_who_votes_never_breaks_the_quorum(
    election: tuple[list[Member], list[str | None]],
    matter: Matter,
    choice: str,
    data: st.DataObject,
) -> None:
    members, choices = election
    absent = [i for i, c in enumerate(choices) if c is None]
    if not absent:
        return
    i = data.draw(st.sampled_from(absent))
    before = run(members, choices, matter)
    after = run(members, [*choices[:i], choice, *choices[i + 1 :]], matter)
    if before.quorum_met:
        assert after.quorum_met


@given(elections(), matters, st.randoms(use_true_random=False), st.booleans())
def test_order_of_ballots_and_roll_does_not_matter(
    election: tuple[list[Member], list[str | None]],
    matter: Matter,
    rnd: random.Random,
    deemed: bool,
) -> None:
    members, choices = election
    ballots = ballots_of(members, choices)
    expected = tally(members, ballots, matter, deemed_majority=deemed)
    shuffled_members, shuffled_ballots = members[:], ballots[:]
    rnd.shuffle(shuffled_members)
    rnd.shuffle(shuffled_ballots)
    assert tally(shuffled_members, shuffled_ballots, matter, deemed_majority=deemed) == expected


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "a;b", ""]), st.integers(1, 10_000)),
        min_size=1,
        max_size=10,
    ),
    st.randoms(use_true_random=False),
    decisive,
)
def test_order_of_roll_rows_does_not_matter(
    rows: list[tuple[str, int]], rnd: random.Random, matter: Matter
) -> None:
    """Rows of the roll (units) in any order give the same members and the same tally."""
    units = [
        UnitHolding(f"u{i:02d}", area, [k for k in owners.split(";") if k], not owners)
        for i, (owners, area) in enumerate(rows)
    ]
    members = group_members(units)
    ballots = [Ballot(m.key, "agree") for m in members[::2]]
    expected = count_votes(members, ballots, matter)
    shuffled = units[:]
    rnd.shuffle(shuffled)
    assert count_votes(group_members(shuffled), ballots, matter) == expected


@given(elections(), matters, st.booleans())
def test_figures_add_up(
    election: tuple[list[Member], list[str | None]], matter: Matter, deemed: bool
) -> None:
    members, choices = election
    t = tally(members, ballots_of(members, choices), matter, deemed_majority=deemed)
    results = [t.plain] if t.deemed_majority is None else [t.plain, t.deemed_majority]
    for r in results:
        total = Figure(
            r.agree.heads + r.oppose.heads + r.abstain.heads,
            r.agree.area_centi + r.oppose.area_centi + r.abstain.area_centi,
        )
        assert total == r.participated
        assert r.participated.heads <= r.roll.heads
        assert r.participated.area_centi <= r.roll.area_centi
        assert r.roll == Figure(len(members), sum(m.area_centi for m in members))
    voted = [m for m, c in zip(members, choices, strict=True) if c is not None]
    assert t.plain.participated == Figure(len(voted), sum(m.area_centi for m in voted))


@given(elections(), matters)
def test_agrees_with_a_fraction_oracle(
    election: tuple[list[Member], list[str | None]], matter: Matter
) -> None:
    members, choices = election
    r = run(members, choices, matter)
    if matter.quorum is None or matter.approval is None:
        assert (r.quorum_met, r.approved, r.passed) == (None, None, None)
        return
    weights = {m.key: (1, m.area_centi) for m in members}
    part = [weights[m.key] for m, c in zip(members, choices, strict=True) if c is not None]
    yes = [weights[m.key] for m, c in zip(members, choices, strict=True) if c == "agree"]

    def total(ws: list[tuple[int, int]], i: int) -> int:
        return sum(w[i] for w in ws)

    quorum = all(
        Fraction(total(part, i), total(list(weights.values()), i)) >= Fraction(2, 3) for i in (0, 1)
    )
    bar = Fraction(matter.approval.numerator, matter.approval.denominator)
    approved = bool(part) and all(
        (Fraction(total(yes, i), total(part, i)) > bar)
        if matter.approval.is_strict
        else (Fraction(total(yes, i), total(part, i)) >= bar)
        for i in (0, 1)
    )
    assert (r.quorum_met, r.approved, r.passed) == (quorum, approved, quorum and approved)


@given(elections(), matters)
def test_deemed_majority_leaves_the_plain_result_alone(
    election: tuple[list[Member], list[str | None]], matter: Matter
) -> None:
    members, choices = election
    ballots = ballots_of(members, choices)
    t = tally(members, ballots, matter, deemed_majority=True)
    assert t.plain == count_votes(members, ballots, matter)
    d = t.deemed_majority
    assert d is not None
    assert d.participated == d.roll == t.plain.roll
    rest = t.plain.non_voters
    counted = d.non_voters_counted_as
    assert counted is not None
    for choice in Choice:
        plain_fig = getattr(t.plain, choice.value)
        deemed_fig = getattr(d, choice.value)
        extra = rest if choice is counted else Figure(0, 0)
        assert deemed_fig == Figure(
            plain_fig.heads + extra.heads, plain_fig.area_centi + extra.area_centi
        )
    a, o = t.plain.agree, t.plain.oppose
    if counted is Choice.AGREE:
        assert a.heads > o.heads and a.area_centi > o.area_centi
    elif counted is Choice.OPPOSE:
        assert o.heads > a.heads and o.area_centi > a.area_centi
    else:
        assert not (a.heads > o.heads and a.area_centi > o.area_centi)
        assert not (o.heads > a.heads and o.area_centi > a.area_centi)
