"""C2SP signed notes and tlog checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notary.checkpoint import (
    Checkpoint,
    MalformedCheckpoint,
    format_checkpoint,
    log_origin,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from notary.keys import KeyRing, parse_verifier_key
from notary.merkle import EMPTY_ROOT
from notary.note import (
    BadSignature,
    MalformedNote,
    UnverifiedNote,
    open_note,
    sign_note,
    split_note,
)

# Source: golang.org/x/mod/sumdb/note, package documentation example (ExampleSign/ExampleOpen).
GO_SIGNER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n"
    + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqf"
    + "qdngotpRZb6KE6RyyBwJnAM=\n"
)

# Source: c2sp.org/signed-note (the example at the top of the spec); key not published.
SPEC_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrM"
    "ouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)

# Source: c2sp.org/tlog-checkpoint (the example at the top of the spec).
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


def go_ring() -> KeyRing:
    return KeyRing("PeterNeumann", Ed25519PrivateKey.from_private_bytes(GO_SIGNER_SEED))


def other_ring(name: str = "other.example") -> KeyRing:
    return KeyRing(name, Ed25519PrivateKey.generate())


def test_signing_reproduces_the_go_note_byte_for_byte() -> None:
    assert sign_note(GO_TEXT, go_ring()) == GO_NOTE


def test_opening_the_go_note() -> None:
    opened = open_note(GO_NOTE, [parse_verifier_key(GO_VERIFIER_KEY)])
    assert opened.text == GO_TEXT
    assert [k.text for k in opened.signed_by] == [GO_VERIFIER_KEY]


def test_tampered_text_fails() -> None:
    with pytest.raises(BadSignature):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), [go_ring().verifier])


def test_unknown_keys_are_ignored() -> None:
    stranger = other_ring()
    with pytest.raises(UnverifiedNote):
        open_note(GO_NOTE, [stranger.verifier])
    # Same name, different key (so different ID): ignored, not a failure.
    impostor = other_ring("PeterNeumann")
    note = sign_note(GO_TEXT, impostor, go_ring())
    assert open_note(note, [go_ring().verifier]).signed_by == (go_ring().verifier,)


def test_a_bad_signature_from_a_known_key_rejects_the_note() -> None:
    ring = go_ring()
    text = "a\n"
    good = sign_note(text, ring)
    forged = sign_note("b\n", ring).replace("b\n", "a\n", 1)
    assert open_note(good, [ring.verifier]).text == text
    with pytest.raises(BadSignature):
        open_note(forged, [ring.verifier])


def test_several_signers() -> None:
    a, b = go_ring(), other_ring()
    note = sign_note("text\n", a, b)
    assert note.count("\n— ") == 2
    assert open_note(note, [b.verifier, a.verifier]).signed_by == (a.verifier, b.verifier)


def test_the_spec_example_splits_at_the_last_blank_line() -> None:
    text, [sig] = split_note(SPEC_NOTE)
    assert text.endswith("\n\ned è subito sera.\n")
    assert sig.name == "quasimodo.example/salvatore"
    assert len(sig.key_id) == 4 and len(sig.signature) == 64


@pytest.mark.parametrize(
    "note",
    [
        "no signatures\n",
        "text\n\n",
        "text\n\n- PeterNeumann AAAAAAAA\n",  # hyphen, not em dash
        "text\n\n— PeterNeumann AAAAAAAA",  # no final newline
        "text\n\n— Peter Neumann AAAAAAAA\n",
        "text\n\n— a+b AAAAAAAA\n",
        "text\n\n— PeterNeumann AAAA\n",  # too short
        "text\n\n— PeterNeumann !!!!\n",
        "te\x01xt\n\n— PeterNeumann AAAAAAAA\n",
        "text\n\n— PeterNeumann AAAAAAAA\n\n",
    ],
)
def test_malformed_notes(note: str) -> None:
    with pytest.raises(MalformedNote):
        open_note(note, [go_ring().verifier])


def test_text_to_sign_must_end_in_newline() -> None:
    with pytest.raises(MalformedNote):
        sign_note("no newline", go_ring())
    with pytest.raises(MalformedNote):
        sign_note("tab\there\n", go_ring())


# -- checkpoints ------------------------------------------------------------------------------


def test_spec_checkpoint_parses_and_formats_back() -> None:
    cp = parse_checkpoint(SPEC_CHECKPOINT)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.extensions == ()
    assert format_checkpoint(cp) == SPEC_CHECKPOINT


def test_extension_lines_round_trip() -> None:
    cp = Checkpoint("fundvote.test/C001", 0, EMPTY_ROOT, ("ext one", "ext two"))
    assert cp.body() == (
        "fundvote.test/C001\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\next two\n"
    )
    assert parse_checkpoint(cp.body()) == cp


@pytest.mark.parametrize(
    "text",
    [
        "origin\n1\n",
        "origin\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "origin\n1\nAAAA\n",
        "origin\n1\nnot base64!\n",
        "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n",
        "origin\n1 \n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(MalformedCheckpoint):
        parse_checkpoint(text)


def test_format_refuses_what_parse_would_refuse() -> None:
    for cp in [
        Checkpoint("", 1, EMPTY_ROOT),
        Checkpoint("a\nb", 1, EMPTY_ROOT),
        Checkpoint("o", -1, EMPTY_ROOT),
        Checkpoint("o", 1, b"short"),
        Checkpoint("o", 1, EMPTY_ROOT, ("",)),
    ]:
        with pytest.raises(MalformedCheckpoint):
            format_checkpoint(cp)


def test_signed_checkpoint_round_trip() -> None:
    ring = other_ring("fundvote.test")
    cp = Checkpoint(log_origin("fundvote.test", "C001"), 3, EMPTY_ROOT)
    note = sign_checkpoint(cp, ring)
    assert note.startswith("fundvote.test/C001\n3\n")
    assert open_checkpoint(note, [ring.verifier]) == cp
    with pytest.raises(BadSignature):
        open_checkpoint(note.replace("\n3\n", "\n4\n"), [ring.verifier])


def test_log_origin() -> None:
    assert log_origin("fundvote.local", "JB01") == "fundvote.local/JB01"
    assert log_origin("example.com/logs/", "JB01") == "example.com/logs/JB01"
    for prefix, log in [("", "x"), ("p", ""), ("p q", "x"), ("p", "a+b"), ("p", "a\nb")]:
        with pytest.raises(MalformedCheckpoint):
            log_origin(prefix, log)
