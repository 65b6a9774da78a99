"""A hypothesis state machine over the ledger's operations: whatever the sequence, every entry
balances, the trial balance is zero, no sub-account or bank account goes negative, the running
balances equal the postings, every split is exact, and the books equal a plain model of them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.runtime import Runtime
from ledger.api import (
    InsufficientFunds,
    PostingLine,
    balances,
    largest_remainder,
    post_entry,
    posted_balances,
    reverse_entry,
)

UNITS = {"A-1": 10_000, "A-2": 8_050, "B-1": 12_025, "B-2": 8_050}
_codes = itertools.count(1)


def _roll() -> bytes:
    rows = "".join(f"{u},{u[0]},{a // 100}.{a % 100:02d},k{u}," + "\n" for u, a in UNITS.items())
    return ("unit,building,area,owners,developer\n" + rows).encode()


class LedgerMachine(RuleBasedStateMachine):
    rt: Runtime

    def __init__(self) -> None:
        super().__init__()
        self.code = f"HM{next(_codes):05d}"
        self.day = date(2020, 1, 1)
        self.model: dict[str, int] = {}
        self.entries: list[int] = []
        self.reversed: set[int] = set()

    @initialize()
    def open_books(self) -> None:
        self.rt.run(create_community_with_books, code=self.code, name="性质测试")
        self.rt.run(
            import_roll_with_books,
            community_code=self.code,
            data=_roll(),
            filename="roll.csv",
            cipher=self.rt.cipher,
        )

    def _post(
        self, kind: str, lines: list[tuple[str, int]], *, same_day: bool = False, **kw: object
    ) -> int | None:
        if not same_day:
            self.day += timedelta(days=1)
        try:
            entry = self.rt.run_as(
                1,
                post_entry,
                community_code=self.code,
                kind=kind,
                value_date=self.day,
                lines=[PostingLine(a, n) for a, n in lines if n],
                **kw,  # type: ignore[arg-type]
            )
        except InsufficientFunds:
            return None
        if not entry.is_replay:
            for account, amount in lines:
                self.model[account] = self.model.get(account, 0) + amount
            self.entries.append(entry.number)
        return entry.number

    def _held(self, unit: str) -> int:
        return -self.model.get(f"2101.{unit}", 0)

    @rule(unit=st.sampled_from(sorted(UNITS)), fen=st.integers(1, 5_000_000))
    def deposit(self, unit: str, fen: int) -> None:
        assert self._post("deposit", [("1001", fen), (f"2101.{unit}", -fen)]) is not None

    @rule(fen=st.integers(1, 100_000))
    def interest(self, fen: int) -> None:
        weights = [(u, self._held(u)) for u in sorted(UNITS)]
        if not any(w for _, w in weights):
            return
        shares = largest_remainder(fen, weights)
        assert sum(shares.values()) == fen
        lines = [("1001", fen)] + [(f"2101.{u}", -n) for u, n in shares.items()]
        assert self._post("interest", lines) is not None

    @rule(fen=st.integers(1, 3_000_000))
    def draw_by_area(self, fen: int) -> None:
        shares = largest_remainder(fen, [(u, UNITS[u]) for u in sorted(UNITS)])
        assert sum(shares.values()) == fen
        paid = {u: min(n, self._held(u)) for u, n in shares.items()}
        lines = [(f"2101.{u}", n) for u, n in paid.items()]
        total = sum(paid.values())
        if total:
            assert self._post("draw", [*lines, ("1001", -total)]) is not None

    @rule(unit=st.sampled_from(sorted(UNITS)), extra=st.integers(1, 1_000))
    def overdraw_is_refused(self, unit: str, extra: int) -> None:
        fen = self._held(unit) + extra
        assert self._post("draw", [(f"2101.{unit}", fen), ("1001", -fen)]) is None

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        open_entries = [n for n in self.entries if n not in self.reversed]
        if not open_entries:
            return
        number = data.draw(st.sampled_from(open_entries))
        with self.rt.session_factory() as s:
            rows = s.execute(
                sa.text(
                    "SELECT a.code, p.amount_fen FROM posting p JOIN ledger_account a"
                    " ON a.id = p.account_id WHERE p.entry_id = :n"
                ),
                {"n": number},
            ).all()
            kind = s.scalar(sa.text("SELECT kind FROM journal_entry WHERE id = :n"), {"n": number})
        if kind == "reversal":
            return
        self.day += timedelta(days=1)
        try:
            undo = self.rt.run_as(
                1,
                reverse_entry,
                community_code=self.code,
                number=number,
                value_date=self.day,
                memo="更正",
            )
        except InsufficientFunds:
            return
        self.reversed.add(number)
        self.entries.append(undo.number)
        self.reversed.add(undo.number)
        for account, amount in rows:
            self.model[account] = self.model.get(account, 0) - amount

    @rule(unit=st.sampled_from(sorted(UNITS)), fen=st.integers(1, 10_000))
    def retry_posts_once(self, unit: str, fen: int) -> None:
        key = f"retry-{len(self.entries)}"
        lines = [("1001", fen), (f"2101.{unit}", -fen)]
        first = self._post("deposit", lines, idempotency_key=key)
        again = self._post("deposit", lines, idempotency_key=key, same_day=True)
        assert first == again

    @invariant()
    def books_hold(self) -> None:
        listed = self.rt.query(balances, self.code)
        running = {b.code: b.balance_fen for b in listed}
        assert sum(running.values()) == 0
        assert running == self.rt.query(posted_balances, self.code)
        for b in listed:
            assert b.balance_fen == self.model.get(b.code, 0)
            if b.code.startswith("2101.") or b.code == "1001":
                assert b.natural_balance_fen >= 0
        with self.rt.session_factory() as s:
            unbalanced = s.scalar(
                sa.text(
                    "SELECT count(*) FROM (SELECT entry_id FROM posting GROUP BY entry_id"
                    " HAVING sum(amount_fen) <> 0 OR count(*) < 2) AS bad"
                )
            )
        assert unbalanced == 0


def test_random_operations_keep_the_books_exact(runtime: Runtime) -> None:
    LedgerMachine.rt = runtime
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
