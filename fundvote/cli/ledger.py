"""``fundvote ledger ...``: the books from the command line.

- ``ledger balances COMMUNITY [--to DATE] [--json]``: every account with its balance, debits
  minus credits (a healthy unit sub-account is <= 0); ``--json`` prints exactly
  ``{"accounts": [{"code", "name", "type", "balance_fen"}, ...]}`` (``name`` in Chinese);
- ``ledger export-beancount COMMUNITY --out FILE [--to DATE]``: the books as a Beancount 3
  file that re-adds every posting and asserts our balances (:mod:`ledger.export`); written
  to a temporary file beside FILE and renamed, so FILE is never half written;
- ``ledger import COMMUNITY FILE.csv [--by USER]``: legacy history, all or nothing
  (:mod:`ledger.legacy`); a second import of the same file posts nothing. With ``--by`` the
  entries record that staff user, who must be of the committee, the authority or an admin
  acting for the community; without it, no user (the administrator at the console).

Bad input (an unknown community, a bad date, a rejected file) exits with status 2 and one
line on stderr naming the file, line and column (``--all-problems`` lists every one).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import click

from estate.api import find_community, format_hundredths
from fundvote import auth
from fundvote.cli.common import LEGACY_FILE, cli_runtime, fail, read_file, reject, text_table
from fundvote.cli.speech import _, problem_line
from fundvote.roles import LEGACY_IMPORT_ROLES
from ledger.api import (
    LegacyImportRejected,
    balances,
    import_legacy,
    write_beancount,
)

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group("ledger")
def ledger_group() -> None:
    """The funds ledger: balances, Beancount export, legacy import."""


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


from fundvote.cli.ledger_funds import LEDGER_COMMANDS as _FUNDS_COMMANDS  # noqa: E402

for _command in _FUNDS_COMMANDS:
    ledger_group.add_command(_command)


@ledger_group.command("balances")
@click.argument("community")
@click.option("--to", "to", type=DATE, default=None, help="Balances at the end of this day.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def balances_command(community: str, to: datetime | None, as_json: bool) -> None:
    """Every account of COMMUNITY with its balance (debits minus credits, in fen for --json)."""
    with cli_runtime() as rt:
        rows = rt.query(balances, community, to=_day(to))
    if as_json:
        accounts = [
            {"code": b.code, "name": b.name_zh, "type": b.type, "balance_fen": b.balance_fen}
            for b in rows
        ]
        click.echo(json.dumps({"accounts": accounts}, ensure_ascii=False))
        return
    table = [
        [b.code, b.name_zh, b.type, format_hundredths(b.balance_fen, grouping=True)] for b in rows
    ]
    header = [_("code"), _("name"), _("type"), _("balance (yuan)")]
    click.echo(text_table(header, table, right={3}))


@ledger_group.command("export-beancount")
@click.argument("community")
@click.option("--out", "out", required=True, help="The Beancount file to write.")
@click.option("--to", "to", type=DATE, default=None, help="Entries up to this day.")
def export_beancount_command(community: str, out: str, to: datetime | None) -> None:
    """Write COMMUNITY's books to --out as a Beancount 3 file."""
    target = Path(out)
    if target.is_dir():
        fail(_("%(path)s: is a directory, not a file", path=out))
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with cli_runtime() as rt, temporary.open("w", encoding="utf-8", newline="\n") as fh:
            summary = rt.query(write_beancount, community, fh, to=_day(to))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    click.echo(
        _(
            "%(path)s: %(accounts)s accounts, %(entries)s entries up to %(end)s, balances "
            "asserted on %(day)s",
            path=out,
            accounts=summary.accounts,
            entries=summary.entries,
            end=summary.end_date.isoformat(),
            day=summary.balance_date.isoformat(),
        )
    )


@ledger_group.command("import")
@click.argument("community")
@click.argument("file")
@click.option("--by", "username", default=None, help="The staff user recording the import.")
@click.option(
    "--all-problems",
    is_flag=True,
    help="On rejection list every problem, one per line (default: the first and a count).",
)
def import_command(community: str, file: str, username: str | None, all_problems: bool) -> None:
    """Import legacy entries from FILE (entry,date,memo,account,debit,credit) into COMMUNITY."""
    data = read_file(file, LEGACY_FILE)
    with cli_runtime() as rt:
        actor = None
        if username is not None:
            user = rt.query(auth.find_user, username)
            if user is None:
                fail(
                    _("fundvote ledger import: %(user)s is not an active staff user", user=username)
                )
            found = rt.query(find_community, community)
            if found is not None and not (
                user.role in LEGACY_IMPORT_ROLES and user.may_act_for(found.id)
            ):
                fail(
                    _(
                        "fundvote ledger import: %(user)s may not import entries into %(code)s "
                        "(roles: %(roles)s, within their communities)",
                        user=username,
                        code=community,
                        roles=", ".join(LEGACY_IMPORT_ROLES),
                    )
                )
            actor = user.user_id
        try:
            summary = rt.run_as(
                actor, import_legacy, community_code=community, data=data, filename=file
            )
        except LegacyImportRejected as exc:
            if all_problems:
                reject([problem_line(p) for p in exc.problems])
            reject([problem_line(exc.problems[0])], len(exc.problems) - 1)
    if summary.first_date and summary.last_date:
        line = _(
            "%(path)s: %(entries)s legacy entries from %(first)s to %(last)s: %(posted)s "
            "posted, %(already)s already in the books; file SHA-256 %(sha256)s",
            first=summary.first_date.isoformat(),
            last=summary.last_date.isoformat(),
            path=file,
            entries=summary.entries,
            posted=summary.posted,
            already=summary.already,
            sha256=summary.file_sha256,
        )
    else:
        line = _(
            "%(path)s: %(entries)s legacy entries: %(posted)s posted, %(already)s already "
            "in the books; file SHA-256 %(sha256)s",
            path=file,
            entries=summary.entries,
            posted=summary.posted,
            already=summary.already,
            sha256=summary.file_sha256,
        )
    click.echo(line)
