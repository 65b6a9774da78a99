"""The bundle's files before they become a zip, and the one way they are zipped.

Members are written one by one into a temporary directory (so a log of a million entries is
never held in memory), each with its size and SHA-256 counted as it is written; the zip is
written at the end, members in path order, because the manifest and the cover that come last
describe everything before them.

The zip is reproducible (docs/audit-bundle.md): deflate at a fixed level, every member dated
1980-01-01 00:00:00 with the same attributes, no extra fields, no comment, written to a
seekable stream (a non-seekable one would add data descriptors).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6
FILE_MODE = 0o100644
_PATH = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class MemberInfo:
    """One written member: its path in the zip, its size in bytes and its SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


class MemberWriter:
    """A member being written: ``write`` bytes; size and hash are counted on the way."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append ``data`` to the member."""
        self._handle.write(data)
        self._hash.update(data)
        self.size += len(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class Members:
    """The bundle's members, kept in a temporary directory until :meth:`write_zip`."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._files: dict[str, tuple[Path, MemberInfo]] = {}
        self._opened: set[str] = set()

    @contextmanager
    def open(self, path: str) -> Iterator[MemberWriter]:
        """Write member ``path`` (a relative path of ASCII letters, digits, ``._-`` parts);
        a path may be written once."""
        if not _PATH.fullmatch(path) or ".." in path.split("/"):
            raise ValueError(f"not a bundle member path: {path!r}")
        if path in self._opened:
            raise ValueError(f"member written twice: {path}")
        local = self._directory / f"m{len(self._opened)}"
        self._opened.add(path)
        with local.open("wb") as handle:
            writer = MemberWriter(handle)
            yield writer
        self._files[path] = (local, MemberInfo(path, writer.size, writer.sha256))

    def add(self, path: str, data: bytes) -> MemberInfo:
        """Write member ``path`` holding ``data``; return its size and hash."""
        with self.open(path) as member:
            member.write(data)
        return self._files[path][1]

    def infos(self) -> list[MemberInfo]:
        """Every member written so far, in path order."""
        return [self._files[path][1] for path in sorted(self._files)]

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def write_zip(self, out: IO[bytes]) -> None:
        """Write every member to ``out`` (seekable) as a reproducible zip, in path order."""
        if not out.seekable():
            raise ValueError("the bundle is written to a seekable stream")
        with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
            for path in sorted(self._files):
                local, info = self._files[path]
                entry = zipfile.ZipInfo(path, date_time=ZIP_DATE)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
                entry.create_system = 3
                entry.external_attr = FILE_MODE << 16
                entry.file_size = info.size
                with local.open("rb") as src, archive.open(entry, "w") as dst:
                    shutil.copyfileobj(src, dst, _COPY_CHUNK)


@contextmanager
def members() -> Iterator[Members]:
    """A fresh :class:`Members` whose temporary directory is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="fundvote-bundle-") as directory:
        os.chmod(directory, 0o700)
        yield Members(Path(directory))
