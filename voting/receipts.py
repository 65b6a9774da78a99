"""Signed voting receipts, and checking them against the log.

A receipt is canonical JSON (RFC 8785, :mod:`notary.canonical`)::

    {"v": 1, "type": "fundvote.receipt", "community": code, "ballot": ref,
     "questions": [{"position": 1, "choice": "agree"}, ...], "tracker": "7K3M-...",
     "weights": {"heads": 1, "area": "123.45"}, "cast_at": "2026-11-01T02:00:00.000000Z",
     "channel": "online"|"paper"|"proxy",
     "log": {"origin": "<prefix>/<community>", "index": 17, "leaf_hash": "<hex>"},
     "signature": {"key_id": "<8 hex>", "alg": "Ed25519", "sig": "<base64>"}}

The signature is Ed25519 by the service's log key over the canonical bytes of everything but
``signature``. ``log`` points at the ``voting.ballot_cast`` entry recorded in the same
transaction as the vote, so a receipt proves both that the service accepted the ballot
(signature) and that the ballot is in the append-only log (inclusion proof against a signed
checkpoint). The printed receipt's QR code holds the whole receipt, so it can be checked even
from paper.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from notary import store
from notary.canonical import canonical_bytes
from notary.checkpoint import MalformedCheckpoint, log_origin, open_checkpoint
from notary.coverage import due_by
from notary.envelope import parse_time
from notary.errors import DomainError
from notary.keys import ALGORITHM, KeyRing
from notary.merkle import verify_inclusion
from notary.work import UnitOfWork
from voting.errors import N_
from voting.receipt_rules import (
    RECEIPT_TYPE,
    RECEIPT_VERSION,
    entry_matches,
    parse_receipt,
    signed_body,
)
from voting.rows import community_by_code


@dataclass(frozen=True)
class Receipt:
    """A signed receipt: its fields (``data``, signature included) and its canonical text."""

    data: Mapping[str, Any]
    canonical_text: str | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        """The canonical JSON of the whole receipt (what is stored and downloaded)."""
        if self.canonical_text is not None:
            return self.canonical_text
        return canonical_bytes(dict(self.data)).decode("utf-8")

    @property
    def tracker(self) -> str:
        return str(self.data["tracker"])

    @property
    def ballot(self) -> str:
        return str(self.data["ballot"])

    @property
    def log_index(self) -> int:
        return int(self.data["log"]["index"])

    @property
    def digest(self) -> str:
        """SHA-256 hex of the canonical receipt: a short name for this exact receipt."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @classmethod
    def from_text(cls, text: str | bytes) -> Receipt:
        return cls(parse_receipt(text))


def _receipt_body(
    *,
    community: str,
    ballot: str,
    choices: Mapping[int, str],
    tracker: str,
    area: str,
    cast_at: str,
    channel: str,
    origin: str,
    index: int,
    leaf_hash_hex: str,
) -> dict[str, Any]:
    return {
        "v": RECEIPT_VERSION,
        "type": RECEIPT_TYPE,
        "community": community,
        "ballot": ballot,
        "questions": [{"position": p, "choice": choices[p]} for p in sorted(choices)],
        "tracker": tracker,
        "weights": {"heads": 1, "area": area},
        "cast_at": cast_at,
        "channel": channel,
        "log": {"origin": origin, "index": index, "leaf_hash": leaf_hash_hex},
    }


def build_receipt(
    *,
    community: str,
    ballot: str,
    choices: Mapping[int, str],
    tracker: str,
    area: str,
    cast_at: str,
    channel: str,
    origin: str,
    index: int,
    leaf_hash_hex: str,
    keyring: KeyRing,
) -> Receipt:
    """Assemble and sign a receipt (see the module docstring for the fields)."""
    body = _receipt_body(
        community=community,
        ballot=ballot,
        choices=choices,
        tracker=tracker,
        area=area,
        cast_at=cast_at,
        channel=channel,
        origin=origin,
        index=index,
        leaf_hash_hex=leaf_hash_hex,
    )
    signature = keyring.sign(canonical_bytes(body))
    body["signature"] = {
        "key_id": keyring.active_key_id,
        "alg": ALGORITHM,
        "sig": base64.b64encode(signature).decode("ascii"),
    }
    return Receipt(body)


# A value that cannot occur in a real receipt: the log index is at most 2**53 - 1 and the signature
# is base64. Canonical JSON has no whitespace, so each marked member occurs exactly once.
_INDEX_MARK = 9_007_199_254_740_991  # 2**53 - 1
_SIG_MARK = "*signature*"


class ReceiptDraft:
    """A receipt prepared before its log index is known, so that signing it once the index is
    known takes only a splice and one Ed25519 signature (the community's log lock is held then).

    Guarantees: ``sign(index, keyring)`` returns exactly what :func:`build_receipt` returns for
    the same fields and index (same canonical bytes signed, same canonical text).
    """

    def __init__(
        self,
        *,
        community: str,
        ballot: str,
        choices: Mapping[int, str],
        tracker: str,
        area: str,
        cast_at: str,
        channel: str,
        origin: str,
        leaf_hash_hex: str,
        key_id: str,
    ) -> None:
        body = _receipt_body(
            community=community,
            ballot=ballot,
            choices=choices,
            tracker=tracker,
            area=area,
            cast_at=cast_at,
            channel=channel,
            origin=origin,
            index=_INDEX_MARK,
            leaf_hash_hex=leaf_hash_hex,
        )
        self._body = body
        mark = f'"index":{_INDEX_MARK}'
        self._signed = canonical_bytes(body).decode("utf-8").split(mark)
        body_with_sig = {
            **body,
            "signature": {"key_id": key_id, "alg": ALGORITHM, "sig": _SIG_MARK},
        }
        text = canonical_bytes(body_with_sig).decode("utf-8")
        head, tail = text.split(mark)
        self._text = (head, *tail.split(f'"sig":"{_SIG_MARK}"'))
        self._key_id = key_id
        if len(self._signed) != 2 or len(self._text) != 3:  # pragma: no cover - marks are unique
            raise ValueError("a receipt field collides with the draft's marks")

    def sign(self, index: int, keyring: KeyRing) -> Receipt:
        """The receipt for log entry ``index``, signed by the keyring's active key."""
        if not 0 <= index < _INDEX_MARK or keyring.active_key_id != self._key_id:
            raise ValueError("index out of range, or the active key changed since the draft")
        number = f'"index":{index}'
        signature = base64.b64encode(keyring.sign(number.join(self._signed).encode("utf-8")))
        sig = signature.decode("ascii")
        head, middle, tail = self._text
        text = head + number + middle + f'"sig":"{sig}"' + tail
        data = {
            **self._body,
            "log": {**self._body["log"], "index": index},
            "signature": {"key_id": self._key_id, "alg": ALGORITHM, "sig": sig},
        }
        return Receipt(data, text)


def signature_ok(data: Mapping[str, Any], keyring: KeyRing) -> bool:
    """Whether the receipt's signature is valid under the ring's key with its key id."""
    sig = data["signature"]
    if sig.get("alg") != ALGORITHM:
        return False
    try:
        raw = base64.b64decode(sig["sig"], validate=True)
        body = signed_body(data)
    except (binascii.Error, ValueError, TypeError):
        return False
    return keyring.verify(sig["key_id"], body, raw)


# Problem codes a check can report (views translate them).
PROBLEMS: Mapping[str, str] = {
    "signature": N_("The signature does not verify with fundvote's keys."),
    "origin": N_("The receipt names a log that is not this service's."),
    "entry-missing": N_("The log has no entry at the receipt's index."),
    "leaf-hash": N_("The log entry at that index is not the one the receipt names."),
    "inclusion": N_("The entry is not proven to be in the signed log."),
    "contents": N_("The log entry does not record the ballot as the receipt says."),
}


@dataclass(frozen=True)
class ReceiptCheck:
    """The outcome of checking one receipt; ``problems`` holds codes of :data:`PROBLEMS`.

    ``is_pending``: the entry is in the log as the receipt says, but no signed checkpoint
    covers it yet; the next one is due by ``covered_by`` (:mod:`notary.coverage`)."""

    community: str
    ballot: str
    tracker: str
    channel: str
    choices: tuple[tuple[int, str], ...]
    log_index: int
    is_signature_valid: bool
    is_entry_found: bool
    is_included: bool
    is_matching: bool
    checkpoint_size: int | None = None
    checkpoint_root: str | None = None  # base64, as in the checkpoint
    checkpoint_note: str | None = None
    proof: tuple[str, ...] = ()  # base64 hashes
    problems: tuple[str, ...] = field(default=())
    is_pending: bool = False
    covered_by: datetime | None = None

    @property
    def is_valid(self) -> bool:
        """Genuine and proven part of the signed log."""
        return not self.problems and self.is_included


def verify_receipt(
    session: Session,
    receipt_json: str | bytes | Mapping[str, Any],
    keyring: KeyRing,
    origin_prefix: str | None = None,
) -> ReceiptCheck:
    """Check a receipt against this service's keys and log, inside the caller's transaction;
    reads only (it never signs or stores anything, whoever asks).

    Checks: the receipt's community exists (``CommunityNotFound`` otherwise); the signature
    verifies with the key named by ``key_id`` (active or retired); the log origin is this
    service's log of that community (``<origin_prefix>/<community>``, ``origin_prefix``
    defaulting to the key's name, as :meth:`notary.work.UnitOfWork.log_origin`); the entry
    at ``log.index`` has the receipt's leaf hash; an inclusion proof of that entry against
    the latest signed checkpoint verifies; and the entry is a ``voting.ballot_cast`` of the
    same community, ballot, tracker, channel, choices and area. An entry newer than the
    latest checkpoint is ``is_pending`` (not a problem) with the time its checkpoint is due.
    Raises ``MalformedReceipt`` for something that is not a receipt at all; every other
    failure is reported in ``problems``.
    """
    data = parse_receipt(receipt_json)
    problems: list[str] = []
    community, log = data["community"], data["log"]
    community_by_code(session, community)
    index: int = log["index"]
    choices = tuple(sorted((int(q["position"]), str(q["choice"])) for q in data["questions"]))
    is_sig = signature_ok(data, keyring)
    if not is_sig:
        problems.append("signature")
    try:
        expected_origin = log_origin(origin_prefix or keyring.name, community)
    except MalformedCheckpoint:  # a community code no log could have
        expected_origin = ""
    base = {
        "community": community,
        "ballot": data["ballot"],
        "tracker": data["tracker"],
        "channel": data["channel"],
        "choices": choices,
        "log_index": index,
        "is_signature_valid": is_sig,
    }
    if log["origin"] != expected_origin or not expected_origin:
        problems.append("origin")
        return ReceiptCheck(
            **base, is_entry_found=False, is_included=False, is_matching=False,
            problems=tuple(problems),
        )  # fmt: skip
    try:
        stored = store.entry(session, community, index) if index >= 0 else None
    except store.EntryNotFound:
        stored = None
    if stored is None:
        problems.append("entry-missing")
        return ReceiptCheck(
            **base, is_entry_found=False, is_included=False, is_matching=False,
            problems=tuple(problems),
        )  # fmt: skip
    is_leaf = stored.leaf_hash.hex() == log["leaf_hash"].lower()
    if not is_leaf:
        problems.append("leaf-hash")
    is_matching = entry_matches(stored.data, data, choices)
    if not is_matching:
        problems.append("contents")
    checkpoint = store.latest_checkpoint(session, community)
    if checkpoint is None or checkpoint.size <= index:
        return ReceiptCheck(
            **base,
            is_entry_found=True,
            is_included=False,
            is_matching=is_matching,
            problems=tuple(problems),
            is_pending=True,
            covered_by=_covered_by(stored.data),
        )
    is_included = False
    proof: list[bytes] = []
    try:
        open_checkpoint(checkpoint.note, keyring.verifiers())
        proof = store.inclusion_proof(session, community, index, checkpoint.size)
        is_included = (
            verify_inclusion(stored.leaf_hash, index, checkpoint.size, proof, checkpoint.root)
            and is_leaf
        )
    except DomainError:  # a bad note or proof is reported as a problem, never raised
        is_included = False
    if not is_included:
        problems.append("inclusion")
    return ReceiptCheck(
        **base,
        is_entry_found=True,
        is_included=is_included,
        is_matching=is_matching,
        checkpoint_size=checkpoint.size,
        checkpoint_root=base64.b64encode(checkpoint.root).decode("ascii"),
        checkpoint_note=checkpoint.note,
        proof=tuple(base64.b64encode(p).decode("ascii") for p in proof),
        problems=tuple(problems),
    )


def check_receipt(
    uow: UnitOfWork,
    *,
    receipt_json: str | bytes | Mapping[str, Any],
) -> ReceiptCheck:
    """:func:`verify_receipt` in the caller's unit of work (a read-only one will do: it writes
    nothing)."""
    return verify_receipt(uow.session, receipt_json, uow.keyring, uow.origin_prefix)


def _covered_by(entry: Mapping[str, Any]) -> datetime | None:
    try:
        return due_by(parse_time(str(entry.get("at"))))
    except (ValueError, TypeError):
        return None
