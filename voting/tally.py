"""The legal tally of an owner decision (Civil Code art. 278; DOMAIN.md §3) (pure).

Input: the roll's voting members (``voting.members.Member`` or anything with ``key``,
``heads`` = 1 and ``area_centi`` > 0) and one ballot per voting member (``agree``, ``oppose``
or ``abstain``). Output: an immutable ``TallyResult`` whose figures are ``Figure(heads,
area_centi)`` pairs for the roll, those who took part and each choice, and the outcome words:

- ``quorum_met``: members holding >= 2/3 of the roll's area AND >= 2/3 of its heads took part
  (abstaining is taking part);
- ``approved``: at least one member took part AND the "agree" figures meet the matter's
  threshold in area AND in heads, among those who took part (participants are the
  denominator, so abstentions weigh against approval);
- ``passed``: ``quorum_met and approved``.

For a consultation (``voting.matters.CONSULTATION``) the law sets no threshold: the figures
are reported and the four test fields and the three outcome words are all ``None`` ("not
applicable"), never ``False``, so that no one reads an advisory poll as a failed decision.

The optional local rule "non-voters are deemed to follow the majority" is computed by
``count_votes_deemed_majority`` as a separate result; ``tally`` returns it beside the plain
result, never folded into it.

Arithmetic is integer only: sums of integers and cross-multiplication.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, NamedTuple, Protocol

from notary.errors import N_, DomainError
from voting.matters import Matter, Threshold


class Choice(StrEnum):
    """What a ballot says. All three count as taking part; only ``agree`` approves."""

    AGREE = "agree"
    OPPOSE = "oppose"
    ABSTAIN = "abstain"


class Figure(NamedTuple):
    """A count of members: heads and area in centi-m² (0.01 m²)."""

    heads: int
    area_centi: int


ZERO = Figure(0, 0)


class RollMember(Protocol):
    """What the tally needs of a voting member (``voting.members.Member`` has it)."""

    @property
    def key(self) -> str: ...

    @property
    def heads(self) -> int: ...

    @property
    def area_centi(self) -> int: ...


@dataclass(frozen=True)
class Ballot:
    """One member's ballot: the member's key on the roll and the choice (text or ``Choice``)."""

    member_key: str
    choice: str


class EmptyRoll(DomainError):
    """A roll with no members: there is nothing to decide."""

    code = "empty-roll"


class DuplicateMember(DomainError):
    """Two members of the roll share a key."""

    code = "duplicate-member"


class BadMemberWeight(DomainError):
    """A member whose heads are not 1 or whose area is not positive."""

    code = "bad-member-weight"


class MemberNotOnRoll(DomainError):
    """A ballot from a member who is not on the roll of this ballot's scope."""

    code = "member-not-on-roll"


class DuplicateBallot(DomainError):
    """A second ballot from the same member."""

    code = "duplicate-ballot"


class UnknownChoice(DomainError):
    """A ballot choice other than agree, oppose or abstain."""

    code = "unknown-choice"


@dataclass(frozen=True)
class TallyResult:
    """The figures and the outcome of one count. Immutable.

    ``agree + oppose + abstain == participated`` and ``participated <= roll`` in heads and
    area. The ``*_met`` fields are the four single tests (False for an approval test when no
    one took part); they and the outcome words are ``None`` for a consultation.
    ``non_voters_counted_as`` is ``None`` in a plain count; in a deemed-majority count it is
    the choice every non-voter was counted with.
    """

    matter: str
    roll: Figure
    participated: Figure
    agree: Figure
    oppose: Figure
    abstain: Figure
    quorum_area_met: bool | None
    quorum_heads_met: bool | None
    approval_area_met: bool | None
    approval_heads_met: bool | None
    quorum_met: bool | None
    approved: bool | None
    passed: bool | None
    non_voters_counted_as: Choice | None = None

    @property
    def non_voters(self) -> Figure:
        """The members of the roll who are not counted as having taken part."""
        return _minus(self.roll, self.participated)


@dataclass(frozen=True)
class Tally:
    """The plain result and, when the community's rules have the deemed-majority clause, the
    result under that clause beside it (``None`` otherwise). ``binding`` says which one the
    community's rules make binding; the plain result is always there to be shown."""

    plain: TallyResult
    deemed_majority: TallyResult | None

    @property
    def binding(self) -> Literal["plain", "deemed_majority"]:
        return "plain" if self.deemed_majority is None else "deemed_majority"


def parse_choice(text: str) -> Choice:
    """The ``Choice`` spelt by ``text`` (exactly ``agree``, ``oppose`` or ``abstain``).

    Guarantees: returns a ``Choice`` or raises ``UnknownChoice`` naming the text.
    """
    try:
        return Choice(text)
    except ValueError:
        raise UnknownChoice(
            N_("'%(choice)s' is not a choice; expected agree, oppose or abstain"), choice=text
        ) from None


def count_votes(
    members: Iterable[RollMember], ballots: Iterable[Ballot], matter: Matter
) -> TallyResult:
    """The plain tally: only members who cast a ballot took part.

    Guarantees: the result does not depend on the order of ``members`` or ``ballots``;
    figures add up (``agree + oppose + abstain == participated <= roll``); the outcome words
    follow the module docstring, by exact integer arithmetic. Raises ``EmptyRoll``,
    ``DuplicateMember`` or ``BadMemberWeight`` for a bad roll, and ``MemberNotOnRoll``,
    ``DuplicateBallot`` or ``UnknownChoice`` for a bad ballot; nothing is returned then.
    """
    roll = _index_roll(members)
    by_choice = _count_ballots(roll, ballots)
    return result_from_figures(
        matter,
        _sum(roll.values()),
        agree=by_choice[Choice.AGREE],
        oppose=by_choice[Choice.OPPOSE],
        abstain=by_choice[Choice.ABSTAIN],
    )


def count_votes_deemed_majority(
    members: Iterable[RollMember], ballots: Iterable[Ballot], matter: Matter
) -> TallyResult:
    """The tally under the local rule "non-voters follow the majority of those who voted".

    Guarantees: every member without a ballot is counted as having taken part, with the
    choice returned by ``majority_choice`` for the plain figures (agree or oppose when it
    leads in BOTH heads and area, else abstain); the voters' figures are those of the plain
    count. Same validation and order-independence as ``count_votes``.
    """
    return deem_majority(count_votes(members, ballots, matter), matter)


def tally(
    members: Iterable[RollMember],
    ballots: Iterable[Ballot],
    matter: Matter,
    *,
    deemed_majority: bool = False,
) -> Tally:
    """The plain result, and the deemed-majority result beside it when ``deemed_majority``.

    Guarantees: ``Tally.plain`` is exactly ``count_votes(...)`` whether or not the rule is
    on; ``Tally.deemed_majority`` is ``None`` unless asked for. Raises what ``count_votes``
    raises.
    """
    members = list(members)
    ballots = list(ballots)
    plain = count_votes(members, ballots, matter)
    return Tally(plain, deem_majority(plain, matter) if deemed_majority else None)


def majority_choice(agree: Figure, oppose: Figure) -> Choice:
    """The choice that leads among those who voted, for the deemed-majority rule.

    Guarantees: ``AGREE`` when agree is strictly ahead of oppose in heads AND in area,
    ``OPPOSE`` when oppose is strictly ahead in both, ``ABSTAIN`` otherwise (a tie, a split
    lead, or nobody voting). Abstentions are not a side and never lead.
    """
    if agree.heads > oppose.heads and agree.area_centi > oppose.area_centi:
        return Choice.AGREE
    if oppose.heads > agree.heads and oppose.area_centi > agree.area_centi:
        return Choice.OPPOSE
    return Choice.ABSTAIN


def deem_majority(plain: TallyResult, matter: Matter) -> TallyResult:
    """The deemed-majority result derived from a plain one (see ``count_votes_deemed_majority``).

    Guarantees: ``participated == roll``; the non-voters' figure is added to exactly one of
    agree, oppose or abstain; ``plain`` is not changed (it is immutable).
    """
    if plain.non_voters_counted_as is not None:
        raise ValueError("the deemed-majority rule applies to a plain result only")
    deemed = majority_choice(plain.agree, plain.oppose)
    rest = plain.non_voters
    figures = {
        Choice.AGREE: plain.agree,
        Choice.OPPOSE: plain.oppose,
        Choice.ABSTAIN: plain.abstain,
    }
    figures[deemed] = _plus(figures[deemed], rest)
    return result_from_figures(
        matter,
        plain.roll,
        agree=figures[Choice.AGREE],
        oppose=figures[Choice.OPPOSE],
        abstain=figures[Choice.ABSTAIN],
        non_voters_counted_as=deemed,
    )


def result_from_figures(
    matter: Matter,
    roll: Figure,
    *,
    agree: Figure,
    oppose: Figure,
    abstain: Figure,
    non_voters_counted_as: Choice | None = None,
) -> TallyResult:
    """Apply the law to counted figures.

    Guarantees: ``participated = agree + oppose + abstain``; the quorum tests compare
    participated with ``roll`` and the approval tests compare agree with participated, with
    the matter's thresholds by cross-multiplication; an approval test is False when no one
    took part; ``approved`` needs both approval tests, ``quorum_met`` both quorum tests,
    ``passed`` both words; everything is ``None`` for a consultation. Raises ``ValueError``
    if a figure is negative or participated exceeds the roll.
    """
    participated = _sum([agree, oppose, abstain])
    for f in (agree, oppose, abstain):
        if f.heads < 0 or f.area_centi < 0:
            raise ValueError("a figure is negative")
    if participated.heads > roll.heads or participated.area_centi > roll.area_centi:
        raise ValueError("more took part than are on the roll")
    quorum_area = _test(matter.quorum, participated.area_centi, roll.area_centi)
    quorum_heads = _test(matter.quorum, participated.heads, roll.heads)
    anyone = participated.heads > 0
    approval_area = _test(matter.approval, agree.area_centi, participated.area_centi, anyone)
    approval_heads = _test(matter.approval, agree.heads, participated.heads, anyone)
    quorum_met = _both(quorum_area, quorum_heads)
    approved = _both(approval_area, approval_heads)
    passed = _both(quorum_met, approved)
    return TallyResult(
        matter=matter.key,
        roll=roll,
        participated=participated,
        agree=agree,
        oppose=oppose,
        abstain=abstain,
        quorum_area_met=quorum_area,
        quorum_heads_met=quorum_heads,
        approval_area_met=approval_area,
        approval_heads_met=approval_heads,
        quorum_met=quorum_met,
        approved=approved,
        passed=passed,
        non_voters_counted_as=non_voters_counted_as,
    )


def _test(threshold: Threshold | None, part: int, total: int, possible: bool = True) -> bool | None:
    if threshold is None:
        return None
    return possible and threshold.holds(part, total)


def _both(a: bool | None, b: bool | None) -> bool | None:
    if a is None or b is None:
        return None
    return a and b


def _index_roll(members: Iterable[RollMember]) -> dict[str, Figure]:
    roll: dict[str, Figure] = {}
    for m in members:
        if m.key in roll:
            raise DuplicateMember(N_("Member %(member)s is on the roll twice."), member=m.key)
        if m.heads != 1 or m.area_centi <= 0:
            raise BadMemberWeight(
                N_("Member %(member)s must have 1 head and a positive area."), member=m.key
            )
        roll[m.key] = Figure(m.heads, m.area_centi)
    if not roll:
        raise EmptyRoll(N_("The roll has no members."))
    return roll


def _count_ballots(roll: dict[str, Figure], ballots: Iterable[Ballot]) -> dict[Choice, Figure]:
    counted: dict[Choice, Figure] = dict.fromkeys(Choice, ZERO)
    voted: set[str] = set()
    for b in ballots:
        if b.member_key not in roll:
            raise MemberNotOnRoll(
                N_("Member %(member)s is not on the roll of this ballot."), member=b.member_key
            )
        if b.member_key in voted:
            raise DuplicateBallot(
                N_("Member %(member)s has already cast a ballot."), member=b.member_key
            )
        choice = parse_choice(b.choice)
        voted.add(b.member_key)
        counted[choice] = _plus(counted[choice], roll[b.member_key])
    return counted


def _plus(a: Figure, b: Figure) -> Figure:
    return Figure(a.heads + b.heads, a.area_centi + b.area_centi)


def _minus(a: Figure, b: Figure) -> Figure:
    return Figure(a.heads - b.heads, a.area_centi - b.area_centi)


def _sum(figures: Iterable[Figure]) -> Figure:
    total = ZERO
    for f in figures:
        total = _plus(total, f)
    return total
