"""Owners' objections to a published result, during the publicity period (公示期).

Any member on the ballot's roll may object through their personal link while the result is
published and the period (``ballot.publicity_days`` from publication) has not ended. The text
is stored for the committee, who answers elsewhere; the log records the member key and the
SHA-256 of the text, never the text itself (owners write names and phone numbers in it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from notary.work import UnitOfWork
from voting.errors import N_, InvalidObjection, NotInPublicity
from voting.models import Ballot, Objection, RollMember
from voting.rows import community_of, log_event, publicity_end
from voting.tokens import live_credential

MAX_OBJECTION_CHARS = 2000


@dataclass(frozen=True)
class ObjectionInfo:
    objection_id: int
    lodged_at: datetime
    text: str
    answer: str
    is_upheld: bool | None


def lodge_objection(uow: UnitOfWork, *, token: str, text: str) -> ObjectionInfo:
    """Lodge the link's member's objection to the ballot's published result.

    Guarantees, in one transaction: the link is live (``UnknownLink``); the ballot is
    ``published`` and ``now`` is before the end of its publicity period (``NotInPublicity``);
    the text is 1-2,000 characters after trimming (``InvalidObjection``); one
    ``voting.objection_lodged`` event names the member key and the text's SHA-256.
    """
    body = text.strip()
    if not body or len(body) > MAX_OBJECTION_CHARS:
        raise InvalidObjection(
            N_("Write your objection in 1 to %(max)s characters."), max=MAX_OBJECTION_CHARS
        )
    s = uow.session
    credential = live_credential(s, token)
    ballot = s.get_one(Ballot, credential.ballot_id)
    now = uow.clock.now()
    ends = publicity_end(ballot)
    if ballot.status != "published" or ends is None or now >= ends:
        raise NotInPublicity(
            N_("Objections are taken only while the result is published for objections.")
        )
    member = s.get_one(RollMember, credential.member_id)
    objection = Objection(ballot_id=ballot.id, member_id=member.id, text=body, lodged_at=now)
    s.add(objection)
    s.flush()
    log_event(
        s,
        community_of(s, ballot).code,
        "voting.objection_lodged",
        uow.clock,
        {
            "ballot": ballot.ref,
            "objection": objection.id,
            "member": member.member_key,
            "text_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        },
    )
    return ObjectionInfo(objection.id, now, body, "", None)


def objections_for_link(uow: UnitOfWork, *, token: str) -> list[ObjectionInfo]:
    """The objections the link's member lodged on this ballot, oldest first. Reads only."""
    s = uow.session
    credential = live_credential(s, token)
    rows = s.scalars(
        sa.select(Objection)
        .where(
            Objection.ballot_id == credential.ballot_id,
            Objection.member_id == credential.member_id,
        )
        .order_by(Objection.id)
    )
    return [ObjectionInfo(o.id, o.lodged_at, o.text, o.answer, o.is_upheld) for o in rows]
