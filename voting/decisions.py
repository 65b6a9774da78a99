"""Tallying a closed ballot, and the decision records it logs.

Tallying counts the ``Vote`` rows with ``voting.tally`` (exact integers) and writes one
logged ``Decision`` per question; it refuses while paper ballots await a second keying or a
resolution. A choice missing for a question means the member did not take part in that
question.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notary import store
from notary.canonical import canonical_bytes
from notary.envelope import make_entry
from notary.work import UnitOfWork
from voting.ballot_info import BallotInfo, info_of
from voting.decision_rules import binding_of, decision_record, matter_of
from voting.errors import N_, UnresolvedPaperBallots
from voting.integrity import check_ballot_against_log
from voting.matters import CONSULTATION, Matter, matter_by_key
from voting.models import Decision, PaperEntry, Question, RollMember, Vote
from voting.rows import ballot_by_ref, community_of, move_status, question_rows
from voting.tally import Ballot as TallyBallot
from voting.tally import Choice, Figure, TallyResult, result_from_figures, tally

UNRESOLVED_PAPER = ("pending", "mismatch")


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
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    actor: int | None = None,
) -> TallyReport:
    """closed -> tallied: count the cast ballots and record one logged decision per question.

    Guarantees: the figures are exactly ``voting.tally.tally`` over the frozen roll and the
    ``Vote`` rows (the deemed-majority result beside the plain one when the ballot has the
    rule); each ``Decision`` holds its record (:func:`decision_record`) and the index of its
    ``voting.decision_recorded`` log entry. Refused while paper ballots are unresolved
    (``UnresolvedPaperBallots``), and when a table the count reads disagrees with the log
    (``TablesDisagreeWithLog``: ``voting.integrity`` is run first, in this unit of work).
    Ends by signing a checkpoint of the log that covers the decisions.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status == "closed":
        check_ballot_against_log(s, ballot, community_of(s, ballot).code)
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
    now = uow.clock.now()
    move_status(s, ballot, "closed", "tallied", tallied_at=now)
    community = community_of(s, ballot)
    members = s.scalars(sa.select(RollMember).where(RollMember.ballot_id == ballot.id)).all()
    key_of = {m.id: m.member_key for m in members}
    roll = [_TallyMember(m.member_key, m.heads, m.area_centi) for m in members]
    cast = s.execute(
        sa.select(Vote.member_id, Vote.choices).where(Vote.ballot_id == ballot.id)
    ).all()
    choices = [(key_of[row.member_id], json.loads(row.choices)) for row in cast]
    binding = binding_of(ballot.deemed_majority_enabled, ballot.binding_result)
    out = []
    for q in question_rows(s, ballot.id):
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
    uow.checkpoint(community.code)
    return TallyReport(info_of(s, ballot, community), tuple(out))


def get_tally(session: Session, ballot_ref: str) -> TallyReport | None:
    """The recorded decisions of a tallied (or later) ballot, or ``None`` before tallying."""
    ballot = ballot_by_ref(session, ballot_ref)
    rows = session.execute(
        sa.select(Question, Decision)
        .join(Decision, Decision.question_id == Question.id)
        .where(Question.ballot_id == ballot.id)
        .order_by(Question.position)
    ).all()
    if not rows:
        return None
    community = community_of(session, ballot)
    return TallyReport(
        info_of(session, ballot, community),
        tuple(_question_tally(q, json.loads(d.record), d.log_index) for q, d in rows),
    )


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


def outcome_words(record: Mapping[str, Any]) -> dict[str, Any]:
    """The binding outcome of a decision record: quorum met, approved, passed."""
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
