"""The earlier bundle given with ``--previous``: its checkpoint, read safely.

Only ``checkpoint.txt`` is needed (the consistency proof links that checkpoint to the new
one), so only it is read: the archive's directory is parsed, the member's declared and actual
sizes are bounded, and nothing else is decompressed. A bare checkpoint (the text of an earlier
bundle's ``checkpoint.txt``) is accepted too, so a web form need not upload a whole bundle.

Pure: no database.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from typing import IO

from audit.errors import N_, PreviousBundleRejected, PreviousBundleUnreadable
from notary.checkpoint import Checkpoint, MalformedCheckpoint, open_checkpoint
from notary.keys import VerifierKey
from notary.note import BadSignature, MalformedNote, UnverifiedNote

CHECKPOINT_MEMBER = "checkpoint.txt"
MAX_CHECKPOINT_BYTES = 16 * 1024
"""A checkpoint note is a few hundred bytes; anything much larger is not one."""
_ZIP_MAGIC = b"PK\x03\x04"


def previous_note(data: bytes | IO[bytes]) -> str:
    """The signed checkpoint note held by an earlier bundle (or given as the note itself),
    as bytes or an open seekable file.

    ``PreviousBundleUnreadable`` unless ``data`` is a zip whose ``checkpoint.txt`` is at most
    :data:`MAX_CHECKPOINT_BYTES` of UTF-8, or such a text itself."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    head = stream.read(len(_ZIP_MAGIC))
    stream.seek(0)
    if head == _ZIP_MAGIC:
        raw = _member(stream)
    elif len(text := stream.read(MAX_CHECKPOINT_BYTES + 1)) <= MAX_CHECKPOINT_BYTES:
        raw = text
    else:
        raise PreviousBundleUnreadable(
            N_("The previous bundle is neither a bundle (zip) nor its checkpoint.txt.")
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PreviousBundleUnreadable(
            N_("The previous bundle's checkpoint.txt is not UTF-8 text.")
        ) from None


def _member(stream: IO[bytes]) -> bytes:
    try:
        with zipfile.ZipFile(stream) as archive:
            try:
                info = archive.getinfo(CHECKPOINT_MEMBER)
            except KeyError:
                raise PreviousBundleUnreadable(
                    N_("The previous bundle holds no checkpoint.txt.")
                ) from None
            if info.file_size > MAX_CHECKPOINT_BYTES:
                raise PreviousBundleUnreadable(
                    N_("The previous bundle's checkpoint.txt is too large to be a checkpoint.")
                )
            with archive.open(info) as member:
                raw = member.read(MAX_CHECKPOINT_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError):
        raise PreviousBundleUnreadable(N_("The previous bundle is not a readable zip.")) from None
    except EOFError:
        raise PreviousBundleUnreadable(N_("The previous bundle is not a readable zip.")) from None
    if len(raw) > MAX_CHECKPOINT_BYTES:
        raise PreviousBundleUnreadable(
            N_("The previous bundle's checkpoint.txt is too large to be a checkpoint.")
        )
    return raw


def previous_checkpoint(
    note: str, verifiers: Iterable[VerifierKey], *, origin: str, size: int
) -> Checkpoint:
    """The earlier checkpoint, once it is known to be one of this log's: signed by one of
    ``verifiers`` (this instance's active and retired keys), of the same ``origin`` and no
    larger than ``size`` (the new checkpoint's). ``PreviousBundleRejected`` otherwise; whether
    it is on the same history is the consistency proof's part."""
    try:
        old = open_checkpoint(note, verifiers)
    except (MalformedNote, MalformedCheckpoint):
        raise PreviousBundleRejected(
            N_("The previous bundle's checkpoint is not a signed checkpoint.")
        ) from None
    except (BadSignature, UnverifiedNote):
        raise PreviousBundleRejected(
            N_("The previous bundle's checkpoint is not signed by this instance's keys.")
        ) from None
    if old.origin != origin:
        raise PreviousBundleRejected(
            N_("The previous bundle is of another log (%(origin)s)."), origin=old.origin[:200]
        )
    if old.size > size:
        raise PreviousBundleRejected(
            N_(
                "The previous bundle's checkpoint (%(old)s entries) is newer than the latest "
                "checkpoint (%(new)s entries)."
            ),
            old=old.size,
            new=size,
        )
    return old
