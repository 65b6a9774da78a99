"""``fundvote log verify [COMMUNITY]``: the integrity self-check.

Recomputes each community's log from its stored entries, checks every stored checkpoint
against it (signatures by the active or a retired key), and checks that the tables derived
from the log (votes, paper entries, decisions, the frozen roll, ballot states) agree with
their entries, and the ledger's journal entries, postings and running balances against
theirs. Prints one line per log, then one line per difference. Exit status: 0 clean,
1 when there is a difference, 2 for bad arguments (an unknown community).
"""

from __future__ import annotations

import sys

import click

from fundvote.cli.common import cli_runtime
from fundvote.cli.speech import _
from fundvote.integrity import verify_logs


@click.group("log")
def log_group() -> None:
    """Check the communities' logs."""


@log_group.command("verify")
@click.argument("community", required=False)
def verify_command(community: str | None) -> None:
    """Recompute the log of COMMUNITY (default: every log) and check the tables derived from it.

    Exit status 0 when everything agrees, 1 when something differs (each difference is
    listed: log, table, row, field), 2 for an unknown community."""
    with cli_runtime() as rt:
        reports = rt.query(verify_logs, community=community)
    for report in reports:
        state = (
            _("clean")
            if report.is_clean
            else _("%(count)s differences", count=len(report.differences))
        )
        click.echo(
            _(
                "%(log)s: %(entries)s entries, %(checkpoints)s checkpoints, %(ballots)s "
                "ballots, %(journal)s journal entries: %(state)s",
                log=report.log,
                entries=report.entries,
                checkpoints=report.checkpoints,
                ballots=report.ballots,
                journal=report.journal_entries,
                state=state,
            )
        )
    differences = [d for report in reports for d in report.differences]
    for difference in differences:
        click.echo(difference.text)
    if differences:
        sys.exit(1)
