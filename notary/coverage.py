"""Keeping every log entry covered by a signed checkpoint.

Checkpoints are signed by the service on its own schedule, never because someone asked to
check something: at every ballot state change (the step calls
:meth:`notary.work.UnitOfWork.checkpoint` in its own unit of work), and by ``fundvote tick``
(run every minute by a timer), which signs one for every log that grew since its latest
checkpoint. So an entry is covered by a signed checkpoint at most :data:`COVER_SECONDS`
after it was appended, and checking a receipt only reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from notary import store
from notary.work import UnitOfWork

COVER_SECONDS = 60
"""An appended entry is covered by a signed checkpoint within this many seconds (the tick runs
every minute)."""


def due_by(appended_at: datetime) -> datetime:
    """When the checkpoint covering an entry appended at ``appended_at`` is due."""
    return appended_at + timedelta(seconds=COVER_SECONDS)


def uncovered_logs(uow: UnitOfWork) -> list[str]:
    """The logs holding entries that no signed checkpoint covers yet, by name. Reads only."""
    head, cp = store.LogHead, store.LogCheckpoint
    latest = sa.select(sa.func.max(cp.size)).where(cp.log == head.log).scalar_subquery()
    query = sa.select(head.log).where(head.size > sa.func.coalesce(latest, 0)).order_by(head.log)
    return list(uow.session.scalars(query))


def cover_log(uow: UnitOfWork, *, log: str) -> int:
    """Sign and store a checkpoint of ``log`` at its current size (nothing new if the latest
    checkpoint already has that size); return the size covered. Guarantees what
    :func:`notary.store.issue_checkpoint` does: the new head is proven consistent with the
    latest checkpoint first (``LogCorrupt`` otherwise)."""
    return uow.checkpoint(log).size
