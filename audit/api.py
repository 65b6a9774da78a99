"""The audit package's public face for the entry points (pages, command line): the bundle's
cover, the offline verifier's command line and the verifier as one downloadable file."""

from __future__ import annotations

from audit.bundle import Cover
from audit.verify.cli import run as run_verifier
from audit.zipapp import build_verifier_pyz

__all__ = ["Cover", "build_verifier_pyz", "run_verifier"]
