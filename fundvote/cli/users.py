"""``fundvote user``: add staff accounts, issue, list and revoke API tokens, list users,
disable and re-enable users, reset passwords, lift login locks.

Bad input exits with status 2 and one line on stderr; passwords are read from stdin
(``--password-stdin``) or a hidden, confirmed prompt, never from the command line. What these
commands change on an account is recorded as done on the server's command line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

import click

from fundvote import auth
from fundvote.auth import ROLES
from fundvote.cli.speech import _, error_line
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
        _fail(_("unknown role '%(role)s': use one of %(roles)s", role=role, roles=", ".join(ROLES)))
    if role == "admin" and communities:
        _fail(_("an admin sees every community: drop --community"))
    if password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    else:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True, err=True)
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
        _fail(error_line(error))
    click.echo(_("added %(user)s (%(role)s)", user=principal.username, role=principal.role))


@user_group.command("token", cls=_Command)
@click.argument("username")
@click.option("--label", default="", help="What the token is for (shown in listings).")
def token_command(username: str, label: str) -> None:
    """Issue an API token and print it once: it cannot be shown again."""
    try:
        with _runtime() as rt:
            issued = rt.run(
                auth.issue_token,
                username=username.strip().lower(),
                label=label,
                days=rt.settings.token_days,
            )
    except DomainError as error:
        _fail(error_line(error))
    click.echo(issued.secret)
    click.echo(
        _(
            "token %(token)s for %(user)s: store it now, it is not shown again; it expires "
            "%(expires)s",
            token=issued.token_id,
            user=username,
            expires=_utc(issued.expires_at),
        ),
        err=True,
    )


def _utc(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%dT%H:%MZ")


@user_group.command("tokens", cls=_Command)
@click.argument("username")
def tokens_command(username: str) -> None:
    """List USERNAME's API tokens, newest first: id, state, created, last used, expires,
    label (never the secret)."""
    try:
        with _runtime() as rt:
            tokens = rt.query(auth.list_tokens, username=username)
    except DomainError as error:
        _fail(error_line(error))
    for t in tokens:
        state = "revoked" if t.revoked_at else ("valid" if t.is_valid else "expired")
        click.echo(
            f"{t.id}\t{state}\t{_utc(t.created_at)}\t{_utc(t.last_used_at)}\t"
            f"{_utc(t.expires_at)}\t{t.label}"
        )


@user_group.command("revoke-token", cls=_Command)
@click.argument("username")
@click.argument("token_id", type=click.IntRange(1, 2**63 - 1))
def revoke_token_command(username: str, token_id: int) -> None:
    """Revoke USERNAME's API token TOKEN_ID (from ``fundvote user tokens``) for good."""
    try:
        with _runtime() as rt:
            rt.run(auth.revoke_token, token_id=token_id, username=username, via="cli")
    except DomainError as error:
        _fail(error_line(error))
    click.echo(
        _("token %(token)s of %(user)s revoked", token=token_id, user=username.strip().lower())
    )


def _set_active(username: str, is_active: bool) -> None:
    try:
        with _runtime() as rt:
            rt.run(auth.set_user_active, username=username, is_active=is_active, via="cli")
    except DomainError as error:
        _fail(error_line(error))
    user = username.strip().lower()
    click.echo(_("%(user)s enabled", user=user) if is_active else _("%(user)s disabled", user=user))


@user_group.command("disable", cls=_Command)
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable USERNAME: no more logins; open logins and API tokens stop working at once."""
    _set_active(username, False)


@user_group.command("enable", cls=_Command)
@click.argument("username")
def enable_command(username: str) -> None:
    """Enable USERNAME again (their unrevoked, unexpired tokens work again)."""
    _set_active(username, True)


@user_group.command("reset-password", cls=_Command)
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of stdin instead of generating one.",
)
def reset_password_command(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password and end their logins. Without --password-stdin a strong
    password is generated and printed once on stdout."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        if password is not None:
            auth.check_password_policy(password)
        with _runtime() as rt:
            new = rt.run(auth.reset_password, username=username, password=password, via="cli")
    except DomainError as error:
        _fail(error_line(error))
    if password is None:
        click.echo(new)
        click.echo(
            _(
                "new password for %(user)s: give it in private, it is not shown again",
                user=username.strip().lower(),
            ),
            err=True,
        )
    else:
        click.echo(_("password of %(user)s replaced", user=username.strip().lower()), err=True)


@user_group.command("unlock", cls=_Command)
@click.argument("username")
def unlock_command(username: str) -> None:
    """Lift every login lock of USERNAME (from every client address)."""
    try:
        with _runtime() as rt:
            locked = rt.run(auth.unlock_user, username=username, via="cli")
    except DomainError as error:
        _fail(error_line(error))
    click.echo(
        _(
            "%(user)s: %(count)s locked address(es) unlocked",
            user=username.strip().lower(),
            count=locked,
        )
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
