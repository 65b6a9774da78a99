"""Named states of the ledger that refuse an operation (mapped to HTTP in fundvote.errors).

Messages are English msgids with named placeholders, safe to show: no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from notary.errors import N_, DomainError

if TYPE_CHECKING:
    from estate.api import RollProblem

__all__ = [
    "N_",
    "AccountNotFound",
    "AlreadyReversed",
    "BooksNotOpen",
    "EntryNotFound",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidEntry",
    "LegacyImportRejected",
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
