"""``fundvote keys``: show the signing keys and rotate the active one.

The key file is ``FUNDVOTE_SIGNING_KEY_FILE`` (default ``instance/signing.key``); retired
public keys are kept in ``<key file>.retired`` so earlier checkpoints stay verifiable.
"""

from __future__ import annotations

import dataclasses
import json

import click

from fundvote.cli.speech import _, error_line
from fundvote.config import load_settings
from notary.api import DomainError, KeyRecord, load_keyring, rotate_key


class KeyProblem(click.ClickException):
    """A key file is missing or unreadable: one line on stderr, exit status 2."""

    exit_code = 2

    @classmethod
    def of(cls, path: object, error: DomainError) -> KeyProblem:
        """``<path>: <the error's message>``, in the command line's language."""
        return cls(_("%(field)s: %(problem)s", field=path, problem=error_line(error)))


@click.group("keys")
def keys_group() -> None:
    """Show or rotate the key that signs log checkpoints."""


@keys_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the key records as JSON.")
def show_command(as_json: bool) -> None:
    """Print every key, the active one first: key ID, name, status and verifier key."""
    settings = load_settings()
    path = settings.signing_key_file
    try:
        records = load_keyring(path, create=False, name=settings.key_name).public_keys()
    except DomainError as exc:
        raise KeyProblem.of(path, exc) from exc
    _print(records, as_json)


@keys_group.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Print the key records as JSON.")
def rotate_command(as_json: bool) -> None:
    """Make a new active signing key and retire the current one (kept for verifying)."""
    settings = load_settings()
    path = settings.signing_key_file
    try:
        records = rotate_key(path, name=settings.key_name).public_keys()
    except DomainError as exc:
        raise KeyProblem.of(path, exc) from exc
    if not as_json:
        click.echo(
            _(
                "new signing key %(key)s; running servers sign with it from their next request",
                key=records[0].key_id,
            )
        )
    _print(records, as_json)


def _print(records: list[KeyRecord], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in records], indent=2))
        return
    for r in records:
        click.echo(f"{r.key_id}  {r.status:<7}  {r.algorithm}  {r.verifier_key}")
