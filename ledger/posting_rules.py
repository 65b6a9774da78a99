"""Checks of a journal entry's content, before any lookup (pure: no database).

The shape of ``beancount.ops.validation``: :func:`entry_problems` returns every problem as
(msgid, params) instead of stopping at the first, for forms and imports that name them all;
:func:`check_entry` raises the first as a named error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from estate.quantities import Fen
from ledger.errors import N_, InvalidEntry, UnbalancedEntry

ENTRY_KINDS: tuple[str, ...] = (
    "deposit",
    "interest",
    "public_income",
    "public_income_cost",
    "public_income_transfer",
    "project_funding",
    "draw",
    "retention_release",
    "shortfall_settlement",
    "adjustment",
    "reversal",
    "legacy",
)
"""What an entry records. Operations name theirs; ``reversal`` is :func:`reverse_entry`'s."""

DOCUMENT_KEYS: dict[str, type] = {
    "invoices": list,
    "decision": str,
    "project": str,
    "emergency": str,
    "draw": str,
    "bank_reference": str,
    "statement_sha256": str,
    "period": str,
}
"""Document references an entry may carry, and their JSON type (``invoices`` is a list of
invoice numbers)."""

MAX_MEMO = 500
MAX_DOCUMENT_CHARS = 200
MAX_INVOICES = 50
MAX_LINES = 200_000
"""Most postings in one entry (interest over 50,000 units, with room)."""
MAX_AMOUNT_FEN = 10**15
"""Largest amount of one posting (ten trillion yuan): far beyond any fund, far below int64."""
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2100, 12, 31)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNBALANCED = (
    N_("An entry needs at least two postings."),
    N_("The postings do not balance: debits exceed credits by %(difference)s yuan."),
)


@dataclass(frozen=True)
class PostingLine:
    """One line to post: an account (by code) and an amount (debit > 0, credit < 0)."""

    account: str
    amount_fen: int


def entry_problems(
    kind: str,
    value_date: object,
    memo: object,
    documents: Mapping[str, Any],
    lines: Sequence[PostingLine],
) -> list[tuple[str, dict[str, Any]]]:
    """Everything wrong with an entry's content, as (msgid, params), before any lookup:
    kind, date range, memo, document references, posting count and amounts, and the zero sum.
    Pure; an empty list means the content is acceptable."""
    problems: list[tuple[str, dict[str, Any]]] = []
    if kind not in ENTRY_KINDS:
        problems.append((N_("Unknown entry kind %(kind)s."), {"kind": str(kind)[:40]}))
    if not isinstance(value_date, date) or isinstance(value_date, datetime):
        problems.append((N_("The value date is not a date."), {}))
    elif not EARLIEST_DATE <= value_date <= LATEST_DATE:
        problems.append(
            (
                N_("The value date %(date)s is outside 1990-01-01 to 2100-12-31."),
                {"date": value_date.isoformat()},
            )
        )
    if not isinstance(memo, str) or len(memo) > MAX_MEMO or _CONTROL.search(memo) is not None:
        problems.append(
            (
                N_(
                    "The memo must be text of at most %(max)s characters, without control "
                    "characters."
                ),
                {"max": MAX_MEMO},
            )
        )
    problems += _document_problems(documents)
    if len(lines) < 2:
        problems.append((_UNBALANCED[0], {}))
    if len(lines) > MAX_LINES:
        problems.append((N_("An entry has at most %(max)s postings."), {"max": MAX_LINES}))
    total = 0
    for position, line in enumerate(lines, start=1):
        amount = line.amount_fen
        if isinstance(amount, bool) or not isinstance(amount, int):
            problems.append(
                (N_("Posting %(line)s: the amount is not whole fen."), {"line": position})
            )
            continue
        if amount == 0:
            problems.append((N_("Posting %(line)s: the amount is zero."), {"line": position}))
        if abs(amount) > MAX_AMOUNT_FEN:
            problems.append((N_("Posting %(line)s: the amount is too large."), {"line": position}))
        if not isinstance(line.account, str) or not line.account or len(line.account) > 80:
            problems.append((N_("Posting %(line)s: no account."), {"line": position}))
        total += amount
    if total != 0 and len(lines) >= 2:
        problems.append((_UNBALANCED[1], {"difference": Fen(total)}))
    return problems


def _document_problems(documents: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    problems: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(documents, Mapping):
        return [(N_("The document references are not a set of named values."), {})]
    for key, value in documents.items():
        expected = DOCUMENT_KEYS.get(key)
        if expected is None:
            problems.append((N_("Unknown document reference %(name)s."), {"name": str(key)[:40]}))
            continue
        values = value if isinstance(value, list) else [value]
        if not isinstance(value, expected) or (
            isinstance(value, list) and len(value) > MAX_INVOICES
        ):
            problems.append(
                (N_("The document reference %(name)s is not acceptable."), {"name": key})
            )
            continue
        for item in values:
            if (
                not isinstance(item, str)
                or not item
                or len(item) > MAX_DOCUMENT_CHARS
                or _CONTROL.search(item)
            ):
                problems.append(
                    (N_("The document reference %(name)s is not acceptable."), {"name": key})
                )
                break
    return problems


def _raise_first(problems: list[tuple[str, dict[str, Any]]]) -> None:
    if not problems:
        return
    message, params = problems[0]
    if message.startswith("The postings do not balance") or message.startswith(
        "An entry needs at least two"
    ):
        raise UnbalancedEntry(message, **params)
    raise InvalidEntry(message, **params)


def check_entry(
    kind: str,
    value_date: object,
    memo: object,
    documents: Mapping[str, Any],
    lines: Sequence[PostingLine],
    idempotency_key: str | None = None,
    legacy_file_sha256: str | None = None,
) -> None:
    """Raise the first problem of :func:`entry_problems` (``UnbalancedEntry`` for the count
    and the sum, ``InvalidEntry`` for the rest), then check the idempotency key (1-128 of
    ``A-Za-z0-9._:-``) and the legacy file hash (SHA-256 in lowercase hex)."""
    problems = entry_problems(kind, value_date, memo, documents, lines)
    if problems:
        message, params = problems[0]
        if message in _UNBALANCED:
            raise UnbalancedEntry(message, **params)
        raise InvalidEntry(message, **params)
    if idempotency_key is not None and not _KEY.fullmatch(idempotency_key):
        raise InvalidEntry(N_("The idempotency key must be 1 to 128 letters, digits or . _ : -"))
    if legacy_file_sha256 is not None and not _SHA256.fullmatch(legacy_file_sha256):
        raise InvalidEntry(N_("The legacy file's hash is not a SHA-256 in hex."))
