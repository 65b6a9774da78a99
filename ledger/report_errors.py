"""Named states that refuse a report, a publication or an owner's statement link (mapped to
HTTP in fundvote.errors). Messages are English msgids with named placeholders, no personal
data."""

from __future__ import annotations

from notary.errors import N_, DomainError

__all__ = [
    "N_",
    "OwnerNotFound",
    "ReportAlreadyPublished",
    "ReportNotFound",
    "ReportPeriodInvalid",
    "StatementLinkInvalid",
    "UnitNotFound",
]


class ReportPeriodInvalid(DomainError):
    """A report's date, year, quarter or period is not acceptable (or has not ended, for a
    publication)."""

    code = "report-period-invalid"


class ReportNotFound(DomainError):
    """No such report, or no such published report."""

    code = "report-not-found"


class ReportAlreadyPublished(DomainError):
    """That report for that period was published already (a publication is frozen)."""

    code = "report-already-published"


class UnitNotFound(DomainError):
    """No unit with that code in the community."""

    code = "unit-not-found"


class OwnerNotFound(DomainError):
    """No owner with that reference in the community."""

    code = "owner-not-found"


class StatementLinkInvalid(DomainError):
    """An owner's statement link is unknown, or was replaced by a newer one."""

    code = "statement-link-invalid"
