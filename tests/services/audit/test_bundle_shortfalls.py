"""A community whose owners owe and pay shortfalls: ``fundvote log verify`` and the offline
verifier find its books clean (the payment is an entry like any other, balanced and logged)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from audit.verify import verify_bundle
from fundvote.integrity import verify_logs
from fundvote.runtime import Runtime
from ledger.api import owed_shortfalls, settle_shortfall
from tests.services.audit.conftest import Build, checkpoint
from tests.services.ledger.project_helpers import AUTHORITY, draw_leaving_shortfalls
from tests.services.voting.ballot_helpers import CODE


def test_shortfall_payments_verify_clean(runtime: Runtime, build: Build, tmp_path: Path) -> None:
    owing = draw_leaving_shortfalls(runtime)
    unit, owed = next(iter(owing.items()))
    runtime.run_as(
        AUTHORITY,
        settle_shortfall,
        community_code=CODE,
        may_record=True,
        unit_code=unit,
        amount_fen=owed - 1,
        value_date=date(2026, 3, 10),
        bank_reference="PAY-1",
    )
    assert {o.unit_code: o.owed_fen for o in runtime.query(owed_shortfalls, CODE)}[unit] == 1
    assert [d.text for r in runtime.query(verify_logs) for d in r.differences] == []
    checkpoint(runtime, CODE)
    data, _ = build(code=CODE)
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    report = verify_bundle(path)
    assert report.findings == [], report.text()
