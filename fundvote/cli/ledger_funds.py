"""``fundvote ledger deposit-import COMMUNITY FILE``: import a bank statement of deposits.

The same use case as the fund page and the JSON API
(:func:`fundvote.ledger_funds.import_statement_as`), on behalf of the staff user named by
``--by``, who must hold the community's fund (an authority user while the authority holds
it, the committee once the owners' assembly does). Every row or none; a rejected file exits
with status 2 and names its first problem (``--all-problems``: every one, one a line);
the same file imported again posts nothing and says so.

:data:`LEDGER_COMMANDS` lists this file's commands; ``fundvote.cli.ledger`` adds them to the
``ledger`` group.
"""

from __future__ import annotations

import click

from estate.api import find_community, format_hundredths
from fundvote import auth
from fundvote.cli.common import (
    STATEMENT_FILE,
    cli_runtime,
    fail,
    no_such_community,
    read_file,
    reject,
)
from fundvote.cli.speech import _
from fundvote.ledger_funds import import_statement_as
from ledger.api import StatementProblem, StatementRejected


def _problem(file: str, p: StatementProblem) -> str:
    where = _("line %(line)s", line=p.line) + (f", {p.field}" if p.field else "")
    return f"{file}: {where}: {_(p.message, **p.params)}"


@click.command("deposit-import")
@click.argument("code")
@click.argument("file")
@click.option("--by", "username", required=True, help="The staff user who holds the fund.")
@click.option("--all-problems", is_flag=True, help="On rejection, print every problem.")
def deposit_import_command(code: str, file: str, username: str, all_problems: bool) -> None:
    """Import FILE (CSV or XLSX: date,unit,amount,reference) as deposits into CODE's
    sub-accounts: every row or none, one entry for the file."""
    data = read_file(file, STATEMENT_FILE)
    with cli_runtime() as rt:
        user = rt.query(auth.find_user, username)
        if user is None:
            fail(
                _(
                    "fundvote ledger deposit-import: %(user)s is not an active staff user",
                    user=username,
                )
            )
        if rt.query(find_community, code) is None:
            no_such_community(code)
        try:
            done = import_statement_as(rt, user, code, data=data, filename=file)
        except StatementRejected as exc:
            shown = exc.problems if all_problems else exc.problems[:1]
            reject([_problem(file, p) for p in shown], len(exc.problems) - len(shown))
    if done.is_replay:
        click.echo(
            _(
                "%(path)s: imported before as entry %(entry)s; nothing new was posted",
                path=file,
                entry=done.entry.number,
            )
        )
        return
    click.echo(
        _(
            "%(path)s: %(rows)s deposits (%(first)s first), %(total)s yuan, entry %(entry)s, "
            "log entry %(index)s, sha256 %(sha256)s",
            path=file,
            rows=done.rows,
            first=done.first_deposits,
            total=format_hundredths(done.total_fen),
            entry=done.entry.number,
            index=done.entry.log_index,
            sha256=done.statement_sha256,
        )
    )


LEDGER_COMMANDS = (deposit_import_command,)
"""This module's ``fundvote ledger`` commands."""
