"""What voting services share: loading a ballot, its community, its questions and its
members' masked labels, the guarded status move, and appending events to the log.

Every function here runs inside the caller's session and transaction; none commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community, Owner
from estate.personal import mask_name
from notary import envelope, store
from notary.clock import Clock
from voting.errors import N_, BallotNotFound, IllegalTransition
from voting.models import Ballot, Question, RollMember, RollUnit


def ballot_by_ref(s: Session, ref: str, *, for_update: bool = False) -> Ballot:
    """The ballot with ``ref``; ``BallotNotFound`` otherwise."""
    query = sa.select(Ballot).where(Ballot.ref == ref)
    if for_update:
        query = query.with_for_update()
    ballot = s.scalars(query).one_or_none()
    if ballot is None:
        raise BallotNotFound(N_("There is no such ballot."), ref=ref)
    return ballot


def community_of(s: Session, ballot: Ballot) -> Community:
    """The community the ballot belongs to."""
    return s.get_one(Community, ballot.community_id)


def community_by_code(s: Session, code: str) -> Community:
    """The community with ``code``; ``CommunityNotFound`` otherwise."""
    community = s.scalar(sa.select(Community).where(Community.code == code))
    if community is None:
        from estate.errors import CommunityNotFound

        raise CommunityNotFound(N_("There is no community %(code)s."), code=code)
    return community


def question_rows(s: Session, ballot_id: int) -> list[Question]:
    """The ballot's questions in position order."""
    return list(
        s.scalars(
            sa.select(Question).where(Question.ballot_id == ballot_id).order_by(Question.position)
        )
    )


class HolderRow(Protocol):
    """What :func:`member_labels` reads of a roll member (a ``RollMember`` or a plain row)."""

    @property
    def id(self) -> int: ...

    @property
    def is_developer(self) -> bool: ...

    @property
    def owner_refs(self) -> str: ...


IN_LIST_LIMIT = 1000
"""Above this many ids a lookup reads the whole ballot's (or community's) rows and filters in
Python: one indexed range read instead of a statement with tens of thousands of parameters."""


def member_labels(
    s: Session, members: Sequence[HolderRow], *, community_id: int | None = None
) -> dict[int, str]:
    """Masked holder labels (``张*明、李*``) by member id; empty for the developer.

    Co-owners are listed in the order of their owner keys in the register, so a label reads
    the same every time (the frozen roll keeps refs, which are random, in sorted order).
    ``community_id`` (the ballot's community) lets a call for many members read the
    community's owners in one range read instead of naming every ref.
    """
    refs = {m.id: list(json.loads(m.owner_refs or "[]")) for m in members}
    wanted = {r for rs in refs.values() for r in rs}
    names: dict[str, tuple[str, str]] = {}
    if wanted:
        o = cast(sa.Table, Owner.__table__)
        query = sa.select(o.c.ref, o.c.key, o.c.name)
        if community_id is not None and len(wanted) > IN_LIST_LIMIT:
            query = query.where(o.c.community_id == community_id)
        else:
            query = query.where(o.c.ref.in_(sorted(wanted)))
        for ref, key, name in s.execute(query):
            if ref in wanted:
                names[ref] = (key, name)

    def label(member_refs: list[str]) -> str:
        ordered = sorted(names.get(r, (r, "")) for r in member_refs)
        return "、".join(mask_name(name) or "*" for _key, name in ordered)

    return {m.id: "" if m.is_developer else label(refs[m.id]) for m in members}


def units_by_member(
    s: Session, ballot_id: int, member_ids: Sequence[int]
) -> dict[int, list[RollUnit]]:
    """The frozen roll units of each member (every id in ``member_ids`` a key), by unit code."""
    result: dict[int, list[RollUnit]] = {m: [] for m in member_ids}
    if not member_ids:
        return result
    for unit in s.scalars(
        sa.select(RollUnit)
        .where(RollUnit.ballot_id == ballot_id, RollUnit.member_id.in_(list(member_ids)))
        .order_by(RollUnit.unit_code)
    ):
        result[unit.member_id].append(unit)
    return result


def owners_of(s: Session, member: RollMember) -> list[Owner]:
    """The register owners behind a roll member, by ref (none for the developer)."""
    refs = list(json.loads(member.owner_refs or "[]"))
    if not refs:
        return []
    return list(s.scalars(sa.select(Owner).where(Owner.ref.in_(refs)).order_by(Owner.ref)))


def is_accepting(ballot: Ballot, now: datetime) -> bool:
    """Whether the ballot takes votes at ``now``: open, and ``opens_at <= now < closes_at``."""
    return ballot.status == "open" and ballot.opens_at <= now < ballot.closes_at


def publicity_end(ballot: Ballot) -> datetime | None:
    """When the objection period of a published ballot ends (None before publication)."""
    if ballot.published_at is None or ballot.publicity_days is None:
        return None
    return ballot.published_at + timedelta(days=ballot.publicity_days)


def log_event(
    s: Session,
    community_code: str,
    event_type: str,
    clock: Clock,
    data: Mapping[str, Any],
    *,
    omit_none: bool = False,
    bulk: tuple[str, ...] = (),
) -> store.Appended:
    """Append a voting event to the community's log inside the caller's transaction
    (``omit_none``: without the fields whose value is ``None``; ``bulk``: the fields moved
    into documents when the entry is large, as ``notary.store.event_body`` does)."""
    body = {k: v for k, v in data.items() if not (omit_none and v is None)}
    if bulk:
        entry = store.event_body(s, community_code, event_type, clock.now(), body, bulk=bulk)
    else:
        entry = envelope.entry_body(event_type, clock.now(), community_code, body)  # checked once
    return store.append_body(s, community_code, entry)


def log_ballot_event(
    s: Session,
    community_code: str,
    clock: Clock,
    event: str,
    ballot: Ballot,
    actor: int | None,
    data: Mapping[str, Any],
    *,
    bulk: tuple[str, ...] = (),
) -> int:
    """Append ``event`` about the ballot to the community's log, inside the caller's
    transaction: its ref, status and actor, then ``data`` (``bulk``: as :func:`log_event`).
    Returns the entry's index."""
    body = {"ballot": ballot.ref, "status": ballot.status, "by": actor, **data}
    return log_event(s, community_code, event, clock, body, bulk=bulk).index


def move_status(
    s: Session,
    ballot: Ballot,
    expected: str | tuple[str, ...],
    to: str,
    **stamps: datetime,
) -> None:
    """Move the ballot from ``expected`` to ``to`` with a guarded UPDATE (race-safe)."""
    allowed = (expected,) if isinstance(expected, str) else expected
    result = s.execute(
        sa.update(Ballot)
        .where(Ballot.id == ballot.id, Ballot.status.in_(allowed))
        .values(status=to, **stamps)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        s.refresh(ballot)
        raise IllegalTransition(
            N_("This step is not possible while the ballot is %(status)s."),
            ref=ballot.ref,
            status=ballot.status,
            to=to,
        )
    s.refresh(ballot)
