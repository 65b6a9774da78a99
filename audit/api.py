"""The public face of ``audit`` for the composition root's entry points: building a signed
audit bundle (docs/audit-bundle.md) and what it may refuse; the offline verifier's command
line and the verifier as one downloadable file. Nothing outside ``audit`` imports its other
modules."""

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
from audit.verify.cli import run as run_verifier
from audit.zipapp import build_verifier_pyz

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
    "build_verifier_pyz",
    "bundle_end",
    "check_period",
    "run_verifier",
]
