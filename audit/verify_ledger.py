"""The ledger half of the offline verifier: a :class:`~audit.findings.StreamCheck` that
rebuilds the books from the log alone and compares them with the bundle (pure: standard
library and the ledger's pure rule modules; no database or web library on its import path).

Fed every log entry in index order (documents inlined), it checks:

- ``journal``: every ``ledger.entry_posted`` entry is acceptable (``ledger.posting_rules``:
  two or more non-zero integer postings summing to zero, known kind, sound date, memo and
  documents), its entry number is new, every account is in the chart (a standard account, a
  unit account of a unit the register has, or a row of ``ledger/accounts.csv``); a reversal
  names an earlier entry, reverses it at most once and posts its exact opposite; every line
  of ``ledger/entries.jsonl`` is the log's entry at its ``log_index``, and the file holds
  every entry of the period;
- ``overdraft``: no bounded account (a bank account, a unit's sub-account) crosses zero on
  its natural side at any point in log order, and no shortfall paid by an owner settles
  more than that owner owed (a ``shortfall_settlement`` entry that is not exactly the
  contractor payable against one unit's receivable is a ``journal`` finding);
- ``trial-balance`` / ``balance``: the trial balance recomputed by value date up to the
  period's end (``manifest.json``'s ``period.to``) equals ``ledger/trial_balance.csv`` row by
  row, and sums to zero;
- ``coverage``, ``apportionment``, ``emergency-publication``: see :mod:`audit.ledger_draws`;
  besides, public income transferred into the fund is split over all units by area
  (``estate.apportion``) and interest over the sub-accounts by their daily-balance products
  (``ledger.funds_rules``), both recomputed exactly from the postings logged before;
- ``statement``: an owner's unit statement (the JSON download of the owner's page) equals
  the log's postings to that unit's sub-account.

Entries imported from a legacy file are listed in :meth:`LedgerCheck.notes` with the
file's hash. ``where`` is ``log/entries.jsonl:<line>`` (line = log index + 1) or the bundle
file and line.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from audit.findings import BundleFiles, Finding
from audit.ledger_draws import DrawChecks
from audit.ledger_register import Ballots, Register, parse_at
from audit.ledger_statement import check_statement
from estate.apportion import apportion
from ledger.chart_spec import (
    STANDARD_ACCOUNTS,
    UNIT_RECEIVABLE,
    UNIT_SUBACCOUNT,
    is_bounded_code,
)
from ledger.draw_rules import CONTRACTOR_PAYABLE, settleable_fen, settlement_lines
from ledger.funds_rules import allocate_interest, daily_balance_product
from ledger.posting_rules import PostingLine, entry_problems
from notary.errors import DomainError

ENTRY_EVENT = "ledger.entry_posted"
"""The log event of a posted journal entry (``ledger.journal.ENTRY_EVENT``)."""

LOG_FILE = "log/entries.jsonl"
ENTRIES_FILE = "ledger/entries.jsonl"
ACCOUNTS_FILE = "ledger/accounts.csv"
TRIAL_BALANCE_FILE = "ledger/trial_balance.csv"
MANIFEST_FILE = "manifest.json"

_STANDARD = {spec.code: spec for spec in STANDARD_ACCOUNTS}
_UNIT_PREFIXES = (UNIT_SUBACCOUNT.code + ".", UNIT_RECEIVABLE.code + ".")
_SUB = UNIT_SUBACCOUNT.code + "."
_REC = UNIT_RECEIVABLE.code + "."
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, DomainError)


def log_where(index: int) -> str:
    """Where a log entry is: its line in ``log/entries.jsonl``."""
    return f"{LOG_FILE}:{index + 1}"


@dataclass(frozen=True)
class JournalRecord:
    """A journal entry as the log holds it."""

    index: int
    entry: int
    kind: str
    value_date: date
    memo: str
    documents: dict[str, Any]
    reverses: int | None
    postings: tuple[tuple[str, int], ...]


def _postings(value: object) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list):
        raise TypeError("postings are not a list")
    out = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
            raise TypeError("a posting is not [account, amount]")
        out.append((pair[0], pair[1]))
    return tuple(out)


class LedgerCheck:
    """The ledger checks of a bundle (see the module docstring).

    ``as_of``: the time deadlines are judged at (default: the last log entry's ``at``, the
    checkpoint's time; a time without a zone is UTC); ``statement``: an owner's unit
    statement (parsed JSON) to check against the log; ``period_to``: the trial balance's
    date (default: ``manifest.json``'s ``period.to``, else every entry)."""

    def __init__(
        self,
        *,
        as_of: datetime | None = None,
        statement: Mapping[str, Any] | None = None,
        period_to: date | None = None,
    ) -> None:
        if as_of is not None and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)  # a time without a zone is read as UTC
        self._as_of = as_of
        self._statement = statement
        self._period_to = period_to
        self._findings: list[Finding] = []
        self._pending: list[Finding] = []
        self._notes: list[Finding] = []
        self._last_at: datetime | None = None
        self.register = Register()
        self.ballots = Ballots()
        self.draws = DrawChecks(self._report)
        self.balances: dict[str, int] = defaultdict(int)
        self.journal: dict[int, JournalRecord] = {}
        self._by_number: dict[int, int] = {}
        self._reversed: set[int] = set()
        self._overdrawn: set[str] = set()
        self._unlisted: dict[str, int] = {}
        self._unit_history: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))

    # -- the protocol ------------------------------------------------------------------

    def entry(self, index: int, entry: dict[str, Any]) -> None:
        """One log entry, in index order, documents inlined."""
        kind = entry.get("type") if isinstance(entry, dict) else None
        data = entry.get("data") if isinstance(entry, dict) else None
        at = parse_at(entry.get("at")) if isinstance(entry, dict) else None
        if at is not None:
            self._last_at = at
        if not isinstance(kind, str) or not isinstance(data, dict):
            return
        try:
            if kind == ENTRY_EVENT:
                self._journal_entry(index, at, data)
            elif kind == "estate.roll_imported":
                self.register.imported(data)
            elif kind in ("estate.community_created", "estate.settings_changed"):
                self.draws.settings(data)
            elif kind.startswith("voting."):
                self.ballots.entry(index, kind, data, self.register)
            elif kind.startswith("ledger."):
                self.draws.event(index, kind, data, at, self.register, self.ballots)
        except _MALFORMED as error:
            check = "journal" if kind == ENTRY_EVENT else "coverage"
            if kind == "estate.roll_imported":
                check = "apportionment"
            self._report(check, index, f"the {kind} entry is malformed ({type(error).__name__})")

    def finish(self, files: BundleFiles) -> None:
        """Compare with the bundle's ledger files; judge the emergencies' deadlines."""
        period_from, period_to = self._period(files)
        self._accounts(files)
        self._entries_file(files, period_from, period_to)
        self._trial_balance(files, period_to)
        now = self._as_of or self._last_at
        for check, index, what, is_pending in self.draws.publication(now):
            (self._pending if is_pending else self._findings).append(
                Finding(check, log_where(index), what)
            )
        if self._statement is not None:
            for where, what in check_statement(self._statement, self.journal.values()):
                self._findings.append(Finding("statement", where, what))

    def findings(self) -> list[Finding]:
        """What is wrong."""
        return list(self._findings)

    def pending(self) -> list[Finding]:
        """Emergencies whose publication deadline is still ahead."""
        return list(self._pending)

    def notes(self) -> list[Finding]:
        """Entries imported from legacy files (with the file's hash)."""
        return list(self._notes)

    @property
    def journal_entries(self) -> int:
        """How many journal entries the log holds."""
        return len(self.journal)

    # -- the journal -------------------------------------------------------------------

    def _report(self, check: str, index: int, what: str) -> None:
        self._findings.append(Finding(check, log_where(index), what))

    def _journal_entry(self, index: int, at: datetime | None, data: dict[str, Any]) -> None:
        number = data["entry"]
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError("the entry number is not an integer")
        postings = _postings(data["postings"])
        value_date = date.fromisoformat(data["value_date"])
        kind, memo = data["kind"], data["memo"]
        documents = data.get("documents") or {}
        if not isinstance(documents, dict):
            raise TypeError("documents are not an object")
        lines = [PostingLine(code, amount) for code, amount in postings]
        for msgid, params in entry_problems(kind, value_date, memo, documents, lines):
            self._report("journal", index, f"entry {number}: {msgid % params if params else msgid}")
        if any(isinstance(a, bool) or not isinstance(a, int) for _, a in postings):
            return  # nothing more can be computed from it
        if number in self._by_number:
            self._report("journal", index, f"entry number {number} was used before")
        for code, _ in postings:
            if not self._is_chart_code(code):
                self._unlisted.setdefault(code, index)
        reverses = data.get("reverses")
        if reverses is not None:
            self._reversal(index, number, reverses, postings)
        sha = data.get("legacy_file_sha256")
        if sha is not None:
            self._notes.append(
                Finding(
                    "journal",
                    log_where(index),
                    f"entry {number} was imported from a legacy file",
                    file_sha256=str(sha),
                )
            )
        try:
            if kind in ("draw", "retention_release"):
                self.draws.draw_entry(index, at, data, self.balances, self.ballots)
            elif kind == "project_funding":
                self.draws.funding(index, data)
            elif kind == "public_income_transfer":
                self._transfer(index, number, postings)
            elif kind == "interest":
                self._interest(index, number, documents, postings)
            elif kind == "shortfall_settlement":
                self._settlement(index, number, postings)
        except _MALFORMED as error:  # the entry still moves the balances
            self._report(
                "apportionment",
                index,
                f"entry {number}: what it apportions cannot be read ({type(error).__name__})",
            )
        self._post(index, number, value_date, postings)
        record = JournalRecord(index, number, kind, value_date, memo, documents, reverses, postings)
        self.journal[index] = record
        self._by_number[number] = index

    def _is_chart_code(self, code: str) -> bool:
        if code in _STANDARD:
            return True
        for prefix in _UNIT_PREFIXES:
            if code.startswith(prefix) and code[len(prefix) :] in self.register.areas:
                return True
        return False

    def _reversal(
        self, index: int, number: int, reverses: object, postings: tuple[tuple[str, int], ...]
    ) -> None:
        target = self._by_number.get(reverses) if isinstance(reverses, int) else None
        if target is None:
            self._report(
                "journal", index, f"entry {number} reverses entry {reverses}, not an earlier entry"
            )
            return
        if reverses in self._reversed:
            self._report(
                "journal", index, f"entry {number} reverses entry {reverses} a second time"
            )
        self._reversed.add(reverses)  # type: ignore[arg-type]
        original = Counter[str]()
        for code, amount in self.journal[target].postings:
            original[code] -= amount
        mine = Counter[str]()
        for code, amount in postings:
            mine[code] += amount
        if {c: a for c, a in original.items() if a} != {c: a for c, a in mine.items() if a}:
            self._report(
                "journal", index, f"entry {number} is not the exact opposite of entry {reverses}"
            )

    def _post(
        self, index: int, number: int, value_date: date, postings: tuple[tuple[str, int], ...]
    ) -> None:
        touched = set()
        for code, amount in postings:
            self.balances[code] += amount
            touched.add(code)
            if code.startswith(_SUB):
                self._unit_history[code[len(_SUB) :]][value_date] -= amount
        for code in sorted(touched):
            if not is_bounded_code(code):
                continue
            balance = self.balances[code]
            natural = -balance if code.startswith(_SUB) else balance
            if natural < 0 and code not in self._overdrawn:
                self._overdrawn.add(code)
                self._report(
                    "overdraft",
                    index,
                    f"entry {number} overdraws account {code} by {-natural} fen",
                )
            elif natural >= 0:
                self._overdrawn.discard(code)

    # -- shortfalls paid by owners -----------------------------------------------------

    def _settlement(self, index: int, number: int, postings: tuple[tuple[str, int], ...]) -> None:
        """A shortfall paid by its owner debits the contractor payable and credits one unit's
        receivable by the same amount (``ledger.shortfalls``), never more than the owner owed
        nor than the payable held, as the log's balances stood before it."""
        receivables = [c for c, a in postings if a < 0 and c.startswith(_REC)]
        paid = sum(a for _, a in postings if a > 0)
        if len(receivables) != 1 or sorted(postings) != sorted(
            settlement_lines(receivables[0], paid)
        ):
            self._report(
                "journal",
                index,
                f"entry {number}: a shortfall settlement must debit {CONTRACTOR_PAYABLE} and "
                "credit one unit's receivable",
            )
            return
        receivable = receivables[0]
        owed = settleable_fen(self.balances[receivable], self.balances[CONTRACTOR_PAYABLE])
        if paid > owed:
            self._report(
                "overdraft",
                index,
                f"entry {number} settles {paid} fen on {receivable}, more than the {owed} fen owed",
            )

    # -- apportionments the funds make -------------------------------------------------

    def _unit_credits(self, postings: tuple[tuple[str, int], ...]) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for code, amount in postings:
            if code.startswith(_SUB):
                out[code[len(_SUB) :]] -= amount
        return dict(out)

    def _compare_units(
        self, index: int, what: str, expected: Mapping[str, int], posted: Mapping[str, int]
    ) -> None:
        wrong = sorted(
            u for u in set(expected) | set(posted) if expected.get(u, 0) != posted.get(u, 0)
        )
        for unit in wrong[:20]:
            self._report(
                "apportionment",
                index,
                f"{what} credits unit {unit} {posted.get(unit, 0)} fen; the rule gives "
                f"{expected.get(unit, 0)} fen",
            )
        if len(wrong) > 20:
            self._report("apportionment", index, f"{what}: {len(wrong) - 20} more units differ")

    def _transfer(self, index: int, number: int, postings: tuple[tuple[str, int], ...]) -> None:
        amount = sum(a for c, a in postings if c == "3101" and a > 0)
        try:
            expected = apportion(amount, self.register.areas)
        except DomainError as error:
            self._report("apportionment", index, f"entry {number}: {error.text}")
            return
        expected = {u: s for u, s in expected.items() if s}
        self._compare_units(
            index, f"public income transfer {number}", expected, self._unit_credits(postings)
        )

    def _interest(
        self,
        index: int,
        number: int,
        documents: Mapping[str, Any],
        postings: tuple[tuple[str, int], ...],
    ) -> None:
        period = documents.get("period")
        if not isinstance(period, str) or period.count("/") != 1:
            self._report("apportionment", index, f"interest entry {number} names no period")
            return
        start, end = (date.fromisoformat(p) for p in period.split("/"))
        amount = sum(a for c, a in postings if c == "1001" and a > 0)
        products = {
            unit: product
            for unit, history in self._unit_history.items()
            if (product := daily_balance_product(history.items(), start, end))
        }
        try:
            expected = allocate_interest(amount, products)
        except DomainError as error:
            self._report("apportionment", index, f"interest entry {number}: {error.text}")
            return
        expected = {u: s for u, s in expected.items() if s}
        self._compare_units(
            index, f"interest entry {number}", expected, self._unit_credits(postings)
        )

    # -- the bundle's files ------------------------------------------------------------

    def _period(self, files: BundleFiles) -> tuple[date | None, date | None]:
        raw = files.read(MANIFEST_FILE)
        start = end = None
        if raw is not None:
            try:
                period = json.loads(raw).get("period") or {}
                start = date.fromisoformat(period["from"]) if period.get("from") else None
                end = date.fromisoformat(period["to"]) if period.get("to") else None
            except (ValueError, TypeError, AttributeError, KeyError):
                self._findings.append(
                    Finding("trial-balance", MANIFEST_FILE, "the manifest's period is unreadable")
                )
        return start, (self._period_to or end)

    def _csv(
        self, files: BundleFiles, path: str, check: str
    ) -> list[tuple[int, dict[str, str]]] | None:
        """The rows of a CSV member with their line numbers (None when absent; an unreadable
        file is a finding and has no rows)."""
        raw = files.read(path)
        if raw is None:
            return None
        try:
            reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
            return [(n, row) for n, row in enumerate(reader, start=2)]
        except (UnicodeDecodeError, csv.Error):
            self._findings.append(Finding(check, path, "the file is not a readable CSV table"))
            return []

    def _accounts(self, files: BundleFiles) -> None:
        rows = self._csv(files, ACCOUNTS_FILE, "journal")
        listed = {row.get("code", "") for _, row in rows or []}
        if rows is None and self._unlisted:
            self._findings.append(Finding("journal", ACCOUNTS_FILE, "the bundle has no chart"))
        for code, index in sorted(self._unlisted.items(), key=lambda kv: kv[1]):
            if code not in listed:
                self._report("journal", index, f"account {code} is not in the chart")

    def _entries_file(self, files: BundleFiles, start: date | None, end: date | None) -> None:
        wanted = {
            record.index
            for record in self.journal.values()
            if (start is None or record.value_date >= start)
            and (end is None or record.value_date <= end)
        }
        if files.read(ENTRIES_FILE) is None:
            if wanted:
                self._findings.append(Finding("journal", ENTRIES_FILE, "the bundle has no journal"))
            return
        seen: set[int] = set()
        for line, raw in files.lines(ENTRIES_FILE):
            where = f"{ENTRIES_FILE}:{line}"
            try:
                row = json.loads(raw)
                index = row["log_index"]
                record = self.journal.get(index) if isinstance(index, int) else None
                same = record is not None and (
                    row["entry"] == record.entry
                    and row["value_date"] == record.value_date.isoformat()
                    and row["kind"] == record.kind
                    and row["memo"] == record.memo
                    and row["documents"] == record.documents
                    and row["reverses"] == record.reverses
                    and [tuple(p) for p in row["postings"]] == list(record.postings)
                )
            except (ValueError, TypeError, KeyError, AttributeError):
                self._findings.append(Finding("journal", where, "the line is not a journal entry"))
                continue
            if same and index not in wanted:
                self._findings.append(
                    Finding("journal", where, f"entry {row['entry']} is outside the period")
                )
            elif not same:
                self._findings.append(
                    Finding(
                        "journal",
                        where,
                        f"entry {row.get('entry')} is not the log's entry at index {index}",
                    )
                )
            elif index in seen:
                self._findings.append(
                    Finding("journal", where, f"entry {row['entry']} is listed twice")
                )
            seen.add(index)
        for index in sorted(wanted - seen)[:20]:
            self._findings.append(
                Finding(
                    "journal",
                    ENTRIES_FILE,
                    f"entry {self.journal[index].entry} (log index {index}) of the period "
                    "is missing",
                )
            )

    def _trial_balance(self, files: BundleFiles, end: date | None) -> None:
        debits: dict[str, int] = defaultdict(int)
        credits: dict[str, int] = defaultdict(int)
        for record in self.journal.values():
            if end is not None and record.value_date > end:
                continue
            for code, amount in record.postings:
                if amount > 0:
                    debits[code] += amount
                else:
                    credits[code] -= amount
        rows = self._csv(files, TRIAL_BALANCE_FILE, "trial-balance")
        if rows is None:
            self._findings.append(
                Finding("trial-balance", TRIAL_BALANCE_FILE, "the bundle has no trial balance")
            )
            return
        seen: set[str] = set()
        total = 0
        for line, row in rows:
            where = f"{TRIAL_BALANCE_FILE}:{line}"
            try:
                code = row["code"]
                debit, credit, balance = (
                    int(row["debit_fen"]),
                    int(row["credit_fen"]),
                    int(row["balance_fen"]),
                )
            except (KeyError, TypeError, ValueError):
                self._findings.append(Finding("trial-balance", where, "the row is unreadable"))
                continue
            if code in seen:
                self._findings.append(
                    Finding("trial-balance", where, f"account {code} is listed twice")
                )
            seen.add(code)
            total += balance
            want = debits.get(code, 0) - credits.get(code, 0)
            columns = (max(want, 0), max(-want, 0))
            turnover = (debits.get(code, 0), credits.get(code, 0))
            if balance != want or (debit, credit) not in (columns, turnover):
                self._findings.append(
                    Finding(
                        "trial-balance",
                        where,
                        f"account {code}: {debit}/{credit}/{balance} fen, the log gives "
                        f"balance {want} fen",
                    )
                )
        missing = [
            code
            for code in sorted(set(debits) | set(credits))
            if code not in seen and debits.get(code, 0) != credits.get(code, 0)
        ]
        for code in missing[:20]:
            self._findings.append(
                Finding("trial-balance", TRIAL_BALANCE_FILE, f"account {code} is missing")
            )
        if len(missing) > 20:
            self._findings.append(
                Finding(
                    "trial-balance",
                    TRIAL_BALANCE_FILE,
                    f"{len(missing) - 20} more accounts with a balance are missing",
                )
            )
        if total != 0:
            self._findings.append(
                Finding(
                    "balance", TRIAL_BALANCE_FILE, f"the trial balance sums to {total} fen, not 0"
                )
            )
