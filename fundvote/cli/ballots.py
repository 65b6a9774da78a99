"""``fundvote ballot``: list a community's ballots and take a ballot through its lifecycle.

The steps are the same use cases the committee's pages and the JSON API perform
(:mod:`fundvote.lifecycle`); ``--by`` names the staff user on whose behalf the step is logged.
Bad input or a refused step exits with status 2 and one line on stderr.
"""

from __future__ import annotations

import click

from estate.api import find_community
from fundvote import auth
from fundvote.cli.common import cli_runtime, fail, no_such_community
from fundvote.cli.speech import _
from fundvote.lifecycle import NEEDS_REASON, STEPS, advance_ballot
from voting import api as voting


@click.group("ballot")
def ballot_group() -> None:
    """Ballots (表决): list them, open, close, tally, publish, finalize, cancel, annul."""


@ballot_group.command("list")
@click.argument("community")
def ballot_list(community: str) -> None:
    """List COMMUNITY's ballots: reference, status, closing time (UTC), title."""
    with cli_runtime() as rt:
        if rt.query(find_community, community) is None:
            no_such_community(community)
        items = rt.query(voting.list_ballots, community)
    for info in items:
        closes = info.closes_at.strftime("%Y-%m-%dT%H:%MZ")
        click.echo(f"{info.ref}  {info.status:<9}  {closes}  {info.title}")


@ballot_group.command("step")
@click.argument("step", type=click.Choice(STEPS))
@click.argument("ref")
@click.option("--by", "username", required=True, help="The staff user taking the step.")
@click.option("--reason", default="", help="Why (required to cancel or annul).")
def ballot_step(step: str, ref: str, username: str, reason: str) -> None:
    """Take ballot REF one STEP: open, close, cancel, tally, publish, finalize or annul."""
    if step in NEEDS_REASON and not reason.strip():
        fail(_("fundvote ballot step %(step)s: --reason is required", step=step))
    with cli_runtime() as rt:
        user = rt.query(auth.find_user, username)
        if user is None or user.role not in ("committee", "admin"):
            fail(
                _(
                    "fundvote ballot step: %(user)s is not an active committee member or admin",
                    user=username,
                )
            )
        info = rt.query(voting.ballot_by_ref, ref)
        community = rt.query(find_community, info.community_code)
        if community is None or not user.may_act_for(community.id):
            fail(
                _(
                    "fundvote ballot step: %(user)s does not act for %(code)s",
                    user=username,
                    code=info.community_code,
                )
            )
        advance_ballot(rt, step, ballot_ref=ref, actor=user.user_id, reason=reason)
        info = rt.query(voting.ballot_by_ref, ref)
    click.echo(_("ballot %(ref)s: %(status)s", ref=info.ref, status=info.status))
