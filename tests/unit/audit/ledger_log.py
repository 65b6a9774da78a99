"""Hand-built logs for the ledger checks: a small community's entries as the services log
them, and the bundle files a builder would write for them (computed here independently, by
plain sums, from what the test posted)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.verify_ledger import LedgerCheck

START = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)
UNITS = {"A-01": ("A", 6000), "A-02": ("A", 4000), "B-01": ("B", 5000)}
SOURCES0 = {
    "subsidy": 0,
    "maintenance_fund": 0,
    "social_capital": 0,
    "public_income": 0,
    "owners_direct": 0,
}


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MemoryFiles:
    """A bundle's members in memory (``audit.findings.BundleFiles``)."""

    def __init__(self, members: dict[str, bytes]) -> None:
        self.members = members

    def names(self) -> Iterable[str]:
        return sorted(self.members)

    def read(self, path: str) -> bytes | None:
        return self.members.get(path)

    def lines(self, path: str) -> Iterable[tuple[int, bytes]]:
        data = self.members.get(path, b"")
        for number, line in enumerate(data.split(b"\n"), start=1):
            if line:
                yield number, line


@dataclass
class Log:
    """A community's log being written, one entry an hour."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    at: datetime = START
    numbers: int = 0

    def add(self, kind: str, data: dict[str, Any], *, at: datetime | None = None) -> int:
        if at is not None:
            self.at = at
        else:
            self.at += timedelta(hours=1)
        self.entries.append(
            {"v": 1, "type": kind, "at": stamp(self.at), "community": "c", "data": data}
        )
        return len(self.entries) - 1

    def post(
        self,
        kind: str,
        value_date: str,
        *postings: tuple[str, int],
        memo: str = "",
        documents: dict[str, Any] | None = None,
        reverses: int | None = None,
        legacy: str | None = None,
    ) -> int:
        """Log a journal entry; returns its entry number."""
        self.numbers += 1
        self.add(
            "ledger.entry_posted",
            {
                "entry": self.numbers,
                "kind": kind,
                "value_date": value_date,
                "memo": memo,
                "documents": documents or {},
                "postings": [list(p) for p in postings],
                "reverses": reverses,
                "idempotency_key": None,
                "legacy_file_sha256": legacy,
                "content_sha256": "0" * 64,
            },
        )
        return self.numbers

    def journal(self) -> list[tuple[int, dict[str, Any]]]:
        return [
            (i, e["data"])
            for i, e in enumerate(self.entries)
            if e["type"] == "ledger.entry_posted" and "value_date" in e["data"]
        ]


def community(log: Log) -> None:
    """The community, its register, and first deposits dated 2024-01-01."""
    log.add("estate.community_created", {"code": "c", "settings": {}})
    log.add(
        "estate.roll_imported",
        {
            "units": [
                {"unit": u, "building": b, "area_centi": a, "kind": "flat", "owners": []}
                for u, (b, a) in UNITS.items()
            ]
        },
    )
    for unit, amount in (("A-01", 100_000), ("A-02", 50_000), ("B-01", 80_000)):
        log.post("deposit", "2024-01-01", ("1001", amount), (f"2101.{unit}", -amount))


def decided_ballot(log: Log, ref: str = "b1", *, final: bool = True, mf: int = 10_000) -> None:
    """A passed fund_use ballot over building A (10,000 fen from the fund, 10,000 subsidy)."""
    plan = {
        "budget_fen": 10_000 + mf,
        "sources": {**SOURCES0, "maintenance_fund": mf, "subsidy": 10_000},
    }
    log.add(
        "voting.ballot_opened",
        {
            "ballot": ref,
            "consultation": False,
            "content": {"questions": [{"matter": "fund_use", "position": 1, "use_plan": plan}]},
            "roll": {"area_centi": 10_000, "heads": 2},
            "scope": {"kind": "buildings", "codes": ["A"]},
        },
    )
    log.add(
        "voting.decision_recorded",
        {"ballot": ref, "question": 1, "binding": "plain", "plain": {"passed": True}},
    )
    if final:
        ends = log.at + timedelta(days=7)
        log.add(
            "voting.ballot_published",
            {"ballot": ref, "publicity": {"days": 7, "ends_at": stamp(ends)}},
        )
        log.add("voting.ballot_final", {"ballot": ref}, at=ends + timedelta(hours=1))


def project(
    log: Log, ref: str = "p1", ballot: str = "b1", mf: int = 10_000, subsidy: int = 10_000
) -> None:
    """Open project ``ref`` from question 1 of ``ballot`` and receive ``subsidy`` fen."""
    log.add(
        "ledger.project_opened",
        {
            "project": ref,
            "origin": "decision",
            "ballot": ballot,
            "question": 1,
            "budget_fen": 10_000 + mf,
            "sources": {**SOURCES0, "maintenance_fund": mf, "subsidy": 10_000},
            "is_whole_community": False,
            "units": {"A-01": 6000, "A-02": 4000},
        },
    )
    if subsidy:
        log.post(
            "project_funding",
            "2024-02-01",
            ("1003", subsidy),
            ("2301", -subsidy),
            documents={"project": ref},
        )


def draw(
    log: Log,
    ref: str,
    amount: int,
    *postings: tuple[str, int],
    project_ref: str = "p1",
    stage: str = "final",
    retention: int = 0,
) -> int:
    log.add(
        "ledger.draw_recorded",
        {
            "draw": ref,
            "project": project_ref,
            "stage": stage,
            "amount_fen": amount,
            "retention_fen": retention,
            "value_date": "2024-03-01",
        },
    )
    kind = "retention_release" if stage == "retention_release" else "draw"
    return log.post(kind, "2024-03-01", *postings, documents={"project": project_ref, "draw": ref})


CLEAN_DRAW = (
    ("2301", 10_000),
    ("2101.A-01", 6_000),
    ("2101.A-02", 4_000),
    ("1003", -10_000),
    ("1001", -10_000),
)


def bundle(log: Log, period_to: str | None = None) -> dict[str, bytes]:
    """The ledger files and manifest a bundle builder writes for ``log``."""
    debits: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    lines = []
    for index, data in log.journal():
        if period_to is not None and data["value_date"] > period_to:
            continue
        lines.append(
            json.dumps(
                {
                    "entry": data["entry"],
                    "log_index": index,
                    "value_date": data["value_date"],
                    "kind": data["kind"],
                    "memo": data["memo"],
                    "documents": data["documents"],
                    "reverses": data["reverses"],
                    "postings": data["postings"],
                },
                ensure_ascii=False,
            )
        )
        for code, amount in data["postings"]:
            if amount > 0:
                debits[code] += amount
            else:
                credits[code] -= amount
    rows = ["code,debit_fen,credit_fen,balance_fen"]
    for code in sorted(set(debits) | set(credits)):
        balance = debits[code] - credits[code]
        rows.append(f"{code},{max(balance, 0)},{max(-balance, 0)},{balance}")
    accounts = ["code,type,fund,unit,name_zh,name_en"]
    return {
        "manifest.json": json.dumps({"period": {"from": None, "to": period_to}}).encode(),
        "ledger/entries.jsonl": "".join(line + "\n" for line in lines).encode(),
        "ledger/trial_balance.csv": ("\n".join(rows) + "\n").encode(),
        "ledger/accounts.csv": ("\n".join(accounts) + "\n").encode(),
    }


def run(
    log: Log,
    files: dict[str, bytes] | None = None,
    **settings: Any,
) -> LedgerCheck:
    check = LedgerCheck(**settings)
    for index, entry in enumerate(log.entries):
        check.entry(index, json.loads(json.dumps(entry)))
    check.finish(MemoryFiles(bundle(log) if files is None else files))
    return check
