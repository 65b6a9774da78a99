"""The public face of ``audit`` for the composition root's entry points: building a signed
audit bundle (docs/audit-bundle.md) and what it may refuse. Nothing outside ``audit`` imports
its other modules, except the offline verifier's own entry points."""

from __future__ import annotations

from audit.bundle import (
    BundleEnd,
    BundleSummary,
    Cover,
    Period,
    Renderers,
    build_bundle,
    bundle_end,
    check_period,
)
from audit.errors import (
    BundleError,
    BundlePeriodInvalid,
    CheckpointSignerRetired,
    NoCheckpoint,
    PreviousBundleRejected,
    PreviousBundleUnreadable,
)

__all__ = [
    "BundleEnd",
    "BundleError",
    "BundlePeriodInvalid",
    "BundleSummary",
    "CheckpointSignerRetired",
    "Cover",
    "NoCheckpoint",
    "Period",
    "PreviousBundleRejected",
    "PreviousBundleUnreadable",
    "Renderers",
    "build_bundle",
    "bundle_end",
    "check_period",
]
