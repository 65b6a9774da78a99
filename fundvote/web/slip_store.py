"""Slip jobs at rest: the printable slips of issued links, prepared after the issuing request.

A job lives in ``<instance>/slips/<job id>/`` (folder 0700, files 0600)::

    meta.json            who and what: community, ballot, counts, times (no link, no name)
    status.json          attempts and whether the last one failed (rewritten atomically)
    input-0001.enc ...   one part's slips (links, units, masked holders, areas) + ballot facts
    part-0001.pdf.enc    that part's PDF, once rendered
    render.lock          held (``flock``) by the thread rendering the job

Every ``.enc`` file is sealed with the runtime's :class:`~estate.personal.DataCipher`
(AES-256-GCM) under a purpose naming the job and the part (``fundvote.slips.input:<id>:<n>``,
``fundvote.slips.pdf:<id>:<n>``), so no link is ever in clear on disk and a file moved to
another job or part does not decrypt. A part is complete when its PDF file exists: files are
written to a temporary name and renamed, so a crash never leaves half a part.

The render lock is an ``flock`` on ``render.lock``: the kernel releases it when the process
holding it dies, so "nobody holds the lock and parts are missing" means the renderer is gone
and the job may be resumed, by any worker, without waiting for a timeout.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from estate.api import DataCipher

PART_SIZE = 500
"""Slips per part: one WeasyPrint document (84 pages), so memory stays bounded."""
MAX_ATTEMPTS = 3
"""Renders of a job that may fail before it is left as failed (the committee deletes it)."""
JOB_ID = re.compile(r"[A-Za-z0-9_-]{16,40}")
_INPUT_PURPOSE = "fundvote.slips.input"
_PDF_PURPOSE = "fundvote.slips.pdf"


@dataclass(frozen=True)
class Slip:
    """One member's slip: what is printed on it. The URL holds the link's token."""

    unit_codes: tuple[str, ...]
    holder_label: str  # masked names, empty for the developer
    is_developer: bool
    area_centi: int
    url: str

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"Slip(units={self.unit_codes!r})"


@dataclass(frozen=True)
class SlipBatch:
    """The slips of one part, with the ballot facts every slip repeats."""

    ballot_ref: str
    ballot_title: str
    community_code: str
    community_name: str
    closes_at: datetime
    first: int  # number of the batch's first slip, from 1
    slips: tuple[Slip, ...]


@dataclass(frozen=True)
class SlipJob:
    """A job's description (``meta.json``); holds nothing secret."""

    id: str
    community_code: str
    ballot_ref: str
    total: int
    part_size: int
    created_at: datetime
    expires_at: datetime
    created_by: int | None

    @property
    def parts(self) -> int:
        """How many parts (PDF documents) the job renders."""
        return -(-self.total // self.part_size)

    def part_range(self, index: int) -> tuple[int, int]:
        """First and last slip numbers (from 1) of part ``index`` (from 0)."""
        first = index * self.part_size + 1
        return first, min(self.total, first + self.part_size - 1)


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands. ``state``: ``ready`` (every part rendered), ``rendering`` (a thread
    holds the render lock), ``failed`` (out of attempts), ``waiting`` (to start or resume)."""

    job: SlipJob
    state: str
    done: int  # slips rendered
    attempts: int


class JobGone(Exception):
    """The job's folder was deleted (expired or deleted by the committee) while in use."""


class SlipJobStore:
    """Creates, reads, renders into and deletes slip jobs under ``root``.

    Safe to use from several threads and processes at once: every file is written under a
    temporary name and renamed into place, and rendering is serialized by the render lock.
    """

    def __init__(self, root: Path, cipher: DataCipher, *, part_size: int = PART_SIZE) -> None:
        self.root = root
        self._cipher = cipher
        self._part_size = part_size

    def __repr__(self) -> str:
        return f"SlipJobStore({str(self.root)!r})"

    # -- creating -------------------------------------------------------------------------

    def create(
        self,
        *,
        ballot_ref: str,
        ballot_title: str,
        community_code: str,
        community_name: str,
        closes_at: datetime,
        slips: Sequence[Slip],
        now: datetime,
        expires_at: datetime,
        created_by: int | None,
    ) -> SlipJob:
        """Store a new job for ``slips`` and return it; nothing is rendered yet.

        Guarantees: the job appears whole or not at all (it is built in a hidden folder and
        renamed); every slip is stored only encrypted; raises ``OSError`` if the disk
        refuses, leaving nothing behind, and ``ValueError`` for no slips at all.
        """
        if not slips:
            raise ValueError("a slip job needs at least one slip")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        job = SlipJob(
            id=secrets.token_urlsafe(18),
            community_code=community_code,
            ballot_ref=ballot_ref,
            total=len(slips),
            part_size=self._part_size,
            created_at=now,
            expires_at=expires_at,
            created_by=created_by,
        )
        building = self.root / f".new-{job.id}"
        building.mkdir(mode=0o700)
        try:
            for index in range(job.parts):
                first, last = job.part_range(index)
                document = {
                    "ballot_ref": ballot_ref,
                    "ballot_title": ballot_title,
                    "community_code": community_code,
                    "community_name": community_name,
                    "closes_at": closes_at.isoformat(),
                    "first": first,
                    "slips": [
                        [list(s.unit_codes), s.holder_label, s.is_developer, s.area_centi, s.url]
                        for s in slips[first - 1 : last]
                    ],
                }
                plain = json.dumps(document, ensure_ascii=False).encode("utf-8")
                sealed = self._cipher.encrypt_bytes(
                    plain, purpose=_purpose(_INPUT_PURPOSE, job, index)
                )
                _write(building / _input_name(index), sealed)
            _write_json(building / "status.json", {"attempts": 0, "failed": False})
            _write_json(building / "meta.json", _meta_document(job))
            building.rename(self.root / job.id)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return job

    # -- reading --------------------------------------------------------------------------

    def get(self, job_id: str) -> SlipJob | None:
        """The job with this id, or None if there is none (or the id is malformed)."""
        if not JOB_ID.fullmatch(job_id):
            return None
        return _read_meta(self.root / job_id)

    def for_ballot(self, community_code: str, ballot_ref: str) -> list[SlipJob]:
        """The jobs of one ballot, oldest first."""
        jobs = [
            job
            for job in self._all()
            if job.community_code == community_code and job.ballot_ref == ballot_ref
        ]
        return sorted(jobs, key=lambda j: j.created_at)

    def progress(self, job: SlipJob) -> JobProgress:
        """How far the job is, read from its files (any process may ask)."""
        folder = self._folder(job)
        done = sum(
            job.part_range(i)[1] - job.part_range(i)[0] + 1
            for i in range(job.parts)
            if (folder / _part_name(i)).exists()
        )
        attempts = self._attempts(job)
        if done == job.total:
            state = "ready"
        elif self._is_locked(job):
            state = "rendering"
        elif attempts >= MAX_ATTEMPTS:
            state = "failed"
        else:
            state = "waiting"
        return JobProgress(job, state, done, attempts)

    def has_part(self, job: SlipJob, index: int) -> bool:
        """Whether part ``index`` has been rendered."""
        return (self._folder(job) / _part_name(index)).exists()

    def read_input(self, job: SlipJob, index: int) -> SlipBatch:
        """The slips of part ``index``, decrypted in memory. Raises :class:`JobGone` if the job
        was deleted, ``UndecryptableData`` if the file was altered or the key changed."""
        sealed = self._read(job, _input_name(index))
        plain = self._cipher.decrypt_bytes(sealed, purpose=_purpose(_INPUT_PURPOSE, job, index))
        doc = json.loads(plain)
        return SlipBatch(
            ballot_ref=doc["ballot_ref"],
            ballot_title=doc["ballot_title"],
            community_code=doc["community_code"],
            community_name=doc["community_name"],
            closes_at=datetime.fromisoformat(doc["closes_at"]),
            first=int(doc["first"]),
            slips=tuple(
                Slip(tuple(units), holder, bool(dev), int(area), url)
                for units, holder, dev, area, url in doc["slips"]
            ),
        )

    def read_part(self, job: SlipJob, index: int) -> bytes:
        """Part ``index``'s PDF, decrypted in memory (:class:`JobGone` once deleted)."""
        sealed = self._read(job, _part_name(index))
        return self._cipher.decrypt_bytes(sealed, purpose=_purpose(_PDF_PURPOSE, job, index))

    # -- rendering ------------------------------------------------------------------------

    @contextlib.contextmanager
    def render_lock(self, job: SlipJob, *, tries: int = 1) -> Iterator[bool]:
        """Try to take the job's render lock, ``tries`` times 10 ms apart; yields whether it
        was taken (False also when the job is gone).

        The lock is released when the block ends, and by the kernel if the process dies.
        """
        try:
            fd = os.open(self._folder(job) / "render.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            yield False
            return
        try:
            mine = False
            for attempt in range(max(1, tries)):
                if attempt:
                    time.sleep(0.01)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                mine = True
                break
            yield mine
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def start_attempt(self, job: SlipJob, now: datetime) -> None:
        """Count one more rendering attempt (call with the render lock held)."""
        self._write_status(job, self._attempts(job) + 1, False, now)

    def record_failure(self, job: SlipJob, now: datetime) -> None:
        """Mark the current attempt as failed (call with the render lock held)."""
        self._write_status(job, self._attempts(job), True, now)

    def write_part(self, job: SlipJob, index: int, pdf: bytes) -> None:
        """Store part ``index``'s PDF, encrypted; it counts as rendered once this returns."""
        sealed = self._cipher.encrypt_bytes(pdf, purpose=_purpose(_PDF_PURPOSE, job, index))
        folder = self._folder(job)
        try:
            _write(folder / _part_name(index), sealed)
        except FileNotFoundError:
            raise JobGone(job.id) from None

    # -- deleting -------------------------------------------------------------------------

    def delete(self, job: SlipJob) -> None:
        """Delete the job, its input and its output. A renderer at work stops at its next
        write (:class:`JobGone`)."""
        folder = self._folder(job)
        trash = self.root / f".gone-{job.id}-{secrets.token_hex(4)}"
        try:
            folder.rename(trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def purge_expired(self, now: datetime) -> int:
        """Delete every job whose ``expires_at`` has passed, and leftovers of jobs that were
        never completed or never removed (older than an hour); return how many jobs went."""
        if not self.root.is_dir():
            return 0
        gone = 0
        for job in self._all():
            if job.expires_at <= now:
                self.delete(job)
                gone += 1
        for leftover in self.root.iterdir():
            if leftover.name.startswith((".new-", ".gone-")) and _age(leftover) > 3600:
                shutil.rmtree(leftover, ignore_errors=True)
        return gone

    # -- internals ------------------------------------------------------------------------

    def _folder(self, job: SlipJob) -> Path:
        return self.root / job.id

    def _all(self) -> list[SlipJob]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in self.root.iterdir():
            if JOB_ID.fullmatch(folder.name):
                job = _read_meta(folder)
                if job is not None:
                    found.append(job)
        return found

    def _read(self, job: SlipJob, name: str) -> bytes:
        try:
            return (self._folder(job) / name).read_bytes()
        except FileNotFoundError:
            raise JobGone(job.id) from None

    def _attempts(self, job: SlipJob) -> int:
        status = _read_json(self._folder(job) / "status.json") or {}
        attempts = status.get("attempts", 0)
        return attempts if isinstance(attempts, int) else 0

    def _is_locked(self, job: SlipJob) -> bool:
        with self.render_lock(job) as mine:
            return not mine and self._folder(job).is_dir()

    def _write_status(self, job: SlipJob, attempts: int, failed: bool, now: datetime) -> None:
        try:
            _write_json(
                self._folder(job) / "status.json",
                {"attempts": attempts, "failed": failed, "updated_at": now.isoformat()},
            )
        except FileNotFoundError:
            raise JobGone(job.id) from None


def _purpose(kind: str, job: SlipJob, index: int) -> str:
    return f"{kind}:{job.id}:{index}"


def _input_name(index: int) -> str:
    return f"input-{index + 1:04d}.enc"


def _part_name(index: int) -> str:
    return f"part-{index + 1:04d}.pdf.enc"


def _meta_document(job: SlipJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "community": job.community_code,
        "ballot": job.ballot_ref,
        "total": job.total,
        "part_size": job.part_size,
        "created_at": job.created_at.isoformat(),
        "expires_at": job.expires_at.isoformat(),
        "by": job.created_by,
    }


def _read_meta(folder: Path) -> SlipJob | None:
    doc = _read_json(folder / "meta.json")
    if doc is None:
        return None
    try:
        return SlipJob(
            id=str(doc["id"]),
            community_code=str(doc["community"]),
            ballot_ref=str(doc["ballot"]),
            total=int(doc["total"]),
            part_size=max(1, int(doc["part_size"])),
            created_at=datetime.fromisoformat(doc["created_at"]),
            expires_at=datetime.fromisoformat(doc["expires_at"]),
            created_by=None if doc.get("by") is None else int(doc["by"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    _write(path, json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file renamed over it), mode 0600."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _age(path: Path) -> float:
    """Seconds since ``path`` was last changed, by the file system's own clock."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
