"""Sizes of every benchmark, full (``make bench``) and ``--quick`` (smoke runs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark is; see docs/benchmarks.md for why."""

    cast_units: int  # community of the cast benchmark
    cast_requests: int  # measured casts (and bare inserts)
    connections: int  # concurrent connections for casts and bare inserts
    big_units: int  # community of import, opening, pages and tally
    big_casts: int  # casts on the big ballot before turnout and tally
    page_requests: int  # owner page / turnout requests (and bare GETs)
    page_connections: int
    request_cap_s: int  # the longest any one load run may take
    merkle_leaves: int
    slips: int
    ledger_posts: int = 300  # single entries posted by us and by python-accounting
    ledger_units: int = 2_000  # units of the ledger history's community
    ledger_years: int = 10  # years of that history
    export_entries: int = 100_000  # entries of that history (the Beancount export's size)
    bundle_log_entries: int = 1_000_000  # log entries of the audit bundle's community
    bundle_journal_entries: int = 100_000  # journal entries among them


FULL = Sizes(
    cast_units=10_000,
    cast_requests=2_000,
    connections=16,
    big_units=50_000,
    big_casts=1_000,
    page_requests=200,
    page_connections=4,
    request_cap_s=60,
    merkle_leaves=1_000_000,
    slips=200,
)
QUICK = Sizes(
    cast_units=120,
    cast_requests=40,
    connections=16,
    big_units=300,
    big_casts=20,
    page_requests=20,
    page_connections=4,
    request_cap_s=4,
    merkle_leaves=2_000,
    slips=4,
    ledger_posts=5,
    ledger_units=20,
    ledger_years=1,
    export_entries=150,
    bundle_log_entries=3_000,
    bundle_journal_entries=300,
)
