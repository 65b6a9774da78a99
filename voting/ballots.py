"""Ballots: drafting, and the lifecycle from opening to the final (or annulled) result.

This module is the public face of the ballot services; the code lives in one module per
job: ``voting.use_plans`` (the use plan of a ``fund_use`` question), ``voting.drafts``
(create, edit, attach documents), ``voting.lifecycle`` (open, close, cancel, publish,
finalize, annul), ``voting.decisions`` (tally and decision records) and
``voting.ballot_info`` (``BallotInfo`` and the read-only queries).

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
- Tallying counts the ``Vote`` rows with ``voting.tally`` (exact integers) and writes one
  logged ``Decision`` per question; it refuses while paper ballots await a second keying or
  a resolution. A choice missing for a question means the member did not take part in that
  question.
- Publishing logs ``voting.ballot_published`` and then signs a checkpoint of the log that
  includes it; its size, root and key ID are stored on the ballot and printed on the notice.
- Finalizing needs the publicity period (``published_at + publicity_days`` days) to be over,
  every objection answered and none upheld; annulling needs an upheld objection and reasons.
"""

from __future__ import annotations

from voting.ballot_info import (
    AttachmentInfo,
    BallotInfo,
    QuestionInfo,
    accepts_votes,
    ballot_id_for_ref,
    ballot_in_community,
    get_attachment,
    get_ballot,
    in_publicity_period,
    list_ballots,
)
from voting.decision_rules import binding_of, decision_record, matter_of, result_dict
from voting.decisions import (
    UNRESOLVED_PAPER,
    QuestionTally,
    TallyReport,
    get_tally,
    tally_ballot,
)
from voting.drafts import (
    EDITABLE,
    MAX_ATTACHMENT_BYTES,
    MAX_PUBLICITY_DAYS,
    MAX_QUESTIONS,
    MAX_TITLE,
    QuestionDraft,
    add_attachment,
    create_ballot,
    remove_attachment,
    update_draft,
)
from voting.lifecycle import (
    annul_ballot,
    cancel_ballot,
    close_ballot,
    finalize_ballot,
    open_ballot,
    publish_ballot,
)
from voting.use_plans import (
    FUNDING_SOURCES,
    UsePlan,
    use_plan_problems,
)

__all__ = [
    "EDITABLE",
    "FUNDING_SOURCES",
    "MAX_ATTACHMENT_BYTES",
    "MAX_PUBLICITY_DAYS",
    "MAX_QUESTIONS",
    "MAX_TITLE",
    "UNRESOLVED_PAPER",
    "AttachmentInfo",
    "BallotInfo",
    "QuestionDraft",
    "QuestionInfo",
    "QuestionTally",
    "TallyReport",
    "UsePlan",
    "accepts_votes",
    "add_attachment",
    "annul_ballot",
    "ballot_id_for_ref",
    "ballot_in_community",
    "binding_of",
    "cancel_ballot",
    "close_ballot",
    "create_ballot",
    "decision_record",
    "finalize_ballot",
    "get_attachment",
    "get_ballot",
    "get_tally",
    "in_publicity_period",
    "list_ballots",
    "matter_of",
    "open_ballot",
    "publish_ballot",
    "remove_attachment",
    "result_dict",
    "tally_ballot",
    "update_draft",
    "use_plan_problems",
]
