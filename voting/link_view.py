"""The personal link as its owner sees it: the ballot, the member, the questions with the
member's share of a fund use, the represented members, and the documents.

Reads only. Names are masked (``张*明``); a link that is not live raises ``UnknownLink``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notary.work import UnitOfWork
from voting.errors import N_, BallotNotFound
from voting.models import Attachment, Ballot, Proxy, RollMember, Vote
from voting.rows import (
    is_accepting,
    member_labels,
    publicity_end,
    question_rows,
    units_by_member,
)
from voting.shares import fund_part_fen, shares_of
from voting.tokens import live_credential, live_link


@dataclass(frozen=True)
class UnitView:
    unit_code: str
    building_code: str
    area_centi: int


@dataclass(frozen=True)
class MemberView:
    """A roll member as shown on the owner's page (masked names only)."""

    member_id: int
    member_key: str
    holder_label: str
    is_developer: bool
    units: tuple[UnitView, ...]
    area_centi: int


@dataclass(frozen=True)
class QuestionView:
    """A question; for ``fund_use`` the plan and this member's share of the fund part."""

    position: int
    matter: str
    text: str
    use_plan: Mapping[str, Any] | None
    fund_part_fen: int | None
    member_share_fen: int | None


@dataclass(frozen=True)
class AttachmentView:
    attachment_id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class RepresentedView:
    """A member this link's member represents (a live proxy), and their ballot if cast."""

    proxy_id: int
    member: MemberView
    receipt: str | None
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class LinkView:
    """Everything the owner's page shows for a live link."""

    ballot_ref: str
    ballot_title: str
    description: str
    status: str
    community_code: str
    community_name: str
    opens_at: datetime
    closes_at: datetime
    is_accepting: bool
    is_consultation: bool
    identity_check: str
    is_identity_verified: bool
    locked_until: datetime | None
    scope_area_centi: int
    questions: tuple[QuestionView, ...]
    attachments: tuple[AttachmentView, ...]
    member: MemberView
    receipt: str | None  # the stored signed receipt (canonical JSON) once cast
    represented: tuple[RepresentedView, ...]
    publicity_ends_at: datetime | None
    is_in_publicity: bool

    @property
    def has_voted(self) -> bool:
        return self.receipt is not None

    @property
    def needs_identity(self) -> bool:
        return self.identity_check != "none" and not self.is_identity_verified


def open_link(uow: UnitOfWork, *, token: str) -> LinkView:
    """Resolve a personal link to what its owner may see.

    Raises ``UnknownLink`` (``reason`` ``unknown`` or ``revoked``) for a token that is not a
    live link of a ballot with a frozen roll. Reads only.
    """
    s = uow.session
    credential, ballot, member, community = live_link(s, token)
    now = uow.clock.now()
    questions = _questions(s, ballot, [member.id])
    views = _member_views(s, ballot.id, [member])
    represented: list[RepresentedView] = []
    proxies = s.scalars(
        sa.select(Proxy)
        .where(
            Proxy.ballot_id == ballot.id,
            Proxy.acting_member_id == member.id,
            Proxy.revoked_at.is_(None),
        )
        .order_by(Proxy.id)
    ).all()
    if proxies:
        rep_members = [s.get_one(RollMember, p.member_id) for p in proxies]
        rep_views = _member_views(s, ballot.id, rep_members)
        for proxy, rep in zip(proxies, rep_members, strict=True):
            represented.append(
                RepresentedView(
                    proxy.id,
                    rep_views[rep.id],
                    _receipt_of(s, ballot.id, rep.id),
                    _questions(s, ballot, [rep.id]),
                )
            )
    attachments = tuple(
        AttachmentView(a.id, a.filename, a.content_type, a.size)
        for a in s.execute(
            sa.select(Attachment.id, Attachment.filename, Attachment.content_type, Attachment.size)
            .where(Attachment.ballot_id == ballot.id)
            .order_by(Attachment.id)
        )
    )
    publicity_ends = publicity_end(ballot)
    return LinkView(
        ballot_ref=ballot.ref,
        ballot_title=ballot.title,
        description=ballot.description,
        status=ballot.status,
        community_code=community.code,
        community_name=community.name,
        opens_at=ballot.opens_at,
        closes_at=ballot.closes_at,
        is_accepting=is_accepting(ballot, now),
        is_consultation=ballot.is_consultation,
        identity_check=ballot.identity_check,
        is_identity_verified=credential.identity_verified_at is not None,
        locked_until=(
            credential.locked_until
            if credential.locked_until is not None and credential.locked_until > now
            else None
        ),
        scope_area_centi=ballot.roll_area_centi,
        questions=questions,
        attachments=attachments,
        member=views[member.id],
        receipt=_receipt_of(s, ballot.id, member.id),
        represented=tuple(represented),
        publicity_ends_at=publicity_ends,
        is_in_publicity=(
            ballot.status == "published" and publicity_ends is not None and now < publicity_ends
        ),
    )


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content_type: str
    sha256: str
    data: bytes


def attachment_for_link(uow: UnitOfWork, *, token: str, attachment_id: int) -> AttachmentFile:
    """A document of the link's ballot; ``UnknownLink`` for a bad link, ``BallotNotFound``
    when the ballot has no such attachment."""
    s = uow.session
    credential = live_credential(s, token)
    attachment = s.get(Attachment, attachment_id)
    if attachment is None or attachment.ballot_id != credential.ballot_id:
        raise BallotNotFound(N_("The ballot has no such document."), attachment=attachment_id)
    return AttachmentFile(
        attachment.filename, attachment.content_type, attachment.sha256, attachment.data
    )


# --- internals -----------------------------------------------------------------------------


def _member_views(
    s: Session, ballot_id: int, members: Sequence[RollMember]
) -> dict[int, MemberView]:
    labels = member_labels(s, members)
    units = units_by_member(s, ballot_id, [m.id for m in members])
    return {
        m.id: MemberView(
            member_id=m.id,
            member_key=m.member_key,
            holder_label=labels[m.id],
            is_developer=m.is_developer,
            units=tuple(UnitView(u.unit_code, u.building_code, u.area_centi) for u in units[m.id]),
            area_centi=m.area_centi,
        )
        for m in members
    }


def _questions(s: Session, ballot: Ballot, member_ids: Sequence[int]) -> tuple[QuestionView, ...]:
    rows = question_rows(s, ballot.id)
    shares: dict[tuple[int, int], int] | None = None
    views: list[QuestionView] = []
    for q in rows:
        plan: dict[str, Any] | None = json.loads(q.use_plan) if q.use_plan else None
        fund_part: int | None = None
        share: int | None = None
        if plan is not None:
            fund_part = fund_part_fen(plan)
            if shares is None:
                shares = shares_of(s, member_ids)
            mine = [shares[(m, q.position)] for m in member_ids if (m, q.position) in shares]
            share = sum(mine) if mine else None
        views.append(QuestionView(q.position, q.matter, q.text, plan, fund_part, share))
    return tuple(views)


def _receipt_of(s: Session, ballot_id: int, member_id: int) -> str | None:
    return s.scalar(
        sa.select(Vote.receipt).where(Vote.ballot_id == ballot_id, Vote.member_id == member_id)
    )
