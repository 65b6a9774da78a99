"""Due work, done by ``fundvote tick`` (run every minute by a systemd timer or cron).

Each task is a function of the runtime that does what has fallen due and returns a
:class:`Summary` of what it did (a msgid and its values, translated by whoever shows it); a
task that fails is logged (with a reference, never a traceback on the terminal) and the next
task still runs. Later issues add their own due work to :data:`TASKS` (purging expired
records, sending reminders...).

- ``finality``: every published ballot that has become final by the rules (publicity period
  over, every objection answered, none upheld: ``voting.finality``) is recorded as final at
  the moment it became so, and logged (``voting.ballot_final`` with no actor); a ballot whose
  period ended with objections unanswered is flagged once (``voting.objections_overdue``).
  One unit of work per ballot. Runs before ``checkpoints``, so its entries are signed by the
  same tick.
- ``checkpoints``: every log holding entries that no signed checkpoint covers gets one, each
  in its own unit of work (one community's log lock at a time), so every entry is covered
  within a minute of being appended (``notary.coverage``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fundvote.runtime import Runtime
from notary.coverage import cover_log, uncovered_logs
from notary.errors import N_
from voting import api as voting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summary:
    """What a task did: an English msgid with named placeholders and their values (the
    command line prints it in the operator's language); ``str()`` is the English sentence."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


class TaskFailed(RuntimeError):
    """A task did part of its work; what failed is logged. ``summary`` says how much failed
    (its ``str()``, the English sentence, is the exception's message)."""

    def __init__(self, summary: Summary) -> None:
        super().__init__(str(summary))
        self.summary = summary


def sign_due_checkpoints(rt: Runtime) -> Summary:
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
        raise TaskFailed(
            Summary(
                N_("%(failed)s of %(count)s logs not checkpointed: %(names)s"),
                {"failed": len(failed), "count": len(logs), "names": ", ".join(failed)},
            )
        )
    if len(logs) == 1:
        return Summary(N_("%(count)s log checkpointed"), {"count": 1})
    return Summary(N_("%(count)s logs checkpointed"), {"count": len(logs)})


def record_due_finality(rt: Runtime) -> Summary:
    """Record every ballot that has become final and flag overdue objections once, one unit
    of work per ballot; a ballot that fails is logged and the others are still done, then
    ``TaskFailed`` names how many failed. A ballot another process moved meanwhile
    (``IllegalTransition``) is skipped, not a failure."""
    finals = rt.query(voting.due_finals)
    overdue = [o.ballot_ref for o in rt.query(voting.overdue_objections) if o.flagged_at is None]
    done = flagged = 0
    failed = []
    for ref in finals:
        try:
            rt.run(voting.finalize_ballot, ballot_ref=ref)
            done += 1
        except voting.IllegalTransition:
            continue
        except Exception:
            log.exception("tick: recording ballot %s as final failed", ref)
            failed.append(ref)
    for ref in overdue:
        try:
            flagged += rt.run(voting.flag_overdue_objections, ballot_ref=ref)
        except voting.IllegalTransition:
            continue
        except Exception:
            log.exception("tick: flagging the overdue objections of ballot %s failed", ref)
            failed.append(ref)
    if failed:
        raise TaskFailed(
            Summary(
                N_("%(failed)s ballots not done: %(refs)s"),
                {"failed": len(failed), "refs": ", ".join(failed)},
            )
        )
    counts = {"count": done, "flagged": flagged}
    if done == 1:
        return Summary(N_("%(count)s ballot final, %(flagged)s flagged"), counts)
    return Summary(N_("%(count)s ballots final, %(flagged)s flagged"), counts)


TASKS: tuple[tuple[str, Callable[[Runtime], Summary]], ...] = (
    ("finality", record_due_finality),
    ("checkpoints", sign_due_checkpoints),
)
"""The due work, in the order it runs: (name, task)."""


@dataclass(frozen=True)
class TaskOutcome:
    """What one task did (``summary``), or the reference of its logged failure."""

    name: str
    summary: Summary
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
            outcomes.append(TaskOutcome(name, Summary(N_("failed")), ref))
    return outcomes
