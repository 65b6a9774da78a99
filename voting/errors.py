"""Named states of voting that refuse an operation (mapped to HTTP in fundvote.errors)."""

from __future__ import annotations

from notary.errors import DomainError


def N_(s: str) -> str:
    """Mark a message for extraction (``pybabel -k N_``); the web layer translates it when
    shown. Returns ``s`` unchanged."""
    return s


class BallotNotFound(DomainError):
    """No ballot with that reference in that community."""

    code = "ballot-not-found"


class IllegalTransition(DomainError):
    """The ballot's state does not allow this step (e.g. opening a closed ballot)."""

    code = "illegal-transition"


class BallotFrozen(DomainError):
    """The roll and questions cannot change once the ballot has opened."""

    code = "ballot-frozen"


class InvalidBallot(DomainError):
    """A draft ballot's content is not acceptable (scope, window, questions, use plan)."""

    code = "invalid-ballot"


class BallotClosed(DomainError):
    """The ballot is not accepting votes now (not yet open, or already closed)."""

    code = "ballot-closed"


class AlreadyVoted(DomainError):
    """The member has already cast a ballot; a cast ballot is final."""

    code = "already-voted"


class NotEligible(DomainError):
    """The member or unit is not on this ballot's frozen roll."""

    code = "not-eligible"


class UnknownLink(DomainError):
    """The personal link is unknown, or was replaced by a reissued one."""

    code = "unknown-link"


class IdentityCheckFailed(DomainError):
    """The digits given for the identity check do not match."""

    code = "identity-check-failed"
    is_recorded = True  # the attempt counts toward a lockout


class IdentityLocked(DomainError):
    """Too many wrong identity checks: the link is locked for a while."""

    code = "identity-locked"
    is_recorded = True  # the attempt counts toward a lockout


class BadSignature(DomainError):
    """A receipt or note signature does not verify."""

    code = "bad-signature"


# --- ballot lifecycle and publication (voting.ballots, voting.publication) -----------------


class InvalidUsePlan(InvalidBallot):
    """A use plan whose funding sources are unknown, negative or do not add up to the budget."""

    code = "invalid-use-plan"


class WindowNotOver(DomainError):
    """The voting window has not ended yet, so the ballot cannot be closed."""

    code = "window-not-over"


class WindowPassed(DomainError):
    """The voting window has already ended, so the ballot can no longer be opened."""

    code = "window-passed"


class UnresolvedPaperBallots(DomainError):
    """Paper ballots still wait for a second keying or a resolution; count them first."""

    code = "unresolved-paper-ballots"


class PublicityNotOver(DomainError):
    """The publicity period of the results has not ended yet."""

    code = "publicity-not-over"


class ObjectionsPending(DomainError):
    """Objections to the results have not all been answered yet."""

    code = "objections-pending"


class ObjectionUpheld(DomainError):
    """An objection was upheld: the result cannot become final (it may be annulled)."""

    code = "objection-upheld"


class NoUpheldObjection(DomainError):
    """A ballot is annulled only on an upheld objection."""

    code = "no-upheld-objection"


class ObjectionNotFound(DomainError):
    """No objection with that number on this ballot."""

    code = "objection-not-found"


class ObjectionAnswered(DomainError):
    """The objection already has an answer; answers are published and not rewritten."""

    code = "objection-answered"


class AttachmentNotFound(DomainError):
    """No document with that number on this ballot."""

    code = "attachment-not-found"


class ResultsNotPublished(DomainError):
    """The results of this ballot are not published yet."""

    code = "results-not-published"


class RecountRollWithheld(DomainError):
    """The ballot's board is in ``tracker`` mode: areas would identify units, so the frozen
    roll and the per-member figures are not public (the recount by area is the auditor's)."""

    code = "recount-roll-withheld"


class LinkAlreadyIssued(DomainError):
    """The member already has a live personal link: reissue it instead (the old one stops)."""

    code = "link-already-issued"


class InvalidChoices(DomainError):
    """The choices do not answer every question with agree, oppose or abstain."""

    code = "invalid-choices"


class IdentityCheckRequired(DomainError):
    """This ballot asks for the identity check before a vote is accepted."""

    code = "identity-check-required"


class MalformedReceipt(DomainError):
    """The text given is not a fundvote receipt (not JSON, or fields missing)."""

    code = "malformed-receipt"


class ProxyExists(DomainError):
    """The member is already represented by someone for this ballot."""

    code = "proxy-exists"


class ProxyNotFound(DomainError):
    """No live proxy with that id for this ballot."""

    code = "proxy-not-found"


class ProxyInvalid(DomainError):
    """The proxy cannot be recorded (same member, a chain of proxies, or a bad document hash)."""

    code = "proxy-invalid"


class ProxyUsed(DomainError):
    """A ballot was already cast for the represented member: the proxy cannot change now."""

    code = "proxy-used"


class PaperEntryInvalid(DomainError):
    """A paper-ballot entry cannot be accepted (bad scan hash, or the entry is not pending)."""

    code = "paper-entry-invalid"


class PaperEntryNotFound(DomainError):
    """No paper-ballot entry with that id for this ballot."""

    code = "paper-entry-not-found"


class NotInPublicity(DomainError):
    """Objections are taken only while the result is published for objections (公示期)."""

    code = "not-in-publicity"


class InvalidObjection(DomainError):
    """An objection must say something, in at most 2,000 characters."""

    code = "invalid-objection"


class MissingDocument(DomainError):
    """Neither a file nor a SHA-256 was given for a paper ballot's scan or a proxy's
    authorization (raised by the voting desk's forms)."""

    code = "missing-document"


class ReissueClosed(DomainError):
    """The ballot is final, annulled or cancelled: its links are no longer reissued."""

    code = "reissue-closed"


class ReceiptWithheld(DomainError):
    """This link was issued after the member's vote was recorded: it shows that the member
    voted, never the choices, the tracker or the receipt."""

    code = "receipt-withheld"


class ConfirmerNotCommittee(DomainError):
    """The entry that would confirm a paper ballot (the second matching keying) is not by a
    committee member of the ballot's community other than the first keyer."""

    code = "confirmer-not-committee"


class ObjectionLimitReached(DomainError):
    """A personal link may lodge at most three objections on its ballot."""

    code = "objection-limit-reached"


class TablesDisagreeWithLog(DomainError):
    """A table derived from the log (votes, paper entries, decisions, the frozen roll, the
    ballot's state) no longer says what the log recorded: someone changed the database behind
    the service. Tallying and publishing refuse until it is put right."""

    code = "tables-disagree-with-log"


class IdentityCodeLimit(DomainError):
    """Too many one-time codes were asked for through this link within the hour."""

    code = "identity-code-limit"


class IdentityOnRecord(DomainError):
    """The member (or proxy) has a phone or ID number on record for the ballot's identity
    check: they confirm who they are through their link, not through the committee."""

    code = "identity-on-record"


class RepresentedByProxy(DomainError):
    """A live proxy holds the member's vote: the member's own link cannot cast until the
    committee revokes the proxy."""

    code = "represented-by-proxy"
