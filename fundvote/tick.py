"""Due work, done by ``fundvote tick`` (run every minute by a systemd timer or cron).

Each task is a function of the runtime that does what has fallen due and returns one line
saying what it did; a task that fails is logged (with a reference, never a traceback on the
terminal) and the next task still runs. Later issues add their own due work to
:data:`TASKS` (purging expired records, sending reminders...).

- ``checkpoints``: every log holding entries that no signed checkpoint covers gets one, each
  in its own unit of work (one community's log lock at a time), so every entry is covered
  within a minute of being appended (``notary.coverage``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fundvote.runtime import Runtime
from notary.coverage import cover_log, uncovered_logs

log = logging.getLogger(__name__)


class TaskFailed(RuntimeError):
    """A task did part of its work; what failed is logged."""


def sign_due_checkpoints(rt: Runtime) -> str:
    """Sign a checkpoint of every log that grew since its latest checkpoint, one unit of work
    per log; a log that cannot be checkpointed (``LogCorrupt``...) is logged and the others
    are still done, then ``TaskFailed`` names how many failed."""
    logs = rt.query(uncovered_logs)
    failed = []
    for name in logs:
        try:
            rt.run(cover_log, log=name)
        except Exception:
            log.exception("tick: the checkpoint of log %s failed", name)
            failed.append(name)
    if failed:
        raise TaskFailed(f"{len(failed)} of {len(logs)} logs not checkpointed: {', '.join(failed)}")
    return f"{len(logs)} log{'' if len(logs) == 1 else 's'} checkpointed"


TASKS: tuple[tuple[str, Callable[[Runtime], str]], ...] = (("checkpoints", sign_due_checkpoints),)
"""The due work, in the order it runs: (name, task)."""


@dataclass(frozen=True)
class TaskOutcome:
    """What one task did (``summary``), or the reference of its logged failure."""

    name: str
    summary: str
    failure_ref: str | None = None

    @property
    def is_ok(self) -> bool:
        return self.failure_ref is None


def run_tick(rt: Runtime) -> list[TaskOutcome]:
    """Run every task of :data:`TASKS` once; a failing task is logged with a reference and
    does not stop the others. Guarantees: each task runs in its own units of work, so what
    one finished stays done whatever the next does."""
    outcomes = []
    for name, task in TASKS:
        try:
            outcomes.append(TaskOutcome(name, task(rt)))
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("tick task %s failed (ref %s)", name, ref)
            outcomes.append(TaskOutcome(name, "failed", ref))
    return outcomes
