"""Ballots: drafting, and the lifecycle from opening to the final (or annulled) result.

State machine (``Ballot.status``; every other step raises ``IllegalTransition``)::

    draft --open--> open --close--> closed --tally--> tallied --publish--> published
    published --finalize--> final          (publicity period over, no objection upheld)
    published --annul--> annulled          (an objection was upheld; with reasons)
    draft|open --cancel--> cancelled

Rules this module guarantees:

- Every service runs in one transaction and appends its ``voting.<event>`` entry to the
  community's Merkle log in that transaction; entries name owners by ref and members by
  opaque key, never by name or phone.
- Status changes are race-safe: each is an ``UPDATE ... WHERE status = <expected>`` whose row
  count is checked, so of two concurrent callers exactly one moves the ballot.
- Drafts are freely editable; once opened, nothing about the questions, scope, window,
  documents or roll changes (``BallotFrozen``).
- Opening freezes the roll (``voting.roll``) and logs the SHA-256 commitment to it, together
  with the ballot's content (questions, use plans, documents' SHA-256), and copies the
  community's deemed-majority setting onto the ballot, so later changes cannot move a result.
- Scope: narrower than the community only when every question is ``fund_use`` or the ballot
  is a consultation (``voting.matters.check_scope``); building and unit codes must exist.
- Opening is allowed until the window closes (before ``opens_at`` it only freezes the roll so
  links can be handed out; votes are accepted from ``opens_at``: see :func:`accepts_votes`).
  Closing is allowed only once ``closes_at`` has passed: no early close, so no owner loses
  the time they were promised. The casting service refuses votes after ``closes_at`` even
  while the status still says ``open``.
- Tallying counts the ``CastBallot`` rows with ``voting.tally`` (exact integers) and writes one
  logged ``Decision`` per question; it refuses while paper ballots await a second keying or
  a resolution. A choice missing for a question means the member did not take part in that
  question.
- Publishing logs ``voting.ballot_published`` and then signs a checkpoint of the log that
  includes it; its size, root and key ID are stored on the ballot and printed on the notice.
- Finalizing needs the publicity period (``published_at + publicity_days`` days) to be over,
  every objection answered and none upheld; annulling needs an upheld objection and reasons.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer, sessionmaker

from estate.models import Building, Community, Unit
from notary import store
from notary.canonical import canonical_bytes
from notary.clock import Clock
from notary.envelope import make_entry
from notary.note import Signer
from voting.errors import (
    AttachmentNotFound,
    BallotFrozen,
    BallotNotFound,
    IllegalTransition,
    InvalidBallot,
    InvalidUsePlan,
    NoUpheldObjection,
    ObjectionsPending,
    ObjectionUpheld,
    PublicityNotOver,
    UnresolvedPaperBallots,
    WindowNotOver,
    WindowPassed,
)
from voting.matters import CONSULTATION, MATTER_KEYS, Matter, check_scope, matter_by_key
from voting.models import (
    DISCLOSURE_MODES,
    IDENTITY_CHECKS,
    SCOPE_KINDS,
    Attachment,
    Ballot,
    CastBallot,
    Decision,
    Objection,
    PaperEntry,
    Question,
    RollMember,
)
from voting.roll import freeze_roll
from voting.tally import Ballot as TallyBallot
from voting.tally import Choice, Figure, Tally, TallyResult, result_from_figures, tally

FUNDING_SOURCES: tuple[str, ...] = (
    "subsidy",
    "maintenance_fund",
    "social_capital",
    "public_income",
    "owners_direct",
)
"""Funding sources of a use plan (DOMAIN.md §4.7), in the order they are shown."""

MAX_QUESTIONS = 20
MAX_TITLE = 200
MAX_PUBLICITY_DAYS = 365
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
UNRESOLVED_PAPER = ("pending", "mismatch")
EDITABLE = ("draft",)


def N_(s: str) -> str:
    """Mark a message for extraction; the web layer translates it when shown."""
    return s


# --- value types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UsePlan:
    """The use plan of a ``fund_use`` question (DOMAIN.md §4.1): what owners approve.

    Guarantees once constructed: ``repair`` is not blank; ``budget_fen`` is a positive int;
    ``sources`` holds all five :data:`FUNDING_SOURCES` in that order (missing ones as 0),
    each a non-negative int, adding up to the budget exactly. Raises ``InvalidUsePlan``
    otherwise. ``sources`` is read-only.
    """

    repair: str
    budget_fen: int
    sources: Mapping[str, int]
    emergency: str = ""

    def __post_init__(self) -> None:
        problems = use_plan_problems(self.repair, self.budget_fen, self.sources)
        if problems:
            message, params = problems[0]
            raise InvalidUsePlan(message, **params)
        full = {k: int(self.sources.get(k, 0)) for k in FUNDING_SOURCES}
        object.__setattr__(self, "repair", self.repair.strip())
        object.__setattr__(self, "emergency", (self.emergency or "").strip())
        object.__setattr__(self, "sources", MappingProxyType(full))

    def __hash__(self) -> int:
        return hash((self.repair, self.budget_fen, tuple(self.sources.items()), self.emergency))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UsePlan):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    @property
    def maintenance_fund_fen(self) -> int:
        """The part of the budget drawn from the maintenance fund (apportioned by area)."""
        return self.sources["maintenance_fund"]

    def as_dict(self) -> dict[str, Any]:
        """The plan as stored and logged: ``{"repair", "budget_fen", "sources", "emergency"}``."""
        return {
            "repair": self.repair,
            "budget_fen": self.budget_fen,
            "sources": dict(self.sources),
            "emergency": self.emergency,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UsePlan:
        return cls(
            repair=data["repair"],
            budget_fen=data["budget_fen"],
            sources=data["sources"],
            emergency=data.get("emergency", ""),
        )


def use_plan_problems(
    repair: str, budget_fen: Any, sources: Mapping[str, Any]
) -> list[tuple[str, dict[str, str]]]:
    """Everything wrong with a use plan as (English message with ``%(name)s`` placeholders,
    params) pairs, in a fixed order; empty when the plan is valid."""
    problems: list[tuple[str, dict[str, str]]] = []
    if not isinstance(repair, str) or not repair.strip():
        problems.append((N_("The use plan must say what repair it pays for."), {}))
    if isinstance(budget_fen, bool) or not isinstance(budget_fen, int) or budget_fen <= 0:
        problems.append((N_("The budget must be a positive amount."), {}))
        budget_fen = None
    unknown = sorted(set(sources) - set(FUNDING_SOURCES))
    if unknown:
        problems.append((N_("Unknown funding source: %(source)s."), {"source": ", ".join(unknown)}))
    total = 0
    for key in FUNDING_SOURCES:
        value = sources.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(
                (
                    N_("The amount of funding source %(source)s must not be negative."),
                    {"source": key},
                )
            )
            continue
        total += value
    if budget_fen is not None and not problems and total != budget_fen:
        problems.append((N_("The funding sources must add up to the budget exactly."), {}))
    return problems


@dataclass(frozen=True)
class QuestionDraft:
    """A question as drafted: its matter key (``voting.matters.MATTER_KEYS``), its text and,
    for ``fund_use``, its use plan."""

    matter: str
    text: str
    use_plan: UsePlan | None = None


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


def binding_of(deemed_majority_enabled: bool, binding_result: str) -> str:
    return "deemed_majority" if deemed_majority_enabled and binding_result == "deemed" else "plain"


def accepts_votes(info: BallotInfo, now: datetime) -> bool:
    """Whether the ballot takes votes at ``now``: open, and ``opens_at <= now < closes_at``."""
    return info.status == "open" and info.opens_at <= now < info.closes_at


def in_publicity_period(info: BallotInfo, now: datetime) -> bool:
    """Whether ``now`` is inside the publicity period of published results (objections)."""
    ends = info.publicity_ends_at
    return info.status == "published" and ends is not None and now < ends


def matter_of(is_consultation: bool, matter_key: str) -> Matter:
    """The matter whose thresholds apply: ``CONSULTATION`` for an advisory ballot."""
    return CONSULTATION if is_consultation else matter_by_key(matter_key)


# --- drafting ------------------------------------------------------------------------------


def create_ballot(
    session_factory: sessionmaker[Session],
    *,
    community_code: str,
    title: str,
    description: str,
    opens_at: datetime,
    closes_at: datetime,
    questions: Sequence[QuestionDraft],
    clock: Clock,
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
    exist, publicity days defaulting to the community's); raises ``InvalidBallot`` (or a
    subclass, or ``ScopeTooNarrow``/``MatterUnknown``) otherwise, writing nothing.
    """
    with session_factory.begin() as s:
        community = _community(s, community_code)
        days = community.publicity_days if publicity_days is None else publicity_days
        codes = _check_draft(
            s,
            community,
            title=title,
            opens_at=opens_at,
            closes_at=closes_at,
            questions=questions,
            scope_kind=scope_kind,
            scope_codes=scope_codes,
            publicity_days=days,
            disclosure=disclosure,
            is_consultation=is_consultation,
            identity_check=identity_check,
            now=clock.now(),
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
            created_at=clock.now(),
        )
        s.add(ballot)
        s.flush()
        _write_questions(s, ballot.id, questions)
        _log(s, community.code, clock, "voting.ballot_created", ballot, created_by, {})
        return _info(s, ballot, community)


def update_draft(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    actor: int | None = None,
    title: str | None = None,
    description: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    questions: Sequence[QuestionDraft] | None = None,
    scope_kind: str | None = None,
    scope_codes: Sequence[str] | None = None,
    publicity_days: int | None = None,
    disclosure: str | None = None,
    is_consultation: bool | None = None,
    identity_check: str | None = None,
) -> BallotInfo:
    """Change a draft (``None`` leaves a field as it is; ``questions`` replaces them all) and
    log ``voting.draft_updated``.

    Guarantees: the ballot is locked and still a draft (``BallotFrozen`` otherwise); the
    result is validated like :func:`create_ballot` as a whole, and nothing changes if it fails.
    """
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref, for_update=True)
        if ballot.status not in EDITABLE:
            raise BallotFrozen(
                N_("The ballot has opened; its content can no longer change."), ref=ballot_ref
            )
        community = _community_by_id(s, ballot.community_id)
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
            else [QuestionDraft(q.matter, q.text, q.use_plan) for q in _questions(s, ballot.id)]
        )
        new_title = ballot.title if title is None else title
        new_opens = ballot.opens_at if opens_at is None else opens_at
        new_closes = ballot.closes_at if closes_at is None else closes_at
        new_days = ballot.publicity_days if publicity_days is None else publicity_days
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
            publicity_days=new_days,
            disclosure=new_disclosure,
            is_consultation=new_consult,
            identity_check=new_check,
            now=clock.now(),
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
        _log(s, community.code, clock, "voting.draft_updated", ballot, actor, {})
        return _info(s, ballot, community)


def add_attachment(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    filename: str,
    content_type: str,
    data: bytes,
    clock: Clock,
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
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref, for_update=True)
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
            created_at=clock.now(),
        )
        s.add(row)
        s.flush()
        community = _community_by_id(s, ballot.community_id)
        _log(
            s,
            community.code,
            clock,
            "voting.attachment_added",
            ballot,
            actor,
            {"attachment": {"id": row.id, "file": name, "sha256": digest, "size": len(data)}},
        )
        return _attachment_info(row)


def remove_attachment(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    attachment_id: int,
    clock: Clock,
    actor: int | None = None,
) -> None:
    """Remove a document from a draft; log ``voting.attachment_removed``. Draft only."""
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref, for_update=True)
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
        community = _community_by_id(s, ballot.community_id)
        _log(
            s,
            community.code,
            clock,
            "voting.attachment_removed",
            ballot,
            actor,
            {"attachment": {"id": attachment_id, "sha256": digest}},
        )


def get_attachment(
    session: Session, ballot_ref: str, attachment_id: int
) -> tuple[AttachmentInfo, bytes]:
    """A document of a ballot and its bytes; ``AttachmentNotFound`` if there is none."""
    ballot = _ballot(session, ballot_ref)
    row = session.scalar(
        sa.select(Attachment).where(
            Attachment.ballot_id == ballot.id, Attachment.id == attachment_id
        )
    )
    if row is None:
        raise AttachmentNotFound(N_("There is no such document."), id=attachment_id)
    return _attachment_info(row), bytes(row.data)


# --- lifecycle -----------------------------------------------------------------------------


def open_ballot(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    actor: int | None = None,
) -> BallotInfo:
    """draft -> open: freeze the roll and log ``voting.ballot_opened`` with its commitment.

    Guarantees: refused once ``closes_at`` has passed (``WindowPassed``); the scope is checked
    again against the register; the community's deemed-majority setting is copied onto the
    ballot; the logged entry carries the roll commitment and totals, the questions with their
    use plans and the documents' SHA-256, so the content voted on is fixed in the log.
    """
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref)
        community = _community_by_id(s, ballot.community_id)
        now = clock.now()
        if ballot.status == "draft" and now >= ballot.closes_at:
            raise WindowPassed(
                N_("The voting window has already ended; change the dates before opening."),
                ref=ballot_ref,
            )
        _move(s, ballot, "draft", "open", opened_at=now)
        questions = _questions(s, ballot.id)
        codes = json.loads(ballot.scope_codes)
        _check_scope_rules(
            s,
            community,
            ballot.scope_kind,
            codes,
            [q.matter for q in questions],
            ballot.is_consultation,
        )
        frozen = freeze_roll(
            s,
            ballot_id=ballot.id,
            ballot_ref=ballot.ref,
            community_id=community.id,
            community_code=community.code,
            scope_kind=ballot.scope_kind,
            scope_codes=codes,
        )
        ballot.roll_heads = frozen.heads
        ballot.roll_area_centi = frozen.area_centi
        ballot.roll_commitment = frozen.commitment
        ballot.deemed_majority_enabled = community.deemed_majority_enabled
        ballot.binding_result = community.binding_result
        s.flush()
        attachments = s.scalars(
            sa.select(Attachment).where(Attachment.ballot_id == ballot.id).order_by(Attachment.id)
        ).all()
        content = {
            "title": ballot.title,
            "description_sha256": hashlib.sha256(ballot.description.encode()).hexdigest(),
            "questions": [_question_dict(q) for q in questions],
            "attachments": [{"file": a.filename, "sha256": a.sha256} for a in attachments],
        }
        _log(
            s,
            community.code,
            clock,
            "voting.ballot_opened",
            ballot,
            actor,
            {
                "scope": {"kind": ballot.scope_kind, "codes": codes},
                "window": {"opens_at": _iso(ballot.opens_at), "closes_at": _iso(ballot.closes_at)},
                "roll": {
                    "commitment": frozen.commitment,
                    "heads": frozen.heads,
                    "area_centi": frozen.area_centi,
                },
                "content": content,
                "content_sha256": hashlib.sha256(canonical_bytes(content)).hexdigest(),
                "consultation": ballot.is_consultation,
                "disclosure": ballot.disclosure,
                "identity_check": ballot.identity_check,
                "publicity_days": ballot.publicity_days,
                "deemed_majority_enabled": ballot.deemed_majority_enabled,
                "binding": binding_of(ballot.deemed_majority_enabled, ballot.binding_result),
            },
        )
        return _info(s, ballot, community)


def close_ballot(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    actor: int | None = None,
) -> BallotInfo:
    """open -> closed, only once ``closes_at`` has passed (``WindowNotOver`` before); logs
    ``voting.ballot_closed`` with the number of ballots cast."""
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref)
        now = clock.now()
        if ballot.status == "open" and now < ballot.closes_at:
            raise WindowNotOver(
                N_("Voting is open until the end of the window; the ballot closes after that."),
                ref=ballot_ref,
            )
        _move(s, ballot, "open", "closed", closed_at=now)
        cast = s.scalar(
            sa.select(sa.func.count())
            .select_from(CastBallot)
            .where(CastBallot.ballot_id == ballot.id)
        )
        community = _community_by_id(s, ballot.community_id)
        _log(s, community.code, clock, "voting.ballot_closed", ballot, actor, {"cast": cast or 0})
        return _info(s, ballot, community)


def cancel_ballot(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    actor: int | None = None,
    reason: str = "",
) -> BallotInfo:
    """draft|open -> cancelled; logs ``voting.ballot_cancelled`` (with the reason's SHA-256).

    Votes already cast on an open ballot stay stored but are never counted."""
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref)
        _move(s, ballot, ("draft", "open"), "cancelled", cancelled_at=clock.now())
        if reason.strip():
            ballot.annul_reason = reason.strip()
        community = _community_by_id(s, ballot.community_id)
        _log(
            s,
            community.code,
            clock,
            "voting.ballot_cancelled",
            ballot,
            actor,
            {"reason_sha256": hashlib.sha256(reason.strip().encode()).hexdigest()},
        )
        return _info(s, ballot, community)


@dataclass(frozen=True)
class QuestionTally:
    """The tally of one question: the plain result, the deemed-majority one beside it when the
    community's rules have that clause, which one binds, and where the decision was logged."""

    position: int
    matter: str
    text: str
    plain: TallyResult
    deemed_majority: TallyResult | None
    binding: str
    log_index: int
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def binding_result(self) -> TallyResult:
        if self.binding == "deemed_majority" and self.deemed_majority is not None:
            return self.deemed_majority
        return self.plain


@dataclass(frozen=True)
class TallyReport:
    ballot: BallotInfo
    questions: tuple[QuestionTally, ...]


def tally_ballot(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    actor: int | None = None,
) -> TallyReport:
    """closed -> tallied: count the cast ballots and record one logged decision per question.

    Guarantees: the figures are exactly ``voting.tally.tally`` over the frozen roll and the
    ``CastBallot`` rows (the deemed-majority result beside the plain one when the ballot has the
    rule); each ``Decision`` holds its record (:func:`decision_record`) and the index of its
    ``voting.decision_recorded`` log entry. Refused while paper ballots are unresolved
    (``UnresolvedPaperBallots``).
    """
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref)
        unresolved = s.scalar(
            sa.select(sa.func.count())
            .select_from(PaperEntry)
            .where(PaperEntry.ballot_id == ballot.id, PaperEntry.status.in_(UNRESOLVED_PAPER))
        )
        if ballot.status == "closed" and unresolved:
            raise UnresolvedPaperBallots(
                N_("%(count)s paper ballots still need a second entry or a resolution."),
                count=unresolved,
            )
        now = clock.now()
        _move(s, ballot, "closed", "tallied", tallied_at=now)
        community = _community_by_id(s, ballot.community_id)
        members = s.scalars(sa.select(RollMember).where(RollMember.ballot_id == ballot.id)).all()
        key_of = {m.id: m.member_key for m in members}
        roll = [_TallyMember(m.member_key, m.heads, m.area_centi) for m in members]
        cast = s.execute(
            sa.select(CastBallot.member_id, CastBallot.choices).where(
                CastBallot.ballot_id == ballot.id
            )
        ).all()
        choices = [(key_of[row.member_id], json.loads(row.choices)) for row in cast]
        binding = binding_of(ballot.deemed_majority_enabled, ballot.binding_result)
        out = []
        for q in _question_rows(s, ballot.id):
            matter = matter_of(ballot.is_consultation, q.matter)
            votes = [
                TallyBallot(key, str(c[str(q.position)]))
                for key, c in choices
                if c.get(str(q.position)) is not None
            ]
            result = tally(roll, votes, matter, deemed_majority=ballot.deemed_majority_enabled)
            record = decision_record(ballot.ref, q.position, q.matter, result, binding)
            entry = make_entry("voting.decision_recorded", now, community.code, record)
            index = store.append(s, community.code, entry).index
            s.add(
                Decision(
                    ballot_id=ballot.id,
                    question_id=q.id,
                    record=canonical_bytes(record).decode(),
                    log_index=index,
                    created_at=now,
                )
            )
            out.append(_question_tally(q, record, index))
        s.flush()
        return TallyReport(_info(s, ballot, community), tuple(out))


def get_tally(session: Session, ballot_ref: str) -> TallyReport | None:
    """The recorded decisions of a tallied (or later) ballot, or ``None`` before tallying."""
    ballot = _ballot(session, ballot_ref)
    rows = session.execute(
        sa.select(Question, Decision)
        .join(Decision, Decision.question_id == Question.id)
        .where(Question.ballot_id == ballot.id)
        .order_by(Question.position)
    ).all()
    if not rows:
        return None
    community = _community_by_id(session, ballot.community_id)
    return TallyReport(
        _info(session, ballot, community),
        tuple(_question_tally(q, json.loads(d.record), d.log_index) for q, d in rows),
    )


def publish_ballot(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    keyring: Signer,
    origin_prefix: str,
    actor: int | None = None,
) -> BallotInfo:
    """tallied -> published: log ``voting.ballot_published`` (the outcome of every question and
    where its decision was logged, the publicity period), then sign a checkpoint of the log
    that includes that entry and store its size, root and key ID on the ballot."""
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref)
        now = clock.now()
        _move(s, ballot, "tallied", "published", published_at=now)
        community = _community_by_id(s, ballot.community_id)
        decisions = s.execute(
            sa.select(Question.position, Decision.record, Decision.log_index)
            .join(Decision, Decision.question_id == Question.id)
            .where(Question.ballot_id == ballot.id)
            .order_by(Question.position)
        ).all()
        _log(
            s,
            community.code,
            clock,
            "voting.ballot_published",
            ballot,
            actor,
            {
                "decisions": [
                    {
                        "question": row.position,
                        "log_index": row.log_index,
                        "outcome": _outcome_words(json.loads(row.record)),
                    }
                    for row in decisions
                ],
                "publicity": {
                    "days": ballot.publicity_days,
                    "ends_at": _iso(now + timedelta(days=ballot.publicity_days)),
                },
            },
        )
        checkpoint = store.issue_checkpoint(s, community.code, keyring, origin_prefix, now)
        ballot.notice_tree_size = checkpoint.size
        ballot.notice_root = checkpoint.root.hex()
        ballot.notice_key_id = keyring.key_id.hex()
        s.flush()
        return _info(s, ballot, community)


def finalize_ballot(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    actor: int | None = None,
) -> BallotInfo:
    """published -> final once the publicity period is over, every objection is answered and
    none upheld (``PublicityNotOver``, ``ObjectionsPending``, ``ObjectionUpheld``); logs
    ``voting.ballot_final``."""
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref, for_update=True)
        now = clock.now()
        if ballot.status == "published":
            assert ballot.published_at is not None
            ends = ballot.published_at + timedelta(days=ballot.publicity_days)
            if now < ends:
                raise PublicityNotOver(
                    N_("The publicity period has not ended yet."), ends_at=_iso(ends)
                )
            upheld, pending = _objection_counts(s, ballot.id)
            if upheld:
                raise ObjectionUpheld(
                    N_("An objection was upheld, so the result cannot become final."),
                    ref=ballot_ref,
                )
            if pending:
                raise ObjectionsPending(
                    N_("Answer every objection before the result becomes final."),
                    count=pending,
                )
        _move(s, ballot, "published", "final", final_at=now)
        community = _community_by_id(s, ballot.community_id)
        objections = s.scalar(
            sa.select(sa.func.count())
            .select_from(Objection)
            .where(Objection.ballot_id == ballot.id)
        )
        _log(
            s,
            community.code,
            clock,
            "voting.ballot_final",
            ballot,
            actor,
            {"objections": objections or 0},
        )
        return _info(s, ballot, community)


def annul_ballot(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
    reason: str,
    actor: int | None = None,
) -> BallotInfo:
    """published -> annulled, on an upheld objection (``NoUpheldObjection`` otherwise) and
    with reasons (``InvalidBallot`` if blank); logs ``voting.ballot_annulled`` with the upheld
    objections' numbers and the reasons' SHA-256 (the reasons are published on the results
    page)."""
    if not reason or not reason.strip():
        raise InvalidBallot(N_("Say why the ballot is annulled."))
    with session_factory.begin() as s:
        ballot = _ballot(s, ballot_ref, for_update=True)
        upheld_ids = list(
            s.scalars(
                sa.select(Objection.id)
                .where(Objection.ballot_id == ballot.id, Objection.is_upheld.is_(True))
                .order_by(Objection.id)
            )
        )
        if ballot.status == "published" and not upheld_ids:
            raise NoUpheldObjection(
                N_("A ballot can be annulled only when an objection has been upheld."),
                ref=ballot_ref,
            )
        _move(s, ballot, "published", "annulled", annulled_at=clock.now())
        ballot.annul_reason = reason.strip()
        community = _community_by_id(s, ballot.community_id)
        _log(
            s,
            community.code,
            clock,
            "voting.ballot_annulled",
            ballot,
            actor,
            {
                "objections": upheld_ids,
                "reason_sha256": hashlib.sha256(reason.strip().encode()).hexdigest(),
            },
        )
        return _info(s, ballot, community)


# --- reading -------------------------------------------------------------------------------


def get_ballot(session: Session, ballot_ref: str) -> BallotInfo:
    """The ballot with this ref (``BallotNotFound`` if none)."""
    ballot = _ballot(session, ballot_ref)
    return _info(session, ballot, _community_by_id(session, ballot.community_id))


def list_ballots(session: Session, community_code: str) -> list[BallotInfo]:
    """The community's ballots, newest first (``BallotNotFound`` never; unknown community:
    empty list)."""
    community = session.scalar(sa.select(Community).where(Community.code == community_code))
    if community is None:
        return []
    rows = session.scalars(
        sa.select(Ballot)
        .where(Ballot.community_id == community.id)
        .order_by(Ballot.created_at.desc(), Ballot.id.desc())
    ).all()
    return [_info(session, b, community) for b in rows]


def ballot_id_for_ref(session: Session, ref: str) -> int:
    """The database id of the ballot with this ref (``BallotNotFound`` if none)."""
    ballot_id = session.scalar(sa.select(Ballot.id).where(Ballot.ref == ref))
    if ballot_id is None:
        raise BallotNotFound(N_("There is no such ballot."), ref=ref)
    return int(ballot_id)


def ballot_in_community(session: Session, community_code: str, ballot_ref: str) -> BallotInfo:
    """The ballot with this ref if it belongs to the community (``BallotNotFound`` otherwise:
    a ref from another community is not disclosed)."""
    info = get_ballot(session, ballot_ref)
    if info.community_code != community_code:
        raise BallotNotFound(N_("There is no such ballot."), ref=ballot_ref)
    return info


# --- decision records ----------------------------------------------------------------------


def decision_record(
    ballot_ref: str, position: int, matter_key: str, result: Tally, binding: str
) -> dict[str, Any]:
    """The logged record of one question's decision: the figures, each threshold and whether
    it was met, the outcome words, the deemed-majority result beside it (or ``None``) and
    which one binds. Figures are ``{"heads", "area_centi"}``; tests are ``true``/``false``,
    or ``null`` for a consultation."""
    matter = matter_of(result.plain.matter == CONSULTATION.key, matter_key)
    return {
        "ballot": ballot_ref,
        "question": position,
        "matter": matter_key,
        "consultation": matter.is_consultation,
        "thresholds": {
            "quorum": matter.quorum.label if matter.quorum else None,
            "approval": matter.approval.label if matter.approval else None,
        },
        "plain": _result_dict(result.plain),
        "deemed_majority": (
            None if result.deemed_majority is None else _result_dict(result.deemed_majority)
        ),
        "binding": binding if result.deemed_majority is not None else "plain",
    }


def _result_dict(r: TallyResult) -> dict[str, Any]:
    def fig(f: Figure) -> dict[str, int]:
        return {"heads": f.heads, "area_centi": f.area_centi}

    return {
        "roll": fig(r.roll),
        "participated": fig(r.participated),
        "agree": fig(r.agree),
        "oppose": fig(r.oppose),
        "abstain": fig(r.abstain),
        "quorum_area_met": r.quorum_area_met,
        "quorum_heads_met": r.quorum_heads_met,
        "approval_area_met": r.approval_area_met,
        "approval_heads_met": r.approval_heads_met,
        "quorum_met": r.quorum_met,
        "approved": r.approved,
        "passed": r.passed,
        "non_voters_counted_as": (
            None if r.non_voters_counted_as is None else str(r.non_voters_counted_as)
        ),
    }


def _result_from_dict(matter: Matter, d: Mapping[str, Any]) -> TallyResult:
    def fig(key: str) -> Figure:
        return Figure(int(d[key]["heads"]), int(d[key]["area_centi"]))

    deemed = d.get("non_voters_counted_as")
    return result_from_figures(
        matter,
        fig("roll"),
        agree=fig("agree"),
        oppose=fig("oppose"),
        abstain=fig("abstain"),
        non_voters_counted_as=None if deemed is None else Choice(deemed),
    )


def _question_tally(q: Question, record: Mapping[str, Any], index: int) -> QuestionTally:
    matter = CONSULTATION if record.get("consultation") else matter_by_key(q.matter)
    deemed = record.get("deemed_majority")
    return QuestionTally(
        position=q.position,
        matter=q.matter,
        text=q.text,
        plain=_result_from_dict(matter, record["plain"]),
        deemed_majority=None if deemed is None else _result_from_dict(matter, deemed),
        binding=str(record.get("binding", "plain")),
        log_index=index,
        record=dict(record),
    )


def _outcome_words(record: Mapping[str, Any]) -> dict[str, Any]:
    binding = record["deemed_majority"] if record.get("binding") == "deemed_majority" else None
    chosen = binding or record["plain"]
    return {
        "binding": record.get("binding", "plain"),
        "quorum_met": chosen["quorum_met"],
        "approved": chosen["approved"],
        "passed": chosen["passed"],
    }


@dataclass(frozen=True)
class _TallyMember:
    key: str
    heads: int
    area_centi: int


# --- internals -----------------------------------------------------------------------------


def _new_ref() -> str:
    return "b" + secrets.token_hex(8)


def _iso(at: datetime) -> str:
    from notary.envelope import format_time

    return format_time(at)


def _community(s: Session, code: str) -> Community:
    community = s.scalar(sa.select(Community).where(Community.code == code))
    if community is None:
        from estate.errors import CommunityNotFound

        raise CommunityNotFound(f"There is no community {code}.", code=code)
    return community


def _community_by_id(s: Session, community_id: int) -> Community:
    community = s.get(Community, community_id)
    assert community is not None
    return community


def _ballot(s: Session, ref: str, *, for_update: bool = False) -> Ballot:
    query = sa.select(Ballot).where(Ballot.ref == ref)
    if for_update:
        query = query.with_for_update()
    ballot = s.scalar(query)
    if ballot is None:
        raise BallotNotFound(N_("There is no such ballot."), ref=ref)
    return ballot


def _move(
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


def _log(
    s: Session,
    community_code: str,
    clock: Clock,
    event: str,
    ballot: Ballot,
    actor: int | None,
    data: Mapping[str, Any],
) -> int:
    body = {"ballot": ballot.ref, "status": ballot.status, "by": actor, **data}
    return store.append(
        s, community_code, make_entry(event, clock.now(), community_code, body)
    ).index


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
    return _check_scope_rules(
        s, community, scope_kind, scope_codes, [q.matter for q in questions], is_consultation
    )


def _check_scope_rules(
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


def _question_rows(s: Session, ballot_id: int) -> list[Question]:
    return list(
        s.scalars(
            sa.select(Question).where(Question.ballot_id == ballot_id).order_by(Question.position)
        )
    )


def _questions(s: Session, ballot_id: int) -> list[QuestionInfo]:
    return [
        QuestionInfo(
            position=q.position,
            matter=q.matter,
            text=q.text,
            use_plan=None if q.use_plan is None else UsePlan.from_dict(json.loads(q.use_plan)),
        )
        for q in _question_rows(s, ballot_id)
    ]


def _question_dict(q: QuestionInfo) -> dict[str, Any]:
    return {
        "position": q.position,
        "matter": q.matter,
        "text": q.text,
        "use_plan": None if q.use_plan is None else q.use_plan.as_dict(),
    }


def _objection_counts(s: Session, ballot_id: int) -> tuple[int, int]:
    rows = s.execute(
        sa.select(Objection.is_upheld, Objection.answered_at).where(
            Objection.ballot_id == ballot_id
        )
    ).all()
    upheld = sum(1 for r in rows if r.is_upheld)
    pending = sum(1 for r in rows if r.answered_at is None)
    return upheld, pending


@overload
def _utc(at: datetime) -> datetime: ...
@overload
def _utc(at: None) -> None: ...
def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC)


def _attachment_info(a: Attachment) -> AttachmentInfo:
    return AttachmentInfo(a.id, a.filename, a.content_type, a.sha256, a.size, a.created_at)


def _info(s: Session, b: Ballot, community: Community) -> BallotInfo:
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
        status=b.status,
        scope_kind=b.scope_kind,
        scope_codes=tuple(json.loads(b.scope_codes)),
        opens_at=_utc(b.opens_at),
        closes_at=_utc(b.closes_at),
        publicity_days=b.publicity_days,
        disclosure=b.disclosure,
        is_consultation=b.is_consultation,
        identity_check=b.identity_check,
        deemed_majority_enabled=b.deemed_majority_enabled,
        binding_result=b.binding_result,
        roll_heads=b.roll_heads,
        roll_area_centi=b.roll_area_centi,
        roll_commitment=b.roll_commitment,
        questions=tuple(_questions(s, b.id)),
        community_name=community.name,
        attachments=tuple(_attachment_info(a) for a in attachments),
        created_at=_utc(b.created_at),
        opened_at=_utc(b.opened_at),
        closed_at=_utc(b.closed_at),
        tallied_at=_utc(b.tallied_at),
        published_at=_utc(b.published_at),
        final_at=_utc(b.final_at),
        cancelled_at=_utc(b.cancelled_at),
        annulled_at=_utc(b.annulled_at),
        notice_tree_size=b.notice_tree_size,
        notice_root=b.notice_root,
        notice_key_id=b.notice_key_id,
        annul_reason=b.annul_reason,
    )
