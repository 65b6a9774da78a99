"""An issued checkpoint checked by a verifier written here from the C2SP specs alone.

Nothing below calls notary's note, key, checkpoint or Merkle code to *verify*: the signed
note is split, the verifier key parsed, the key ID computed and the Ed25519 signature checked
directly with ``cryptography``, following c2sp.org/signed-note and c2sp.org/tlog-checkpoint;
the root is recomputed with RFC 9162 §2.1.1 written out again.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fundvote.runtime import Runtime
from notary import store
from notary.envelope import make_entry

AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def parse_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    """<name>+<hex key id>+<base64(0x01 || 32-byte key)> -> (name, key id, public key)."""
    name, id_hex, data = vkey.split("+", 2)
    raw = base64.b64decode(data, validate=True)
    assert raw[0] == 0x01 and len(raw) == 33, "not an Ed25519 verifier key"
    public = raw[1:]
    computed = hashlib.sha256(name.encode() + b"\n" + b"\x01" + public).digest()[:4]
    assert computed == bytes.fromhex(id_hex), "key ID does not match name and key"
    return name, computed, public


def open_signed_note(note: str, vkey: str) -> str:
    """Return the note text if a signature by ``vkey`` verifies; raise otherwise."""
    name, key_id, public = parse_vkey(vkey)
    cut = note.rindex("\n\n")
    text, sig_block = note[: cut + 1], note[cut + 2 :]
    assert sig_block.endswith("\n")
    verified = False
    for line in sig_block[:-1].split("\n"):
        assert line.startswith("\u2014 "), "signature lines start with an em dash"
        sig_name, blob = line[2:].rsplit(" ", 1)
        raw = base64.b64decode(blob, validate=True)
        if sig_name != name or raw[:4] != key_id:
            continue  # unknown key: ignored
        Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text.encode())
        verified = True
    if not verified:
        raise InvalidSignature("no signature by the trusted key")
    return text


def rfc9162_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + rfc9162_root(leaves[:k]) + rfc9162_root(leaves[k:])).digest()


def test_issued_checkpoint_verifies_independently(runtime: Runtime) -> None:
    bodies = []
    with runtime.session_factory.begin() as s:
        for i in range(11):
            entry = make_entry("test.event", AT, "JB01", {"n": i})
            bodies.append(store.append(s, "JB01", entry).body_bytes)
        cp = store.issue_checkpoint(s, "JB01", runtime.keyring, "fundvote.test", AT)

    [record] = runtime.keyring.public_keys()
    text = open_signed_note(cp.note, record.verifier_key)

    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 4  # three lines, each ending in a newline
    origin, size, root_b64 = lines[:3]
    assert origin == "fundvote.test/JB01"
    assert size == "11"
    assert base64.b64decode(root_b64) == rfc9162_root(bodies)
    assert cp.note.split("\n\n", 1)[1].startswith(f"\u2014 {record.name} ")


def test_independent_verifier_rejects_a_tampered_checkpoint(runtime: Runtime) -> None:
    with runtime.session_factory.begin() as s:
        store.append(s, "JB01", make_entry("test.event", AT, "JB01", {"n": 0}))
        cp = store.issue_checkpoint(s, "JB01", runtime.keyring, "fundvote.test", AT)
    vkey = runtime.keyring.public_keys()[0].verifier_key
    with pytest.raises(InvalidSignature):
        open_signed_note(cp.note.replace("\n1\n", "\n2\n", 1), vkey)
