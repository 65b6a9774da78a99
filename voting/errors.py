"""Named states of voting that refuse an operation (mapped to HTTP in fundvote.errors)."""

from __future__ import annotations

from notary.errors import DomainError


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


class IdentityLocked(DomainError):
    """Too many wrong identity checks: the link is locked for a while."""

    code = "identity-locked"


class BadSignature(DomainError):
    """A receipt or note signature does not verify."""

    code = "bad-signature"
