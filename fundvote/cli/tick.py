"""``fundvote tick``: do the work that has fallen due; run it every minute from a timer."""

from __future__ import annotations

import sys

import click

from fundvote.cli.common import cli_runtime
from fundvote.cli.speech import _
from fundvote.tick import run_tick


@click.command("tick")
def tick_command() -> None:
    """Do what has fallen due (sign checkpoints of grown logs...); run every minute.

    One line per task; exit status 1 when a task failed (its traceback is in the log, under
    the reference printed)."""
    with cli_runtime() as rt:
        outcomes = run_tick(rt)
    for outcome in outcomes:
        if outcome.is_ok:
            said = _(outcome.summary.message, **outcome.summary.params)
            click.echo(f"{outcome.name}: {said}")
        else:
            click.echo(
                _(
                    "%(task)s: failed (reference %(reference)s)",
                    task=outcome.name,
                    reference=outcome.failure_ref,
                ),
                err=True,
            )
    if not all(o.is_ok for o in outcomes):
        sys.exit(1)
