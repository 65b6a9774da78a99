"""``fundvote community set``: change a community's voting settings, and ``fundvote
community settings``: show them with their history.

The change is the same use case the settings page and the JSON API perform
(:func:`fundvote.community_settings.change_community_settings`), on behalf of the staff user
named by ``--by``: the committee (or an admin) sets the deemed-majority clause, the binding
result, the publicity period and the emergency publication period; only a housing authority
user sets who holds the fund, with ``--document-sha256``. Bad input or a refusal exits with
status 2 and one line on stderr.
"""

from __future__ import annotations

import click

from estate.api import (
    EMERGENCY_PUBLISH_DAYS_MAX,
    EMERGENCY_PUBLISH_DAYS_MIN,
    MAX_BASIS,
    PUBLICITY_DAYS_MAX,
    PUBLICITY_DAYS_MIN,
    find_community,
)
from fundvote import auth
from fundvote.cli.common import WholeNumber, cli_runtime, fail, no_such_community, text_argument
from fundvote.cli.speech import _
from fundvote.community_settings import change_community_settings, settings_page

ON_OFF = {"on": True, "off": False}


@click.command("set")
@click.argument("code")
@click.option(
    "--deemed-majority", type=click.Choice(["on", "off"]), help="The deemed-majority clause."
)
@click.option("--binding", type=click.Choice(["plain", "deemed"]), help="Which result binds.")
@click.option(
    "--publicity-days",
    type=WholeNumber(PUBLICITY_DAYS_MIN, PUBLICITY_DAYS_MAX),
    help="Days the published results stay open to objections.",
)
@click.option(
    "--emergency-publish-days",
    type=WholeNumber(EMERGENCY_PUBLISH_DAYS_MIN, EMERGENCY_PUBLISH_DAYS_MAX),
    help="Days within which an emergency draw's costs must be published to the owners.",
)
@click.option(
    "--fund-holder", type=click.Choice(["authority", "assembly"]), help="Who holds the fund."
)
@click.option("--by", "username", required=True, help="The staff user making the change.")
@click.option(
    "--basis",
    required=True,
    help="The management rules' article or the owners' decision that allows the change.",
)
@click.option(
    "--document-sha256",
    default=None,
    help="SHA-256 (hex) of the transfer document (required with --fund-holder).",
)
def community_set(
    code: str,
    deemed_majority: str | None,
    binding: str | None,
    publicity_days: int | None,
    emergency_publish_days: int | None,
    fund_holder: str | None,
    username: str,
    basis: str,
    document_sha256: str | None,
) -> None:
    """Change community CODE's voting settings, citing --basis."""
    basis = text_argument(basis, what="fundvote community set: --basis", limit=MAX_BASIS)
    if (
        deemed_majority is None
        and binding is None
        and publicity_days is None
        and emergency_publish_days is None
        and fund_holder is None
    ):
        fail(
            _(
                "fundvote community set: name a setting: --deemed-majority, --binding, "
                "--publicity-days, --emergency-publish-days or --fund-holder"
            )
        )
    with cli_runtime() as rt:
        user = rt.query(auth.find_user, username)
        if user is None:
            fail(_("fundvote community set: %(user)s is not an active staff user", user=username))
        if rt.query(find_community, code) is None:
            no_such_community(code)
        change = change_community_settings(
            rt,
            user,
            code,
            basis=basis,
            deemed_majority_enabled=None if deemed_majority is None else ON_OFF[deemed_majority],
            binding_result=binding,
            publicity_days=publicity_days,
            emergency_publish_days=emergency_publish_days,
            fund_holder=fund_holder,
            document_sha256=document_sha256,
        )
    for name in sorted(change.new):
        click.echo(
            _(
                "community %(code)s: %(name)s %(old)s -> %(new)s",
                code=code,
                name=name,
                old=_shown(change.old[name]),
                new=_shown(change.new[name]),
            )
        )
    click.echo(_("logged at index %(index)s", index=change.log_index))


@click.command("settings")
@click.argument("code")
def community_settings(code: str) -> None:
    """Show community CODE's voting settings and their history, newest first."""
    with cli_runtime() as rt:
        if rt.query(find_community, code) is None:
            no_such_community(code)
        page = rt.query(settings_page, code)
    for name, value in page.settings.as_dict().items():
        click.echo(f"{name}: {_shown(value)}")
    for line in page.history:
        changes = ", ".join(
            f"{k} {_shown(line.old[k])} -> {_shown(line.new[k])}" for k in sorted(line.new)
        )
        at = line.changed_at.strftime("%Y-%m-%dT%H:%MZ")
        where = _("(log index %(index)s)", index=line.log_index)
        click.echo(f"{at}  {line.actor_name}  {changes}  {where}")


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
