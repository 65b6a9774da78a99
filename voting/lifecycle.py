"""The ballot's life after drafting: open, close, cancel, publish, finalize, annul.

State machine (``Ballot.status``; every other step raises ``IllegalTransition``)::

    draft --open--> open --close--> closed --tally--> tallied --publish--> published
    published --finalize--> final          (publicity period over, no objection upheld)
    published --annul--> annulled          (an objection was upheld; with reasons)
    draft|open --cancel--> cancelled

(Tallying is in ``voting.decisions``.) Every step is one transaction with one logged
``voting.<event>`` entry, and a guarded ``UPDATE ... WHERE status = <expected>``: of two
concurrent callers exactly one moves the ballot. Every step ends by signing a checkpoint of
the community's log that covers its entry (``UnitOfWork.checkpoint``), in the same
transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from notary import store
from notary.canonical import canonical_bytes
from notary.work import UnitOfWork
from voting.ballot_info import BallotInfo, info_of, question_infos, question_record
from voting.decision_rules import binding_of
from voting.decisions import outcome_words
from voting.drafts import check_scope_rules
from voting.errors import (
    N_,
    InvalidBallot,
    NoUpheldObjection,
    ObjectionsPending,
    ObjectionUpheld,
    PublicityNotOver,
    WindowNotOver,
    WindowPassed,
)
from voting.finality import finality_of, objection_counts
from voting.integrity import check_ballot_against_log
from voting.models import Attachment, Ballot, Decision, Objection, Question, Vote
from voting.roll import freeze_roll
from voting.rows import ballot_by_ref, community_of, log_ballot_event, move_status
from voting.shares import store_shares
from voting.turnout import building_figures, dump_building_figures


def open_ballot(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    actor: int | None = None,
) -> BallotInfo:
    """draft -> open: freeze the roll and log ``voting.ballot_opened`` with its commitment.

    Guarantees: refused once ``closes_at`` has passed (``WindowPassed``); the scope is checked
    again against the register; the community's settings in force now (deemed-majority
    clause, binding result, fund holder, and the publicity period unless the draft has its
    own) are frozen into the ballot and logged; the logged entry carries the roll commitment
    and totals, the questions with their use plans and the documents' SHA-256, so the
    content voted on is fixed in the log.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    community = community_of(s, ballot)
    now = uow.clock.now()
    if ballot.status == "draft" and now >= ballot.closes_at:
        raise WindowPassed(
            N_("The voting window has already ended; change the dates before opening."),
            ref=ballot_ref,
        )
    move_status(s, ballot, "draft", "open", opened_at=now)
    questions = question_infos(s, ballot.id)
    codes = json.loads(ballot.scope_codes)
    check_scope_rules(
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
    store_shares(s, ballot.id)
    ballot.roll_heads = frozen.heads
    ballot.roll_area_centi = frozen.area_centi
    ballot.roll_commitment = frozen.commitment
    ballot.roll_by_building = dump_building_figures(building_figures(s, ballot.id))
    # The settings in force now are frozen into the ballot: later changes never move it.
    if ballot.publicity_days is None:
        ballot.publicity_days = community.publicity_days
    ballot.deemed_majority_enabled = community.deemed_majority_enabled
    ballot.binding_result = community.binding_result
    ballot.fund_holder = community.fund_holder
    s.flush()
    attachments = s.scalars(
        sa.select(Attachment).where(Attachment.ballot_id == ballot.id).order_by(Attachment.id)
    ).all()
    content = {
        "title": ballot.title,
        "description_sha256": hashlib.sha256(ballot.description.encode()).hexdigest(),
        "questions": [question_record(q) for q in questions],
        "attachments": [{"file": a.filename, "sha256": a.sha256} for a in attachments],
    }
    ballot.opened_log_index = log_ballot_event(
        s,
        community.code,
        uow.clock,
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
            "fund_holder": ballot.fund_holder,
        },
        bulk=("scope", "content"),
    )
    uow.checkpoint(community.code)
    return info_of(s, ballot, community)


def close_ballot(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    actor: int | None = None,
) -> BallotInfo:
    """open -> closed, only once ``closes_at`` has passed (``WindowNotOver`` before); logs
    ``voting.ballot_closed`` with the number of ballots cast."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    now = uow.clock.now()
    if ballot.status == "open" and now < ballot.closes_at:
        raise WindowNotOver(
            N_("Voting is open until the end of the window; the ballot closes after that."),
            ref=ballot_ref,
        )
    move_status(s, ballot, "open", "closed", closed_at=now)
    cast = s.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.ballot_id == ballot.id))
    community = community_of(s, ballot)
    log_ballot_event(
        s, community.code, uow.clock, "voting.ballot_closed", ballot, actor, {"cast": cast or 0}
    )
    uow.checkpoint(community.code)
    return info_of(s, ballot, community)


def cancel_ballot(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    actor: int | None = None,
    reason: str = "",
) -> BallotInfo:
    """draft|open -> cancelled; logs ``voting.ballot_cancelled`` (with the reason's SHA-256).

    Votes already cast on an open ballot stay stored but are never counted."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    move_status(s, ballot, ("draft", "open"), "cancelled", cancelled_at=uow.clock.now())
    if reason.strip():
        ballot.annul_reason = reason.strip()
    community = community_of(s, ballot)
    log_ballot_event(
        s,
        community.code,
        uow.clock,
        "voting.ballot_cancelled",
        ballot,
        actor,
        {"reason_sha256": hashlib.sha256(reason.strip().encode()).hexdigest()},
    )
    uow.checkpoint(community.code)
    return info_of(s, ballot, community)


def publish_ballot(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    origin_prefix: str | None = None,
    actor: int | None = None,
) -> BallotInfo:
    """tallied -> published: log ``voting.ballot_published`` (the outcome of every question and
    where its decision was logged, the publicity period), then sign a checkpoint of the log
    that includes that entry (origin ``<origin_prefix>/<community>``, by default the unit of
    work's :meth:`~notary.work.UnitOfWork.log_origin`) and store its size, root and key ID
    on the ballot. Refused with
    ``TablesDisagreeWithLog`` when the ballot's rows (votes, decisions...) disagree with the
    log (``voting.integrity``, run first in this unit of work)."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    community = community_of(s, ballot)
    if ballot.status == "tallied":
        check_ballot_against_log(s, ballot, community.code)
    now = uow.clock.now()
    move_status(s, ballot, "tallied", "published", published_at=now)
    days = _frozen_days(ballot)
    decisions = s.execute(
        sa.select(Question.position, Decision.record, Decision.log_index)
        .join(Decision, Decision.question_id == Question.id)
        .where(Question.ballot_id == ballot.id)
        .order_by(Question.position)
    ).all()
    log_ballot_event(
        s,
        community.code,
        uow.clock,
        "voting.ballot_published",
        ballot,
        actor,
        {
            "decisions": [
                {
                    "question": row.position,
                    "log_index": row.log_index,
                    "outcome": outcome_words(json.loads(row.record)),
                }
                for row in decisions
            ],
            "publicity": {
                "days": days,
                "ends_at": _iso(now + timedelta(days=days)),
            },
        },
    )
    prefix = origin_prefix or uow.origin_prefix
    checkpoint = store.issue_checkpoint(s, community.code, uow.keyring, prefix, now)
    ballot.notice_tree_size = checkpoint.size
    ballot.notice_root = checkpoint.root.hex()
    ballot.notice_key_id = uow.keyring.key_id.hex()
    s.flush()
    return info_of(s, ballot, community)


def finalize_ballot(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    actor: int | None = None,
) -> BallotInfo:
    """published -> final once the publicity period is over, every objection is answered and
    none upheld (``PublicityNotOver``, ``ObjectionsPending``, ``ObjectionUpheld``); logs
    ``voting.ballot_final``.

    Guarantees: the recorded ``final_at`` is the moment the ballot became final by the rules,
    the later of the period's end and the last answer (``voting.finality``), whoever records
    it and whenever: the committee (``actor``) or ``fundvote tick`` (no actor), so the stored
    state agrees with what every page showed before it was recorded."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    now = uow.clock.now()
    final_at = now
    if ballot.status == "published":
        assert ballot.published_at is not None
        ends = ballot.published_at + timedelta(days=_frozen_days(ballot))
        if now < ends:
            raise PublicityNotOver(
                N_("The publicity period has not ended yet."), ends_at=_iso(ends)
            )
        counts = objection_counts(s, ballot.id)
        if counts.upheld:
            raise ObjectionUpheld(
                N_("An objection was upheld, so the result cannot become final."),
                ref=ballot_ref,
            )
        if counts.unanswered:
            raise ObjectionsPending(
                N_("Answer every objection before the result becomes final."),
                count=counts.unanswered,
            )
        finality = finality_of(s, ballot, now)
        final_at = finality.final_at or now
    move_status(s, ballot, "published", "final", final_at=final_at)
    community = community_of(s, ballot)
    objections = s.scalar(
        sa.select(sa.func.count()).select_from(Objection).where(Objection.ballot_id == ballot.id)
    )
    log_ballot_event(
        s,
        community.code,
        uow.clock,
        "voting.ballot_final",
        ballot,
        actor,
        {"objections": objections or 0, "final_at": _iso(final_at)},
    )
    uow.checkpoint(community.code)
    return info_of(s, ballot, community)


def annul_ballot(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    reason: str,
    actor: int | None = None,
) -> BallotInfo:
    """published -> annulled, on an upheld objection (``NoUpheldObjection`` otherwise) and
    with reasons (``InvalidBallot`` if blank); logs ``voting.ballot_annulled`` with the upheld
    objections' numbers and the reasons' SHA-256 (the reasons are published on the results
    page)."""
    if not reason or not reason.strip():
        raise InvalidBallot(N_("Say why the ballot is annulled."))
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
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
    move_status(s, ballot, "published", "annulled", annulled_at=uow.clock.now())
    ballot.annul_reason = reason.strip()
    community = community_of(s, ballot)
    log_ballot_event(
        s,
        community.code,
        uow.clock,
        "voting.ballot_annulled",
        ballot,
        actor,
        {
            "objections": upheld_ids,
            "reason_sha256": hashlib.sha256(reason.strip().encode()).hexdigest(),
        },
        bulk=("objections",),
    )
    uow.checkpoint(community.code)
    return info_of(s, ballot, community)


# --- internals -----------------------------------------------------------------------------


def _iso(at: datetime) -> str:
    from notary.envelope import format_time

    return format_time(at)


def _frozen_days(ballot: Ballot) -> int:
    """The publicity period of an opened ballot (frozen at opening)."""
    if ballot.publicity_days is None:  # pragma: no cover - opening froze it
        raise ValueError(f"ballot {ballot.ref} has no frozen publicity period")
    return ballot.publicity_days
