"""The public face of ``ledger``: what the composition root and its entry points may use.

Steps that write take a :class:`notary.work.UnitOfWork` first (``Runtime.run``); queries take
one too (``Runtime.query``). Nothing outside ``ledger`` imports its other modules.
"""

from __future__ import annotations

from ledger.chart import (
    STANDARD_ACCOUNTS,
    STANDARD_BY_KIND,
    UNIT_RECEIVABLE,
    UNIT_SUBACCOUNT,
    AccountSpec,
    open_books,
    open_unit_account,
    unit_account_code,
)
from ledger.errors import (
    AccountNotFound,
    AlreadyReversed,
    BooksNotOpen,
    EntryNotFound,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
    LegacyImportRejected,
    UnbalancedEntry,
)
from ledger.export import ExportSummary, account_name, write_beancount
from ledger.journal import (
    ENTRY_EVENT,
    AccountBalance,
    EntryInfo,
    PostedLine,
    balances,
    get_entry,
    lock_balances,
    post_entry,
    posted_balances,
    reverse_entry,
)
from ledger.legacy import LegacySummary, import_legacy
from ledger.models import ACCOUNT_TYPES, FUNDS
from ledger.posting_rules import DOCUMENT_KEYS, ENTRY_KINDS, PostingLine, entry_problems
from ledger.rounding import largest_remainder, stage_amounts

__all__ = [
    "ACCOUNT_TYPES",
    "DOCUMENT_KEYS",
    "ENTRY_EVENT",
    "ENTRY_KINDS",
    "FUNDS",
    "STANDARD_ACCOUNTS",
    "STANDARD_BY_KIND",
    "UNIT_RECEIVABLE",
    "UNIT_SUBACCOUNT",
    "AccountBalance",
    "AccountNotFound",
    "AccountSpec",
    "AlreadyReversed",
    "BooksNotOpen",
    "EntryInfo",
    "EntryNotFound",
    "ExportSummary",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidEntry",
    "LegacyImportRejected",
    "LegacySummary",
    "PostedLine",
    "PostingLine",
    "UnbalancedEntry",
    "account_name",
    "balances",
    "entry_problems",
    "get_entry",
    "import_legacy",
    "largest_remainder",
    "lock_balances",
    "open_books",
    "open_unit_account",
    "post_entry",
    "posted_balances",
    "reverse_entry",
    "stage_amounts",
    "unit_account_code",
    "write_beancount",
]
