"""What has fallen due on published ballots: results that became final, objections overdue.

Read by ``fundvote tick`` (``fundvote.tick``), which records each final state with
``voting.lifecycle.finalize_ballot`` and logs each overdue flag once with
:func:`flag_overdue_objections`; the authority's list of overdue objections reads
:func:`overdue_objections` too. Both follow ``voting.finality``, the one rule.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from estate.models import Community
from notary.work import UnitOfWork
from voting.errors import N_, IllegalTransition
from voting.finality import finality_of, publicity_ends
from voting.models import Ballot
from voting.rows import ballot_by_ref, community_of, log_ballot_event


@dataclass(frozen=True)
class OverdueObjections:
    """A published ballot whose publicity period ended with objections unanswered."""

    community_code: str
    community_name: str
    ballot_ref: str
    ballot_title: str
    publicity_ended_at: datetime
    unanswered: int
    flagged_at: datetime | None


def _published_past_period(
    uow: UnitOfWork, community_ids: Collection[int] | None = None
) -> list[tuple[Ballot, Community]]:
    now = uow.clock.now()
    query = (
        sa.select(Ballot, Community)
        .join(Community, Community.id == Ballot.community_id)
        .where(Ballot.status == "published")
        .order_by(Ballot.published_at, Ballot.id)
    )
    if community_ids is not None:
        query = query.where(Ballot.community_id.in_(list(community_ids)))
    result = []
    for ballot, community in uow.session.execute(query):
        ends = publicity_ends(ballot.published_at, ballot.publicity_days)
        if ends is not None and now >= ends:
            result.append((ballot, community))
    return result


def due_finals(uow: UnitOfWork) -> list[str]:
    """The refs of ballots stored as ``published`` that read ``final`` now (reads only)."""
    now = uow.clock.now()
    return [
        ballot.ref
        for ballot, _community in _published_past_period(uow)
        if finality_of(uow.session, ballot, now).status == "final"
    ]


def overdue_objections(
    uow: UnitOfWork, community_ids: Collection[int] | None = None
) -> list[OverdueObjections]:
    """Published ballots (of ``community_ids``, or every community) whose publicity period
    has ended with objections unanswered, oldest publication first (reads only)."""
    now = uow.clock.now()
    found = []
    for ballot, community in _published_past_period(uow, community_ids):
        finality = finality_of(uow.session, ballot, now)
        if finality.overdue_objections:
            ends = publicity_ends(ballot.published_at, ballot.publicity_days)
            assert ends is not None
            found.append(
                OverdueObjections(
                    community_code=community.code,
                    community_name=community.name,
                    ballot_ref=ballot.ref,
                    ballot_title=ballot.title,
                    publicity_ended_at=ends.astimezone(UTC),
                    unanswered=finality.overdue_objections,
                    flagged_at=(
                        None
                        if ballot.objections_flagged_at is None
                        else ballot.objections_flagged_at.astimezone(UTC)
                    ),
                )
            )
    return found


def flag_overdue_objections(uow: UnitOfWork, *, ballot_ref: str) -> bool:
    """Log ``voting.objections_overdue`` (the number unanswered, no text) for a published
    ballot whose period ended with objections unanswered, once: returns False, writing
    nothing, when it was flagged before (a guarded UPDATE, so two ticks flag it once) or has
    no overdue objection now. ``IllegalTransition`` if the ballot is not published."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    if ballot.status != "published":
        raise IllegalTransition(
            N_("This step is not possible while the ballot is %(status)s."),
            ref=ballot.ref,
            status=ballot.status,
            to="published",
        )
    now = uow.clock.now()
    finality = finality_of(s, ballot, now)
    if not finality.overdue_objections:
        return False
    flagged = s.execute(
        sa.update(Ballot)
        .where(Ballot.id == ballot.id, Ballot.objections_flagged_at.is_(None))
        .values(objections_flagged_at=now)
        .execution_options(synchronize_session=False)
    )
    if flagged.rowcount != 1:  # type: ignore[attr-defined]
        return False
    s.refresh(ballot)
    ends = publicity_ends(ballot.published_at, ballot.publicity_days)
    assert ends is not None
    from notary.envelope import format_time

    log_ballot_event(
        s,
        community_of(s, ballot).code,
        uow.clock,
        "voting.objections_overdue",
        ballot,
        None,
        {"unanswered": finality.overdue_objections, "publicity_ended_at": format_time(ends)},
    )
    return True
