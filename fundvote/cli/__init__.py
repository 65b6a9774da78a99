"""The ``fundvote`` command line.

Bad input exits with status 2 and one line on stderr naming the file, line and problem (or
the argument); an unexpected failure exits with status 1 and one line with a reference, the
traceback going to the log file (see :mod:`fundvote.cli.common`).
"""

from __future__ import annotations

import click

from fundvote.cli.common import FundvoteGroup


@click.group(
    "fundvote", cls=FundvoteGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="fundvote")
def main() -> None:
    """fundvote: owner decisions and maintenance-fund ledger."""
    from fundvote.logs import configure_logging

    configure_logging()


from fundvote.cli.admin import demo_command, init_command, serve_command  # noqa: E402

main.add_command(init_command)
main.add_command(demo_command)
main.add_command(serve_command)

from fundvote.cli.ballots import ballot_group  # noqa: E402

main.add_command(ballot_group)

from fundvote.cli.keys import keys_group  # noqa: E402

main.add_command(keys_group)

from fundvote.cli.community_settings import community_set, community_settings  # noqa: E402
from fundvote.cli.roll import apportion_command, community_group, roll_group  # noqa: E402

community_group.add_command(community_set)
community_group.add_command(community_settings)
main.add_command(apportion_command)
main.add_command(community_group)
main.add_command(roll_group)

from fundvote.cli.tally import tally_command  # noqa: E402

main.add_command(tally_command)

from fundvote.cli.users import user_group  # noqa: E402

main.add_command(user_group)

from fundvote.cli.tick import tick_command  # noqa: E402

main.add_command(tick_command)

from fundvote.cli.log import log_group  # noqa: E402

main.add_command(log_group)

from fundvote.cli.ledger import ledger_group  # noqa: E402

main.add_command(ledger_group)

from fundvote.cli.bundle import bundle_command  # noqa: E402

main.add_command(bundle_command)

from fundvote.cli.verify import verify_command  # noqa: E402

main.add_command(verify_command)
