"""Rendering slip jobs in the background, and resuming them after a crash.

:func:`ensure_rendering` is called by every request that looks at a job (the issuing
request, the job page, the links page): if the job is neither rendered nor being rendered
(nobody holds its render lock: the thread died with its process, or it failed and has
attempts left), it hands :func:`render_job` to the application's executor. The default
executor starts a daemon thread in this worker; tests install a synchronous one as
``app.extensions["fundvote_slips_executor"]``. Parts already rendered are kept, so a resumed
job continues where it stopped.

Log lines name the job id and the part number, never a link or a name.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app

from fundvote.access import current_runtime
from fundvote.web.slip_render import render_slips
from fundvote.web.slip_store import (
    PART_SIZE,
    JobGone,
    JobProgress,
    Slip,
    SlipBatch,
    SlipJob,
    SlipJobStore,
)
from voting.api import IssuedLinks

Executor = Callable[[Callable[[], None]], None]
Renderer = Callable[[SlipBatch], bytes]

log = logging.getLogger(__name__)
LOCK_TRIES = 20  # a page probing the lock holds it for an instant: retry a little


def slip_store() -> SlipJobStore:
    """The slip-job store of this application: ``<instance>/slips``, sealed with the
    runtime's data cipher, parts of ``FUNDVOTE_SLIPS_PART_SIZE`` slips (app config; default
    :data:`~fundvote.web.slip_store.PART_SIZE`)."""
    rt = current_runtime()
    part_size = int(current_app.config.get("FUNDVOTE_SLIPS_PART_SIZE") or PART_SIZE)
    return SlipJobStore(rt.settings.instance_path / "slips", rt.cipher, part_size=part_size)


def thread_executor(task: Callable[[], None]) -> None:
    """Run ``task`` in a new daemon thread (it dies with the worker; the job is resumed)."""
    threading.Thread(target=task, name="fundvote-slips", daemon=True).start()


def start_job(issued: IssuedLinks, *, created_by: int | None) -> SlipJob:
    """Store a slip job for the links just issued and start rendering it in the background.

    Guarantees: the links are on disk only encrypted; the job expires ``slips_keep_hours``
    after now, and never later than that after the ballot closes. Raises ``OSError`` when
    the job cannot be stored (nothing is left behind) and ``ValueError`` for no links.
    """
    rt = current_runtime()
    now = rt.clock.now()
    keep = timedelta(hours=rt.settings.slips_keep_hours)
    store = slip_store()
    store.purge_expired(now)
    job = store.create(
        ballot_ref=issued.ballot_ref,
        ballot_title=issued.ballot_title,
        community_code=issued.community_code,
        community_name=issued.community_name,
        closes_at=issued.closes_at,
        slips=[
            Slip(link.unit_codes, link.holder_label, link.is_developer, link.area_centi, link.url)
            for link in issued.links
        ],
        now=now,
        expires_at=min(now + keep, issued.closes_at + keep),
        created_by=created_by,
    )
    log.info("slips %s: %s slips for ballot %s", job.id, job.total, job.ballot_ref)
    ensure_rendering(store, job)
    return job


def ensure_rendering(store: SlipJobStore, job: SlipJob) -> JobProgress:
    """Start or resume rendering ``job`` unless it is rendered, being rendered or out of
    attempts; return its progress as it stood before. Needs an application context."""
    progress = store.progress(job)
    if progress.state != "waiting":
        return progress
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    executor: Executor = app.extensions.get("fundvote_slips_executor", thread_executor)
    clock = current_runtime().clock

    def task() -> None:
        with app.app_context():
            render_job(store, job, render=render_slips, now=clock.now)

    executor(task)
    return progress


def render_job(
    store: SlipJobStore, job: SlipJob, *, render: Renderer, now: Callable[[], datetime]
) -> bool:
    """Render every part of ``job`` not yet rendered, holding its render lock; return whether
    this call rendered the whole job (False if another thread holds the lock, the job is
    gone or rendering failed).

    Guarantees: at most one renderer per job at a time, across threads and processes; each
    part is stored encrypted as soon as it is rendered; a failure is recorded (the attempt
    counts) and logged with the job id and the error's type only.
    """
    with store.render_lock(job, tries=LOCK_TRIES) as mine:
        if not mine:
            return False
        try:
            store.start_attempt(job, now())
            for index in range(job.parts):
                if store.has_part(job, index):
                    continue
                store.write_part(job, index, render(store.read_input(job, index)))
                log.info("slips %s: part %s of %s rendered", job.id, index + 1, job.parts)
        except JobGone:
            return False
        except Exception as error:  # a background thread: record the failure, never raise
            with contextlib.suppress(JobGone):
                store.record_failure(job, now())
            log.error("slips %s: rendering failed (%s)", job.id, type(error).__name__)
            return False
    return True
