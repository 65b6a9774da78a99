"""Reading a bundle's zip with bounds, so that a hostile archive is a finding, not a crash.

Bounds: the number of members, each member's decompressed size, and the ratio of its
decompressed to compressed size (a zip bomb). They are enforced on the bytes actually
inflated, not on the sizes the archive claims. A member that breaks a bound, or whose data is
corrupt, becomes a ``zip`` finding and reads as absent; the archive as a whole is refused
(:class:`NotABundle`, exit code 2) only when the file is missing or is not a zip at all.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from audit.findings import Finding

CHUNK = 1 << 16


@dataclass(frozen=True)
class ZipLimits:
    """How much of an archive the verifier will inflate."""

    max_members: int = 200_000
    max_member_bytes: int = 2 << 30
    max_ratio: int = 1_000
    ratio_floor: int = 1 << 20
    """Members smaller than this are never refused for their ratio (tiny files compress well)."""
    max_line_bytes: int = 1 << 20


class NotABundle(Exception):
    """The file is missing or is not a zip archive (the verifier's exit code 2)."""


class _Refused(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class BundleZip:
    """A bundle's members, read with :class:`ZipLimits` (implements ``BundleFiles``).

    Guarantees: no read inflates more than ``max_member_bytes`` of one member or more than
    ``max_ratio`` times its compressed size (beyond ``ratio_floor``); every refusal or corrupt
    member is in :attr:`problems` once, as a ``zip`` finding.
    """

    def __init__(self, path: str | Path, limits: ZipLimits | None = None) -> None:
        self.limits = limits or ZipLimits()
        self.problems: list[Finding] = []
        self._refused: set[str] = set()
        p = Path(path)
        if not p.is_file():
            raise NotABundle(f"{p} does not exist or is not a file")
        try:
            self._zip = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise NotABundle(f"{p} is not a zip archive: {exc}") from exc
        infos = self._zip.infolist()
        if len(infos) > self.limits.max_members:
            self._problem(p.name, f"the archive has {len(infos)} members, more than allowed")
            infos = infos[: self.limits.max_members]
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.filename in self._infos:
                self._problem(info.filename, "the archive holds this path more than once")
                self._refused.add(info.filename)
            self._infos[info.filename] = info

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()

    def __enter__(self) -> BundleZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def names(self) -> list[str]:
        """Every member path, in archive order."""
        return list(self._infos)

    def has(self, path: str) -> bool:
        """Whether the archive lists ``path`` (readable or not)."""
        return path in self._infos

    def read(self, path: str) -> bytes | None:
        """The member's bytes, or None if absent, refused or corrupt."""
        chunks: list[bytes] = []
        for chunk in self._chunks(path):
            chunks.append(chunk)
        if path in self._refused or path not in self._infos:
            return None
        return b"".join(chunks)

    def digest(self, path: str) -> tuple[int, str] | None:
        """The member's size and SHA-256 hex, streamed; None if absent, refused or corrupt."""
        h = hashlib.sha256()
        size = 0
        for chunk in self._chunks(path):
            h.update(chunk)
            size += len(chunk)
        if path in self._refused or path not in self._infos:
            return None
        return size, h.hexdigest()

    def lines(self, path: str) -> Iterator[tuple[int, bytes]]:
        """The member's lines (1-based number, bytes without ``\\n``), streamed. A last line
        without its newline is yielded as is; a line longer than ``max_line_bytes`` ends the
        stream with a ``zip`` finding."""
        pending = b""
        number = 0
        for chunk in self._chunks(path):
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            for line in parts:
                number += 1
                yield number, line
            if len(pending) > self.limits.max_line_bytes:
                self._problem(f"{path}:{number + 1}", "a line is longer than allowed")
                self._refused.add(path)
                return
        if pending and path not in self._refused:
            number += 1
            yield number, pending

    def ends_with_newline(self, path: str) -> bool:
        """Whether the member's last byte is a newline (reads it once more, streamed)."""
        last = b""
        for chunk in self._chunks(path):
            last = chunk[-1:] or last
        return last == b"\n"

    def _chunks(self, path: str) -> Iterator[bytes]:
        info = self._infos.get(path)
        if info is None or path in self._refused:
            return
        limits = self.limits
        cap = limits.max_member_bytes
        if info.file_size > cap:
            self._refuse(path, f"the member claims {info.file_size} bytes, more than allowed")
            return
        ratio_cap = max(limits.ratio_floor, info.compress_size * limits.max_ratio)
        inflated = 0
        try:
            with self._zip.open(info) as f:
                for chunk in _read_chunks(f):
                    inflated += len(chunk)
                    if inflated > cap:
                        raise _Refused("the member inflates beyond the allowed size")
                    if inflated > ratio_cap:
                        raise _Refused("the member inflates too much for its size (a zip bomb)")
                    yield chunk
        except _Refused as exc:
            self._refuse(path, exc.what)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            self._refuse(path, f"the member cannot be read: {exc}")

    def _refuse(self, path: str, what: str) -> None:
        if path not in self._refused:
            self._refused.add(path)
            self._problem(path, what)

    def _problem(self, where: str, what: str) -> None:
        self.problems.append(Finding("zip", where, what))


def _read_chunks(f: IO[bytes]) -> Iterator[bytes]:
    while chunk := f.read(CHUNK):
        yield chunk
