"""Ballots as the outside sees them: ``BallotInfo`` and the read-only queries.

Reads only; nothing here writes or logs. A ballot ref from another community is reported as
``BallotNotFound``, never disclosed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from estate.models import Community
from voting.decision_rules import binding_of
from voting.errors import N_, AttachmentNotFound, BallotNotFound
from voting.finality import BallotSettings, ballot_settings, finality_of
from voting.models import Attachment, Ballot
from voting.rows import ballot_by_ref, community_of, question_rows
from voting.use_plans import UsePlan


@dataclass(frozen=True)
class QuestionInfo:
    position: int
    matter: str
    text: str
    use_plan: UsePlan | None = None


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    sha256: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class BallotInfo:
    """A ballot as the outside sees it (no roll members, no votes)."""

    ref: str
    community_code: str
    title: str
    description: str
    status: str
    scope_kind: str
    scope_codes: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime
    publicity_days: int
    disclosure: str
    is_consultation: bool
    identity_check: str
    deemed_majority_enabled: bool
    binding_result: str
    roll_heads: int
    roll_area_centi: int
    roll_commitment: str | None
    questions: tuple[QuestionInfo, ...]
    community_name: str = ""
    attachments: tuple[AttachmentInfo, ...] = ()
    created_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    tallied_at: datetime | None = None
    published_at: datetime | None = None
    final_at: datetime | None = None
    cancelled_at: datetime | None = None
    annulled_at: datetime | None = None
    notice_tree_size: int | None = None
    notice_root: str | None = None
    notice_key_id: str | None = None
    annul_reason: str = ""
    fund_holder: str = "authority"
    settings_frozen: bool = False  # False for a draft: it follows the community's settings
    has_own_publicity_days: bool = True  # the committee gave this ballot its own period
    recorded_status: str = ""  # the stored status ("published" while it reads "final")
    overdue_objections: int = 0  # unanswered past the publicity period

    @property
    def settings(self) -> BallotSettings:
        """The community settings this ballot is held under (frozen once opened)."""
        return BallotSettings(
            publicity_days=self.publicity_days,
            deemed_majority_enabled=self.deemed_majority_enabled,
            binding_result=self.binding_result,
            fund_holder=self.fund_holder,
            is_frozen=self.settings_frozen,
            has_own_publicity_days=self.has_own_publicity_days,
        )

    @property
    def is_final_unrecorded(self) -> bool:
        """Final by the rules, not yet recorded by ``fundvote tick``."""
        return self.status == "final" and self.recorded_status == "published"

    @property
    def publicity_ends_at(self) -> datetime | None:
        """When the publicity period ends (``None`` until published)."""
        if self.published_at is None:
            return None
        return self.published_at + timedelta(days=self.publicity_days)

    @property
    def is_whole_community(self) -> bool:
        return self.scope_kind == "community"

    @property
    def binding(self) -> str:
        """``deemed_majority`` when the community's rules make that result binding, else
        ``plain``."""
        return binding_of(self.deemed_majority_enabled, self.binding_result)

    @property
    def is_results_public(self) -> bool:
        return self.status in ("published", "final", "annulled")


def accepts_votes(info: BallotInfo, now: datetime) -> bool:
    """Whether the ballot takes votes at ``now``: open, and ``opens_at <= now < closes_at``."""
    return info.status == "open" and info.opens_at <= now < info.closes_at


def in_publicity_period(info: BallotInfo, now: datetime) -> bool:
    """Whether ``now`` is inside the publicity period of published results (objections)."""
    ends = info.publicity_ends_at
    return info.status == "published" and ends is not None and now < ends


def get_ballot(session: Session, ballot_ref: str, now: datetime | None = None) -> BallotInfo:
    """The ballot with this ref (``BallotNotFound`` if none); with ``now``, its status as it
    reads then (``voting.finality``)."""
    ballot = ballot_by_ref(session, ballot_ref)
    return info_of(session, ballot, community_of(session, ballot), now)


def list_ballots(
    session: Session, community_code: str, now: datetime | None = None
) -> list[BallotInfo]:
    """The community's ballots, newest first (``BallotNotFound`` never; unknown community:
    empty list); with ``now``, each status as it reads then."""
    community = session.scalar(sa.select(Community).where(Community.code == community_code))
    if community is None:
        return []
    rows = session.scalars(
        sa.select(Ballot)
        .where(Ballot.community_id == community.id)
        .order_by(Ballot.created_at.desc(), Ballot.id.desc())
    ).all()
    return [info_of(session, b, community, now) for b in rows]


def ballot_id_for_ref(session: Session, ref: str) -> int:
    """The database id of the ballot with this ref (``BallotNotFound`` if none)."""
    ballot_id = session.scalar(sa.select(Ballot.id).where(Ballot.ref == ref))
    if ballot_id is None:
        raise BallotNotFound(N_("There is no such ballot."), ref=ref)
    return int(ballot_id)


def ballot_in_community(
    session: Session, community_code: str, ballot_ref: str, now: datetime | None = None
) -> BallotInfo:
    """The ballot with this ref if it belongs to the community (``BallotNotFound`` otherwise:
    a ref from another community is not disclosed); with ``now``, its status as it reads."""
    info = get_ballot(session, ballot_ref, now)
    if info.community_code != community_code:
        raise BallotNotFound(N_("There is no such ballot."), ref=ballot_ref)
    return info


def get_attachment(
    session: Session, ballot_ref: str, attachment_id: int
) -> tuple[AttachmentInfo, bytes]:
    """A document of a ballot and its bytes; ``AttachmentNotFound`` if there is none."""
    ballot = ballot_by_ref(session, ballot_ref)
    row = session.scalar(
        sa.select(Attachment).where(
            Attachment.ballot_id == ballot.id, Attachment.id == attachment_id
        )
    )
    if row is None:
        raise AttachmentNotFound(N_("There is no such document."), id=attachment_id)
    return attachment_info(row), bytes(row.data)


# --- shared with the writing services -----------------------------------------------------


def question_record(q: QuestionInfo) -> dict[str, Any]:
    """A question as the ``voting.ballot_opened`` entry records it."""
    return {
        "position": q.position,
        "matter": q.matter,
        "text": q.text,
        "use_plan": None if q.use_plan is None else q.use_plan.as_dict(),
    }


def question_infos(s: Session, ballot_id: int) -> list[QuestionInfo]:
    """The ballot's questions in position order, with their use plans."""
    return [
        QuestionInfo(
            position=q.position,
            matter=q.matter,
            text=q.text,
            use_plan=None if q.use_plan is None else UsePlan.from_dict(json.loads(q.use_plan)),
        )
        for q in question_rows(s, ballot_id)
    ]


def attachment_info(a: Attachment) -> AttachmentInfo:
    """What may be shown of an attachment (never its bytes)."""
    return AttachmentInfo(a.id, a.filename, a.content_type, a.sha256, a.size, a.created_at)


def info_of(s: Session, b: Ballot, community: Community, now: datetime | None = None) -> BallotInfo:
    """The ``BallotInfo`` of a loaded ballot row; times are UTC-aware.

    Guarantees: the settings are those the ballot is held under (frozen at opening; the
    community's current ones for a draft, ``voting.finality.ballot_settings``); with ``now``
    the status is the one the ballot reads as at ``now`` (``voting.finality.finality_of``:
    published results past their publicity period with every objection answered and none
    upheld read ``final``), ``recorded_status`` keeping the stored one."""
    settings = ballot_settings(b, community)
    finality = finality_of(s, b, now) if now is not None else None
    attachments = s.scalars(
        sa.select(Attachment)
        .where(Attachment.ballot_id == b.id)
        .options(defer(Attachment.data))
        .order_by(Attachment.id)
    ).all()
    return BallotInfo(
        ref=b.ref,
        community_code=community.code,
        title=b.title,
        description=b.description,
        status=b.status if finality is None else finality.status,
        scope_kind=b.scope_kind,
        scope_codes=tuple(json.loads(b.scope_codes)),
        opens_at=_utc(b.opens_at),
        closes_at=_utc(b.closes_at),
        publicity_days=settings.publicity_days,
        disclosure=b.disclosure,
        is_consultation=b.is_consultation,
        identity_check=b.identity_check,
        deemed_majority_enabled=settings.deemed_majority_enabled,
        binding_result=settings.binding_result,
        roll_heads=b.roll_heads,
        roll_area_centi=b.roll_area_centi,
        roll_commitment=b.roll_commitment,
        questions=tuple(question_infos(s, b.id)),
        community_name=community.name,
        attachments=tuple(attachment_info(a) for a in attachments),
        created_at=_utc(b.created_at),
        opened_at=_utc(b.opened_at),
        closed_at=_utc(b.closed_at),
        tallied_at=_utc(b.tallied_at),
        published_at=_utc(b.published_at),
        final_at=_utc(b.final_at if finality is None else finality.final_at),
        cancelled_at=_utc(b.cancelled_at),
        annulled_at=_utc(b.annulled_at),
        notice_tree_size=b.notice_tree_size,
        notice_root=b.notice_root,
        notice_key_id=b.notice_key_id,
        annul_reason=b.annul_reason,
        fund_holder=settings.fund_holder,
        settings_frozen=settings.is_frozen,
        has_own_publicity_days=settings.has_own_publicity_days,
        recorded_status=b.status,
        overdue_objections=0 if finality is None else finality.overdue_objections,
    )


@overload
def _utc(at: datetime) -> datetime: ...
@overload
def _utc(at: None) -> None: ...
def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC)
