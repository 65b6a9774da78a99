"""Live turnout of a ballot: who has taken part so far, by heads and area, against the 2/3 lines.

Taking part means having a ``Vote`` (online, counted paper or proxy), whatever its
choices. Overall figures are the legal quorum test (DOMAIN.md §3). Per-building figures help
the committee see where to canvass: a member counts as a head in every building where they
hold an in-scope unit, and a building's area is the area of its units on the frozen roll, so
the building lines do not add up to the overall line when members span buildings; the legal
test is the overall one only. Arithmetic is integer: the 2/3 tests use
``voting.matters.QUORUM``; the permille widths are for drawing bars only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from voting.ballot_info import get_ballot
from voting.errors import N_, BallotNotFound
from voting.matters import QUORUM
from voting.models import Ballot, RollMember, RollUnit, Vote
from voting.tally import Figure


@dataclass(frozen=True)
class TurnoutLine:
    """Participation against the roll for one group (overall, or one building)."""

    label: str
    roll: Figure
    participated: Figure

    @property
    def heads_met(self) -> bool:
        """Whether participants hold >= 2/3 of the heads (exact)."""
        return self.roll.heads > 0 and QUORUM.holds(self.participated.heads, self.roll.heads)

    @property
    def area_met(self) -> bool:
        """Whether participants hold >= 2/3 of the area (exact)."""
        return self.roll.area_centi > 0 and QUORUM.holds(
            self.participated.area_centi, self.roll.area_centi
        )

    @property
    def quorum_met(self) -> bool:
        return self.heads_met and self.area_met

    @property
    def heads_permille(self) -> int:
        """Participation in heads, in thousandths rounded down (for bar widths)."""
        return _permille(self.participated.heads, self.roll.heads)

    @property
    def area_permille(self) -> int:
        """Participation in area, in thousandths rounded down (for bar widths)."""
        return _permille(self.participated.area_centi, self.roll.area_centi)

    @property
    def heads_needed(self) -> int:
        """How many more heads must take part to reach 2/3 (0 when reached)."""
        return max(0, -(-2 * self.roll.heads // 3) - self.participated.heads)

    @property
    def area_needed_centi(self) -> int:
        """How much more area (centi-m²) must take part to reach 2/3 (0 when reached)."""
        return max(0, -(-2 * self.roll.area_centi // 3) - self.participated.area_centi)


@dataclass(frozen=True)
class Turnout:
    ballot_ref: str
    status: str
    cast: int
    overall: TurnoutLine
    buildings: tuple[TurnoutLine, ...]

    @property
    def line_permille(self) -> int:
        """Where the 2/3 line is drawn on a bar (666‰)."""
        return 1000 * QUORUM.numerator // QUORUM.denominator


def turnout(session: Session, ballot_ref: str) -> Turnout:
    """The participation so far on a ballot's frozen roll, overall and per building.

    Guarantees: ``overall.roll`` equals the ballot's roll totals; participated never exceeds
    the roll; before opening (no frozen roll) every figure is zero. Raises ``BallotNotFound``.
    Aggregate queries over the votes only, whatever the roll's size: the frozen roll's own
    figures were stored when it was frozen.
    """
    info = get_ballot(session, ballot_ref)
    ballot_id = session.scalar(sa.select(Ballot.id).where(Ballot.ref == ballot_ref))
    if ballot_id is None:  # pragma: no cover - get_ballot raised already
        raise BallotNotFound(N_("There is no such ballot."), ref=ballot_ref)
    cast, part_h, part_a = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(RollMember.heads), 0),
            sa.func.coalesce(sa.func.sum(RollMember.area_centi), 0),
        )
        .select_from(Vote)
        .join(RollMember, RollMember.id == Vote.member_id)
        .where(Vote.ballot_id == ballot_id)
    ).one()
    roll_h, roll_a, roll_lines = _roll_figures(session, ballot_id)
    # From the votes to their members' units (member ids are unique across ballots), so the
    # plan follows the member index whatever the statistics say about the roll.
    voted_units = (
        sa.select(
            RollUnit.building_code,
            sa.func.count(sa.distinct(RollUnit.member_id)),
            sa.func.sum(RollUnit.area_centi),
        )
        .select_from(Vote)
        .join(RollUnit, RollUnit.member_id == Vote.member_id)
        .where(Vote.ballot_id == ballot_id)
        .group_by(RollUnit.building_code)
    )
    part_lines = {code: Figure(int(h), int(a)) for code, h, a in session.execute(voted_units)}
    lines = tuple(
        TurnoutLine(label=code, roll=roll, participated=part_lines.get(code, Figure(0, 0)))
        for code, roll in sorted(roll_lines.items())
    )
    return Turnout(
        ballot_ref=info.ref,
        status=info.status,
        cast=int(cast),
        overall=TurnoutLine("", Figure(int(roll_h), int(roll_a)), Figure(int(part_h), int(part_a))),
        buildings=lines,
    )


def building_figures(session: Session, ballot_id: int) -> dict[str, Figure]:
    """The frozen roll per building: heads (members with a unit there) and area, by code.
    Computed when the roll is frozen and stored on the ballot (``Ballot.roll_by_building``)."""
    by_building = (
        sa.select(
            RollUnit.building_code,
            sa.func.count(sa.distinct(RollUnit.member_id)),
            sa.func.sum(RollUnit.area_centi),
        )
        .where(RollUnit.ballot_id == ballot_id)
        .group_by(RollUnit.building_code)
    )
    return {code: Figure(int(h), int(a)) for code, h, a in session.execute(by_building)}


def dump_building_figures(figures: dict[str, Figure]) -> str:
    """The stored form of :func:`building_figures` (JSON, codes sorted)."""
    return json.dumps({code: [f.heads, f.area_centi] for code, f in sorted(figures.items())})


def _roll_figures(session: Session, ballot_id: int) -> tuple[int, int, dict[str, Figure]]:
    """The frozen roll's heads and area, overall and per building, as stored at opening (all
    zero before: there is no roll yet)."""
    heads, area, stored = session.execute(
        sa.select(Ballot.roll_heads, Ballot.roll_area_centi, Ballot.roll_by_building).where(
            Ballot.id == ballot_id
        )
    ).one()
    lines = {code: Figure(int(h), int(a)) for code, (h, a) in json.loads(stored or "{}").items()}
    return int(heads or 0), int(area or 0), lines


def _permille(part: int, total: int) -> int:
    if total <= 0:
        return 0
    return min(1000, 1000 * part // total)
