"""What the offline verifier reports, and the shape of one streaming check.

The verifier reads a bundle once: it hands each log entry, in index order and with its
documents inlined, to every :class:`StreamCheck`, then lets each look at the bundle's other
files and collects their findings. Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or pending, or to note) in a bundle.

    ``check`` is one of the names in docs/audit-bundle.md (``manifest``, ``root``,
    ``tally``, ``coverage``...); ``where`` names the file and line or the log index
    (``log/entries.jsonl:17``, ``ballots/b1/board.json``); ``what`` says what is wrong, in
    English, never with personal data."""

    check: str
    where: str
    what: str
    file_sha256: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding as the verifier's JSON report writes it."""
        out: dict[str, Any] = {"check": self.check, "where": self.where, "what": self.what}
        if self.file_sha256 is not None:
            out["file_sha256"] = self.file_sha256
        return out


class BundleFiles(Protocol):
    """Read access to a bundle's members (bounded reads; the verifier owns the zip)."""

    def names(self) -> Iterable[str]:
        """Every member path in the bundle."""
        ...

    def read(self, path: str) -> bytes | None:
        """A member's bytes, or None if the bundle has no such member."""
        ...

    def lines(self, path: str) -> Iterable[tuple[int, bytes]]:
        """A member's lines (1-based line number, bytes without the newline), streamed."""
        ...


class StreamCheck(Protocol):
    """A check fed the log once, in order, then the bundle's files."""

    def entry(self, index: int, entry: dict[str, Any]) -> None:
        """One log entry (its envelope with documents inlined), in index order."""
        ...

    def finish(self, files: BundleFiles) -> None:
        """Called once after the last entry: compare with the bundle's files."""
        ...

    def findings(self) -> list[Finding]:
        """What is wrong."""
        ...

    def pending(self) -> list[Finding]:
        """What is not yet due (e.g. an emergency whose publication deadline is ahead)."""
        ...

    def notes(self) -> list[Finding]:
        """What the auditor should know but is not wrong (e.g. legacy imported entries)."""
        ...
