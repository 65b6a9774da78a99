"""``fundvote user``: add staff accounts, issue API tokens, list users.

Bad input exits with status 2 and one line on stderr; passwords are read from stdin
(``--password-stdin``) or a hidden, confirmed prompt, never from the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from fundvote import auth
from fundvote.auth import ROLES
from fundvote.config import load_settings
from fundvote.runtime import Runtime, build_runtime
from notary.api import DomainError


def _fail(message: str) -> NoReturn:
    click.echo(f"fundvote: {message}", err=True)
    sys.exit(2)


class _Command(click.Command):
    """A command whose usage errors are one line on stderr and exit status 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            _fail(error.format_message().replace("\n", " "))


@contextmanager
def _runtime() -> Iterator[Runtime]:
    rt = build_runtime(load_settings())
    try:
        yield rt
    finally:
        rt.engine.dispose()


@click.group("user")
def user_group() -> None:
    """Staff accounts and API tokens."""


@user_group.command("add", cls=_Command)
@click.argument("username")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option(
    "--community",
    "communities",
    multiple=True,
    metavar="CODE",
    help="A community the user acts for (repeatable; not for admins).",
)
@click.option("--display-name", default=None, help="The name shown in the interface.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def add_command(
    username: str,
    role: str,
    communities: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
) -> None:
    """Add a staff user."""
    if role not in ROLES:
        _fail(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if role == "admin" and communities:
        _fail("an admin sees every community: drop --community")
    if password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        auth.check_password_policy(password)
        with _runtime() as rt:
            principal = rt.run(
                auth.add_user,
                username=username,
                password=password,
                role=role,
                communities=communities,
                display_name=display_name,
            )
    except DomainError as error:
        _fail(error.text)
    click.echo(f"added {principal.username} ({principal.role})")


@user_group.command("token", cls=_Command)
@click.argument("username")
@click.option("--label", default="", help="What the token is for (shown in listings).")
def token_command(username: str, label: str) -> None:
    """Issue an API token and print it once: it cannot be shown again."""
    try:
        with _runtime() as rt:
            issued = rt.run(auth.issue_token, username=username.strip().lower(), label=label)
    except DomainError as error:
        _fail(error.text)
    click.echo(issued.secret)
    click.echo(
        f"token {issued.token_id} for {username}: store it now, it is not shown again", err=True
    )


@user_group.command("list", cls=_Command)
def list_command() -> None:
    """List staff users: username, role, state, communities."""
    with _runtime() as rt:
        users = rt.query(auth.list_users)
    for user in users:
        state = "active" if user.is_active else "disabled"
        scope = ",".join(user.community_codes) or ("*" if user.role == "admin" else "-")
        click.echo(f"{user.username}\t{user.role}\t{state}\t{scope}\t{user.display_name}")
