"""Slip jobs at rest: encrypted files, rendering part by part, resuming, expiry, deletion."""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from estate.errors import UndecryptableData
from estate.personal import DataCipher
from fundvote.web.slip_runner import render_job
from fundvote.web.slip_store import MAX_ATTEMPTS, Slip, SlipBatch, SlipJob, SlipJobStore

NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
TOKENS = ["tok0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "tok1BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"]
TOKENS += ["tok2CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", "tok3DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"]
TOKENS += ["tok4EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"]


@pytest.fixture
def store(tmp_path: Path) -> SlipJobStore:
    return SlipJobStore(tmp_path / "slips", DataCipher(os.urandom(32)), part_size=2)


def make_job(store: SlipJobStore, *, ballot: str = "B-2026-001") -> SlipJob:
    slips = [
        Slip((f"1-10{i}",), "张*明", i == 4, 8937 + i, f"https://vote.example/v/{token}")
        for i, token in enumerate(TOKENS)
    ]
    return store.create(
        ballot_ref=ballot,
        ballot_title="三号楼电梯更新",
        community_code="JB01",
        community_name="江滨花园",
        closes_at=NOW + timedelta(days=7),
        slips=slips,
        now=NOW,
        expires_at=NOW + timedelta(hours=24),
        created_by=7,
    )


def fake_pdf(batch: SlipBatch) -> bytes:
    """A stand-in PDF that, like the real one, carries the links in clear."""
    return b"%PDF-fake\n" + "\n".join(s.url for s in batch.slips).encode()


def clock() -> datetime:
    return NOW


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def test_links_are_never_on_disk_in_clear(store: SlipJobStore) -> None:
    job = make_job(store)
    assert job.parts == 3 and job.part_range(2) == (5, 5)
    assert render_job(store, job, render=fake_pdf, now=clock)
    folder = store.root / job.id
    names = sorted(p.name for p in files_under(folder))
    assert names == [
        "input-0001.enc",
        "input-0002.enc",
        "input-0003.enc",
        "meta.json",
        "part-0001.pdf.enc",
        "part-0002.pdf.enc",
        "part-0003.pdf.enc",
        "render.lock",
        "status.json",
    ]
    for path in files_under(store.root):
        data = path.read_bytes()
        for token in TOKENS:
            assert token.encode() not in data, path.name
        assert "张".encode() not in data and b"vote.example" not in data, path.name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # Decrypted in memory, the parts hold the slips in order.
    assert store.read_part(job, 0) == fake_pdf(store.read_input(job, 0))
    assert TOKENS[4].encode() in store.read_part(job, 2)
    batch = store.read_input(job, 1)
    assert batch.first == 3 and [s.unit_codes for s in batch.slips] == [("1-102",), ("1-103",)]
    assert batch.closes_at == NOW + timedelta(days=7) and batch.community_name == "江滨花园"
    progress = store.progress(job)
    assert (progress.state, progress.done, progress.attempts) == ("ready", 5, 1)


def test_a_file_altered_or_moved_does_not_decrypt(store: SlipJobStore) -> None:
    first, second = make_job(store), make_job(store, ballot="B-2026-002")
    render_job(store, first, render=fake_pdf, now=clock)
    folder = store.root / first.id
    # A part moved to another place of the same job, or to another job, is refused.
    (folder / "part-0002.pdf.enc").write_bytes((folder / "part-0001.pdf.enc").read_bytes())
    with pytest.raises(UndecryptableData):
        store.read_part(first, 1)
    (store.root / second.id / "input-0001.enc").write_bytes(
        (folder / "input-0001.enc").read_bytes()
    )
    with pytest.raises(UndecryptableData):
        store.read_input(second, 0)
    sealed = bytearray((folder / "input-0002.enc").read_bytes())
    sealed[-1] ^= 1
    (folder / "input-0002.enc").write_bytes(bytes(sealed))
    with pytest.raises(UndecryptableData):
        store.read_input(first, 1)


def test_a_failed_render_resumes_where_it_stopped(store: SlipJobStore) -> None:
    job = make_job(store)
    calls: list[int] = []

    def dies_on_second_part(batch: SlipBatch) -> bytes:
        calls.append(batch.first)
        if batch.first == 3:
            raise RuntimeError("renderer crashed")
        return fake_pdf(batch)

    assert not render_job(store, job, render=dies_on_second_part, now=clock)
    progress = store.progress(job)
    assert (progress.state, progress.done, progress.attempts) == ("waiting", 2, 1)
    calls.clear()
    assert render_job(store, job, render=lambda b: calls.append(b.first) or fake_pdf(b), now=clock)
    assert calls == [3, 5]  # part 1 was kept
    assert store.progress(job).state == "ready"


def test_a_renderer_whose_process_died_is_resumed(store: SlipJobStore) -> None:
    """A worker restarted mid-job: an attempt counted, one part written, then nothing; the
    kernel dropped its lock, so the job reads as waiting and the next render finishes it."""
    job = make_job(store)
    with store.render_lock(job) as mine:
        assert mine
        assert store.progress(job).state == "rendering"
        assert not render_job(store, job, render=fake_pdf, now=clock)  # someone else has it
        store.start_attempt(job, NOW)
        store.write_part(job, 0, fake_pdf(store.read_input(job, 0)))
    progress = store.progress(job)
    assert (progress.state, progress.done) == ("waiting", 2)
    rendered: list[int] = []
    assert render_job(
        store, job, render=lambda b: rendered.append(b.first) or fake_pdf(b), now=clock
    )
    assert rendered == [3, 5] and store.progress(job).state == "ready"


def test_a_job_that_keeps_failing_is_left_failed(
    store: SlipJobStore, caplog: pytest.LogCaptureFixture
) -> None:
    job = make_job(store)

    def broken(batch: SlipBatch) -> bytes:
        raise ValueError(f"bad template near {batch.slips[0].url}")

    caplog.set_level(logging.INFO)
    for _ in range(MAX_ATTEMPTS):
        assert not render_job(store, job, render=broken, now=clock)
    progress = store.progress(job)
    assert (progress.state, progress.done, progress.attempts) == ("failed", 0, MAX_ATTEMPTS)
    assert f"slips {job.id}: rendering failed (ValueError)" in caplog.text
    assert "tok0" not in caplog.text and "vote.example" not in caplog.text


def test_expired_jobs_and_leftovers_are_purged(store: SlipJobStore) -> None:
    old, young = make_job(store), make_job(store, ballot="B-2026-002")
    render_job(store, old, render=fake_pdf, now=clock)
    leftover = store.root / ".new-abandoned"
    leftover.mkdir()
    (leftover / "input-0001.enc").write_bytes(b"x")
    recent = store.root / ".new-in-progress"
    recent.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(leftover, (two_hours_ago, two_hours_ago))
    assert store.purge_expired(NOW + timedelta(hours=23)) == 0
    assert store.get(old.id) == old
    assert store.purge_expired(NOW + timedelta(hours=24)) == 2
    assert store.get(old.id) is None and store.get(young.id) is None
    assert sorted(p.name for p in store.root.iterdir()) == [".new-in-progress"]


def test_deleting_stops_a_renderer_quietly(store: SlipJobStore) -> None:
    job = make_job(store)

    def deletes_midway(batch: SlipBatch) -> bytes:
        store.delete(job)
        return fake_pdf(batch)

    assert not render_job(store, job, render=deletes_midway, now=clock)
    assert store.get(job.id) is None
    assert list(store.root.iterdir()) == []


def test_jobs_are_listed_by_ballot_and_ids_are_checked(store: SlipJobStore) -> None:
    first = make_job(store)
    make_job(store, ballot="B-2026-002")
    assert store.for_ballot("JB01", "B-2026-001") == [first]
    assert store.for_ballot("OTHER", "B-2026-001") == []
    for bad in ("", "..", "../slips", "a/b", "x" * 100):
        assert store.get(bad) is None
    with pytest.raises(ValueError):
        store.create(
            ballot_ref="B",
            ballot_title="t",
            community_code="c",
            community_name="n",
            closes_at=NOW,
            slips=[],
            now=NOW,
            expires_at=NOW,
            created_by=None,
        )
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]
