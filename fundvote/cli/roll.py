"""Property-register commands: ``apportion``, ``community add``, ``roll import|export``.

Bad input exits with status 2 and ONE line on stderr naming the file, line, field and problem
(the first in line order, then how many more there are); a rejected ``roll import`` writes
nothing (``--all-problems`` lists every problem, one per line). No traceback for bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from estate.api import (
    METHOD,
    BadQuantity,
    RollRejected,
    RollRow,
    apportion,
    format_hundredths,
    parse_hundredths,
    parse_roll,
)
from fundvote.cli.common import cli_runtime as _runtime
from fundvote.cli.common import fail as _fail
from fundvote.cli.common import one_line as _one_line
from fundvote.cli.common import read_file as _read
from fundvote.cli.common import reject, scope_rows, text_argument
from fundvote.cli.common import text_table as _table
from fundvote.cli.speech import _, error_line, problem_line

MAX_AMOUNT_FEN = 10**14
"""Largest ``--amount``: 1,000,000,000,000.00 yuan."""
MAX_NAME_CHARS = 200
MAX_ADDRESS_CHARS = 400


def _parse_amount(text: str | None) -> int:
    if text is None:
        _fail(_("fundvote apportion: --amount is required (yuan, e.g. --amount 12345.67)"))
    try:
        amount = parse_hundredths(text)
    except BadQuantity as exc:
        _fail(
            _(
                "fundvote apportion: --amount: %(problem)s (expected yuan like 12345.67)",
                problem=error_line(exc),
            )
        )
    if amount > MAX_AMOUNT_FEN:
        _fail(
            _(
                "fundvote apportion: --amount: larger than %(most)s yuan",
                most=format_hundredths(MAX_AMOUNT_FEN, grouping=True),
            )
        )
    return amount


def _scope(rows: list[RollRow], buildings: str | None, filename: str) -> list[RollRow]:
    return scope_rows(rows, buildings, filename, "apportion")


@click.command("apportion")
@click.argument("roll")
@click.option("--amount", help="The amount to apportion, in yuan with at most 2 decimals.")
@click.option("--scope-buildings", help="Comma-separated building codes (default: all units).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def apportion_command(
    roll: str, amount: str | None, scope_buildings: str | None, as_json: bool
) -> None:
    """Split an amount among the units of ROLL in proportion to their area.

    Largest-remainder method in integer fen: shares add up exactly; spare fen go to the
    largest remainders, ties to the smaller unit code (code-point order).
    """
    amount_fen = _parse_amount(amount)
    data = _read(roll)
    rows, problems = parse_roll(data, roll)
    if problems:
        _fail(_one_line(problems))
    in_scope = sorted(_scope(rows, scope_buildings, roll), key=lambda r: r.unit)
    shares = apportion(amount_fen, {r.unit: r.area_centi for r in in_scope})
    if as_json:
        doc = {
            "total_fen": amount_fen,
            "method": METHOD,
            "shares": [
                {"unit": r.unit, "area": format_hundredths(r.area_centi), "fen": shares[r.unit]}
                for r in in_scope
            ],
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    body = [
        [r.unit, r.building, format_hundredths(r.area_centi), format_hundredths(shares[r.unit])]
        for r in in_scope
    ]
    total_area = sum(r.area_centi for r in in_scope)
    body.append([_("total"), "", format_hundredths(total_area), format_hundredths(amount_fen)])
    header = [_("unit"), _("building"), _("area m²"), _("share yuan")]
    click.echo(_table(header, body, right={2, 3}))
    click.echo(
        _(
            "%(count)s units; method: %(method)s, ties to the smaller unit code",
            count=len(in_scope),
            method=METHOD,
        )
    )


@click.group("community")
def community_group() -> None:
    """Communities (小区)."""


@community_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--address", default="", help="Postal address.")
def community_add(code: str, name: str, address: str) -> None:
    """Create community CODE named NAME (the code also names its evidence log)."""
    from fundvote.books import create_community_with_books

    name = text_argument(name, what="fundvote community add: NAME", limit=MAX_NAME_CHARS)
    address = text_argument(
        address, what="fundvote community add: --address", limit=MAX_ADDRESS_CHARS, required=False
    )
    with _runtime() as rt:
        info = rt.run(create_community_with_books, code=code, name=name, address=address)
    click.echo(_("community %(code)s created: %(name)s", code=info.code, name=info.name))


@click.group("roll")
def roll_group() -> None:
    """The property register's roll file (units, areas, owners)."""


@roll_group.command("import")
@click.argument("code")
@click.argument("file")
@click.option(
    "--all-problems",
    is_flag=True,
    help="On rejection list every problem, one per line (default: the first and a count).",
)
def roll_import(code: str, file: str, all_problems: bool) -> None:
    """Import FILE (CSV or XLSX) into community CODE: all rows or none."""
    from fundvote.books import import_roll_with_books

    data = _read(file)
    with _runtime() as rt:
        try:
            s = rt.run(
                import_roll_with_books,
                community_code=code,
                data=data,
                filename=file,
                cipher=rt.cipher,
            )
        except RollRejected as exc:
            if all_problems:
                reject([problem_line(p) for p in exc.problems])
            reject([problem_line(exc.problems[0])], len(exc.problems) - 1)
    click.echo(
        _(
            "%(path)s: imported into %(code)s: units %(units_new)s new, %(units_changed)s "
            "changed, %(units_same)s unchanged; owners %(owners_new)s new, %(owners_changed)s "
            "changed; buildings %(buildings_new)s new; log entry %(index)s",
            path=file,
            code=code,
            units_new=s.units_created,
            units_changed=s.units_updated,
            units_same=s.units_unchanged,
            owners_new=s.owners_created,
            owners_changed=s.owners_updated,
            buildings_new=s.buildings_created,
            index=s.log_index,
        )
    )


@roll_group.command("export")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None)
@click.option("-o", "--output", default=None, help="Write to this file (default: stdout).")
def roll_export(code: str, fmt: str | None, output: str | None) -> None:
    """Export community CODE's roll (names included; never phone or ID numbers)."""
    from estate.api import export_roll

    if fmt is None:
        fmt = "xlsx" if output and output.lower().endswith(".xlsx") else "csv"
    with _runtime() as rt:
        data = rt.query(export_roll, code, fmt)
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        _fail(_("%(path)s: cannot be written (%(reason)s)", path=output, reason=exc.strerror))
    click.echo(
        _("%(path)s: %(format)s roll of %(code)s written", path=output, format=fmt, code=code),
        err=True,
    )
