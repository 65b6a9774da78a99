"""The integrity self-check (``fundvote log verify``): each community's log recomputed from
its stored entries, every stored checkpoint checked against it, and the tables derived from
the log checked against their entries.

One read-only unit of work; on PostgreSQL it runs at ``REPEATABLE READ`` so every batch of
the scan sees the same snapshot (SQLite's deferred transaction already does). Each log is
read once: :func:`notary.logcheck.check_log` passes every entry on to the collectors of the
packages whose tables derive from the log (``voting``'s, see :mod:`voting.integrity`, and
the ledger's, see :mod:`ledger.integrity`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from estate.api import CommunityNotFound
from estate.models import Community
from ledger.integrity import LoggedEntries, ledger_differences
from notary import store
from notary.errors import N_
from notary.logcheck import Difference, check_log
from notary.work import UnitOfWork
from voting.integrity import LoggedBallots, community_ballot_differences


@dataclass(frozen=True)
class LogReport:
    """What was checked of one log, and every difference found (empty when clean)."""

    log: str
    entries: int
    checkpoints: int
    ballots: int
    differences: tuple[Difference, ...]
    journal_entries: int = 0

    @property
    def is_clean(self) -> bool:
        return not self.differences


def verify_logs(uow: UnitOfWork, *, community: str | None = None) -> list[LogReport]:
    """Check every log (or ``community``'s) and the tables derived from it; reads only.

    Guarantees: each difference names the log, the table, the row by its opaque key and the
    field, never personal data or a row's contents; the checkpoints are verified with the
    active and every retired key. ``CommunityNotFound`` when ``community`` names neither a
    community nor a log.
    """
    s = uow.session
    if s.get_bind().dialect.name == "postgresql":
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    known = set(s.scalars(sa.select(store.LogHead.log)))
    if community is not None:
        has_row = s.scalar(sa.select(Community.id).where(Community.code == community))
        if community not in known and has_row is None:
            raise CommunityNotFound(N_("There is no community %(code)s."), code=community)
        names = [community]
    else:
        names = sorted(known | set(s.scalars(sa.select(Community.code))))
    reports = []
    for name in names:
        ballots = LoggedBallots(name)
        entries = LoggedEntries(name)

        def observe(entry: store.StoredEntry) -> None:
            ballots.add(entry)  # noqa: B023 (called within this iteration only)
            entries.add(entry)  # noqa: B023

        diffs = check_log(s, name, uow.keyring, uow.origin_prefix, observe=observe)
        checked, ballot_diffs = community_ballot_differences(s, name, ballots)
        journal_entries, ledger_diffs = ledger_differences(s, name, entries)
        checkpoints = s.scalar(
            sa.select(sa.func.count())
            .select_from(store.LogCheckpoint)
            .where(store.LogCheckpoint.log == name)
        )
        reports.append(
            LogReport(
                log=name,
                entries=store.tree_size(s, name),
                checkpoints=checkpoints or 0,
                ballots=checked,
                differences=tuple(diffs + ballot_diffs + ledger_diffs),
                journal_entries=journal_entries,
            )
        )
    return reports
