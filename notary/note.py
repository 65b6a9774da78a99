"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures.

A signed note is its text (ending in a newline), a blank line, and one or more signature
lines ``— <key name> <base64(4-byte key ID || 64-byte signature)>``; the em dash is U+2014.
The signature covers the text including its final newline.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from notary.errors import N_, DomainError
from notary.keys import VerifierKey

EM_DASH = "\u2014"
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_BAD_NAME = re.compile(r"[\s+]")


class MalformedNote(DomainError):
    """The text is not a well-formed signed note."""

    code = "malformed-note"


class BadSignature(DomainError):
    """A signature by a known key does not verify: the note must not be trusted."""

    code = "bad-signature"


class UnverifiedNote(DomainError):
    """No signature on the note comes from a trusted key."""

    code = "unverified-note"


class Signer(Protocol):
    """Anything that signs as a named key; :class:`notary.keys.KeyRing` is one."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class NoteSignature:
    """One signature line, decoded."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: its text and the trusted keys that signed it."""

    text: str
    signed_by: tuple[VerifierKey, ...]


def check_note_text(text: str) -> None:
    """Raise :class:`MalformedNote` unless ``text`` can be the text of a note: non-empty,
    ending in a newline, without control characters other than newline."""
    if not text.endswith("\n"):
        raise MalformedNote(N_("A note's text must end with a newline."))
    if _CONTROL.search(text):
        raise MalformedNote(N_("A note must not contain control characters other than newline."))


def sign_note(text: str, *signers: Signer) -> str:
    """Return the signed note of ``text`` with one signature line per signer, in order."""
    check_note_text(text)
    if not signers:
        raise ValueError("A signed note needs at least one signer.")
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        if not signer.name or _BAD_NAME.search(signer.name):
            raise MalformedNote(N_("A key name must be non-empty, without spaces or '+'."))
        blob = base64.b64encode(signer.key_id + signer.sign(message)).decode()
        lines.append(f"{EM_DASH} {signer.name} {blob}\n")
    return text + "\n" + "".join(lines)


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and its decoded signature lines, checking only the
    format (raise :class:`MalformedNote`); no signature is verified here."""
    if _CONTROL.search(note):
        raise MalformedNote(N_("A note must not contain control characters other than newline."))
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote(N_("A signed note needs a blank line before its signatures."))
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNote(N_("A signed note ends with a newline."))
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(N_("The note has too many signatures."))
    signatures = []
    for line in lines:
        if not line.startswith(EM_DASH + " "):
            raise MalformedNote(N_("A signature line starts with an em dash and a space."))
        name, _, blob = line[2:].rpartition(" ")
        if not name or _BAD_NAME.search(name):
            raise MalformedNote(N_("A signature line needs a key name without spaces or '+'."))
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedNote(N_("A signature is not base64.")) from exc
        if len(raw) < 5:
            raise MalformedNote(N_("A signature is too short."))
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    return text, signatures


def open_note(note: str, verifiers: Iterable[VerifierKey]) -> OpenedNote:
    """Verify ``note`` against trusted ``verifiers`` and return its text.

    Signatures whose (key name, key ID) match no trusted key are ignored, as the spec requires.
    Raises :class:`MalformedNote` for a bad format, :class:`BadSignature` when a signature from
    a trusted key fails, :class:`UnverifiedNote` when no trusted key signed.
    """
    text, signatures = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    message = text.encode("utf-8")
    signed_by: list[VerifierKey] = []
    for sig in signatures:
        key = known.get((sig.name, sig.key_id))
        if key is None:
            continue
        if not key.verify(message, sig.signature):
            raise BadSignature(N_("A signature on the note does not verify."), key=key.name)
        if key not in signed_by:
            signed_by.append(key)
    if not signed_by:
        raise UnverifiedNote(N_("The note carries no signature from a trusted key."))
    return OpenedNote(text, tuple(signed_by))
