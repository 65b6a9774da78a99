"""The ledger checks on the real demo: its whole log (deposits, interest, public income and
its transfer, three projects with staged draws and retention, an emergency and its
publication) comes out clean against the ledger files the books give, and a unit statement
the owner page would serve passes; one fen moved in the books' trial balance does not."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from audit.verify_ledger import LedgerCheck
from fundvote.runtime import Runtime
from ledger.api import statement_json, trial_balance, unit_statement
from ledger.models import JournalEntry, LedgerAccount, Posting
from notary import store
from notary.documents import inline_documents, referenced_documents
from tests.unit.audit.ledger_log import MemoryFiles

CODE = "demo"


def _log(runtime: Runtime) -> list[dict[str, Any]]:
    """The demo's log entries in index order, documents inlined."""
    with runtime.session_factory() as s:

        def fetch(sha: str) -> bytes:
            # Envelope v2 keeps bulky fields as documents in the store.
            found: bytes = store.document_bytes(s, CODE, sha)  # type: ignore[attr-defined,unused-ignore]
            return found

        out = []
        for stored in store.entries(s, CODE):
            data = stored.data
            if next(iter(referenced_documents(data)), None) is not None:
                data = inline_documents(data, fetch)
            out.append(data)
        return out


def _ledger_files(runtime: Runtime, period_to: date) -> dict[str, bytes]:
    """The ledger files of a bundle, written from the books' tables (not from the log)."""
    with runtime.session_factory() as s:
        accounts = s.execute(
            sa.select(LedgerAccount.code, LedgerAccount.type, LedgerAccount.fund).order_by(
                LedgerAccount.code
            )
        ).all()
        lines: dict[int, list[list[Any]]] = {}
        for entry_id, code, amount in s.execute(
            sa.select(Posting.entry_id, LedgerAccount.code, Posting.amount_fen)
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .order_by(Posting.entry_id, Posting.position)
        ):
            lines.setdefault(entry_id, []).append([code, amount])
        rows = [
            json.dumps(
                {
                    "entry": e.id,
                    "log_index": e.log_index,
                    "value_date": e.value_date.isoformat(),
                    "kind": e.kind,
                    "memo": e.memo,
                    "documents": json.loads(e.documents),
                    "reverses": e.reverses_id,
                    "postings": lines[e.id],
                },
                ensure_ascii=False,
            )
            for e in s.scalars(
                sa.select(JournalEntry)
                .where(JournalEntry.value_date <= period_to)
                .order_by(JournalEntry.id)
            )
        ]
    balance = runtime.query(trial_balance, CODE, period_to)
    tb = ["code,debit_fen,credit_fen,balance_fen"] + [
        f"{line.code},{line.debit_fen},{line.credit_fen},{line.debit_fen - line.credit_fen}"
        for line in balance.lines
    ]
    return {
        "manifest.json": json.dumps(
            {"period": {"from": None, "to": period_to.isoformat()}}
        ).encode(),
        "ledger/accounts.csv": (
            "code,type,fund,unit,name_zh,name_en\n"
            + "".join(f"{c},{t},{f},,,\n" for c, t, f in accounts)
        ).encode(),
        "ledger/entries.jsonl": "".join(r + "\n" for r in rows).encode(),
        "ledger/trial_balance.csv": ("\n".join(tb) + "\n").encode(),
    }


@pytest.fixture
def runtime(demo_runtime: Runtime) -> Runtime:
    """The demo, loaded once per run (this module only reads it)."""
    return demo_runtime


def test_the_demo_log_is_clean(runtime: Runtime) -> None:
    log = _log(runtime)
    journal = [e for e in log if e["type"] == "ledger.entry_posted"]
    period_to = max(date.fromisoformat(e["data"]["value_date"]) for e in journal)
    statement = runtime.query(unit_statement, CODE, "01-0103", date(2026, 1, 1), period_to)
    assert any(line.kind == "draw" for line in statement.lines)
    check = LedgerCheck(statement=statement_json(statement))
    for index, entry in enumerate(log):
        check.entry(index, entry)
    files = _ledger_files(runtime, period_to)
    check.finish(MemoryFiles(files))
    assert check.findings() == []
    assert check.pending() == []
    assert check.journal_entries == len(journal)
    assert check.draws.draw_entries >= 5 and len(check.draws.projects) == 3

    # One fen moved between two accounts of the trial balance is found.
    text = files["ledger/trial_balance.csv"].decode().splitlines()
    code, debit, credit, bal = text[1].split(",")
    text[1] = f"{code},{debit},{int(credit) + 1},{int(bal) - 1}"
    tampered = LedgerCheck()
    for index, entry in enumerate(log):
        tampered.entry(index, entry)
    tampered.finish(
        MemoryFiles({**files, "ledger/trial_balance.csv": ("\n".join(text) + "\n").encode()})
    )
    assert [f.check for f in tampered.findings()] == ["trial-balance", "balance"]
