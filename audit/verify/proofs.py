"""The offline verifier: checks checkpoints, inclusion and consistency proofs.

Runs with only the standard library, ``cryptography`` and ``rfc8785``. Each check returns a
list of problems in plain English (empty when all is well) instead of stopping at the first,
so one run reports everything wrong with a bundle.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence

from notary.canonical import parse_canonical
from notary.checkpoint import Checkpoint, MalformedCheckpoint, parse_checkpoint
from notary.keys import MalformedKey, VerifierKey, parse_verifier_key
from notary.merkle import (
    HASH_SIZE,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from notary.note import MalformedNote, split_note

ProofItem = bytes | str
"""A proof hash: raw bytes, or its base64 text as found in a bundle."""


def check_checkpoint(
    note_text: str, verifier_keys: Iterable[str | VerifierKey]
) -> tuple[Checkpoint | None, list[str]]:
    """Verify a signed checkpoint against trusted verifier keys.

    Returns the checkpoint only when there are no problems. Problems: a verifier key that does
    not parse, a malformed note or checkpoint body, a signature by a trusted key that fails,
    and no signature at all from a trusted key. Signatures by unknown keys are ignored, as
    c2sp.org/signed-note requires.
    """
    problems: list[str] = []
    trusted: dict[tuple[str, bytes], VerifierKey] = {}
    for n, key in enumerate(verifier_keys, start=1):
        if isinstance(key, VerifierKey):
            trusted[(key.name, key.key_id)] = key
            continue
        try:
            parsed = parse_verifier_key(key)
        except MalformedKey as exc:
            problems.append(f"verifier key {n} is not usable: {exc.text}")
            continue
        trusted[(parsed.name, parsed.key_id)] = parsed
    try:
        text, signatures = split_note(note_text)
    except MalformedNote as exc:
        return None, [*problems, f"the checkpoint is not a signed note: {exc.text}"]

    verified = 0
    for sig in signatures:
        signer = trusted.get((sig.name, sig.key_id))
        if signer is None:
            continue
        if signer.verify(text.encode("utf-8"), sig.signature):
            verified += 1
        else:
            problems.append(
                f"the signature by {signer.name} (key {signer.key_id_hex}) does not verify"
            )
    if verified == 0:
        problems.append("the checkpoint carries no valid signature from a trusted key")

    try:
        checkpoint = parse_checkpoint(text)
    except MalformedCheckpoint as exc:
        problems.append(f"the checkpoint body is malformed: {exc.text}")
        return None, problems
    return (checkpoint if not problems else None), problems


def check_inclusion(
    entry_bytes: bytes, index: int, proof: Sequence[ProofItem], checkpoint: Checkpoint
) -> list[str]:
    """Check that ``entry_bytes`` is entry ``index`` of the log at ``checkpoint``.

    Problems: the entry is not canonical JSON (the log stores nothing else), the index is
    outside the checkpoint, a proof hash is malformed, or the proof does not lead from the
    entry's leaf hash to the checkpoint's root.
    """
    problems: list[str] = []
    label = f"entry {index}"
    try:
        if not parse_canonical(entry_bytes)[1]:
            problems.append(f"{label} is not in canonical JSON form")
    except (ValueError, TypeError):
        problems.append(f"{label} is not canonical JSON")
    if not 0 <= index < checkpoint.size:
        problems.append(f"{label} is outside the checkpoint of size {checkpoint.size}")
        return problems
    hashes = _decode_proof(proof, f"the inclusion proof of {label}", problems)
    if hashes is None:
        return problems
    if not verify_inclusion(
        leaf_hash(entry_bytes), index, checkpoint.size, hashes, checkpoint.root
    ):
        problems.append(
            f"the inclusion proof of {label} does not match the root of size {checkpoint.size}"
        )
    return problems


def check_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[ProofItem]) -> list[str]:
    """Check that checkpoint ``new`` extends checkpoint ``old`` of the same log.

    Problems: different origins, a smaller new size, a malformed proof hash, or a proof that
    does not link the two roots (which means the log was rewritten).
    """
    problems: list[str] = []
    label = f"sizes {old.size} and {new.size}"
    if old.origin != new.origin:
        problems.append(f"the checkpoints are of different logs: {old.origin!r}, {new.origin!r}")
    if new.size < old.size:
        problems.append(f"the newer checkpoint is smaller ({label})")
        return problems
    hashes = _decode_proof(proof, f"the consistency proof between {label}", problems)
    if hashes is None:
        return problems
    if not verify_consistency(old.size, new.size, old.root, new.root, hashes):
        problems.append(f"the log at {label} is not consistent: its history was rewritten")
    return problems


def check_entries(entries: Sequence[bytes], checkpoint: Checkpoint) -> list[str]:
    """Check that ``entries`` are the whole log at ``checkpoint``: rebuilding the tree from
    them gives the checkpoint's size and root."""
    if len(entries) != checkpoint.size:
        return [f"{len(entries)} entries given for a checkpoint of size {checkpoint.size}"]
    if root_of(entries) != checkpoint.root:
        return [f"the entries do not rebuild the root of the checkpoint of size {len(entries)}"]
    return []


def _decode_proof(
    proof: Sequence[ProofItem], label: str, problems: list[str]
) -> list[bytes] | None:
    hashes: list[bytes] = []
    for n, item in enumerate(proof):
        raw: bytes | None
        if isinstance(item, str):
            try:
                raw = base64.b64decode(item, validate=True)
            except (binascii.Error, ValueError):
                raw = None
        else:
            raw = item
        if raw is None or len(raw) != HASH_SIZE:
            problems.append(f"hash {n} of {label} is not a 32-byte hash")
            return None
        hashes.append(raw)
    return hashes
