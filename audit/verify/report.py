"""The verifier's report: the JSON of docs/audit-bundle.md and a short English text."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from audit.findings import Finding
from notary.checkpoint import Checkpoint

VERIFIER = "fundvote-verify 1"


@dataclass
class Report:
    """Everything one run of the verifier found."""

    bundle: str
    key_pinned: bool
    community: str | None = None
    checkpoint: Checkpoint | None = None
    findings: list[Finding] = field(default_factory=list)
    pending: list[Finding] = field(default_factory=list)
    legacy: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    """What was checked, in plain words, for the human report."""

    @property
    def clean(self) -> bool:
        """No finding (pending items and notes do not make a bundle unclean)."""
        return not self.findings

    @property
    def exit_code(self) -> int:
        """0 when clean, 1 with any finding."""
        return 0 if self.clean else 1

    def checks(self) -> set[str]:
        """The check names of every finding."""
        return {f.check for f in self.findings}

    def as_json(self) -> dict[str, Any]:
        """The report as docs/audit-bundle.md specifies it."""
        cp = self.checkpoint
        return {
            "verifier": VERIFIER,
            "bundle": self.bundle,
            "clean": self.clean,
            "key_pinned": self.key_pinned,
            "community": self.community,
            "checkpoint": None
            if cp is None
            else {"origin": cp.origin, "size": cp.size, "root": _b64(cp.root)},
            "findings": [f.as_json() for f in self.findings],
            "pending": [f.as_json() for f in self.pending],
            "legacy": [_legacy(f) for f in self.legacy],
            "counts": dict(self.counts),
        }

    def text(self) -> str:
        """A short English report: the verdict, what was checked, and every finding."""
        cp = self.checkpoint
        lines = [f"{VERIFIER}: {self.bundle}"]
        if cp is not None:
            lines.append(
                f"Community {self.community}, log {cp.origin} at size {cp.size}, "
                f"root {_b64(cp.root)}"
            )
        if self.key_pinned:
            lines.append("Key: pinned; everything had to be signed by the given key.")
        else:
            lines.append(
                "Key: NOT pinned. The bundle's own keys were trusted, which shows only that the "
                "bundle is consistent; pass --key with the instance's published key to pin it."
            )
        if self.clean:
            lines.append("Clean: no finding.")
        else:
            lines.append(f"NOT CLEAN: {len(self.findings)} finding(s).")
        lines += [f"  checked {what}" for what in self.checked]
        for title, items in (
            ("Findings", self.findings),
            ("Pending", self.pending),
            ("Notes", self.legacy),
        ):
            if items:
                lines.append(f"{title}:")
                lines += [f"  [{f.check}] {f.where}: {f.what}" for f in items[:200]]
                if len(items) > 200:
                    lines.append(f"  ... and {len(items) - 200} more (use --json)")
        return "\n".join(lines) + "\n"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _legacy(f: Finding) -> dict[str, Any]:
    out = f.as_json()
    out.pop("check", None)
    return out
