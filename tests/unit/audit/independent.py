"""Checks written from the public specifications alone, to compare the verifier with:
a C2SP signed-note verifier and pymerkle's RFC 6962 root (no project code)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pymerkle import InmemoryTree

EM_DASH = "\u2014"


def note_verifies(note: str, vkey: str) -> str | None:
    """The note's text when the verifier key ``name+keyid+base64(0x01 || pubkey)`` signed it
    (c2sp.org/signed-note), else None."""
    name, key_id_hex, blob = vkey.strip().split("+")
    raw = base64.b64decode(blob)
    assert raw[0] == 0x01  # Ed25519
    pub = raw[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4]
    assert key_id.hex() == key_id_hex
    text, _, sigs = note.rpartition("\n\n")
    text += "\n"
    for line in sigs.rstrip("\n").split("\n"):
        dash, signer, sig_b64 = line.split(" ")
        assert dash == EM_DASH
        sig = base64.b64decode(sig_b64)
        if signer != name or sig[:4] != key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(sig[4:], text.encode())
        except InvalidSignature:
            return None
        return text
    return None


def pymerkle_root(lines: list[bytes]) -> bytes:
    """The RFC 6962 root (SHA-256, 0x00 leaf and 0x01 node prefixes) computed by pymerkle."""
    tree = InmemoryTree(algorithm="sha256", disable_security=False)
    for line in lines:
        tree.append_entry(line)
    return bytes(tree.get_root()) if lines else hashlib.sha256(b"").digest()
