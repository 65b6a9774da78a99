"""Owners' objections to a published result, during the publicity period (公示期).

Any member on the ballot's roll may object through their personal link (once its identity
check, if any, passed) while the result is published and the period
(``ballot.publicity_days`` from publication) has not ended: at most 2,000 characters, at most
three objections per link (numbered 1..3 per credential; the database refuses a fourth).

The text is stored as the owner wrote it, for the committee of the community, who answers
elsewhere. Owners write phone and ID numbers in it, so everyone else reads it through
``estate.personal.mask_numbers`` (``138****5678``): the public page, other staff, and the
owner's own page for objections lodged through an earlier link. The log records the member
key and the SHA-256 of the text, never the text itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from estate.personal import mask_numbers
from notary.work import UnitOfWork
from voting.errors import N_, InvalidObjection, NotInPublicity, ObjectionLimitReached
from voting.link_view import require_verified_link
from voting.models import MAX_OBJECTIONS_PER_LINK, Ballot, Objection, RollMember
from voting.rows import community_of, log_event, publicity_end

MAX_OBJECTION_CHARS = 2000
MAX_PER_LINK = MAX_OBJECTIONS_PER_LINK
_LIMIT = N_("A link may send at most %(max)s objections on a ballot.")


@dataclass(frozen=True)
class ObjectionInfo:
    objection_id: int
    lodged_at: datetime
    text: str
    answer: str
    is_upheld: bool | None


def lodge_objection(uow: UnitOfWork, *, token: str, text: str) -> ObjectionInfo:
    """Lodge the link's member's objection to the ballot's published result.

    Guarantees, in one transaction: the text is 1-2,000 characters after trimming
    (``InvalidObjection`` with ``field="text"``, checked before anything is read); the link
    is live (``UnknownLink``) and its identity check passed (``IdentityCheckRequired``); the
    ballot is ``published`` and ``now`` is before the end of its publicity period
    (``NotInPublicity``); the link has lodged fewer than three objections on it
    (``ObjectionLimitReached``; lodgings through one link are serialized by its row lock,
    and the database's constraints on the per-link number 1..3 refuse a fourth whatever
    happens); one ``voting.objection_lodged`` event names the member key and the text's
    SHA-256, never the text.
    """
    body = text.strip() if isinstance(text, str) else ""
    if not body or len(body) > MAX_OBJECTION_CHARS:
        raise InvalidObjection(
            N_("Write your objection in 1 to %(max)s characters."),
            max=MAX_OBJECTION_CHARS,
            field="text",
            length=len(body),
        )
    s = uow.session
    credential = require_verified_link(uow, token=token, for_update=True)
    ballot = s.get_one(Ballot, credential.ballot_id)
    now = uow.clock.now()
    ends = publicity_end(ballot)
    if ballot.status != "published" or ends is None or now >= ends:
        raise NotInPublicity(
            N_("Objections are taken only while the result is published for objections.")
        )
    lodged = int(
        s.scalar(
            sa.select(sa.func.count())
            .select_from(Objection)
            .where(Objection.credential_id == credential.id)
        )
        or 0
    )
    if lodged >= MAX_PER_LINK:
        raise ObjectionLimitReached(_LIMIT, max=MAX_OBJECTIONS_PER_LINK)
    member = s.get_one(RollMember, credential.member_id)
    objection = Objection(
        ballot_id=ballot.id,
        member_id=member.id,
        credential_id=credential.id,
        sequence=lodged + 1,
        text=body,
        lodged_at=now,
    )
    too_many = {
        "ck_objection_sequence": lambda: ObjectionLimitReached(_LIMIT, max=MAX_OBJECTIONS_PER_LINK),
        "uq_objection_credential_id_sequence": lambda: ObjectionLimitReached(
            _LIMIT, max=MAX_OBJECTIONS_PER_LINK
        ),
    }
    with uow.constraint_errors(too_many):
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
    """The objections the link's member lodged on this ballot, oldest first. Reads only.

    Guarantees: ``UnknownLink`` / ``IdentityCheckRequired`` as for every page of the link;
    the text of an objection lodged through this link is shown as written (its author holds
    the link), that of one lodged through an earlier link of the member is masked
    (``mask_numbers``), and the committee's answers are masked as on the public page.
    """
    s = uow.session
    credential = require_verified_link(uow, token=token)
    rows = s.scalars(
        sa.select(Objection)
        .where(
            Objection.ballot_id == credential.ballot_id,
            Objection.member_id == credential.member_id,
        )
        .order_by(Objection.id)
    )
    return [
        ObjectionInfo(
            o.id,
            o.lodged_at,
            o.text if o.credential_id == credential.id else mask_numbers(o.text),
            mask_numbers(o.answer),
            o.is_upheld,
        )
        for o in rows
    ]
