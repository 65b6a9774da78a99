"""A voter's receipt checked against a bundle: signed by a trusted key, and the log entry at
its index is its cast (same leaf hash, ballot, tracker, choices) within the checkpoint."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from audit.findings import Finding
from audit.verify.trust import Trust
from notary.checkpoint import Checkpoint
from notary.keys import ALGORITHM
from notary.merkle import leaf_hash
from voting.errors import MalformedReceipt
from voting.receipt_rules import entry_matches, parse_receipt, signed_body


def load_receipt(path: str, findings: list[Finding]) -> dict[str, Any] | None:
    """The receipt in ``path``, shape-checked; a ``receipt`` finding when it cannot be read."""
    where = Path(path).name
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        findings.append(Finding("receipt", where, f"the receipt cannot be read: {exc.strerror}"))
        return None
    if len(raw) > 1 << 20:
        findings.append(Finding("receipt", where, "the receipt is too large"))
        return None
    try:
        return parse_receipt(raw)
    except MalformedReceipt as exc:
        findings.append(Finding("receipt", where, exc.text))
    except RecursionError:
        findings.append(Finding("receipt", where, "This is not a receipt: it is nested too deep."))
    return None


def check_receipt(
    receipt: dict[str, Any],
    entry: bytes | None,
    checkpoint: Checkpoint | None,
    trust: Trust,
    findings: list[Finding],
) -> None:
    """Findings ``receipt``: the signature is not by a trusted key; the index is beyond the
    checkpoint; the entry at the index is not the one the receipt describes."""
    where = f"receipt {receipt['tracker']}"
    sig = receipt["signature"]
    key = next((k for k in trust.keys if k.key_id_hex == sig["key_id"]), None)
    try:
        raw = base64.b64decode(sig["sig"], validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if key is None or sig["alg"] != ALGORITHM or not key.verify(signed_body(receipt), raw):
        who = "the pinned key" if trust.pinned else "a key in the bundle"
        findings.append(Finding("receipt", where, f"the receipt is not signed by {who}"))
    log = receipt["log"]
    index = log["index"]
    if checkpoint is not None and log["origin"] != checkpoint.origin:
        findings.append(Finding("receipt", where, "the receipt names another log"))
    if checkpoint is None or not 0 <= index < checkpoint.size or entry is None:
        findings.append(Finding("receipt", where, f"log index {index} is not in the checkpoint"))
        return
    if leaf_hash(entry).hex() != log["leaf_hash"]:
        findings.append(
            Finding("receipt", where, f"the entry at log index {index} has another leaf hash")
        )
    try:
        parsed = json.loads(entry)
        choices = sorted((int(q["position"]), str(q["choice"])) for q in receipt["questions"])
        matches = isinstance(parsed, dict) and entry_matches(parsed, receipt, choices)
    except (ValueError, TypeError, KeyError, AttributeError):
        matches = False
    if not matches:
        findings.append(
            Finding("receipt", where, f"the entry at log index {index} is not this receipt's vote")
        )
