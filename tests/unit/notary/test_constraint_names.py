"""Which constraint a refused statement broke, by the name the code knows
(``notary.constraints.broken_constraint``), whether the driver names it (PostgreSQL's
diagnostics) or the message does (SQLite's CHECK failures), and also when the database holds
it with the naming convention's prefix twice (the ledger's first migrations did)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import MetaData

from notary.constraints import broken_constraint


class _PgError(Exception):
    def __init__(self, name: str) -> None:
        super().__init__("new row violates check constraint")
        self.diag = SimpleNamespace(constraint_name=name)


@pytest.mark.parametrize(
    ("stored", "known"),
    [
        ("ck_ledger_account_ck_ledger_account_not_overdrawn", "ck_ledger_account_not_overdrawn"),
        ("ck_posting_ck_posting_amount_not_zero", "ck_posting_amount_not_zero"),
        ("ck_ledger_account_not_overdrawn", "ck_ledger_account_not_overdrawn"),
        ("uq_cast_ballot_ballot_id_member_id", "uq_cast_ballot_ballot_id_member_id"),
        ("ck_objection_sequence", "ck_objection_sequence"),
    ],
)
def test_a_constraint_is_known_by_its_inner_name(stored: str, known: str) -> None:
    assert broken_constraint(_PgError(stored), MetaData()) == known
    sqlite = Exception(f"CHECK constraint failed: {stored}")
    assert broken_constraint(sqlite, MetaData()) == known
