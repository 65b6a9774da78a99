"""The verifier's command line: ``python -m audit.verify FILE.zip [--key KEY]
[--previous OLD.zip] [--receipt R.json] [--statement S] [--json]``.

Exit 0 clean, 1 with any finding, 2 when a bundle is missing or not a zip (or the key is
not a key).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from audit.verify.bundle import ledger_check, verify_bundle
from audit.verify.trust import UnusableKey
from audit.verify.zipread import NotABundle

MAX_STATEMENT = 8 << 20


def parser() -> argparse.ArgumentParser:
    """The argument parser (shared by ``fundvote verify``)."""
    p = argparse.ArgumentParser(
        prog="fundvote-verify", description="Check a fundvote audit bundle offline."
    )
    p.add_argument("bundle", metavar="FILE.zip")
    p.add_argument("--key", help="the instance's verifier key (a key line or a file)")
    p.add_argument("--previous", metavar="OLD.zip", help="an older bundle of the same log")
    p.add_argument("--receipt", metavar="R.json", help="a voter's receipt to find in the log")
    p.add_argument(
        "--statement", metavar="S", help="an owner's unit statement (JSON) to check against the log"
    )
    p.add_argument("--json", action="store_true", help="print the JSON report")
    return p


class UnusableStatement(Exception):
    """The ``--statement`` file cannot be read as a statement (exit code 2)."""


def load_statement(path: str) -> dict[str, Any]:
    """An owner's unit statement (the JSON download of the owner's page), for the ledger
    check. Raises :class:`UnusableStatement`."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_STATEMENT + 1)
    except OSError as exc:
        raise UnusableStatement(f"{path}: {exc.strerror}") from exc
    if len(raw) > MAX_STATEMENT:
        raise UnusableStatement(f"{path}: too large for a statement")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise UnusableStatement(f"{path}: not JSON") from exc
    if not isinstance(doc, dict):
        raise UnusableStatement(f"{path}: not a statement")
    return doc


def run(
    bundle: str,
    *,
    key: str | None = None,
    previous: str | None = None,
    receipt: str | None = None,
    statement: str | None = None,
    as_json: bool = False,
) -> tuple[int, str, str]:
    """Verify and return ``(exit code, stdout text, stderr text)``."""
    try:
        found = ledger_check(None if statement is None else load_statement(statement))
        report = verify_bundle(
            bundle,
            key=key,
            previous=previous,
            receipt=receipt,
            checks=[] if found is None else [found],
        )
    except (NotABundle, UnusableKey, UnusableStatement) as exc:
        return 2, "", f"fundvote-verify: {exc}\n"
    if as_json:
        return report.exit_code, json.dumps(report.as_json(), indent=1) + "\n", ""
    return report.exit_code, report.text(), ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = parser().parse_args(argv)
    code, out, err = run(
        args.bundle,
        key=args.key,
        previous=args.previous,
        receipt=args.receipt,
        statement=args.statement,
        as_json=args.json,
    )
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code
