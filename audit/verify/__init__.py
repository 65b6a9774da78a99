"""The offline verifier: checkpoints, proofs, and whole audit bundles.

Runs with only the standard library, ``cryptography`` and ``rfc8785``.
:func:`verify_bundle` checks a bundle (docs/audit-bundle.md) and returns a
:class:`Report`; ``python -m audit.verify FILE.zip`` is its command line.
"""

from __future__ import annotations

from audit.verify.bundle import verify_bundle
from audit.verify.proofs import check_checkpoint, check_consistency, check_entries, check_inclusion
from audit.verify.report import Report
from audit.verify.zipread import NotABundle, ZipLimits

__all__ = [
    "NotABundle",
    "Report",
    "ZipLimits",
    "check_checkpoint",
    "check_consistency",
    "check_entries",
    "check_inclusion",
    "verify_bundle",
]
