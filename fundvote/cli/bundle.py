"""``fundvote bundle COMMUNITY --out FILE.zip [--from DATE] [--to DATE] [--previous OLD.zip]``:
write a community's signed audit bundle (docs/audit-bundle.md, docs/audit.md).

The file appears only when complete (written beside it, then renamed). Exit status 0 when
written, 2 for bad input (an unknown community, a bad date, a previous bundle that is not this
log's, no checkpoint yet) with one line, 1 for an unexpected failure.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from fundvote.bundles import build, period_of
from fundvote.cli.common import cli_runtime, fail, text_argument
from fundvote.cli.speech import _


@click.command("bundle")
@click.argument("community")
@click.option("--out", "out_path", required=True, help="The zip file to write.")
@click.option("--from", "start", default=None, help="First day of the period, YYYY-MM-DD.")
@click.option("--to", "end", default=None, help="Last day of the period, YYYY-MM-DD.")
@click.option(
    "--previous",
    "previous_path",
    default=None,
    help="An earlier bundle (or its checkpoint.txt): prove this one extends it.",
)
def bundle_command(
    community: str, out_path: str, start: str | None, end: str | None, previous_path: str | None
) -> None:
    """Write COMMUNITY's audit bundle for the period (default: everything) to --out."""
    from fundvote.app import create_app
    from fundvote.web.bundle_files import offline_renderers

    code = text_argument(community, what="fundvote bundle: COMMUNITY", limit=64)
    out = Path(text_argument(out_path, what="fundvote bundle: --out", limit=4096))
    if out.is_dir():
        fail(_("%(path)s: is a directory, not a zip file to write", path=out))
    if not out.parent.is_dir():
        fail(_("%(path)s: the directory %(folder)s does not exist", path=out, folder=out.parent))
    period = period_of(start, end)
    previous = None
    if previous_path is not None:
        try:
            previous = Path(previous_path).open("rb")  # noqa: SIM115 (closed below)
        except FileNotFoundError:
            fail(_("%(path)s: no such file", path=previous_path))
        except IsADirectoryError:
            fail(_("%(path)s: is a directory, not a bundle", path=previous_path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with cli_runtime() as rt, os.fdopen(fd, "w+b") as handle:
            app = create_app(runtime=rt)
            with offline_renderers(app, rt) as renderers:
                summary = build(rt, code, handle, period, renderers, previous)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        if previous is not None:
            previous.close()
    click.echo(
        _(
            "%(path)s: %(code)s, checkpoint of %(size)s entries; %(ballots)s ballots, "
            "%(entries)s journal entries; fingerprint (SHA-256 of manifest.json) %(sha256)s",
            path=out,
            code=code,
            size=summary.size,
            ballots=summary.counts.get("ballots", 0),
            entries=summary.counts.get("journal_entries", 0),
            sha256=summary.manifest_sha256,
        )
    )
