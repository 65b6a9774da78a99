"""One pass over a community's log for its audit bundle.

Every entry from index 0 to the checkpoint's size goes to ``log/entries.jsonl`` exactly as
stored; on the way the entries the bundle presents are collected: the ballots opened within
the period (their state events, votes and decisions), the journal entries whose value date is
within it, the balances up to its end, the files named by hash, and the documents referenced.
Entries of no interest are skipped by a substring test before any JSON is parsed.

Pure: it sees entries as ``(index, bytes)``, never the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from notary.canonical import canonical_bytes
from notary.documents import DOC_KEY, inline_documents
from notary.envelope import parse_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENED = "voting.ballot_opened"
CAST = "voting.ballot_cast"
DECISION = "voting.decision_recorded"
PUBLISHED = "voting.ballot_published"
PAPER_ENTERED = "voting.paper_entered"
ENTRY_POSTED = "ledger.entry_posted"
EMERGENCY = "ledger.emergency_recorded"
_NEEDLES = (
    b'"type":"voting.ballot_',
    b'"type":"' + DECISION.encode() + b'"',
    b'"type":"' + PAPER_ENTERED.encode() + b'"',
    b'"type":"' + ENTRY_POSTED.encode() + b'"',
    b'"type":"' + EMERGENCY.encode() + b'"',
    b'"' + DOC_KEY.encode() + b'"',
)
_DOC_NEEDLE = b'"' + DOC_KEY.encode() + b'"'


@dataclass(frozen=True)
class Period:
    """The days (Asia/Shanghai) a bundle presents; ``None`` leaves that end open."""

    start: date | None
    end: date | None

    def holds(self, day: date) -> bool:
        """Whether ``day`` is within the period (both ends included)."""
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def reaches(self, day: date) -> bool:
        """Whether ``day`` is on or before the period's end."""
        return self.end is None or day <= self.end


@dataclass
class BallotFacts:
    """What the log says of one ballot opened within the period."""

    ref: str
    opened_index: int
    title: str
    status: str
    events: list[tuple[str, int]]
    attachments: list[tuple[str, str]]
    votes: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    scans: list[tuple[str, int]] = field(default_factory=list)
    is_published: bool = False


@dataclass(frozen=True)
class IndexedFile:
    """A row of ``documents/index.csv``: a file named by its hash (the file is not bundled)."""

    kind: str
    ref: str
    file: str
    sha256: str
    log_index: int


class LogReader:
    """Collects the bundle's facts from the log's entries, given in index order to :meth:`add`.

    ``state_events`` maps each event type that moves a ballot to the status it leaves
    (``voting.api.BALLOT_STATE_EVENTS``); an entry's bulky fields are read from the documents
    they were moved to. ``write_ledger_line``
    receives each journal entry of the period as its bundle line.
    """

    def __init__(
        self,
        period: Period,
        state_events: Mapping[str, str],
        write_ledger_line: Callable[[bytes], None],
    ) -> None:
        self.period = period
        self._states = state_events
        self._write_ledger = write_ledger_line
        self._events: dict[str, list[tuple[str, int]]] = {}
        self._status: dict[str, str] = {}
        self.ballots: dict[str, BallotFacts] = {}
        self.balances: dict[str, int] = {}
        self.journal_entries = 0
        self.files: list[IndexedFile] = []
        self._legacy: set[str] = set()

    def add(self, index: int, body: bytes, fetch_document: Callable[[str], bytes]) -> None:
        """Take the entry at ``index`` into account (``body``: its exact stored bytes;
        ``fetch_document`` returns the bytes of a document it references, checked here
        against the reference)."""
        if not any(needle in body for needle in _NEEDLES):
            return
        entry = json.loads(body)
        data = entry.get("data")
        if not isinstance(data, dict):
            return
        if _DOC_NEEDLE in body:
            data = inline_documents(data, fetch_document)
        kind = entry.get("type")
        if kind == ENTRY_POSTED:
            self._journal(index, data)
        elif kind == EMERGENCY:
            self._emergency(index, entry, data)
        elif isinstance(kind, str) and kind.startswith("voting."):
            self._voting(index, entry, kind, data)

    def _day(self, entry: Mapping[str, Any]) -> date:
        return parse_time(str(entry.get("at"))).astimezone(SHANGHAI).date()

    def _voting(
        self, index: int, entry: Mapping[str, Any], kind: str, data: dict[str, Any]
    ) -> None:
        ref = data.get("ballot")
        if not isinstance(ref, str):
            return
        if kind in self._states:
            self._events.setdefault(ref, []).append((kind, index))
            self._status[ref] = self._states[kind]
        if kind == OPENED and self.period.holds(self._day(entry)):
            content = data.get("content") or {}
            self.ballots[ref] = BallotFacts(
                ref=ref,
                opened_index=index,
                title=str(content.get("title", "")),
                status=self._status[ref],
                events=self._events[ref],
                attachments=[
                    (str(a.get("file", "")), str(a.get("sha256", "")))
                    for a in content.get("attachments") or []
                ],
            )
        ballot = self.ballots.get(ref)
        if ballot is None:
            return
        ballot.status = self._status.get(ref, ballot.status)
        if kind == CAST:
            ballot.votes.append(
                {
                    "member": data.get("member"),
                    "choices": data.get("choices"),
                    "channel": data.get("channel"),
                    "log_index": index,
                }
            )
        elif kind == DECISION:
            ballot.decisions.append(
                {"question": data.get("question"), "log_index": index, "data": data}
            )
        elif kind == PUBLISHED:
            ballot.is_published = True
        elif kind == PAPER_ENTERED and isinstance(data.get("scan_sha256"), str):
            ballot.scans.append((data["scan_sha256"], index))

    def _journal(self, index: int, data: dict[str, Any]) -> None:
        day = date.fromisoformat(str(data.get("value_date")))
        postings = data.get("postings") or []
        if self.period.reaches(day):
            for code, amount in postings:
                self.balances[code] = self.balances.get(code, 0) + int(amount)
        if not self.period.holds(day):
            return
        self.journal_entries += 1
        line = {
            "entry": data.get("entry"),
            "log_index": index,
            "value_date": day.isoformat(),
            "kind": data.get("kind"),
            "memo": data.get("memo"),
            "documents": data.get("documents") or {},
            "reverses": data.get("reverses"),
            "postings": postings,
        }
        self._write_ledger(canonical_bytes(line) + b"\n")
        number = str(data.get("entry"))
        documents = data.get("documents") or {}
        statement = documents.get("statement_sha256") if isinstance(documents, dict) else None
        if isinstance(statement, str):
            self.files.append(IndexedFile("statement", number, "", statement, index))
        legacy = data.get("legacy_file_sha256")
        if isinstance(legacy, str) and legacy not in self._legacy:
            self._legacy.add(legacy)
            self.files.append(IndexedFile("legacy", number, "", legacy, index))

    def _emergency(self, index: int, entry: Mapping[str, Any], data: dict[str, Any]) -> None:
        evidence = data.get("evidence_sha256")
        if isinstance(evidence, str) and self.period.holds(self._day(entry)):
            self.files.append(
                IndexedFile("evidence", str(data.get("emergency", "")), "", evidence, index)
            )

    def indexed_files(self) -> list[IndexedFile]:
        """Every file the period names, in log order: ballot attachments (at the opening
        entry), paper-ballot scans, emergency evidence, bank statements, legacy files."""
        rows = list(self.files)
        for ballot in self.ballots.values():
            rows += [
                IndexedFile("attachment", ballot.ref, name, sha, ballot.opened_index)
                for name, sha in ballot.attachments
            ]
            rows += [IndexedFile("scan", ballot.ref, "", sha, i) for sha, i in ballot.scans]
        return sorted(rows, key=lambda row: (row.log_index, row.kind, row.file, row.sha256))
