"""The bundle's ballots rebuilt from the log and re-tallied with the project's own rules.

For each ballot the log names: its ``ballot.json`` events are the log's state events at those
indices; ``roll.json`` hashes to the commitment logged at opening and has its totals; every
cast's weights are the roll's; ``board.json`` is exactly the counted votes the log holds;
each question re-tallied from ``roll.json`` and ``board.json`` (``voting.tally`` and
``voting.decision_rules``) gives the decision in ``tally.json`` and in the log.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from audit.findings import BundleFiles, Finding
from notary.canonical import canonical_bytes
from notary.errors import DomainError
from voting.decision_rules import decision_record, matter_of
from voting.log_events import (
    CAST_EVENT,
    DECISION,
    OPENED,
    PAPER_ENTERED,
    PAPER_VOIDED,
    STATE_EVENTS,
)
from voting.tally import Ballot as TallyBallot
from voting.tally import tally

INDEX = "ballots/index.json"
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
"""The period's days are Shanghai days (UTC+8 all year: no tz database needed offline)."""


@dataclass
class _Logged:
    ref: str
    opened: tuple[int, str, dict[str, Any]] | None = None  # index, at, data
    events: list[tuple[str, int]] = field(default_factory=list)
    casts: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    paper: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    voided: set[int] = field(default_factory=set)
    decisions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def status(self) -> str | None:
        return STATE_EVENTS[self.events[-1][0]] if self.events else None


@dataclass(frozen=True)
class _Member:
    key: str
    heads: int
    area_centi: int


class BallotCheck:
    """A ``StreamCheck`` over voting's entries and the bundle's ``ballots/`` files."""

    def __init__(self, period: dict[str, Any] | None = None) -> None:
        self._period = period or {}
        self._ballots: dict[str, _Logged] = {}
        self._at: dict[int, tuple[str, str]] = {}  # voting entries: index -> (type, ballot)
        self._findings: list[Finding] = []
        self.ballots = 0
        self.votes = 0
        self.questions = 0

    def entry(self, index: int, entry: dict[str, Any]) -> None:
        """Collect one entry of a ballot (entries of other kinds are skipped)."""
        kind, data = entry["type"], entry["data"]
        ref = data.get("ballot") if kind.startswith("voting.") else None
        if not isinstance(ref, str):
            return
        self._at[index] = (kind, ref)
        b = self._ballots.setdefault(ref, _Logged(ref))
        if kind in STATE_EVENTS:
            b.events.append((kind, index))
        try:
            if kind == OPENED:
                b.opened = (index, entry["at"], data)
            elif kind == CAST_EVENT:
                b.casts.append((index, data))
            elif kind == PAPER_ENTERED:
                b.paper[int(data["entry"])] = (index, data)
            elif kind == PAPER_VOIDED:
                b.voided.add(int(data["entry"]))
            elif kind == DECISION:
                b.decisions.append((index, data))
        except (KeyError, TypeError, ValueError):
            self._add("entry", f"log index {index}", f"a {kind} entry without its fields")

    def findings(self) -> list[Finding]:
        """What is wrong with the ballots."""
        return list(self._findings)

    def pending(self) -> list[Finding]:
        """Nothing about ballots is ever pending."""
        return []

    def notes(self) -> list[Finding]:
        """Nothing to note."""
        return []

    def finish(self, files: BundleFiles) -> None:
        """Compare every presented ballot with the log."""
        listed = self._check_index(files)
        names = set(files.names())
        dirs = {n.split("/")[1] for n in names if n.startswith("ballots/") and n.count("/") >= 2}
        for ref in sorted(dirs - set(listed)):
            self._add("ballot", f"ballots/{ref}/", "a ballot directory not in ballots/index.json")
        for ref in listed:
            b = self._ballots.get(ref)
            if b is None or b.opened is None:
                continue  # the index finding says so
            self.ballots += 1
            self._check_ballot_file(files, b)
            roll = self._check_roll(files, b)
            board = self._check_board(files, b, roll)
            self._check_tally(files, b, roll, board)

    # -- the index -------------------------------------------------------------------------

    def _check_index(self, files: BundleFiles) -> list[str]:
        doc = _json(files, INDEX)
        items = doc.get("ballots") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            if self._ballots or doc is not None:
                self._add("ballot", INDEX, "missing or not {ballots: [...]}")
            return []
        refs: list[str] = []
        last = -1
        for n, item in enumerate(items):
            where = f"{INDEX}:ballots[{n}]"
            if not isinstance(item, dict) or not isinstance(item.get("ballot"), str):
                self._add("ballot", where, "not a {ballot, opened_index, status} record")
                continue
            ref = item["ballot"]
            if ref in refs:
                self._add("ballot", where, f"ballot {ref} is listed twice")
                continue
            refs.append(ref)
            b = self._ballots.get(ref)
            opened_at = item.get("opened_index")
            if b is None or b.opened is None:
                self._add("ballot", where, f"the log holds no opening of ballot {ref}")
                continue
            if opened_at != b.opened[0]:
                self._points(where, opened_at, OPENED, ref)
            if isinstance(opened_at, int):
                if opened_at <= last:
                    self._add("ballot", where, "ballots are not in log order")
                last = opened_at
            if item.get("status") != b.status:
                self._add(
                    "ballot", where, f"status {item.get('status')!r}, the log says {b.status!r}"
                )
        for ref, b in self._ballots.items():
            if b.opened is not None and ref not in refs and self._in_period(b.opened[1]):
                self._add(
                    "ballot", INDEX, f"ballot {ref} was opened in the period but is not presented"
                )
        return refs

    def _in_period(self, at: str) -> bool:
        try:
            stamp = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            return True
        day = stamp.astimezone(CHINA).date().isoformat()
        start, end = self._period.get("from"), self._period.get("to")
        return (not isinstance(start, str) or day >= start) and (
            not isinstance(end, str) or day <= end
        )

    # -- ballot.json -----------------------------------------------------------------------

    def _check_ballot_file(self, files: BundleFiles, b: _Logged) -> None:
        path = f"ballots/{b.ref}/ballot.json"
        doc = _json(files, path)
        if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
            self._add("ballot", path, "missing or not a ballot record")
            return
        assert b.opened is not None
        content = b.opened[2].get("content")
        title = content.get("title") if isinstance(content, dict) else None
        if doc.get("ballot") != b.ref or doc.get("title") != title:
            self._add("ballot", path, "its ref or title is not the one logged at opening")
        if doc.get("status") != b.status:
            self._add("ballot", path, f"status {doc.get('status')!r}, the log says {b.status!r}")
        listed = [
            (e.get("type"), e.get("log_index")) if isinstance(e, dict) else (None, None)
            for e in doc["events"]
        ]
        logged = set(b.events)
        for kind, index in listed:
            if (kind, index) not in logged:
                self._points(path, index, kind, b.ref)
        missing = [i for k, i in b.events if (k, i) not in set(listed)]
        if missing:
            self._add("ballot", path, f"omits the ballot's events at log indices {missing[:5]}")

    # -- roll.json -------------------------------------------------------------------------

    def _check_roll(self, files: BundleFiles, b: _Logged) -> dict[str, _Member] | None:
        path = f"ballots/{b.ref}/roll.json"
        assert b.opened is not None
        logged = b.opened[2].get("roll")
        doc = _json(files, path)
        if not isinstance(doc, dict) or not isinstance(logged, dict):
            self._add("roll", path, "missing, not JSON, or no roll logged at opening")
            return None
        if hashlib.sha256(canonical_bytes(doc)).hexdigest() != logged.get("commitment"):
            self._add("roll", path, "its SHA-256 is not the commitment logged at opening")
        members: dict[str, _Member] = {}
        area = 0
        for n, m in enumerate(doc.get("members") or []):
            try:
                units = sum(int(u["area_centi"]) for u in m["units"])
                member = _Member(str(m["key"]), 1, int(m["area_centi"]))
            except (KeyError, TypeError, ValueError):
                self._add("roll", f"{path}:members[{n}]", "not a roll member")
                continue
            if units != member.area_centi:
                self._add("roll", f"{path}:members[{n}]", "its area is not its units' sum")
            members[member.key] = member
            area += member.area_centi
        if doc.get("ballot") != b.ref:
            self._add("roll", path, "the roll of another ballot")
        if (doc.get("heads"), doc.get("area_centi")) != (
            logged.get("heads"),
            logged.get("area_centi"),
        ):
            self._add("roll", path, "its totals are not the ones logged at opening")
        if (len(members), area) != (doc.get("heads"), doc.get("area_centi")):
            self._add("roll", path, "its totals are not the sum of its members")
        self._check_roll_csv(files, b, doc)
        for index, cast in b.casts:
            on_roll = members.get(str(cast.get("member")))
            weights = cast.get("weights")
            if on_roll is None:
                self._add("board", f"log index {index}", "a vote by a member not on the roll")
            elif weights != {"heads": on_roll.heads, "area_centi": on_roll.area_centi}:
                self._add("roll", f"log index {index}", "the vote's weights are not the roll's")
        return members

    def _check_roll_csv(self, files: BundleFiles, b: _Logged, doc: dict[str, Any]) -> None:
        """``roll.csv`` holds exactly ``roll.json``'s units, in the roll file's columns."""
        path = f"ballots/{b.ref}/roll.csv"
        data = files.read(path)
        if data is None:
            self._add("roll", path, "missing beside roll.json")
            return
        try:
            expected = roll_csv_rows(doc)
            found = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        except (KeyError, TypeError, ValueError, UnicodeDecodeError, csv.Error):
            self._add("roll", path, "not readable as the roll of roll.json")
            return
        if found[:1] != [list(ROLL_CSV_HEADER)]:
            self._add("roll", f"{path}:1", "its header is not the roll file's columns")
        rows = found[1:]
        for line, (row, want) in enumerate(zip(rows, expected, strict=False), start=2):
            if row != want:
                self._add("roll", f"{path}:{line}", f"not unit {want[0]} as roll.json has it")
                return
        if len(rows) != len(expected):
            self._add("roll", path, f"{len(rows)} units where roll.json has {len(expected)}")

    # -- board.json ------------------------------------------------------------------------

    def _check_board(
        self, files: BundleFiles, b: _Logged, roll: dict[str, _Member] | None
    ) -> list[dict[str, Any]] | None:
        path = f"ballots/{b.ref}/board.json"
        doc = _json(files, path)
        items = doc.get("ballots") if isinstance(doc, dict) else None
        if not isinstance(items, list) or doc.get("ballot") != b.ref:
            self._add("board", path, "missing or not the board of this ballot")
            return None
        self.votes += len(b.casts)
        logged = {i: _vote(i, c) for i, c in b.casts}
        by_member = {v["member"]: i for i, v in logged.items()}
        seen: set[int] = set()
        last = -1
        for n, item in enumerate(items):
            where = f"{path}:ballots[{n}]"
            index = item.get("log_index") if isinstance(item, dict) else None
            if not isinstance(index, int) or index in seen:
                self._add("board", where, "a vote without a log index, or listed twice")
                continue
            seen.add(index)
            if index <= last:
                self._add("board", where, "votes are not in log order")
            last = index
            want = logged.get(index)
            if item == want:
                continue
            moved = by_member.get(item.get("member"))
            if (
                moved is not None
                and moved != index
                and {**item, "log_index": moved} == logged[moved]
            ):
                # The same vote, logged elsewhere: the log's lines moved under the file.
                self._add(
                    "log-order",
                    where,
                    f"the vote placed at log index {index} is logged at {moved}: "
                    "the log's lines were reordered or dropped",
                )
            elif want is None:
                there = self._at.get(index, ("no vote", ""))[0]
                self._add(
                    "board", where, f"a vote the log does not hold (log index {index}: {there})"
                )
            else:
                fields = sorted(k for k in set(want) | set(item) if want.get(k) != item.get(k))
                self._add("board", where, f"differs from the vote logged at {index}: {fields}")
        for index in sorted(set(logged) - seen):
            self._add("board", path, f"the vote logged at index {index} is missing")
        for index, cast in b.casts:
            self._check_paper(b, index, cast)
        return [i for i in items if isinstance(i, dict)]

    def _check_paper(self, b: _Logged, index: int, cast: dict[str, Any]) -> None:
        if cast.get("channel") != "paper":
            return
        paper = cast.get("paper")
        ids = paper.get("entries") if isinstance(paper, dict) else None
        if not isinstance(ids, list) or not ids:
            self._add("board", f"log index {index}", "a paper vote without its keyed entries")
            return
        for entry_id in ids:
            keyed = b.paper.get(entry_id) if isinstance(entry_id, int) else None
            if keyed is None or keyed[1].get("member") != cast.get("member"):
                self._add("board", f"log index {index}", "a paper vote whose keying is not logged")
            elif entry_id in b.voided:
                self._add("board", f"log index {index}", "a paper vote counts a voided entry")

    # -- tally.json ------------------------------------------------------------------------

    def _check_tally(
        self,
        files: BundleFiles,
        b: _Logged,
        roll: dict[str, _Member] | None,
        board: list[dict[str, Any]] | None,
    ) -> None:
        path = f"ballots/{b.ref}/tally.json"
        doc = _json(files, path)
        logged = [
            {"question": d.get("question"), "log_index": i, "data": d} for i, d in b.decisions
        ]
        if doc is None and not logged:
            return
        items = doc.get("questions") if isinstance(doc, dict) else None
        if not isinstance(items, list) or doc.get("ballot") != b.ref:
            self._add("tally", path, "missing or not the tally of this ballot")
            items = []
        by_index = dict(b.decisions)
        for n, item in enumerate(items):
            index = item.get("log_index") if isinstance(item, dict) else None
            if index not in by_index:
                self._points(f"{path}:questions[{n}]", index, DECISION, b.ref)
            elif item != {
                "question": by_index[index].get("question"),
                "log_index": index,
                "data": by_index[index],
            }:
                self._add(
                    "decision", f"{path}:questions[{n}]", f"not the decision logged at {index}"
                )
        if len(items) != len(logged):
            self._add("decision", path, f"{len(items)} decisions listed, the log has {len(logged)}")
        if roll is None or board is None or not (items or logged):
            return
        assert b.opened is not None
        opened = b.opened[2]
        questions = opened.get("content", {}).get("questions", [])
        recomputed = self._retally(b, opened, questions, roll, board, path)
        self.questions += len(recomputed)
        derived = [_vote(i, c) for i, c in b.casts]
        from_log = (
            recomputed
            if derived == board
            else self._retally(b, opened, questions, roll, derived, "log/entries.jsonl")
        )
        for n, item in enumerate(items):
            data = item.get("data") if isinstance(item, dict) else None
            q = data.get("question") if isinstance(data, dict) else None
            if q in recomputed and recomputed[q] != data:
                self._add(
                    "tally",
                    f"{path}:questions[{n}]",
                    f"question {q} does not re-tally to this record",
                )
        for index, data in b.decisions:
            q = data.get("question")
            if q in from_log and from_log[q] != data:
                self._add(
                    "tally",
                    f"log index {index}",
                    f"question {q} does not re-tally to the logged decision",
                )

    def _retally(
        self,
        b: _Logged,
        opened: dict[str, Any],
        questions: list[Any],
        roll: dict[str, _Member],
        board: list[dict[str, Any]],
        path: str,
    ) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for q in questions:
            try:
                position, matter_key = int(q["position"]), str(q["matter"])
                votes = [
                    TallyBallot(str(v["member"]), str(v["choices"][str(position)]))
                    for v in board
                    if isinstance(v.get("choices"), dict)
                    and v["choices"].get(str(position)) is not None
                ]
                result = tally(
                    list(roll.values()),
                    votes,
                    matter_of(bool(opened.get("consultation")), matter_key),
                    deemed_majority=bool(opened.get("deemed_majority_enabled")),
                )
            except DomainError as exc:
                self._add("tally", path, f"the board cannot be tallied: {exc}")
                continue
            except (KeyError, TypeError, ValueError):
                self._add("tally", path, "a question or vote cannot be read")
                continue
            out[position] = decision_record(
                b.ref, position, matter_key, result, str(opened.get("binding", "plain"))
            )
        return out

    # -- helpers ---------------------------------------------------------------------------

    def _points(self, where: str, index: Any, kind: Any, ref: str) -> None:
        found = self._at.get(index) if isinstance(index, int) else None
        if found is not None and found[1] == ref:
            what = f"log index {index} is a {found[0]}, not the {kind} this file names"
        elif found is not None or isinstance(index, int):
            what = f"log index {index} is not the {kind} of ballot {ref} this file names"
        else:
            what = f"names no valid log index for a {kind}"
        # A file that names the right events at the wrong places means the log's lines moved.
        self._add("log-order", where, what + ": the log's lines were reordered or dropped")

    def _add(self, check: str, where: str, what: str) -> None:
        self._findings.append(Finding(check, where, what))


ROLL_CSV_HEADER = ("unit", "building", "area", "owners", "developer")
"""The roll file's columns (``estate.roll``), as ``roll.csv`` writes them."""
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def roll_csv_rows(roll: dict[str, Any]) -> list[list[str]]:
    """The rows ``roll.csv`` must hold for a ``roll.json``: one per unit in code order, the
    area in hundredths as ``89.37``, the member's key as its owner, ``1`` for the developer's
    units; a text cell that a spreadsheet would run as a formula starts with ``'``. Written
    apart from the bundle's writer, so that the two are checked against each other."""
    rows: list[tuple[str, list[str]]] = []
    for member in roll["members"]:
        for unit in member["units"]:
            code = str(unit["unit"])
            whole, hundredths = divmod(int(unit["area_centi"]), 100)
            cells = [
                _as_text(code),
                _as_text(str(unit["building"])),
                f"{whole}.{hundredths:02d}",
                _as_text(str(member["key"])),
                "1" if member["developer"] else "",
            ]
            rows.append((code, cells))
    return [cells for _code, cells in sorted(rows, key=lambda row: row[0])]


def _as_text(cell: str) -> str:
    return "'" + cell if _FORMULA.match(cell) else cell


def _vote(index: int, cast: dict[str, Any]) -> dict[str, Any]:
    return {
        "member": cast.get("member"),
        "choices": cast.get("choices"),
        "channel": cast.get("channel"),
        "log_index": index,
    }


def _json(files: BundleFiles, path: str) -> Any:
    raw = files.read(path)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return {"$unreadable": True}
