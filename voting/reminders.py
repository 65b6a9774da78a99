"""Reminding the members who have not voted: a fresh link each, the first links untouched.

A reminder is a second live link (``credential.is_reminder``) for every roll member who has not
voted and can be reached (an owner with a phone on record). The member's first link stays
valid, so a printed slip already handed out still works until the member votes; a newer
reminder revokes the member's previous reminder (at most one live link and one live reminder
per member, database constraints). The log records one event with the count only.
"""

from __future__ import annotations

import json
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Owner
from notary import store
from notary.work import UnitOfWork
from voting.errors import N_, IllegalTransition
from voting.links import IssuedLinks, _issued, _Member, _roll_members
from voting.models import Credential, Vote
from voting.rows import IN_LIST_LIMIT, ballot_by_ref, community_of, log_event
from voting.tokens import new_token, token_hash

_CREDENTIAL = cast(sa.Table, Credential.__table__)
_OWNER = cast(sa.Table, Owner.__table__)


def remind_non_voters(
    uow: UnitOfWork, *, ballot_ref: str, base_url: str, actor: int | None = None
) -> IssuedLinks:
    """Issue a reminder link to every reachable member of the ballot who has not voted.

    Guarantees, in one transaction: the ballot is open and its window has not ended
    (``IllegalTransition`` otherwise); a member is reminded when they have no vote recorded,
    are not the developer, and an owner of theirs has a phone on record (a link nobody
    receives is not made); the member's first link and any vote are untouched; their previous
    reminder link, if any, is revoked; each new token is stored only as its SHA-256; one
    ``voting.reminders_sent`` event carries the count (no member, name, phone or token), even
    when the count is zero. The returned links are the only copy of the tokens: deliver them
    with ``deliver_links``.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    now = uow.clock.now()
    if ballot.status != "open" or now >= ballot.closes_at:
        raise IllegalTransition(
            N_("Reminders are sent while the ballot is open and its voting window has not ended."),
            status=ballot.status,
        )
    roll = _roll_members(s, ballot.id)
    voted = set(s.scalars(sa.select(Vote.member_id).where(Vote.ballot_id == ballot.id)))
    reachable = _reachable(s, [m for m in roll.values() if m.id not in voted])
    community = community_of(s, ballot)
    if reachable:
        ids = [m.id for m in reachable]
        for chunk in (ids[i : i + IN_LIST_LIMIT] for i in range(0, len(ids), IN_LIST_LIMIT)):
            s.execute(
                sa.update(_CREDENTIAL)
                .where(
                    _CREDENTIAL.c.member_id.in_(chunk),
                    _CREDENTIAL.c.is_reminder.is_(True),
                    _CREDENTIAL.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
    log_size = store.tree_size(s, community.code)
    tokens = {m.id: new_token() for m in reachable}
    if reachable:
        s.execute(
            sa.insert(_CREDENTIAL),
            [
                {
                    "ballot_id": ballot.id,
                    "member_id": m.id,
                    "token_hash": token_hash(tokens[m.id]),
                    "issued_at": now,
                    "log_size_at_issue": log_size,
                    "is_reminder": True,
                }
                for m in reachable
            ],
        )
    log_event(
        s,
        community.code,
        "voting.reminders_sent",
        uow.clock,
        {"ballot": ballot.ref, "count": len(reachable), "by": actor},
        omit_none=True,
    )
    links = _issued(s, ballot.id, community.id, reachable, tokens, base_url)
    return IssuedLinks.of(ballot, community, links)


def _reachable(s: Session, members: list[_Member]) -> list[_Member]:
    """The members (in roll order) with at least one owner whose phone is on record; never
    the developer. Reads which owners have a phone, never the phones themselves."""
    refs_of = {m.id: json.loads(m.owner_refs or "[]") for m in members if not m.is_developer}
    wanted = sorted({r for refs in refs_of.values() for r in refs})
    with_phone: set[str] = set()
    for i in range(0, len(wanted), IN_LIST_LIMIT):
        with_phone.update(
            s.scalars(
                sa.select(_OWNER.c.ref).where(
                    _OWNER.c.ref.in_(wanted[i : i + IN_LIST_LIMIT]),
                    _OWNER.c.phone_enc.is_not(None),
                )
            )
        )
    return [m for m in members if any(r in with_phone for r in refs_of.get(m.id, ()))]
