"""The public face of ``voting``: everything the composition root and its entry points (pages,
JSON API, command line, demo) may use. Nothing outside ``voting`` imports its other modules
(a test walks the imports to prove it), so the inside can change shape freely.

Use cases that write take a :class:`notary.work.UnitOfWork` first and are performed with
``Runtime.run(step, ...)``; the read-only queries below take one too and are performed with
``Runtime.query(step, ...)``. None of them opens a session or commits.
"""

from __future__ import annotations

from notary.work import UnitOfWork
from voting import ballot_info as _info
from voting import decisions as _decisions
from voting import links as _links
from voting import publication as _publication
from voting import turnout as _turnout
from voting.ballot_file import parse_ballot_rows, resolve_ballots
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
from voting.casting import cast_vote, repeated_cast
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
from voting.errors import (
    AlreadyVoted,
    BallotClosed,
    BallotNotFound,
    ConfirmerNotCommittee,
    IdentityCheckFailed,
    IdentityCheckRequired,
    IdentityLocked,
    InvalidChoices,
    InvalidObjection,
    MalformedReceipt,
    MissingDocument,
    NotEligible,
    NotInPublicity,
    ObjectionLimitReached,
    ReceiptWithheld,
    ReissueClosed,
    ResultsNotPublished,
    UnknownLink,
)
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
from voting.outbox import DeliveryReport, Outbox, OutboxMisconfigured, Sender, sender_from_env
from voting.paper import PaperEntryInfo, enter_paper_ballot, list_paper_entries, void_paper_entry
from voting.proxies import (
    ProxyInfo,
    list_proxies,
    member_id_for_unit,
    record_proxy,
    revoke_proxy,
)
from voting.publication import Board, ObjectionInfo, answer_objection
from voting.receipts import PROBLEMS, Receipt, ReceiptCheck, check_receipt
from voting.reminders import remind_non_voters
from voting.tally import Choice, Figure, Tally, TallyResult, tally
from voting.tokens import REISSUE_STATUSES
from voting.turnout import Turnout, TurnoutLine


def list_ballots(uow: UnitOfWork, community_code: str) -> list[BallotInfo]:
    """The community's ballots, newest first (every status)."""
    return _info.list_ballots(uow.session, community_code)


def ballot_by_ref(uow: UnitOfWork, ballot_ref: str) -> BallotInfo:
    """The ballot ``ballot_ref`` (any community); ``BallotNotFound`` otherwise."""
    return _info.get_ballot(uow.session, ballot_ref)


def ballot_in_community(uow: UnitOfWork, community_code: str, ballot_ref: str) -> BallotInfo:
    """The ballot ``ballot_ref`` of that community; ``BallotNotFound`` otherwise."""
    return _info.ballot_in_community(uow.session, community_code, ballot_ref)


def get_attachment(
    uow: UnitOfWork, ballot_ref: str, attachment_id: int
) -> tuple[AttachmentInfo, bytes]:
    """A ballot document and its bytes; ``AttachmentNotFound``/``BallotNotFound`` otherwise."""
    return _info.get_attachment(uow.session, ballot_ref, attachment_id)


def get_tally(uow: UnitOfWork, ballot_ref: str) -> TallyReport | None:
    """The recorded tally of the ballot, or None before it is tallied."""
    return _decisions.get_tally(uow.session, ballot_ref)


def board(uow: UnitOfWork, ballot_ref: str, *, public: bool = True) -> Board:
    """The list of votes as the disclosure mode allows (``ResultsNotPublished`` before
    publication when ``public``)."""
    return _publication.board(uow.session, ballot_ref, public=public)


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


__all__ = [
    "CHOICES",
    "CONSULTATION",
    "DISCLOSURE_MODES",
    "FUNDING_SOURCES",
    "IDENTITY_CHECKS",
    "MATTERS",
    "MATTER_KEYS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_OBJECTION_CHARS",
    "MAX_QUESTIONS",
    "PROBLEMS",
    "REISSUE_STATUSES",
    "SCOPE_KINDS",
    "AlreadyVoted",
    "AttachmentInfo",
    "BallotClosed",
    "BallotInfo",
    "BallotNotFound",
    "Board",
    "Choice",
    "ConfirmerNotCommittee",
    "DeliveryReport",
    "Figure",
    "IdentityCheckFailed",
    "IdentityCheckRequired",
    "IdentityLocked",
    "InvalidChoices",
    "InvalidObjection",
    "IssuedLink",
    "IssuedLinks",
    "LinkCounts",
    "LinkView",
    "MalformedReceipt",
    "Matter",
    "MatterUnknown",
    "MemberView",
    "MissingDocument",
    "NotEligible",
    "NotInPublicity",
    "ObjectionInfo",
    "ObjectionLimitReached",
    "Outbox",
    "OutboxMisconfigured",
    "PaperEntryInfo",
    "ProxyInfo",
    "QuestionDraft",
    "QuestionView",
    "Receipt",
    "ReceiptCheck",
    "ReceiptWithheld",
    "ReissueClosed",
    "ResultsNotPublished",
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
    "create_ballot",
    "deliver_links",
    "enter_paper_ballot",
    "finalize_ballot",
    "get_attachment",
    "get_tally",
    "group_members",
    "holdings_from_roll",
    "issue_links",
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
    "parse_ballot_rows",
    "participation",
    "publish_ballot",
    "record_proxy",
    "reissue_link",
    "remind_non_voters",
    "remove_attachment",
    "repeated_cast",
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
