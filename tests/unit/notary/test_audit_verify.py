"""The offline verifier returns every problem it finds, and none for good evidence."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.verify import check_checkpoint, check_consistency, check_entries, check_inclusion
from notary.canonical import canonical_bytes
from notary.checkpoint import Checkpoint, sign_checkpoint
from notary.keys import KeyRing
from notary.merkle import MemoryTree
from notary.note import sign_note

RING = KeyRing("fundvote.test", Ed25519PrivateKey.generate())
OTHER = KeyRing("other.test", Ed25519PrivateKey.generate())
ORIGIN = "fundvote.test/JB01"
ENTRIES = [canonical_bytes({"v": 1, "n": i}) for i in range(13)]


def tree() -> MemoryTree:
    t = MemoryTree()
    for body in ENTRIES:
        t.append(body)
    return t


def checkpoint(size: int, origin: str = ORIGIN) -> Checkpoint:
    return Checkpoint(origin, size, tree().root(size))


def test_good_checkpoint() -> None:
    note = sign_checkpoint(checkpoint(13), RING)
    cp, problems = check_checkpoint(note, [RING.verifier.text])
    assert problems == []
    assert cp == checkpoint(13)


def test_checkpoint_problems_are_all_reported() -> None:
    note = sign_checkpoint(checkpoint(13), RING, OTHER)
    forged = note.replace("\n13\n", "\n12\n", 1)
    cp, problems = check_checkpoint(forged, ["garbage", RING.verifier.text, OTHER.verifier])
    assert cp is None
    assert len(problems) == 4, problems
    assert problems[0].startswith("verifier key 1 is not usable")
    assert "fundvote.test" in problems[1] and "other.test" in problems[2]
    assert "no valid signature" in problems[3]


def test_untrusted_and_malformed_checkpoints() -> None:
    note = sign_checkpoint(checkpoint(3), OTHER)
    assert check_checkpoint(note, [RING.verifier.text]) == (
        None,
        ["the checkpoint carries no valid signature from a trusted key"],
    )
    cp, problems = check_checkpoint("not a note", [RING.verifier.text])
    assert cp is None and "not a signed note" in problems[0]
    cp, problems = check_checkpoint(sign_note("one line\n", RING), [RING.verifier.text])
    assert cp is None and problems == [
        "the checkpoint body is malformed: A checkpoint has at least three non-empty lines."
    ]


def test_inclusion() -> None:
    t, cp = tree(), checkpoint(13)
    for index in range(13):
        proof = t.inclusion_proof(index, 13)
        assert check_inclusion(ENTRIES[index], index, proof, cp) == []
        as_text = [base64.b64encode(p).decode() for p in proof]
        assert check_inclusion(ENTRIES[index], index, as_text, cp) == []
    proof = t.inclusion_proof(4, 13)
    assert check_inclusion(ENTRIES[5], 4, proof, cp) == [
        "the inclusion proof of entry 4 does not match the root of size 13"
    ]
    assert check_inclusion(ENTRIES[4], 13, proof, cp) == [
        "entry 13 is outside the checkpoint of size 13"
    ]
    assert check_inclusion(ENTRIES[4], 4, ["!!", *proof[1:]], cp) == [
        "hash 0 of the inclusion proof of entry 4 is not a 32-byte hash"
    ]


def test_inclusion_needs_canonical_entries() -> None:
    t = MemoryTree()
    loose = b'{"n": 1, "v": 1}'
    t.append(loose)
    cp = Checkpoint(ORIGIN, 1, t.root())
    assert check_inclusion(loose, 0, [], cp) == ["entry 0 is not in canonical JSON form"]
    t2 = MemoryTree()
    t2.append(b"\xff")
    assert check_inclusion(b"\xff", 0, [], Checkpoint(ORIGIN, 1, t2.root())) == [
        "entry 0 is not canonical JSON"
    ]


def test_consistency() -> None:
    t = tree()
    for old in range(14):
        proof = t.consistency_proof(old, 13)
        assert check_consistency(checkpoint(old), checkpoint(13), proof) == []
    proof = t.consistency_proof(5, 13)
    rewritten = Checkpoint(ORIGIN, 13, t.root(12))
    assert check_consistency(checkpoint(5), rewritten, proof) == [
        "the log at sizes 5 and 13 is not consistent: its history was rewritten"
    ]
    problems = check_consistency(checkpoint(13), checkpoint(5, "x/y"), [])
    assert problems == [
        "the checkpoints are of different logs: 'fundvote.test/JB01', 'x/y'",
        "the newer checkpoint is smaller (sizes 13 and 5)",
    ]


def test_entries_rebuild_the_root() -> None:
    assert check_entries(ENTRIES, checkpoint(13)) == []
    assert check_entries(ENTRIES[:12], checkpoint(13)) == [
        "12 entries given for a checkpoint of size 13"
    ]
    swapped = [ENTRIES[1], ENTRIES[0], *ENTRIES[2:]]
    assert check_entries(swapped, checkpoint(13)) == [
        "the entries do not rebuild the root of the checkpoint of size 13"
    ]
