"""The public face of ``voting``: everything the composition root and its entry points (pages,
JSON API, command line, demo) may use. Nothing outside ``voting`` imports its other modules
(a test walks the imports to prove it), so the inside can change shape freely.

Use cases that write take a :class:`notary.work.UnitOfWork` first and are performed with
``Runtime.run(step, ...)``; the read-only queries below take one too and are performed with
``Runtime.query(step, ...)``. None of them opens a session or commits.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from notary.work import UnitOfWork
from voting import ballot_info as _info
from voting import decisions as _decisions
from voting import links as _links
from voting import publication as _publication
from voting import turnout as _turnout
from voting.ballot_file import BALLOT_COLUMNS, parse_ballot_rows, resolve_ballots
from voting.ballots import (
    FUNDING_SOURCES,
    MAX_ATTACHMENT_BYTES,
    MAX_QUESTIONS,
    AttachmentInfo,
    BallotInfo,
    QuestionDraft,
    TallyReport,
    UsePlan,
    accepts_votes,
    add_attachment,
    annul_ballot,
    cancel_ballot,
    close_ballot,
    create_ballot,
    finalize_ballot,
    open_ballot,
    publish_ballot,
    remove_attachment,
    result_dict,
    tally_ballot,
    update_draft,
    use_plan_problems,
)
from voting.casting import cast_vote, parse_tracker, repeated_cast
from voting.credentials import (
    IssuedLink,
    IssuedLinks,
    LinkView,
    MemberView,
    QuestionView,
    attachment_for_link,
    deliver_links,
    issue_links,
    links_csv,
    open_link,
    reissue_link,
    verify_identity,
)
from voting.drafts import FOLLOW_COMMUNITY
from voting.due import OverdueObjections, due_finals, flag_overdue_objections
from voting.due import overdue_objections as _overdue
from voting.errors import (
    AlreadyVoted,
    BallotClosed,
    BallotNotFound,
    ConfirmerNotCommittee,
    IdentityCheckFailed,
    IdentityCheckRequired,
    IdentityCodeLimit,
    IdentityLocked,
    IdentityOnRecord,
    IllegalTransition,
    InvalidChoices,
    InvalidObjection,
    InvalidUsePlan,
    MalformedReceipt,
    MissingDocument,
    NotEligible,
    NotInPublicity,
    ObjectionLimitReached,
    ProxyInvalid,
    ReceiptWithheld,
    RecountRollWithheld,
    ReissueClosed,
    RepresentedByProxy,
    ResultsNotPublished,
    UnknownLink,
)
from voting.fund_use import FundUseDecision, fund_use_decision
from voting.identity import (
    CODE_LIFETIME,
    IdentityCodeMessage,
    IdentityConfirmation,
    confirm_identity,
    identity_confirmations,
    request_identity_code,
)
from voting.integrity import STATE_EVENTS as BALLOT_STATE_EVENTS
from voting.link_view import link_receipt
from voting.links import LinkCounts
from voting.matters import (
    CONSULTATION,
    MATTER_KEYS,
    MATTERS,
    Matter,
    MatterUnknown,
    Threshold,
    check_scope,
    matter_by_key,
)
from voting.members import group_members, holdings_from_roll
from voting.models import CHOICES, DISCLOSURE_MODES, IDENTITY_CHECKS, SCOPE_KINDS
from voting.objections import MAX_OBJECTION_CHARS, lodge_objection, objections_for_link
from voting.outbox import (
    DeliveryReport,
    Message,
    Outbox,
    OutboxMisconfigured,
    Sender,
    sender_from_env,
)
from voting.paper import PaperEntryInfo, enter_paper_ballot, list_paper_entries, void_paper_entry
from voting.proxies import (
    ProxyInfo,
    ProxyPerson,
    issue_proxy_link,
    list_proxies,
    member_id_for_unit,
    record_proxy,
    revoke_proxy,
)
from voting.publication import Board, BoardRow, ObjectionInfo, RollLine, answer_objection
from voting.receipt_pdf import MAX_PDF_BYTES as MAX_RECEIPT_PDF_BYTES
from voting.receipt_pdf import RECEIPT_ATTACHMENT, is_pdf, receipt_from_pdf
from voting.receipts import PROBLEMS, Receipt, ReceiptCheck, check_receipt
from voting.reminders import remind_non_voters
from voting.roll import frozen_roll_document as _frozen_roll
from voting.tally import Choice, Figure, Tally, TallyResult, tally
from voting.tokens import REISSUE_STATUSES
from voting.turnout import Turnout, TurnoutLine


def list_ballots(uow: UnitOfWork, community_code: str) -> list[BallotInfo]:
    """The community's ballots, newest first (every status)."""
    return _info.list_ballots(uow.session, community_code, uow.clock.now())


def ballot_by_ref(uow: UnitOfWork, ballot_ref: str) -> BallotInfo:
    """The ballot ``ballot_ref`` (any community) with its status as it reads now;
    ``BallotNotFound`` otherwise."""
    return _info.get_ballot(uow.session, ballot_ref, uow.clock.now())


def ballot_in_community(uow: UnitOfWork, community_code: str, ballot_ref: str) -> BallotInfo:
    """The ballot ``ballot_ref`` of that community with its status as it reads now;
    ``BallotNotFound`` otherwise."""
    return _info.ballot_in_community(uow.session, community_code, ballot_ref, uow.clock.now())


def get_attachment(
    uow: UnitOfWork, ballot_ref: str, attachment_id: int
) -> tuple[AttachmentInfo, bytes]:
    """A ballot document and its bytes; ``AttachmentNotFound``/``BallotNotFound`` otherwise."""
    return _info.get_attachment(uow.session, ballot_ref, attachment_id)


def frozen_roll(uow: UnitOfWork, ballot_ref: str) -> dict[str, Any] | None:
    """The ballot's frozen roll as the document whose SHA-256 over its canonical JSON is the
    commitment logged at opening (``voting.roll``): opaque member keys and owner refs, no
    name, phone or ID number. None before the ballot opened; ``BallotNotFound`` otherwise."""
    return _frozen_roll(uow.session, ballot_ref)


def get_tally(uow: UnitOfWork, ballot_ref: str) -> TallyReport | None:
    """The recorded tally of the ballot, or None before it is tallied."""
    return _decisions.get_tally(uow.session, ballot_ref)


def board(uow: UnitOfWork, ballot_ref: str, *, public: bool = True) -> Board:
    """The list of votes as the disclosure mode allows (``ResultsNotPublished`` before
    publication when ``public``)."""
    return _publication.board(uow.session, ballot_ref, public=public)


def recount_roll(uow: UnitOfWork, ballot_ref: str, *, public: bool = True) -> list[RollLine]:
    """The frozen roll of a ``named`` ballot for the public recount (``RecountRollWithheld``
    in tracker mode, ``ResultsNotPublished`` before publication; see voting.publication)."""
    return _publication.recount_roll(uow.session, ballot_ref, public=public)


def participation(uow: UnitOfWork, ballot_ref: str, *, public: bool = True) -> tuple[str, ...]:
    """The unit codes of the members who took part (after publication when ``public``)."""
    return _publication.participation(uow.session, ballot_ref, public=public)


def list_objections(
    uow: UnitOfWork, ballot_ref: str, *, original: bool = False
) -> list[ObjectionInfo]:
    """The ballot's objections and the committee's answers, oldest first: phone and ID
    numbers masked, unless ``original`` (only for the committee of the ballot's community)."""
    return _publication.list_objections(uow.session, ballot_ref, original=original)


def turnout(uow: UnitOfWork, ballot_ref: str) -> Turnout:
    """Live participation, overall and per building (SQL aggregates; see voting.turnout)."""
    return _turnout.turnout(uow.session, ballot_ref)


def link_counts(uow: UnitOfWork, ballot_ref: str) -> LinkCounts:
    """How many roll members, live and revoked links, and votes the ballot has."""
    return _links.link_counts(uow.session, ballot_ref)


def overdue_objections(
    uow: UnitOfWork, community_ids: Collection[int] | None = None
) -> list[OverdueObjections]:
    """Published ballots (of ``community_ids``, or all) whose publicity period ended with
    objections unanswered, oldest first (see ``voting.finality``)."""
    return _overdue(uow, community_ids)


__all__ = [
    "BALLOT_COLUMNS",
    "BALLOT_STATE_EVENTS",
    "CHOICES",
    "CODE_LIFETIME",
    "CONSULTATION",
    "DISCLOSURE_MODES",
    "FOLLOW_COMMUNITY",
    "FUNDING_SOURCES",
    "IDENTITY_CHECKS",
    "MATTERS",
    "MATTER_KEYS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_OBJECTION_CHARS",
    "MAX_QUESTIONS",
    "MAX_RECEIPT_PDF_BYTES",
    "PROBLEMS",
    "RECEIPT_ATTACHMENT",
    "REISSUE_STATUSES",
    "SCOPE_KINDS",
    "AlreadyVoted",
    "AttachmentInfo",
    "BallotClosed",
    "BallotInfo",
    "BallotNotFound",
    "Board",
    "BoardRow",
    "Choice",
    "ConfirmerNotCommittee",
    "DeliveryReport",
    "Figure",
    "FundUseDecision",
    "IdentityCheckFailed",
    "IdentityCheckRequired",
    "IdentityCodeLimit",
    "IdentityCodeMessage",
    "IdentityConfirmation",
    "IdentityLocked",
    "IdentityOnRecord",
    "IllegalTransition",
    "InvalidChoices",
    "InvalidObjection",
    "InvalidUsePlan",
    "IssuedLink",
    "IssuedLinks",
    "LinkCounts",
    "LinkView",
    "MalformedReceipt",
    "Matter",
    "MatterUnknown",
    "MemberView",
    "Message",
    "MissingDocument",
    "NotEligible",
    "NotInPublicity",
    "ObjectionInfo",
    "ObjectionLimitReached",
    "Outbox",
    "OutboxMisconfigured",
    "OverdueObjections",
    "PaperEntryInfo",
    "ProxyInfo",
    "ProxyInvalid",
    "ProxyPerson",
    "QuestionDraft",
    "QuestionView",
    "Receipt",
    "ReceiptCheck",
    "ReceiptWithheld",
    "RecountRollWithheld",
    "ReissueClosed",
    "RepresentedByProxy",
    "ResultsNotPublished",
    "RollLine",
    "Sender",
    "Tally",
    "TallyReport",
    "TallyResult",
    "Threshold",
    "Turnout",
    "TurnoutLine",
    "UnknownLink",
    "UsePlan",
    "accepts_votes",
    "add_attachment",
    "annul_ballot",
    "answer_objection",
    "attachment_for_link",
    "ballot_by_ref",
    "ballot_in_community",
    "board",
    "cancel_ballot",
    "cast_vote",
    "check_receipt",
    "check_scope",
    "close_ballot",
    "confirm_identity",
    "create_ballot",
    "deliver_links",
    "due_finals",
    "enter_paper_ballot",
    "finalize_ballot",
    "flag_overdue_objections",
    "frozen_roll",
    "fund_use_decision",
    "get_attachment",
    "get_tally",
    "group_members",
    "holdings_from_roll",
    "identity_confirmations",
    "is_pdf",
    "issue_links",
    "issue_proxy_link",
    "link_counts",
    "link_receipt",
    "links_csv",
    "list_ballots",
    "list_objections",
    "list_paper_entries",
    "list_proxies",
    "lodge_objection",
    "matter_by_key",
    "member_id_for_unit",
    "objections_for_link",
    "open_ballot",
    "open_link",
    "overdue_objections",
    "parse_ballot_rows",
    "parse_tracker",
    "participation",
    "publish_ballot",
    "receipt_from_pdf",
    "record_proxy",
    "recount_roll",
    "reissue_link",
    "remind_non_voters",
    "remove_attachment",
    "repeated_cast",
    "request_identity_code",
    "resolve_ballots",
    "result_dict",
    "revoke_proxy",
    "sender_from_env",
    "tally",
    "tally_ballot",
    "turnout",
    "update_draft",
    "use_plan_problems",
    "verify_identity",
    "void_paper_entry",
]
