"""Named states of the property register. Messages are safe to show: no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from notary.errors import N_, DomainError

if TYPE_CHECKING:
    from estate.roll import RollProblem


class NegativeAmount(DomainError):
    code = "negative-amount"


class EmptyScope(DomainError):
    code = "empty-scope"


class NonPositiveArea(DomainError):
    code = "non-positive-area"


class BadQuantity(DomainError):
    """A decimal text (an area in m², an amount in yuan) that is not a valid quantity."""

    code = "bad-quantity"


class CommunityNotFound(DomainError):
    code = "community-not-found"


class CommunityExists(DomainError):
    code = "community-exists"


class UnitNotFound(DomainError):
    code = "unit-not-found"


class DuplicateUnit(DomainError):
    code = "duplicate-unit"


class DataKeyMissing(DomainError):
    code = "data-key-missing"


class DataKeyInvalid(DomainError):
    code = "data-key-invalid"


class UndecryptableData(DomainError):
    code = "undecryptable-data"


class RollRejected(DomainError):
    """A roll file had bad rows; nothing was written. ``problems`` lists every one."""

    code = "roll-rejected"

    def __init__(self, problems: Sequence[RollProblem]) -> None:
        n = len(problems)
        super().__init__(
            N_("The roll was rejected: %(count)s problem; nothing was imported.")
            if n == 1
            else N_("The roll was rejected: %(count)s problems; nothing was imported."),
            count=n,
        )
        self.problems = list(problems)


class UnitWithoutOwners(DomainError):
    """A unit that is not developer-held must list at least one owner."""

    code = "unit-without-owners"


class BadCommunityCode(DomainError):
    code = "bad-community-code"


class SettingChangeForbidden(DomainError):
    """The acting staff user may not change this setting of the community (the committee or
    an admin sets the voting rules; only an authority user changes who holds the fund)."""

    code = "setting-change-forbidden"


class InvalidSetting(DomainError):
    """A setting's new value, or the basis cited for it, is not acceptable."""

    code = "invalid-setting"


class NoSettingChanged(DomainError):
    """A settings change that names no setting, or only values already in force."""

    code = "no-setting-changed"
