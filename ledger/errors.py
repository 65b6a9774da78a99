"""Named states of the ledger that refuse an operation (mapped to HTTP in fundvote.errors).

Messages are English msgids with named placeholders, safe to show: no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from notary.errors import N_, DomainError

if TYPE_CHECKING:
    from estate.roll import RollProblem

__all__ = [
    "N_",
    "AccountNotFound",
    "AlreadyApproved",
    "AlreadyReversed",
    "BooksNotOpen",
    "DecisionNotUsable",
    "DrawExceedsBudget",
    "DrawNotCovered",
    "DrawNotFound",
    "DrawNotPending",
    "EmergencyNotFound",
    "EmergencyPublished",
    "EntryNotFound",
    "FundingExceedsPlan",
    "FundingNotReceived",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidDraw",
    "InvalidEmergency",
    "InvalidEntry",
    "InvalidFunding",
    "InvalidProject",
    "LegacyImportRejected",
    "NotDrawApprover",
    "ProjectExists",
    "ProjectNotFound",
    "PublicIncomeNeedsCommunityDecision",
    "SelfApproval",
    "UnbalancedEntry",
]


class BooksNotOpen(DomainError):
    """The community has no books (no such community, or its chart was never opened)."""

    code = "books-not-open"


class AccountNotFound(DomainError):
    """No account with that code in the community's chart."""

    code = "account-not-found"


class EntryNotFound(DomainError):
    """No journal entry with that number in the community's books."""

    code = "entry-not-found"


class UnbalancedEntry(DomainError):
    """An entry's postings do not sum to zero, or it has fewer than two."""

    code = "unbalanced-entry"


class InvalidEntry(DomainError):
    """An entry's header or a posting is not acceptable (date, memo, amount, documents)."""

    code = "invalid-entry"


class InsufficientFunds(DomainError):
    """Posting would overdraw a bounded account (a unit's sub-account, a bank account)."""

    code = "insufficient-funds"


class IdempotencyConflict(DomainError):
    """The idempotency key was used before for an entry with different content."""

    code = "idempotency-conflict"


class AlreadyReversed(DomainError):
    """The entry has been reversed already (an entry is reversed at most once)."""

    code = "already-reversed"


class ProjectNotFound(DomainError):
    """No project with that ref in the community."""

    code = "project-not-found"


class EmergencyNotFound(DomainError):
    """No emergency record with that ref in the community."""

    code = "emergency-not-found"


class DrawNotFound(DomainError):
    """No draw with that ref in the community."""

    code = "draw-not-found"


class InvalidProject(DomainError):
    """A project's title, plan, scope or origin is not acceptable."""

    code = "invalid-project"


class DecisionNotUsable(DomainError):
    """The decision named cannot open a project: no such ``fund_use`` question, not passed,
    or annulled."""

    code = "decision-not-usable"


class ProjectExists(DomainError):
    """A project was opened from that decision or emergency record already."""

    code = "project-exists"


class PublicIncomeNeedsCommunityDecision(DomainError):
    """Public income belongs to all owners (Civil Code art. 282): a plan scoped to less than the
    whole community may spend it only with a community-wide decision."""

    code = "public-income-needs-community-decision"


class InvalidEmergency(DomainError):
    """An emergency record's category, evidence, description or scope is not acceptable."""

    code = "invalid-emergency"


class EmergencyPublished(DomainError):
    """The emergency record's costs were published already."""

    code = "emergency-published"


class InvalidFunding(DomainError):
    """Money received for a project is not acceptable (source, amount)."""

    code = "invalid-funding"


class FundingExceedsPlan(DomainError):
    """Money received for a source would exceed the source's amount in the plan."""

    code = "funding-exceeds-plan"


class FundingNotReceived(DomainError):
    """A draw would spend a source's money that has not been received for the project."""

    code = "funding-not-received"


class InvalidDraw(DomainError):
    """A draw's stage, amounts, date or invoices are not acceptable."""

    code = "invalid-draw"


class DrawExceedsBudget(DomainError):
    """The project's draws would exceed its budget, or a release its retention held."""

    code = "draw-exceeds-budget"


class DrawNotCovered(DomainError):
    """No final, passed decision with the project's scope and enough maintenance-fund amount,
    nor an emergency record, covers the draw (the gate of DOMAIN.md §4)."""

    code = "draw-not-covered"


class DrawNotPending(DomainError):
    """The draw was posted or rejected already."""

    code = "draw-not-pending"


class SelfApproval(DomainError):
    """The user who recorded a draw may not approve it (maker-checker)."""

    code = "self-approval"


class NotDrawApprover(DomainError):
    """The user may not approve this community's draws under who holds the fund now."""

    code = "not-draw-approver"


class AlreadyApproved(DomainError):
    """The user approved this draw already."""

    code = "already-approved"


class LegacyImportRejected(DomainError):
    """A legacy file had problems; nothing was imported. ``problems`` lists them (file, line,
    column, message), as a roll import's do."""

    code = "legacy-import-rejected"

    def __init__(self, problems: Sequence[RollProblem]) -> None:
        n = len(problems)
        super().__init__(
            N_("The legacy file was rejected: %(count)s problem; nothing was imported.")
            if n == 1
            else N_("The legacy file was rejected: %(count)s problems; nothing was imported."),
            count=n,
        )
        self.problems = list(problems)
