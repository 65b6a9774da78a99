"""Drafting a ballot: create, edit, attach documents. Only drafts change.

Guarantees: every service runs in one transaction and logs its ``voting.<event>`` entry in
it; a draft is validated as a whole on every change (title, window ending in the future,
1-20 questions with known matters, a use plan exactly on ``fund_use`` questions, allowed
scope whose codes exist), and nothing changes when it fails; once the ballot has opened,
its content is frozen (``BallotFrozen``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Building, Community, Unit
from notary.canonical import canonical_bytes
from notary.work import UnitOfWork
from voting.ballot_info import (
    AttachmentInfo,
    BallotInfo,
    attachment_info,
    info_of,
    question_infos,
)
from voting.decision_rules import matter_of
from voting.errors import N_, AttachmentNotFound, BallotFrozen, InvalidBallot, InvalidUsePlan
from voting.matters import MATTER_KEYS, check_scope, matter_by_key
from voting.models import (
    DISCLOSURE_MODES,
    IDENTITY_CHECKS,
    SCOPE_KINDS,
    Attachment,
    Ballot,
    Question,
)
from voting.rows import ballot_by_ref, community_by_code, community_of, log_ballot_event
from voting.use_plans import UsePlan

MAX_QUESTIONS = 20
MAX_TITLE = 200
MAX_PUBLICITY_DAYS = 365
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
EDITABLE = ("draft",)
FOLLOW_COMMUNITY: Literal["community"] = "community"
"""``update_draft(publicity_days=FOLLOW_COMMUNITY)``: the draft takes the community's
publicity period again (whatever it is when the ballot opens)."""


@dataclass(frozen=True)
class QuestionDraft:
    """A question as drafted: its matter key (``voting.matters.MATTER_KEYS``), its text and,
    for ``fund_use``, its use plan."""

    matter: str
    text: str
    use_plan: UsePlan | None = None


def create_ballot(
    uow: UnitOfWork,
    *,
    community_code: str,
    title: str,
    description: str,
    opens_at: datetime,
    closes_at: datetime,
    questions: Sequence[QuestionDraft],
    scope_kind: str = "community",
    scope_codes: Sequence[str] = (),
    publicity_days: int | None = None,
    disclosure: str = "tracker",
    is_consultation: bool = False,
    identity_check: str = "none",
    created_by: int | None = None,
) -> BallotInfo:
    """Create a draft ballot and log ``voting.ballot_created``.

    Guarantees: the draft is valid (title, window ending in the future, 1-20 questions with
    known matters, a use plan exactly on ``fund_use`` questions, allowed scope whose codes
    exist; without ``publicity_days`` the draft follows the community's publicity period
    until it opens, when the period then in force is frozen into it); raises ``InvalidBallot`` (or a
    subclass, or ``ScopeTooNarrow``/``MatterUnknown``) otherwise, writing nothing.
    """
    s = uow.session
    community = community_by_code(s, community_code)
    days = publicity_days  # None: the draft follows the community's setting until it opens
    codes = _check_draft(
        s,
        community,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        questions=questions,
        scope_kind=scope_kind,
        scope_codes=scope_codes,
        publicity_days=community.publicity_days if days is None else days,
        disclosure=disclosure,
        is_consultation=is_consultation,
        identity_check=identity_check,
        now=uow.clock.now(),
    )
    ballot = Ballot(
        community_id=community.id,
        ref=_new_ref(),
        title=title.strip(),
        description=description.strip(),
        status="draft",
        scope_kind=scope_kind,
        scope_codes=json.dumps(list(codes)),
        opens_at=opens_at,
        closes_at=closes_at,
        publicity_days=days,
        disclosure=disclosure,
        is_consultation=is_consultation,
        identity_check=identity_check,
        deemed_majority_enabled=community.deemed_majority_enabled,
        binding_result=community.binding_result,
        created_by=created_by,
        created_at=uow.clock.now(),
    )
    s.add(ballot)
    s.flush()
    _write_questions(s, ballot.id, questions)
    log_ballot_event(s, community.code, uow.clock, "voting.ballot_created", ballot, created_by, {})
    return info_of(s, ballot, community)


def update_draft(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    actor: int | None = None,
    title: str | None = None,
    description: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    questions: Sequence[QuestionDraft] | None = None,
    scope_kind: str | None = None,
    scope_codes: Sequence[str] | None = None,
    publicity_days: int | Literal["community"] | None = None,
    disclosure: str | None = None,
    is_consultation: bool | None = None,
    identity_check: str | None = None,
) -> BallotInfo:
    """Change a draft (``None`` leaves a field as it is; ``questions`` replaces them all) and
    log ``voting.draft_updated`` (``publicity_days=FOLLOW_COMMUNITY``: follow the community's
    period again).

    Guarantees: the ballot is locked and still a draft (``BallotFrozen`` otherwise); the
    result is validated like :func:`create_ballot` as a whole, and nothing changes if it fails.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in EDITABLE:
        raise BallotFrozen(
            N_("The ballot has opened; its content can no longer change."), ref=ballot_ref
        )
    community = community_of(s, ballot)
    new_kind = ballot.scope_kind if scope_kind is None else scope_kind
    if scope_codes is not None:
        new_codes: Sequence[str] = scope_codes
    elif scope_kind is not None and scope_kind != ballot.scope_kind:
        new_codes = ()
    else:
        new_codes = json.loads(ballot.scope_codes)
    new_questions = (
        list(questions)
        if questions is not None
        else [QuestionDraft(q.matter, q.text, q.use_plan) for q in question_infos(s, ballot.id)]
    )
    new_title = ballot.title if title is None else title
    new_opens = ballot.opens_at if opens_at is None else opens_at
    new_closes = ballot.closes_at if closes_at is None else closes_at
    if publicity_days == FOLLOW_COMMUNITY:
        new_days: int | None = None
    elif publicity_days is None:
        new_days = ballot.publicity_days
    else:
        new_days = publicity_days
    new_disclosure = ballot.disclosure if disclosure is None else disclosure
    new_consult = ballot.is_consultation if is_consultation is None else is_consultation
    new_check = ballot.identity_check if identity_check is None else identity_check
    codes = _check_draft(
        s,
        community,
        title=new_title,
        opens_at=new_opens,
        closes_at=new_closes,
        questions=new_questions,
        scope_kind=new_kind,
        scope_codes=new_codes,
        publicity_days=community.publicity_days if new_days is None else new_days,
        disclosure=new_disclosure,
        is_consultation=new_consult,
        identity_check=new_check,
        now=uow.clock.now(),
    )
    ballot.title = new_title.strip()
    ballot.opens_at = new_opens
    ballot.closes_at = new_closes
    ballot.publicity_days = new_days
    ballot.disclosure = new_disclosure
    ballot.is_consultation = new_consult
    ballot.identity_check = new_check
    if description is not None:
        ballot.description = description.strip()
    ballot.scope_kind = new_kind
    ballot.scope_codes = json.dumps(list(codes))
    if questions is not None:
        s.execute(sa.delete(Question).where(Question.ballot_id == ballot.id))
        s.flush()
        _write_questions(s, ballot.id, new_questions)
    s.flush()
    log_ballot_event(s, community.code, uow.clock, "voting.draft_updated", ballot, actor, {})
    return info_of(s, ballot, community)


def add_attachment(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    filename: str,
    content_type: str,
    data: bytes,
    actor: int | None = None,
) -> AttachmentInfo:
    """Attach a document to a draft, stored with its SHA-256; log ``voting.attachment_added``.

    Guarantees: draft only (``BallotFrozen``); non-empty and at most 10 MB; the same content
    twice on one ballot is refused (``InvalidBallot``).
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    if not name:
        raise InvalidBallot(N_("A document needs a file name."))
    if not data:
        raise InvalidBallot(N_("The document is empty."))
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidBallot(N_("A document may be at most 10 MB."))
    digest = hashlib.sha256(data).hexdigest()
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in EDITABLE:
        raise BallotFrozen(
            N_("The ballot has opened; its documents can no longer change."), ref=ballot_ref
        )
    exists = s.scalar(
        sa.select(Attachment.id).where(
            Attachment.ballot_id == ballot.id, Attachment.sha256 == digest
        )
    )
    if exists is not None:
        raise InvalidBallot(N_("This document is already attached."))
    row = Attachment(
        ballot_id=ballot.id,
        filename=name,
        content_type=(content_type or "application/octet-stream")[:100],
        sha256=digest,
        size=len(data),
        data=data,
        created_at=uow.clock.now(),
    )
    s.add(row)
    s.flush()
    community = community_of(s, ballot)
    log_ballot_event(
        s,
        community.code,
        uow.clock,
        "voting.attachment_added",
        ballot,
        actor,
        {"attachment": {"id": row.id, "file": name, "sha256": digest, "size": len(data)}},
    )
    return attachment_info(row)


def remove_attachment(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    attachment_id: int,
    actor: int | None = None,
) -> None:
    """Remove a document from a draft; log ``voting.attachment_removed``. Draft only."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in EDITABLE:
        raise BallotFrozen(
            N_("The ballot has opened; its documents can no longer change."), ref=ballot_ref
        )
    row = s.scalar(
        sa.select(Attachment).where(
            Attachment.ballot_id == ballot.id, Attachment.id == attachment_id
        )
    )
    if row is None:
        raise AttachmentNotFound(N_("There is no such document."), id=attachment_id)
    digest = row.sha256
    s.delete(row)
    community = community_of(s, ballot)
    log_ballot_event(
        s,
        community.code,
        uow.clock,
        "voting.attachment_removed",
        ballot,
        actor,
        {"attachment": {"id": attachment_id, "sha256": digest}},
    )


# --- internals -----------------------------------------------------------------------------


def _new_ref() -> str:
    return "b" + secrets.token_hex(8)


def _check_draft(
    s: Session,
    community: Community,
    *,
    title: Any,
    opens_at: datetime,
    closes_at: datetime,
    questions: Sequence[QuestionDraft],
    scope_kind: str,
    scope_codes: Sequence[str],
    publicity_days: int,
    disclosure: str,
    is_consultation: bool,
    identity_check: str,
    now: datetime,
) -> tuple[str, ...]:
    """Validate a whole draft; return the normalised scope codes."""
    if not isinstance(title, str) or not title.strip():
        raise InvalidBallot(N_("A ballot needs a title."))
    if len(title.strip()) > MAX_TITLE:
        raise InvalidBallot(N_("The title may be at most 200 characters."))
    for at in (opens_at, closes_at):
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("ballot times must be timezone-aware")
    if closes_at <= opens_at:
        raise InvalidBallot(N_("Voting must close after it opens."))
    if closes_at <= now:
        raise InvalidBallot(N_("The voting window must end in the future."))
    if isinstance(publicity_days, bool) or not isinstance(publicity_days, int):
        raise InvalidBallot(N_("The publicity period is a whole number of days."))
    if not 0 <= publicity_days <= MAX_PUBLICITY_DAYS:
        raise InvalidBallot(N_("The publicity period must be between 0 and 365 days."))
    if disclosure not in DISCLOSURE_MODES:
        raise InvalidBallot(N_("Unknown disclosure mode."), disclosure=disclosure)
    if identity_check not in IDENTITY_CHECKS:
        raise InvalidBallot(N_("Unknown identity check."), identity_check=identity_check)
    if not questions:
        raise InvalidBallot(N_("A ballot needs at least one question."))
    if len(questions) > MAX_QUESTIONS:
        raise InvalidBallot(N_("A ballot may have at most 20 questions."))
    for q in questions:
        if q.matter not in MATTER_KEYS:
            matter_by_key(q.matter)  # raises MatterUnknown
        if not q.text or not q.text.strip():
            raise InvalidBallot(N_("Every question needs a text."))
        if q.matter == "fund_use" and q.use_plan is None:
            raise InvalidUsePlan(N_("A question on using the maintenance fund needs its use plan."))
        if q.matter != "fund_use" and q.use_plan is not None:
            raise InvalidUsePlan(
                N_("Only a question on using the maintenance fund has a use plan.")
            )
    return check_scope_rules(
        s, community, scope_kind, scope_codes, [q.matter for q in questions], is_consultation
    )


def check_scope_rules(
    s: Session,
    community: Community,
    scope_kind: str,
    scope_codes: Sequence[str],
    matters: Sequence[str],
    is_consultation: bool,
) -> tuple[str, ...]:
    if scope_kind not in SCOPE_KINDS:
        raise InvalidBallot(N_("Unknown scope."), scope_kind=scope_kind)
    codes = tuple(sorted({c.strip() for c in scope_codes if c and c.strip()}))
    whole = scope_kind == "community"
    for key in matters:
        check_scope(matter_of(is_consultation, key), is_whole_community=whole)
    if whole:
        if codes:
            raise InvalidBallot(N_("A whole-community ballot lists no buildings or units."))
        return ()
    if not codes:
        raise InvalidBallot(N_("Choose at least one building or unit for the scope."))
    if scope_kind == "buildings":
        known = set(
            s.scalars(
                sa.select(Building.code).where(
                    Building.community_id == community.id, Building.code.in_(codes)
                )
            )
        )
    else:
        known = set(
            s.scalars(
                sa.select(Unit.code).where(Unit.community_id == community.id, Unit.code.in_(codes))
            )
        )
    missing = [c for c in codes if c not in known]
    if missing:
        raise InvalidBallot(
            N_("Not in the register: %(codes)s."),
            codes=", ".join(missing),
        )
    return codes


def _write_questions(s: Session, ballot_id: int, questions: Sequence[QuestionDraft]) -> None:
    for position, q in enumerate(questions, start=1):
        s.add(
            Question(
                ballot_id=ballot_id,
                position=position,
                matter=q.matter,
                text=q.text.strip(),
                use_plan=(
                    None
                    if q.use_plan is None
                    else canonical_bytes(q.use_plan.as_dict()).decode("utf-8")
                ),
            )
        )
    s.flush()
