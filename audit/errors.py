"""What building an audit bundle may refuse, by name (HTTP statuses: ``fundvote.errors``)."""

from __future__ import annotations

from notary.errors import N_, DomainError

__all__ = [
    "N_",
    "BundleError",
    "BundlePeriodInvalid",
    "CheckpointSignerRetired",
    "NoCheckpoint",
    "PreviousBundleRejected",
    "PreviousBundleUnreadable",
]


class BundleError(DomainError):
    """A bundle could not be built as asked."""

    code = "bundle-error"


class BundlePeriodInvalid(BundleError):
    """The period's dates are not dates, or it ends before it starts."""

    code = "bundle-period-invalid"


class NoCheckpoint(BundleError):
    """The community's log has no signed checkpoint yet, so a bundle has nothing to end at."""

    code = "bundle-no-checkpoint"


class CheckpointSignerRetired(BundleError):
    """The latest checkpoint was signed by a key retired since; the manifest must be signed by
    the checkpoint's key, whose private half is gone."""

    code = "bundle-checkpoint-signer-retired"


class PreviousBundleUnreadable(BundleError):
    """The earlier bundle given with ``--previous`` is not a zip holding a checkpoint."""

    code = "bundle-previous-unreadable"


class PreviousBundleRejected(BundleError):
    """The earlier bundle's checkpoint is not one of this log's: not signed by this instance's
    keys, another origin, larger than the current one, or not on the same history."""

    code = "bundle-previous-rejected"
