"""When published results become final, and the settings a ballot is held under.

**Final without a click.** A published ballot whose publicity period has ended, with every
objection answered and none upheld, *is* final: it reads as ``final`` everywhere (pages, the
JSON API, the command line) from the later of the period's end and the last answer, before
anyone records it. :func:`effective_finality` decides this from plain values;
:func:`finality_of` reads what it needs (the objections, only when the period is over) and
every reader of a ballot's state goes through it (``voting.ballot_info.info_of``, the owner's
page). ``fundvote tick`` then records the state (``voting.lifecycle.finalize_ballot`` with
no actor), at that same moment, so what was shown and what is stored agree.

An upheld objection keeps the ballot ``published``: the committee must annul it with reasons
(``annul_ballot``), as before; it never becomes final. Objections left unanswered when the
period ends keep the ballot ``published`` too, and are counted as *overdue*: the committee's
ballot page and the authority's list show them, and the tick logs
``voting.objections_overdue`` once per ballot.

**Settings.** A draft follows its community's current settings (its own publicity period if
the committee gave one); opening freezes the settings then in force into the ballot
(:func:`ballot_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community
from voting.models import Ballot, Objection


@dataclass(frozen=True)
class ObjectionCounts:
    """A ballot's objections: how many, how many unanswered and upheld, the last answer."""

    lodged: int = 0
    unanswered: int = 0
    upheld: int = 0
    last_answered_at: datetime | None = None


@dataclass(frozen=True)
class Finality:
    """A ballot's state as it reads at a moment: ``status`` (``final`` for a published ballot
    that has become final), when it became final, and the objections overdue (unanswered
    past the publicity period; 0 otherwise)."""

    status: str
    final_at: datetime | None
    overdue_objections: int = 0

    @property
    def is_due_final(self) -> bool:
        """Final by the rules but not recorded yet is for the caller to tell (stored status)."""
        return self.status == "final"


@dataclass(frozen=True)
class BallotSettings:
    """The community settings a ballot is held under: frozen at opening, the community's
    current ones (or the draft's own publicity period) before."""

    publicity_days: int
    deemed_majority_enabled: bool
    binding_result: str
    fund_holder: str
    is_frozen: bool
    has_own_publicity_days: bool


def publicity_ends(published_at: datetime | None, publicity_days: int | None) -> datetime | None:
    """When the publicity period ends (None before publication)."""
    if published_at is None or publicity_days is None:
        return None
    return published_at + timedelta(days=publicity_days)


def effective_finality(
    *,
    status: str,
    published_at: datetime | None,
    publicity_days: int | None,
    final_at: datetime | None,
    objections: ObjectionCounts,
    now: datetime,
) -> Finality:
    """The state a ballot reads as at ``now`` (pure).

    Guarantees: only a ``published`` ballot can read differently from its stored status; it
    reads ``final`` exactly when ``now`` is at or past the end of its publicity period, every
    objection is answered and none is upheld, with ``final_at`` the later of the period's end
    and the last answer; an unanswered objection past the period's end is counted in
    ``overdue_objections``; an upheld one keeps the ballot ``published`` (it awaits annulment).
    """
    if status != "published":
        return Finality(status, final_at)
    ends = publicity_ends(published_at, publicity_days)
    if ends is None or now < ends:
        return Finality(status, None)
    if objections.upheld or objections.unanswered:
        return Finality(status, None, objections.unanswered)
    last = objections.last_answered_at
    return Finality("final", ends if last is None or last < ends else last)


def objection_counts(s: Session, ballot_id: int) -> ObjectionCounts:
    """The ballot's objections counted in one statement (reads only)."""
    row = s.execute(
        sa.select(
            sa.func.count(Objection.id),
            sa.func.count(Objection.id).filter(Objection.answered_at.is_(None)),
            sa.func.count(Objection.id).filter(Objection.is_upheld.is_(True)),
            sa.func.max(Objection.answered_at),
        ).where(Objection.ballot_id == ballot_id)
    ).one()
    return ObjectionCounts(int(row[0]), int(row[1]), int(row[2]), row[3])


def finality_of(s: Session, ballot: Ballot, now: datetime) -> Finality:
    """The state ``ballot`` reads as at ``now`` (see :func:`effective_finality`); reads its
    objections only when it is published and its publicity period is over."""
    ends = publicity_ends(ballot.published_at, ballot.publicity_days)
    if ballot.status != "published" or ends is None or now < ends:
        return Finality(ballot.status, ballot.final_at)
    return effective_finality(
        status=ballot.status,
        published_at=ballot.published_at,
        publicity_days=ballot.publicity_days,
        final_at=ballot.final_at,
        objections=objection_counts(s, ballot.id),
        now=now,
    )


def ballot_settings(ballot: Ballot, community: Community) -> BallotSettings:
    """The settings ``ballot`` is held under (see :class:`BallotSettings`)."""
    own_days = ballot.publicity_days is not None
    if ballot.opened_at is not None:
        return BallotSettings(
            publicity_days=(
                ballot.publicity_days
                if ballot.publicity_days is not None
                else community.publicity_days
            ),
            deemed_majority_enabled=ballot.deemed_majority_enabled,
            binding_result=ballot.binding_result,
            fund_holder=ballot.fund_holder or community.fund_holder,
            is_frozen=True,
            has_own_publicity_days=own_days,
        )
    return BallotSettings(
        publicity_days=(
            ballot.publicity_days if ballot.publicity_days is not None else community.publicity_days
        ),
        deemed_majority_enabled=community.deemed_majority_enabled,
        binding_result=community.binding_result,
        fund_holder=community.fund_holder,
        is_frozen=False,
        has_own_publicity_days=own_days,
    )
