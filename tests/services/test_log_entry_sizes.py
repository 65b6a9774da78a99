"""No log entry outgrows its limit: a 50,000-unit community's bulkiest events.

Every event whose entry grows with the community (the roll import, a ballot over everyone and
its links, interest over every sub-account, a public-income transfer by area, an emergency
over every unit with its project, draw and publication) is produced through the real use
cases; every entry of the log is at most ``MAX_ENTRY_BYTES`` and the bulky ones carry
document references that resolve to what the tables hold.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.integrity import verify_logs
from fundvote.runtime import Runtime
from ledger import api as ledger
from ledger import projects as ledger_projects
from notary import store
from notary.documents import MAX_ENTRY_BYTES, is_document_ref
from tests.bench.roll_csv import roll_csv, roll_rows
from tests.conftest import PG_URL
from tests.services.voting.ballot_helpers import at, window
from voting import api as voting
from voting.ballots import QuestionDraft

pytestmark = pytest.mark.skipif(
    bool(PG_URL),
    reason="an entry's bytes do not depend on the database: run once per CI run, on SQLite",
)

CODE = "BIG1"
UNITS = 50_000
MANAGER = 10
AUTHORITY = 20

BULKY = {
    "estate.roll_imported": "units",
    "voting.links_issued": "members",
    "ledger.entry_posted": "postings",
    "ledger.emergency_recorded": "scope_codes",
    "ledger.project_opened": "units",
    "ledger.emergency_published": "units",
}
"""The events of this test that must have moved a field into a document, and which field."""


@pytest.fixture
def big(runtime: Runtime) -> Runtime:
    rows = roll_rows(UNITS)
    runtime.run(create_community_with_books, code=CODE, name="大型小区")
    runtime.run(
        import_roll_with_books,
        community_code=CODE,
        data=roll_csv(rows),
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    return runtime


def test_every_entry_of_a_50000_unit_community_fits(big: Runtime) -> None:
    rt = big
    _ballot_with_links(rt)
    _funds(rt)
    _emergency(rt)

    with rt.session_factory() as s:
        entries = list(store.entries(s, CODE))
    units = [u.code for u in rt.query(_unit_codes)]
    assert len(units) == UNITS
    # `fundvote log verify`: the log, its documents, and the ballot and books tables read
    # from the entries with their documents inlined, all agree.
    [report] = rt.query(verify_logs, community=CODE)
    assert report.differences == () and report.ballots == 1 and report.journal_entries >= 3
    moved: dict[str, int] = {}
    for entry in entries:
        assert len(entry.body_bytes) <= MAX_ENTRY_BYTES, entry.raw["type"]
        event = entry.raw["type"]
        field = BULKY.get(event)
        if field is None or not is_document_ref(entry.raw["data"].get(field)):
            continue
        moved[event] = moved.get(event, 0) + 1
        value = entry.data["data"][field]  # the reference resolves through the store
        assert not is_document_ref(value)
        if event == "estate.roll_imported":
            assert sorted(u["unit"] for u in value) == sorted(units)
        if event == "ledger.emergency_recorded":
            assert value == sorted(units)[: ledger_projects.MAX_SCOPE_CODES]
        if event == "voting.links_issued":
            assert len(value) > UNITS * 0.9
        if event in ("ledger.project_opened", "ledger.emergency_published"):
            assert set(value) <= set(units) and len(value) > UNITS * 0.9
    # Three community-wide postings (transfer, interest, draw); every bulky kind moved.
    assert set(moved) == set(BULKY) and moved["ledger.entry_posted"] >= 3


def _unit_codes(uow: Any) -> list[Any]:
    from estate.models import Unit

    return list(uow.session.query(Unit.code).all())


def _ballot_with_links(rt: Runtime) -> None:
    opens, closes = window(rt)
    info = rt.run(
        voting.create_ballot,
        community_code=CODE,
        title="全体业主意见征询",
        description="征询全体业主意见",
        opens_at=opens,
        closes_at=closes,
        questions=[QuestionDraft("other", "是否同意延长物业合同?")],
    )
    rt.run(voting.open_ballot, ballot_ref=info.ref)
    at(rt, opens)
    rt.run(voting.issue_links, ballot_ref=info.ref, base_url="https://v.example")


def _funds(rt: Runtime) -> None:
    rt.run_as(
        1,
        ledger.record_public_income,
        community_code=CODE,
        may_record=True,
        kind="parking",
        amount_fen=500_000_000,
        value_date=date(2025, 12, 1),
    )
    rt.run_as(
        1,
        ledger.transfer_public_income,
        community_code=CODE,
        may_transfer=True,
        amount_fen=500_000_000,
        value_date=date(2025, 12, 31),
        decision="业委会决定2025-9",
    )
    rt.run_as(
        1,
        ledger.allocate_interest_entry,
        community_code=CODE,
        may_record=True,
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        amount_fen=12_345_678,
    )


def _emergency(rt: Runtime) -> None:
    codes = sorted(u.code for u in rt.query(_unit_codes))
    rt.run_as(  # the most units a scope may name
        MANAGER,
        ledger.record_emergency,
        community_code=CODE,
        category="lift_failure",
        evidence_sha256="c" * 64,
        description="多栋电梯故障",
        scope_kind="units",
        scope_codes=codes[: ledger_projects.MAX_SCOPE_CODES],
    )
    record = rt.run_as(
        MANAGER,
        ledger.record_emergency,
        community_code=CODE,
        category="roof_leak",
        evidence_sha256="b" * 64,
        description="全体单元屋面渗漏抢修",
    )
    project = rt.run_as(
        MANAGER,
        ledger.open_project_from_emergency,
        community_code=CODE,
        emergency_ref=record.ref,
        title="屋面应急抢修",
        sources={"maintenance_fund": 100_000_000},
    )
    draw = rt.run_as(
        MANAGER,
        ledger.record_draw,
        community_code=CODE,
        project_ref=project.ref,
        amount_fen=100_000_000,
        stage="final",
        value_date=date(2026, 4, 1),
    )
    rt.run_as(
        AUTHORITY,
        ledger.approve_draw,
        community_code=CODE,
        draw_ref=draw.ref,
        is_authority=True,
        is_committee_member=False,
        committee_size=3,
    )
    at(rt, rt.clock.now() + timedelta(days=1))
    rt.run_as(31, ledger.publish_emergency, community_code=CODE, emergency_ref=record.ref)
