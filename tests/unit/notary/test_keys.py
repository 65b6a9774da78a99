"""Ed25519 keys: C2SP key IDs and verifier keys, key files, rotation."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notary.keys import (
    KeyRing,
    MalformedKey,
    SigningKeyMissing,
    VerifierKey,
    load_keyring,
    parse_verifier_key,
    retired_path,
    rotate_key,
)

# Source: golang.org/x/mod/sumdb/note (note.go package example and note_test.go): the
# "PeterNeumann" signer and verifier keys. The signer key's data is 0x01 || Ed25519 seed.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"


def go_keyring() -> KeyRing:
    raw = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert raw[0] == 1
    return KeyRing("PeterNeumann", Ed25519PrivateKey.from_private_bytes(raw[1:]))


def test_key_id_and_verifier_key_match_the_go_vector() -> None:
    ring = go_keyring()
    assert ring.verifier.text == GO_VERIFIER_KEY
    assert ring.key_id == bytes.fromhex("c74f20a3")
    assert ring.active_key_id == "c74f20a3"
    public = base64.b64decode(GO_VERIFIER_KEY.split("+", 2)[2])[1:]
    # The spec's formula, computed here independently.
    assert hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()[:4] == ring.key_id


def test_public_key_records() -> None:
    [record] = go_keyring().public_keys()
    assert record.key_id == "c74f20a3"
    assert record.name == "PeterNeumann"
    assert record.algorithm == "Ed25519"
    assert base64.b64decode(record.public_key) == go_keyring().verifier.public_key
    assert record.verifier_key == GO_VERIFIER_KEY
    assert record.status == "active"


def test_parse_verifier_key_round_trips() -> None:
    key = parse_verifier_key(GO_VERIFIER_KEY)
    assert key == go_keyring().verifier
    assert key.text == GO_VERIFIER_KEY


def test_mangled_verifier_keys_are_refused() -> None:
    # As golang.org/x/mod/sumdb/note TestNewVerifier: every proper substring and every
    # single-byte change must be refused.
    b = GO_VERIFIER_KEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(MalformedKey):
                    parse_verifier_key(b[i:j])
    for i in range(len(b)):
        with pytest.raises(MalformedKey):
            parse_verifier_key(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])


def test_bad_names_are_refused() -> None:
    key = Ed25519PrivateKey.generate()
    for name in ["", "a b", "a+b", "a\tb", "a\u3000b"]:
        with pytest.raises(MalformedKey):
            KeyRing(name, key)


def test_sign_and_verify() -> None:
    ring = go_keyring()
    sig = ring.sign(b"message")
    assert len(sig) == 64
    assert ring.verify("c74f20a3", b"message", sig)
    assert ring.verify(bytes.fromhex("c74f20a3"), b"message", sig)
    assert not ring.verify("c74f20a3", b"messagE", sig)
    assert not ring.verify("00000000", b"message", sig)
    assert not ring.verify("not hex", b"message", sig)
    assert not ring.verifier.verify(b"message", sig[:-1] + bytes([sig[-1] ^ 1]))


def test_load_keyring_creates_a_private_pem_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.key"
    ring = load_keyring(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert ring.name == "fundvote.local"
    again = load_keyring(path, create=False)
    assert again.verifier == ring.verifier
    assert [p.name for p in path.parent.iterdir()] == ["signing.key"]  # no temp file left


def test_key_name_is_a_parameter(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    a = load_keyring(path, create=True, name="a.example")
    b = load_keyring(path, create=False, name="b.example")
    assert a.verifier.public_key == b.verifier.public_key
    assert a.key_id != b.key_id


def test_missing_or_bad_key_files(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    with pytest.raises(SigningKeyMissing):
        load_keyring(path, create=False)
    assert not path.exists()
    path.write_text("not a key")
    with pytest.raises(MalformedKey):
        load_keyring(path, create=False)
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(MalformedKey, match="not an Ed25519"):
        load_keyring(path, create=False)


def test_rotation_keeps_old_keys_verifiable(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    first = load_keyring(path, create=True).current()  # a snapshot: the ring itself follows
    old_sig = first.sign(b"checkpoint")
    second = rotate_key(path).current()
    assert second.key_id != first.key_id
    assert retired_path(path).read_text() == first.verifier.text + "\n"
    assert second.verify(first.active_key_id, b"checkpoint", old_sig)
    assert [r.status for r in second.public_keys()] == ["active", "retired"]
    assert second.public_keys()[1].verifier_key == first.verifier.text

    third = rotate_key(path).current()
    lines = retired_path(path).read_text().splitlines()
    assert lines == [first.verifier.text, second.verifier.text]  # append-only
    assert [k.key_id for k in third.verifiers()] == [
        third.key_id,
        first.key_id,
        second.key_id,
    ]
    reloaded = load_keyring(path, create=False)
    assert reloaded.verify(first.key_id, b"checkpoint", old_sig)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rotation_needs_a_key(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyMissing):
        rotate_key(tmp_path / "signing.key")


def test_a_bad_retired_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    load_keyring(path, create=True)
    retired_path(path).write_text("garbage\n")
    with pytest.raises(MalformedKey):
        load_keyring(path, create=False)


def test_active_key_listed_as_retired_is_shown_once(tmp_path: Path) -> None:
    # What a crash between the two steps of a rotation leaves behind.
    path = tmp_path / "signing.key"
    ring = load_keyring(path, create=True)
    retired_path(path).write_text(ring.verifier.text + "\n")
    assert [r.status for r in load_keyring(path, create=False).public_keys()] == ["active"]


def test_verifier_key_needs_32_bytes() -> None:
    with pytest.raises(MalformedKey):
        VerifierKey("x", b"\x00" * 31)


def test_a_loaded_ring_follows_a_rotation_by_another_process(tmp_path: Path) -> None:
    """The ring a server loaded at start signs with the new key after a rotation, without a
    restart, and still verifies what the old key signed."""
    path = tmp_path / "signing.key"
    ring = load_keyring(path, create=True)
    old_id = ring.active_key_id
    old_sig = ring.sign(b"receipt")
    rotate_key(path)  # e.g. `fundvote keys rotate` in another process
    assert ring.active_key_id != old_id
    assert [r.status for r in ring.public_keys()] == ["active", "retired"]
    assert ring.verify(old_id, b"receipt", old_sig)
    assert ring.verify(ring.active_key_id, b"new", ring.sign(b"new"))
