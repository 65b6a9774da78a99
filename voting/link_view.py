"""The personal link as its owner sees it: the ballot, the member, the questions with the
member's share of a fund use, the represented members, and the documents.

Reads only. Names are masked (``张*明``); a link that is not live raises ``UnknownLink``.

Two guards decide what a link shows of its member:

- **the identity check** (where the ballot has one): until it passes, the link shows the
  ballot's public information only (title, description, window, documents): no names,
  units, area, shares, represented members, vote, receipt or objections;
- **when the link was issued**: a link shows a vote's choices, tracker and receipt only if
  the vote was recorded after the link was issued (its log entry is at or after
  ``credential.log_size_at_issue``). The link that cast a vote, and the link a member held
  when their paper or proxy vote was recorded, keep their receipt; a link reissued after
  the member voted shows only that the vote was recorded (``ReceiptWithheld``).
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
from voting.errors import (
    N_,
    BallotNotFound,
    IdentityCheckRequired,
    NotEligible,
    ReceiptWithheld,
)
from voting.finality import BallotSettings, ballot_settings, finality_of
from voting.models import (
    MAX_OBJECTIONS_PER_LINK,
    Attachment,
    Ballot,
    Credential,
    Objection,
    Proxy,
    RollMember,
    Vote,
)
from voting.receipts import Receipt
from voting.rows import (
    is_accepting,
    member_labels,
    publicity_end,
    question_rows,
    units_by_member,
)
from voting.shares import fund_part_fen, shares_of
from voting.tokens import live_credential, live_link, live_link_with


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
    """A member this link's member represents (a live proxy), and whether they voted; the
    receipt only if this link may show it (see the module docstring)."""

    proxy_id: int
    member: MemberView
    receipt: str | None
    questions: tuple[QuestionView, ...]
    has_voted: bool = False


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
    receipt: str | None  # the signed receipt (canonical JSON), if this link may show it
    represented: tuple[RepresentedView, ...]
    publicity_ends_at: datetime | None
    is_in_publicity: bool
    has_voted: bool = False  # a vote of the member is recorded (False until identity passes)
    objections_left: int = MAX_OBJECTIONS_PER_LINK  # objections this link may still lodge
    # A natural-person proxy's own link: its holder votes for ``member`` as proxy.
    is_proxy_link: bool = False
    # A live proxy holds the member's vote: the member's own link shows, but does not cast.
    is_represented: bool = False
    settings: BallotSettings | None = None  # the community settings frozen at opening

    @property
    def needs_identity(self) -> bool:
        return self.identity_check != "none" and not self.is_identity_verified

    @property
    def is_receipt_withheld(self) -> bool:
        """The member voted, but before this link was issued: show only that they voted."""
        return self.has_voted and self.receipt is None


def open_link(uow: UnitOfWork, *, token: str) -> LinkView:
    """Resolve a personal link to what its owner may see.

    Raises ``UnknownLink`` (``reason`` ``unknown`` or ``revoked``) for a token that is not a
    live link of a ballot with a frozen roll. Guarantees: while the ballot's identity check
    is pending the view holds the ballot's public information only (the member's label,
    units, area, shares, represented members and vote are left out); ``receipt`` (also of a
    represented member) is given only for a vote recorded after this link was issued,
    ``has_voted`` tells whether one is recorded at all. Reads only.
    """
    s = uow.session
    credential, ballot, member, community, extra = live_link_with(s, token, _PAGE_EXTRA)
    vote_receipt, vote_index, lodged, has_proxies, has_attachments, is_represented = extra
    now = uow.clock.now()
    settings = ballot_settings(ballot, community)
    status = finality_of(s, ballot, now).status
    if ballot.identity_check != "none" and credential.identity_verified_at is None:
        return _guarded_view(
            s, credential, ballot, member, community.code, community.name, now, settings, status
        )
    is_proxy_link = credential.proxy_id is not None
    questions = _questions(s, ballot, [member.id])
    views = _member_views(s, ballot.id, [member])
    represented: list[RepresentedView] = []
    proxies: Sequence[Proxy] = ()
    if has_proxies and not is_proxy_link:
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
            voted, rep_receipt = _vote_of(s, credential, rep.id)
            represented.append(
                RepresentedView(
                    proxy.id,
                    rep_views[rep.id],
                    rep_receipt,
                    _questions(s, ballot, [rep.id]),
                    voted,
                )
            )
    attachments = _attachments(s, ballot.id) if has_attachments else ()
    publicity_ends = publicity_end(ballot)
    voted = vote_index is not None
    receipt = _shown_receipt(credential, vote_receipt, vote_index)
    return LinkView(
        ballot_ref=ballot.ref,
        ballot_title=ballot.title,
        description=ballot.description,
        status=status,
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
        receipt=receipt,
        represented=tuple(represented),
        publicity_ends_at=publicity_ends,
        is_in_publicity=(
            ballot.status == "published" and publicity_ends is not None and now < publicity_ends
        ),
        has_voted=voted,
        objections_left=max(0, MAX_OBJECTIONS_PER_LINK - int(lodged)),
        is_proxy_link=is_proxy_link,
        is_represented=bool(is_represented) and not is_proxy_link,
        settings=settings,
    )


def link_receipt(uow: UnitOfWork, *, token: str, for_member: int | None = None) -> Receipt | None:
    """The signed receipt of the link's member (or of a member it represents), if this link
    may show it; None when no vote is recorded.

    Guarantees: ``UnknownLink`` for a link that is not live; ``IdentityCheckRequired`` while
    the ballot's identity check is pending for this link; ``NotEligible`` for a
    ``for_member`` this member does not represent by a live proxy; ``ReceiptWithheld`` when
    the vote was recorded before this link was issued (a link reissued after the member
    voted never shows the choices, tracker or receipt). Reads only.
    """
    s = uow.session
    credential, ballot, member, _community = live_link(s, token)
    _require_identity(ballot, credential)
    member_id = member.id
    if for_member is not None and for_member != member_id:
        proxy = s.scalar(
            sa.select(Proxy.id).where(
                Proxy.ballot_id == ballot.id,
                Proxy.member_id == for_member,
                Proxy.acting_member_id == member_id,
                Proxy.revoked_at.is_(None),
            )
        )
        if proxy is None:
            raise NotEligible(
                N_("You do not represent this member for this ballot."), member=for_member
            )
        member_id = for_member
    voted, text = _vote_of(s, credential, member_id)
    if voted and text is None:
        raise ReceiptWithheld(
            N_(
                "This member's vote was recorded. This link was issued after that, so it "
                "does not show the vote or its receipt."
            )
        )
    return Receipt.from_text(text) if text is not None else None


def require_verified_link(uow: UnitOfWork, *, token: str, for_update: bool = False) -> Credential:
    """The live credential of ``token``, once the ballot's identity check (if any) passed for
    it: ``UnknownLink`` / ``IdentityCheckRequired`` otherwise. Every step that shows or
    takes the member's data through a link starts here."""
    s = uow.session
    credential = live_credential(s, token, for_update=for_update)
    ballot = s.get_one(Ballot, credential.ballot_id)
    _require_identity(ballot, credential)
    return credential


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


def _require_identity(ballot: Ballot, credential: Credential) -> None:
    if ballot.identity_check != "none" and credential.identity_verified_at is None:
        raise IdentityCheckRequired(N_("Please confirm who you are first."))


# Read with the link itself on the owner's page: the member's vote (receipt and log index),
# the objections this link lodged, and whether any live proxy or document needs a query.
_PAGE_EXTRA = (
    sa.select(Vote.receipt)
    .where(Vote.ballot_id == Credential.ballot_id, Vote.member_id == Credential.member_id)
    .scalar_subquery()
    .label("vote_receipt"),
    sa.select(Vote.log_index)
    .where(Vote.ballot_id == Credential.ballot_id, Vote.member_id == Credential.member_id)
    .scalar_subquery()
    .label("vote_index"),
    sa.select(sa.func.count())
    .select_from(Objection)
    .where(Objection.credential_id == Credential.id)
    .scalar_subquery()
    .label("lodged"),
    sa.exists()
    .where(
        Proxy.ballot_id == Credential.ballot_id,
        Proxy.acting_member_id == Credential.member_id,
        Proxy.revoked_at.is_(None),
    )
    .label("has_proxies"),
    sa.exists().where(Attachment.ballot_id == Credential.ballot_id).label("has_attachments"),
    sa.exists()
    .where(
        Proxy.ballot_id == Credential.ballot_id,
        Proxy.member_id == Credential.member_id,
        Proxy.revoked_at.is_(None),
    )
    .label("is_represented"),
)


def _attachments(s: Session, ballot_id: int) -> tuple[AttachmentView, ...]:
    return tuple(
        AttachmentView(a.id, a.filename, a.content_type, a.size)
        for a in s.execute(
            sa.select(Attachment.id, Attachment.filename, Attachment.content_type, Attachment.size)
            .where(Attachment.ballot_id == ballot_id)
            .order_by(Attachment.id)
        )
    )


def _shown_receipt(
    credential: Credential, receipt: str | None, log_index: int | None
) -> str | None:
    """The receipt if this link may show it: only a vote recorded after the link was issued
    (its log entry not before the link)."""
    if receipt is None or log_index is None:
        return None
    return receipt if log_index >= credential.log_size_at_issue else None


def _vote_of(s: Session, credential: Credential, member_id: int) -> tuple[bool, str | None]:
    """Whether the member has a recorded vote, and its receipt if this link may show it: only
    a vote recorded after the link was issued (its log entry not before the link)."""
    row = s.execute(
        sa.select(Vote.receipt, Vote.log_index).where(
            Vote.ballot_id == credential.ballot_id, Vote.member_id == member_id
        )
    ).one_or_none()
    if row is None:
        return False, None
    receipt, log_index = row
    return True, _shown_receipt(credential, receipt, log_index)


def _guarded_view(
    s: Session,
    credential: Credential,
    ballot: Ballot,
    member: RollMember,
    community_code: str,
    community_name: str,
    now: datetime,
    settings: BallotSettings,
    status: str,
) -> LinkView:
    """The view of a link whose identity check is pending: the ballot's public information
    and the check's state, nothing of the member but its (opaque) ids."""
    attachments = _attachments(s, ballot.id)
    publicity_ends = publicity_end(ballot)
    return LinkView(
        ballot_ref=ballot.ref,
        ballot_title=ballot.title,
        description=ballot.description,
        status=status,
        community_code=community_code,
        community_name=community_name,
        opens_at=ballot.opens_at,
        closes_at=ballot.closes_at,
        is_accepting=is_accepting(ballot, now),
        is_consultation=ballot.is_consultation,
        identity_check=ballot.identity_check,
        is_identity_verified=False,
        locked_until=(
            credential.locked_until
            if credential.locked_until is not None and credential.locked_until > now
            else None
        ),
        scope_area_centi=ballot.roll_area_centi,
        questions=_questions(s, ballot, []),  # the plans, without the member's share
        attachments=attachments,
        member=MemberView(
            member_id=member.id,
            member_key=member.member_key,
            holder_label="",
            is_developer=False,
            units=(),
            area_centi=0,
        ),
        receipt=None,
        represented=(),
        publicity_ends_at=publicity_ends,
        is_in_publicity=(
            ballot.status == "published" and publicity_ends is not None and now < publicity_ends
        ),
        is_proxy_link=credential.proxy_id is not None,
        settings=settings,
    )
