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
    UnbalancedEntry,
)
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
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidEntry",
    "PostedLine",
    "PostingLine",
    "UnbalancedEntry",
    "balances",
    "entry_problems",
    "get_entry",
    "largest_remainder",
    "lock_balances",
    "open_books",
    "open_unit_account",
    "post_entry",
    "posted_balances",
    "reverse_entry",
    "stage_amounts",
    "unit_account_code",
]

# -- reports, owners' statement links, publication (issue 10 part "reports") ----------------
from ledger.report_errors import (
    OwnerNotFound,
    ReportAlreadyPublished,
    ReportNotFound,
    ReportPeriodInvalid,
    StatementLinkInvalid,
    UnitNotFound,
)
from ledger.report_models import PUBLICATION_KINDS
from ledger.report_publication import (
    PublicationInfo,
    build_report,
    get_publication,
    list_publications,
    period_dates,
    publish_report,
)
from ledger.reports import (
    CommunityFunds,
    EntryDetail,
    EntryPage,
    FundBalances,
    FundDisclosure,
    PublicIncomeStatement,
    TrialBalance,
    UnitStatement,
    content_sha256,
    entry_detail,
    fund_balances,
    fund_disclosure,
    funds_overview,
    list_entries,
    public_income_statement,
    quarter_period,
    report_content,
    trial_balance,
    unit_statement,
    year_period,
)
from ledger.statement_links import (
    IssuedStatementLink,
    StatementAccess,
    UnitOwnerLink,
    issue_statement_link,
    open_statement_link,
    unit_owner_links,
)

__all__ += [
    "PUBLICATION_KINDS",
    "CommunityFunds",
    "EntryDetail",
    "EntryPage",
    "FundBalances",
    "FundDisclosure",
    "IssuedStatementLink",
    "OwnerNotFound",
    "PublicIncomeStatement",
    "PublicationInfo",
    "ReportAlreadyPublished",
    "ReportNotFound",
    "ReportPeriodInvalid",
    "StatementAccess",
    "StatementLinkInvalid",
    "TrialBalance",
    "UnitNotFound",
    "UnitOwnerLink",
    "UnitStatement",
    "build_report",
    "content_sha256",
    "entry_detail",
    "fund_balances",
    "fund_disclosure",
    "funds_overview",
    "get_publication",
    "issue_statement_link",
    "list_entries",
    "list_publications",
    "open_statement_link",
    "period_dates",
    "public_income_statement",
    "publish_report",
    "quarter_period",
    "report_content",
    "trial_balance",
    "unit_owner_links",
    "unit_statement",
    "year_period",
]
