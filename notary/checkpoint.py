"""Transparency-log checkpoints (c2sp.org/tlog-checkpoint): the signed head of a log.

The body is the origin line, the tree size in decimal, the base64 root hash, then optional
extension lines, each ending in a newline; it is the text of a signed note.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from notary.errors import N_, DomainError
from notary.keys import VerifierKey
from notary.merkle import HASH_SIZE
from notary.note import Signer, open_note, sign_note

_SIZE = re.compile(r"0|[1-9][0-9]*")
_BAD_ORIGIN = re.compile(r"[\s+]")


class MalformedCheckpoint(DomainError):
    """The text is not a well-formed checkpoint body."""

    code = "malformed-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    """A log's origin, size and root hash, plus any extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The checkpoint text; :func:`parse_checkpoint` gives this checkpoint back."""
        return format_checkpoint(self)


def log_origin(prefix: str, log: str) -> str:
    """Return the origin of a community's log, ``<prefix>/<log>``.

    Raises :class:`MalformedCheckpoint` if the result would be empty-sided or hold a space or
    ``+`` (the spec's recommendation, which also keeps it usable as a key name).
    """
    prefix = prefix.rstrip("/")
    if not prefix or not log or _BAD_ORIGIN.search(prefix + log) or "\n" in prefix + log:
        raise MalformedCheckpoint(N_("A log origin needs a prefix and a log name without spaces."))
    return f"{prefix}/{log}"


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """Return the checkpoint body; raises :class:`MalformedCheckpoint` for an empty origin,
    a negative size, a root that is not 32 bytes, or an empty or multi-line extension."""
    cp = checkpoint
    if not cp.origin or "\n" in cp.origin:
        raise MalformedCheckpoint(N_("A checkpoint origin is one non-empty line."))
    if cp.size < 0 or len(cp.root) != HASH_SIZE:
        raise MalformedCheckpoint(N_("A checkpoint needs a size >= 0 and a 32-byte root."))
    if any(not ext or "\n" in ext for ext in cp.extensions):
        raise MalformedCheckpoint(N_("Checkpoint extension lines are non-empty single lines."))
    lines = [cp.origin, str(cp.size), base64.b64encode(cp.root).decode(), *cp.extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body; raise :class:`MalformedCheckpoint` unless it has at least three
    non-empty lines, each ending in a newline, a decimal size without leading zeros and a
    base64 root of 32 bytes."""
    if not text.endswith("\n"):
        raise MalformedCheckpoint(N_("A checkpoint ends with a newline."))
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise MalformedCheckpoint(N_("A checkpoint has at least three non-empty lines."))
    origin, size_text, root_text, *extensions = lines
    if not _SIZE.fullmatch(size_text):
        raise MalformedCheckpoint(N_("The checkpoint size is not a decimal number."))
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedCheckpoint(N_("The checkpoint root hash is not base64.")) from exc
    if len(root) != HASH_SIZE:
        raise MalformedCheckpoint(N_("The checkpoint root hash is not 32 bytes."))
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer) -> str:
    """Return the signed note whose text is the checkpoint body."""
    return sign_note(format_checkpoint(checkpoint), *signers)


def open_checkpoint(note: str, verifiers: Iterable[VerifierKey]) -> Checkpoint:
    """Verify a signed checkpoint against trusted keys and return it; raises the errors of
    :func:`notary.note.open_note` and :class:`MalformedCheckpoint`."""
    return parse_checkpoint(open_note(note, verifiers).text)
