"""python-accounting posting journal entries, run as a child process of the ledger benchmark
(``python -m tests.bench.pyacc_child JOB.json``; it registers SQLAlchemy event listeners on
every session of the process that imports it, so it never shares ours).

JOB.json: ``{"url", "units": [unit code, ...], "entries": [[unit, fen], ...], "start"}``.
Creates an entity, the CNY currency, a bank account and one liability account per unit, then
posts each entry as a journal entry (debit the bank, credit the unit's account), each
committed, and prints what the posting took as JSON: ``{"seconds", "app_ms", "postgres_ms"}``
(wall time; CPU of this process and of its PostgreSQL backend, as :mod:`tests.bench.cpu`
counts them). The bank's closing balance is checked against the sum of the entries (exit
status 1 when they differ).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from tests.bench.cpu import ticks_ms


def main(job_path: str) -> int:
    from python_accounting.database.session import get_session
    from python_accounting.models import Account, Base, Currency, Entity, LineItem
    from python_accounting.transactions import JournalEntry

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    start_day = date.fromisoformat(job["start"])
    engine = sa.create_engine(job["url"])
    Base.metadata.create_all(engine)
    with get_session(engine) as session:
        entity = Entity(name="Bench")
        session.add(entity)
        session.commit()
        currency = Currency(name="Yuan", code="CNY", entity_id=entity.id)
        session.add(currency)
        session.commit()
        bank = Account(
            name="Bank",
            account_type=Account.AccountType.BANK,
            currency_id=currency.id,
            entity_id=entity.id,
        )
        subs = {
            unit: Account(
                name=f"Sub-account {unit}",
                account_type=Account.AccountType.CURRENT_LIABILITY,
                currency_id=currency.id,
                entity_id=entity.id,
            )
            for unit in job["units"]
        }
        session.add_all([bank, *subs.values()])
        session.commit()
        ids = {unit: account.id for unit, account in subs.items()}
        # Its SQLAlchemy listeners expect ORM statements: ask through the connection.
        backend = int(session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        session.commit()
        cpu_before, backend_before = ticks_ms(os.getpid()), ticks_ms(backend)
        started = time.perf_counter()
        for i, (unit, fen) in enumerate(job["entries"]):
            entry = JournalEntry(
                narration=f"deposit {i}",
                transaction_date=datetime.combine(
                    start_day + timedelta(days=i // 50), datetime.min.time()
                )
                + timedelta(hours=12),
                account_id=bank.id,
                entity_id=entity.id,
            )
            entry.credited = False  # the bank is debited, the line item credited
            session.add(entry)
            session.flush()
            item = LineItem(
                narration=f"deposit {i}",
                account_id=ids[unit],
                amount=Decimal(fen) / 100,
                entity_id=entity.id,
            )
            session.add(item)
            session.flush()
            entry.line_items.add(item)
            session.add(entry)
            entry.post(session)
            session.commit()
        seconds = time.perf_counter() - started
        app_ms = ticks_ms(os.getpid()) - cpu_before
        postgres_ms = ticks_ms(backend) - backend_before
        total = Decimal(bank.closing_balance(session))
    engine.dispose()
    expected = Decimal(sum(fen for _, fen in job["entries"])) / 100
    if total != expected:
        print(f"python-accounting's bank balance {total} is not {expected}", file=sys.stderr)
        return 1
    print(json.dumps({"seconds": seconds, "app_ms": app_ms, "postgres_ms": postgres_ms}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
