"""``fundvote verify FILE.zip [--key KEY] [--previous OLD.zip] [--receipt R.json]
[--statement S] [--json]``: check an audit bundle offline (``audit.verify``).

Needs no database and no instance: exit 0 clean, 1 with any finding, 2 when the bundle (or
``--previous``) is missing or not a zip, or ``--key``/``--statement`` cannot be read.
"""

from __future__ import annotations

import sys

import click

from audit.api import run_verifier as run


@click.command("verify")
@click.argument("bundle", metavar="FILE.zip")
@click.option("--key", default=None, help="The instance's verifier key (a key line or a file).")
@click.option("--previous", default=None, help="An older bundle (or its checkpoint.txt).")
@click.option("--receipt", default=None, help="A voter's receipt (JSON) to find in the log.")
@click.option("--statement", default=None, help="An owner's unit statement (JSON) to check.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
def verify_command(
    bundle: str,
    key: str | None,
    previous: str | None,
    receipt: str | None,
    statement: str | None,
    as_json: bool,
) -> None:
    """Check the audit bundle FILE.zip: signatures, log, ballots and books."""
    code, out, err = run(
        bundle, key=key, previous=previous, receipt=receipt, statement=statement, as_json=as_json
    )
    click.echo(out, nl=False)
    if err:
        click.echo(err, nl=False, err=True)
    sys.exit(code)
