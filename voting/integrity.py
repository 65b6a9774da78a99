"""Voting's tables checked against the log they are derived from.

Every vote, paper keying, decision, frozen roll and state change of a ballot is logged in the
same transaction as its row, so the log holds the truth and the rows are a copy kept for
speed. A row changed behind the service (``UPDATE cast_ballot SET choices = ...``) would move
the tally while the log still holds the true ballots; :func:`ballot_differences` finds every
such change, and :func:`check_ballot_against_log`, run by tallying and publishing first,
refuses to count or publish while there is one (``TablesDisagreeWithLog``).

What is compared, per ballot (each difference names the table, the row by its id or opaque
key, and the field; never a name, a phone or a choice):

- ``ballot``: its status against its latest state event; the facts fixed at opening (scope,
  window, rules, roll totals and commitment) against ``voting.ballot_opened``;
- ``ballot_question``: each question's matter, text and use plan against the opening entry;
- ``roll_member``/``roll_unit``: the frozen roll rebuilt from its rows must give the logged
  commitment (so a member's area or a unit cannot move);
- ``cast_ballot``: each vote against the ``voting.ballot_cast`` entry at its ``log_index``
  (member, choices, channel, tracker, leaf hash), and every logged vote must have its row;
- ``paper_entry``: each keying against its ``voting.paper_entered`` entry (member, scan,
  choices, who keyed it), ``counted`` exactly when a logged paper vote names it, ``void`` when
  a ``voting.paper_voided`` entry does; every logged keying must have its row;
- ``decision``: each record against its ``voting.decision_recorded`` entry, both ways;
- ``ballot.notice_root``: the root printed on the results notice against the stored signed
  checkpoint of that size.

Whether the log itself is intact (entries against the Merkle tree and the signed
checkpoints) is :mod:`notary.logcheck`'s part; a ballot's check recomputes the leaf hash of
each entry it reads.

Cost of one ballot's check: the log is read once from the ballot's opening entry to the end
(``notary.logcheck.entries_from``: one ``SELECT`` per 5,000 entries; entries of other ballots
are skipped by a substring test before any JSON is parsed), then one streamed ``SELECT`` per
table of the ballot (votes, paper entries, decisions, roll members, roll units) and a dict
lookup per row. For a 50,000-member ballot that is ~10 entry batches and ~100,000 roll rows:
about 4 s of CPU on SQLite (docs/security.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community
from notary import store
from notary.envelope import format_time
from notary.logcheck import Difference, entries_from
from notary.merkle import leaf_hash
from notary.store import StoredEntry
from voting.ballot_info import question_infos, question_record
from voting.decision_rules import binding_of
from voting.errors import N_, TablesDisagreeWithLog
from voting.log_events import (
    CAST_EVENT,
    DECISION,
    OPENED,
    PAPER_ENTERED,
    PAPER_VOIDED,
    STATE_EVENTS,
)
from voting.models import Ballot, Decision, PaperEntry, Question, RollMember, Vote
from voting.roll import roll_commitment, roll_document

_VOTE_T = cast(sa.Table, Vote.__table__)
_MEMBER_T = cast(sa.Table, RollMember.__table__)


@dataclass
class LoggedBallot:
    """What the log says of one ballot, collected from its entries in index order."""

    ref: str
    status: str | None = None
    opened: tuple[int, dict[str, Any]] | None = None
    casts: dict[int, tuple[bytes, dict[str, Any]]] = field(default_factory=dict)
    paper: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    paper_voided: set[int] = field(default_factory=set)
    decisions: dict[int, dict[str, Any]] = field(default_factory=dict)


class LoggedBallots:
    """Collects :class:`LoggedBallot` facts from a community's entries (``add`` each one, in
    index order), for every ballot or, with ``only``, for one ballot ref."""

    def __init__(self, log: str, only: str | None = None) -> None:
        self.log = log
        self.only = only
        self._needle = None if only is None else b'"ballot":' + json.dumps(only).encode()
        self.by_ref: dict[str, LoggedBallot] = {}
        self.differences: list[Difference] = []

    def add(self, entry: StoredEntry) -> None:
        """Take one entry into account (entries of other ballots and packages are skipped)."""
        body = entry.body_bytes
        if self._needle is not None and self._needle not in body:
            return
        try:
            parsed = entry.data  # documents inlined (the log check names missing ones)
        except ValueError:
            self._differ(entry.index, "body", "not JSON")
            return
        kind = parsed.get("type") if isinstance(parsed, dict) else None
        data = parsed.get("data") if isinstance(parsed, dict) else None
        if (
            not isinstance(kind, str)
            or not kind.startswith("voting.")
            or not isinstance(data, dict)
        ):
            return
        ref = data.get("ballot")
        if not isinstance(ref, str) or (self.only is not None and ref != self.only):
            return
        if self._needle is not None and leaf_hash(body) != entry.leaf_hash:
            # (the whole-log check recomputes every leaf; a ballot's check, the ones it reads)
            self._differ(entry.index, "leaf_hash", "not the hash of its body")
        ballot = self.by_ref.setdefault(ref, LoggedBallot(ref))
        if kind in STATE_EVENTS:
            ballot.status = STATE_EVENTS[kind]
        try:
            if kind == OPENED:
                ballot.opened = (entry.index, data)
            elif kind == CAST_EVENT:
                ballot.casts[entry.index] = (entry.leaf_hash, data)
            elif kind == PAPER_ENTERED:
                ballot.paper[int(data["entry"])] = (entry.index, data)
            elif kind == PAPER_VOIDED:
                ballot.paper_voided.add(int(data["entry"]))
            elif kind == DECISION:
                ballot.decisions[entry.index] = data
        except (KeyError, TypeError, ValueError):
            self._differ(entry.index, "data", f"a {kind} entry without its fields")

    def _differ(self, index: int, what: str, detail: str) -> None:
        self.differences.append(Difference(self.log, "log_entry", f"idx={index}", what, detail))


def ballot_log_differences(s: Session, ballot: Ballot, community_code: str) -> list[Difference]:
    """Every difference between the ballot's rows and its log entries (module docstring).

    Reads the community's log from the ballot's opening entry (from the start for a ballot
    opened before that index was kept) to the end, once. Reads only."""
    logged = LoggedBallots(community_code, only=ballot.ref)
    start = ballot.opened_log_index or 0
    for entry in entries_from(s, community_code, start):
        logged.add(entry)
    found = logged.by_ref.get(ballot.ref, LoggedBallot(ballot.ref))
    diffs = list(logged.differences)
    if ballot.opened_log_index is not None and (
        found.opened is None or found.opened[0] != ballot.opened_log_index
    ):
        diffs.append(
            _diff(community_code, "ballot", ballot, "opened_log_index", "not the opening entry")
        )
    return diffs + compare_ballot(s, ballot, community_code, found)


def check_ballot_against_log(s: Session, ballot: Ballot, community_code: str) -> None:
    """Raise ``TablesDisagreeWithLog`` (naming how many differences and the first) unless the
    ballot's rows agree with its log entries (:func:`ballot_log_differences`)."""
    diffs = ballot_log_differences(s, ballot, community_code)
    if diffs:
        raise TablesDisagreeWithLog(
            N_(
                "The stored data of this ballot disagrees with the log in %(count)s places "
                "(first: %(first)s). Nothing was changed. Ask the administrator to run "
                "'fundvote log verify %(community)s' and restore the data."
            ),
            count=len(diffs),
            first=f"{diffs[0].table} {diffs[0].key} {diffs[0].field}",
            community=community_code,
        )


def community_ballot_differences(
    s: Session, community_code: str, logged: LoggedBallots
) -> tuple[int, list[Difference]]:
    """Compare every ballot of the community with what ``logged`` collected from the whole
    log (``LoggedBallots`` without ``only``); also a logged ballot without its row. Returns
    the number of ballots checked and the differences."""
    community_id = s.scalar(sa.select(Community.id).where(Community.code == community_code))
    if community_id is None:
        return 0, []
    diffs = list(logged.differences)
    ballots = s.scalars(
        sa.select(Ballot).where(Ballot.community_id == community_id).order_by(Ballot.id)
    ).all()
    for ballot in ballots:
        found = logged.by_ref.pop(ballot.ref, LoggedBallot(ballot.ref))
        if ballot.opened_log_index is not None and (
            found.opened is None or found.opened[0] != ballot.opened_log_index
        ):
            diffs.append(
                _diff(community_code, "ballot", ballot, "opened_log_index", "not the opening entry")
            )
        diffs += compare_ballot(s, ballot, community_code, found)
    for ref in sorted(logged.by_ref):
        diffs.append(Difference(community_code, "ballot", f"ref={ref}", "row", "missing"))
    return len(ballots), diffs


def compare_ballot(
    s: Session, ballot: Ballot, community_code: str, logged: LoggedBallot
) -> list[Difference]:
    """The differences between one ballot's rows and ``logged`` (see the module docstring)."""
    diffs: list[Difference] = []
    code = community_code
    expected = logged.status or "draft"
    if ballot.status != expected:
        diffs.append(
            _diff(code, "ballot", ballot, "status", f"{ballot.status}; the log: {expected}")
        )
    if logged.opened is not None:
        diffs += _opening(s, ballot, code, logged.opened[1])
    elif ballot.roll_commitment is not None:
        diffs.append(_diff(code, "ballot", ballot, "roll_commitment", "the log never opened it"))
    diffs += _votes(s, ballot, code, logged)
    diffs += _paper(s, ballot, code, logged)
    diffs += _decisions(s, ballot, code, logged)
    if ballot.notice_tree_size is not None:
        signed = store.checkpoint_at(s, code, ballot.notice_tree_size)
        if signed is None or signed.root.hex() != ballot.notice_root:
            diffs.append(
                _diff(code, "ballot", ballot, "notice_root", "not the signed checkpoint's root")
            )
    return diffs


# --- internals -----------------------------------------------------------------------------


def _diff(code: str, table: str, ballot: Ballot, what: str, detail: str) -> Difference:
    return Difference(code, table, f"ref={ballot.ref}", what, detail)


def _opening(s: Session, ballot: Ballot, code: str, data: Mapping[str, Any]) -> list[Difference]:
    diffs: list[Difference] = []
    roll = data.get("roll") or {}
    window = data.get("window") or {}
    scope = data.get("scope") or {}
    facts = {
        "scope_kind": (ballot.scope_kind, scope.get("kind")),
        "scope_codes": (json.loads(ballot.scope_codes), scope.get("codes")),
        "opens_at": (format_time(ballot.opens_at), window.get("opens_at")),
        "closes_at": (format_time(ballot.closes_at), window.get("closes_at")),
        "roll_commitment": (ballot.roll_commitment, roll.get("commitment")),
        "roll_heads": (ballot.roll_heads, roll.get("heads")),
        "roll_area_centi": (ballot.roll_area_centi, roll.get("area_centi")),
        "is_consultation": (ballot.is_consultation, data.get("consultation")),
        "disclosure": (ballot.disclosure, data.get("disclosure")),
        "identity_check": (ballot.identity_check, data.get("identity_check")),
        "publicity_days": (ballot.publicity_days, data.get("publicity_days")),
        "deemed_majority_enabled": (
            ballot.deemed_majority_enabled,
            data.get("deemed_majority_enabled"),
        ),
        "binding_result": (
            binding_of(ballot.deemed_majority_enabled, ballot.binding_result),
            data.get("binding"),
        ),
    }
    if "fund_holder" in data:  # logged since the settings could change (revision 0006a)
        facts["fund_holder"] = (ballot.fund_holder, data.get("fund_holder"))
    for name, (stored, was_logged) in facts.items():
        if stored != was_logged:
            diffs.append(_diff(code, "ballot", ballot, name, "differs from the opening entry"))
    logged_questions = {
        q.get("position"): q for q in (data.get("content") or {}).get("questions") or []
    }
    for q in question_infos(s, ballot.id):
        record = question_record(q)
        key = f"ref={ballot.ref} position={q.position}"
        was = logged_questions.pop(q.position, None)
        if was is None:
            diffs.append(Difference(code, "ballot_question", key, "row", "not in the log"))
            continue
        for name in ("matter", "text", "use_plan"):
            if record[name] != was.get(name):
                diffs.append(Difference(code, "ballot_question", key, name, "differs from the log"))
    for position in sorted(logged_questions, key=str):
        key = f"ref={ballot.ref} position={position}"
        diffs.append(Difference(code, "ballot_question", key, "row", "missing"))
    document = roll_document(
        s,
        ballot_id=ballot.id,
        ballot_ref=ballot.ref,
        community_code=code,
        scope_kind=str(scope.get("kind", ballot.scope_kind)),
        scope_codes=list(scope.get("codes", json.loads(ballot.scope_codes))),
    )
    if roll_commitment(document) != roll.get("commitment"):
        diffs.append(
            Difference(
                code,
                "roll_member",
                f"ballot={ballot.ref}",
                "commitment",
                "the frozen roll's rows do not give the logged commitment",
            )
        )
    return diffs


def _votes(s: Session, ballot: Ballot, code: str, logged: LoggedBallot) -> list[Difference]:
    diffs: list[Difference] = []
    casts = dict(logged.casts)
    v, m = _VOTE_T.c, _MEMBER_T.c  # Core columns: one plain tuple per row, no ORM entity
    rows = s.execute(
        sa.select(v.id, m.member_key, v.channel, v.choices, v.tracker, v.log_index, v.leaf_hash)
        .select_from(_VOTE_T.outerjoin(_MEMBER_T, m.id == v.member_id))
        .where(v.ballot_id == ballot.id)
        .execution_options(yield_per=5000)
    )
    parsed = _Parsed()
    for vote_id, member_key, channel, choices, tracker, log_index, leaf_hex in rows:
        found = casts.pop(log_index, None)
        if found is None:
            diffs.append(
                Difference(
                    code,
                    "cast_ballot",
                    f"id={vote_id}",
                    "log_index",
                    f"no vote of this ballot is logged at entry {log_index}",
                )
            )
            continue
        leaf, data = found
        checks = (
            ("member_id", member_key == data.get("member")),
            ("choices", parsed(choices) == data.get("choices")),
            ("channel", channel == data.get("channel")),
            ("tracker", tracker == data.get("tracker")),
            ("leaf_hash", leaf_hex == leaf.hex()),
        )
        for name, is_same in checks:
            if not is_same:
                diffs.append(
                    Difference(
                        code,
                        "cast_ballot",
                        f"id={vote_id}",
                        name,
                        f"differs from log entry {log_index}",
                    )
                )
    for index in sorted(casts):
        diffs.append(
            Difference(
                code,
                "cast_ballot",
                f"log_index={index}",
                "row",
                "missing: the log records a vote there",
            )
        )
    return diffs


def _paper(s: Session, ballot: Ballot, code: str, logged: LoggedBallot) -> list[Difference]:
    diffs: list[Difference] = []
    paper = dict(logged.paper)
    counted_by: dict[int, int] = {}
    for index, (_leaf, data) in logged.casts.items():
        detail = data.get("paper")
        if data.get("channel") == "paper" and isinstance(detail, dict):
            for entry_id in cast(Iterable[Any], detail.get("entries") or []):
                if isinstance(entry_id, int):
                    counted_by[entry_id] = index
    rows = s.execute(
        sa.select(
            PaperEntry.id,
            RollMember.member_key,
            PaperEntry.entered_by,
            PaperEntry.scan_sha256,
            PaperEntry.choices,
            PaperEntry.status,
        )
        .outerjoin(RollMember, RollMember.id == PaperEntry.member_id)
        .where(PaperEntry.ballot_id == ballot.id)
        .order_by(PaperEntry.id)
    )
    for row in rows:
        key = f"id={row.id}"
        found = paper.pop(row.id, None)
        if found is None:
            diffs.append(Difference(code, "paper_entry", key, "row", "not in the log"))
            continue
        index, data = found
        checks = {
            "member_id": row.member_key == data.get("member"),
            "scan_sha256": row.scan_sha256 == data.get("scan_sha256"),
            "choices": _json(row.choices) == data.get("choices"),
            "entered_by": row.entered_by == data.get("by"),
        }
        for name, is_same in checks.items():
            if not is_same:
                diffs.append(
                    Difference(code, "paper_entry", key, name, f"differs from log entry {index}")
                )
        is_counted = row.id in counted_by
        if (row.status == "counted") != is_counted:
            detail = (
                "counted, but no logged paper vote names it"
                if row.status == "counted"
                else f"{row.status}, but the paper vote at log entry {counted_by[row.id]} counts it"
            )
            diffs.append(Difference(code, "paper_entry", key, "status", detail))
        elif row.id in logged.paper_voided and row.status != "void":
            diffs.append(
                Difference(code, "paper_entry", key, "status", f"{row.status}; the log voided it")
            )
    for entry_id in sorted(paper):
        diffs.append(
            Difference(
                code,
                "paper_entry",
                f"id={entry_id}",
                "row",
                f"missing: logged at entry {paper[entry_id][0]}",
            )
        )
    return diffs


def _decisions(s: Session, ballot: Ballot, code: str, logged: LoggedBallot) -> list[Difference]:
    diffs: list[Difference] = []
    decisions = dict(logged.decisions)
    rows = s.execute(
        sa.select(Decision.id, Question.position, Decision.record, Decision.log_index)
        .join(Question, Question.id == Decision.question_id)
        .where(Decision.ballot_id == ballot.id)
        .order_by(Decision.id)
    )
    for row in rows:
        key = f"id={row.id}"
        data = decisions.pop(row.log_index, None)
        if data is None:
            diffs.append(
                Difference(
                    code,
                    "decision",
                    key,
                    "log_index",
                    f"no decision of this ballot is logged at entry {row.log_index}",
                )
            )
            continue
        if _json(row.record) != data:
            diffs.append(
                Difference(
                    code, "decision", key, "record", f"differs from log entry {row.log_index}"
                )
            )
        if data.get("question") != row.position:
            diffs.append(
                Difference(code, "decision", key, "question_id", "not the question logged")
            )
    for index in sorted(decisions):
        diffs.append(
            Difference(code, "decision", f"log_index={index}", "row", "missing: logged there")
        )
    return diffs


class _Parsed:
    """``json.loads`` remembered per text: a ballot's votes repeat a handful of choice sets."""

    def __init__(self) -> None:
        self._seen: dict[str, Any] = {}

    def __call__(self, text: str) -> Any:
        if text not in self._seen:
            self._seen[text] = _json(text)
        return self._seen[text]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None
