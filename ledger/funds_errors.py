"""Named states that refuse a money-in operation of the fund or public income (mapped to HTTP
in ``fundvote.errors``). Messages are English msgids with named placeholders: no personal
data."""

from __future__ import annotations

from dataclasses import dataclass

from notary.errors import N_, DomainError

__all__ = [
    "N_",
    "DuplicateBankReference",
    "FirstDepositExists",
    "FundOperationForbidden",
    "NothingToAllocate",
    "PublicIncomeShort",
    "ShortfallNotOwed",
    "StatementProblem",
    "StatementRejected",
    "UnitNotInBooks",
]


class FundOperationForbidden(DomainError):
    """The acting user may not record this operation: deposits and interest only by whoever
    holds the fund, public income by the manager or the committee, transfers by the
    committee."""

    code = "fund-operation-forbidden"


class UnitNotInBooks(DomainError):
    """No unit with that code in the community."""

    code = "unit-not-in-books"


class DuplicateBankReference(DomainError):
    """A deposit with that bank reference is already recorded (and not reversed)."""

    code = "duplicate-bank-reference"


class FirstDepositExists(DomainError):
    """The unit already has a first deposit: later deposits are top-ups."""

    code = "first-deposit-exists"


class NothingToAllocate(DomainError):
    """No sub-account held anything during the interest period, so there is no one to
    credit the interest to."""

    code = "nothing-to-allocate"


class PublicIncomeShort(DomainError):
    """The owners' public-income balance cannot cover the transfer or cost."""

    code = "public-income-short"


@dataclass(frozen=True)
class StatementProblem:
    """One problem of a statement file: where (line, field) and what (msgid and params)."""

    line: int
    field: str
    message: str
    params: dict[str, object]


class StatementRejected(DomainError):
    """A bank statement file was refused; ``problems`` names every bad row and field.
    Nothing was written."""

    code = "statement-rejected"

    def __init__(self, problems: list[StatementProblem]) -> None:
        n = len(problems)
        super().__init__(
            N_("The statement was rejected: %(count)s problem; nothing was imported.")
            if n == 1
            else N_("The statement was rejected: %(count)s problems; nothing was imported."),
            count=n,
        )
        self.problems = problems


class ShortfallNotOwed(DomainError):
    """The unit's owner owes less for shortfalls than the payment recorded (or nothing)."""

    code = "shortfall-not-owed"
