"""A hypothesis state machine over the ledger's operations: whatever the sequence, every entry
balances, the trial balance is zero, no sub-account or bank account goes negative, the running
balances equal the postings, every split is exact, and the books equal a plain model of them.

The operations are the real ones (deposits, interest by daily-balance products, public income
and its transfer into the fund by area, an emergency project's staged draws with retention
and shortfalls owed, approved by another user) beside raw entries, refused overdrafts,
reversals and idempotent retries."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from estate.api import apportion
from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.runtime import Runtime
from ledger import api as ledger
from ledger.api import (
    InsufficientFunds,
    PostingLine,
    balances,
    largest_remainder,
    post_entry,
    posted_balances,
    reverse_entry,
)
from notary.errors import DomainError

RECORDER, APPROVER = 2, 3

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
        self.deposits = 0
        self.first: set[str] = set()
        self.project: str | None = None

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

    def _take(self, entry: ledger.EntryInfo) -> None:
        """Add an entry a real operation posted to the model, from its postings."""
        for line in entry.lines:
            self.model[line.account] = self.model.get(line.account, 0) + line.amount_fen
        self.entries.append(entry.number)

    def _as(self, actor: int, step: object, **kw: object) -> object | None:
        try:
            return self.rt.run_as(actor, step, community_code=self.code, **kw)  # type: ignore[arg-type]
        except DomainError:
            return None

    @rule(unit=st.sampled_from(sorted(UNITS)), fen=st.integers(1, 3_000_000))
    def record_deposit(self, unit: str, fen: int) -> None:
        self.day += timedelta(days=1)
        self.deposits += 1
        entry = self._as(
            1, ledger.record_deposit, may_record=True, unit_code=unit, amount_fen=fen,
            value_date=self.day, bank_reference=f"B{self.deposits}",
            is_first=unit not in self.first, memo="",
        )  # fmt: skip
        assert entry is not None
        self.first.add(unit)
        self._take(entry)  # type: ignore[arg-type]

    @rule(fen=st.integers(1, 50_000))
    def allocate_interest(self, fen: int) -> None:
        start = self.day + timedelta(days=1)
        self.day += timedelta(days=30)
        done = self._as(
            1, ledger.allocate_interest_entry, may_record=True, start=start, end=self.day,
            amount_fen=fen, value_date=self.day,
        )  # fmt: skip
        if done is None:
            return  # nothing held over the period: refused, nothing written
        event("interest allocated")
        assert sum(done.shares.values()) == fen  # type: ignore[attr-defined]
        assert done.shares == largest_remainder(  # type: ignore[attr-defined]
            fen,
            [(u, done.products[u]) for u in sorted(done.products)],  # type: ignore[attr-defined]
        )
        self._take(done.entry)  # type: ignore[attr-defined]

    @rule(fen=st.integers(1, 2_000_000), share=st.integers(0, 100))
    def public_income_then_transfer(self, fen: int, share: int) -> None:
        self.day += timedelta(days=1)
        income = self._as(
            1, ledger.record_public_income, may_record=True, kind="parking", amount_fen=fen,
            value_date=self.day,
        )  # fmt: skip
        assert income is not None
        self._take(income)  # type: ignore[arg-type]
        amount = fen * share // 100
        if not amount:
            return
        event("public income transferred")
        moved = self._as(
            1, ledger.transfer_public_income, may_transfer=True, amount_fen=amount,
            value_date=self.day, decision="业主大会决议",
        )  # fmt: skip
        assert moved is not None
        credited = {
            line.unit_code: -line.amount_fen
            for line in moved.entry.lines  # type: ignore[attr-defined]
            if line.account.startswith("2101.")
        }
        assert credited == {u: n for u, n in apportion(amount, UNITS).items() if n}
        self._take(moved.entry)  # type: ignore[attr-defined]

    @rule(
        fen=st.integers(1, 4_000_000),
        retention=st.integers(0, 10),
        stage=st.sampled_from(["advance", "progress", "final"]),
    )
    def draw_on_the_emergency_project(self, fen: int, retention: int, stage: str) -> None:
        if self.project is None:
            record = self._as(
                RECORDER, ledger.record_emergency, category="roof_leak",
                evidence_sha256="ab" * 32, description="屋面渗漏", scope_kind="community",
            )  # fmt: skip
            project = self._as(
                RECORDER, ledger.open_project_from_emergency,
                emergency_ref=record.ref, title="应急维修",  # type: ignore[attr-defined]
                sources={"maintenance_fund": 10_000_000},
            )  # fmt: skip
            self.project = project.ref  # type: ignore[attr-defined]
        self.day += timedelta(days=1)
        drawn = self._as(
            RECORDER, ledger.record_draw, project_ref=self.project, stage=stage,
            amount_fen=fen, retention_fen=fen * retention // 100, value_date=self.day,
        )  # fmt: skip
        if drawn is None:
            return  # over the budget: refused, nothing written
        posted = self._as(
            APPROVER, ledger.approve_draw, draw_ref=drawn.ref,  # type: ignore[attr-defined]
            is_authority=True, is_committee_member=False, committee_size=2,
        )  # fmt: skip
        if posted is None:
            # Refused as a whole (e.g. a retention larger than the cash the sub-accounts can
            # pay now): nothing posted, the draw waits.
            return
        assert posted.entry_number is not None  # type: ignore[attr-defined]
        event("draw posted")
        entry = self.rt.query(ledger.get_entry, self.code, posted.entry_number)  # type: ignore[attr-defined]
        self._take(entry)
        report = self.rt.query(ledger.project_report, self.code, self.project)
        drawn_units = {u.unit_code: u.drawn_fen for u in report.units}
        # Cumulative charges are the apportionment of the cumulative total, whatever the stages.
        assert drawn_units == apportion(sum(drawn_units.values()), UNITS)
        for u in report.units:
            assert u.paid_fen + u.shortfall_fen == u.drawn_fen
            assert u.paid_fen >= 0 and u.shortfall_fen >= 0

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
