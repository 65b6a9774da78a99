"""The bundle's pass over the log (pure): periods are days in Asia/Shanghai, ballots are
presented by their opening, journal entries by their value date, balances up to the end."""

from __future__ import annotations

from datetime import date

from audit.bundle_log import LogReader, Period
from notary.canonical import canonical_bytes
from voting.api import BALLOT_STATE_EVENTS


def _entry(kind: str, at: str, data: dict[str, object]) -> bytes:
    return canonical_bytes({"v": 1, "type": kind, "at": at, "community": "c", "data": data})


def _no_document(sha: str) -> bytes:
    raise AssertionError(sha)


def _read(period: Period, entries: list[bytes]) -> tuple[LogReader, list[bytes]]:
    lines: list[bytes] = []
    reader = LogReader(period, BALLOT_STATE_EVENTS, lines.append)
    for index, body in enumerate(entries):
        reader.add(index, body, _no_document)
    return reader, lines


def test_a_ballot_opened_after_midnight_in_shanghai_belongs_to_the_next_day() -> None:
    opened = {"ballot": "b1", "content": {"title": "T", "attachments": []}}
    entries = [
        _entry("voting.ballot_created", "2026-10-31T10:00:00.000000Z", {"ballot": "b1"}),
        _entry("voting.ballot_opened", "2026-10-31T16:30:00.000000Z", opened),
        _entry(
            "voting.ballot_cast",
            "2026-10-31T17:00:00.000000Z",
            {"ballot": "b1", "member": "m1", "choices": {"1": "agree"}, "channel": "online"},
        ),
        _entry("voting.ballot_closed", "2026-11-08T00:00:00.000000Z", {"ballot": "b1"}),
    ]
    november, _ = _read(Period(date(2026, 11, 1), None), entries)
    assert list(november.ballots) == ["b1"]
    ballot = november.ballots["b1"]
    assert ballot.status == "closed" and ballot.opened_index == 1
    assert ballot.events == [
        ("voting.ballot_created", 0),
        ("voting.ballot_opened", 1),
        ("voting.ballot_closed", 3),
    ]
    assert ballot.votes == [
        {"member": "m1", "choices": {"1": "agree"}, "channel": "online", "log_index": 2}
    ]
    october, _ = _read(Period(None, date(2026, 10, 31)), entries)
    assert october.ballots == {}


def test_journal_entries_by_value_date_and_balances_to_the_end() -> None:
    def posted(number: int, day: str, amount: int) -> bytes:
        return _entry(
            "ledger.entry_posted",
            "2026-11-01T00:00:00.000000Z",
            {
                "entry": number,
                "kind": "deposit",
                "value_date": day,
                "memo": "",
                "documents": {},
                "postings": [["1001", amount], ["2101.1", -amount]],
                "reverses": None,
            },
        )

    entries = [
        posted(1, "2026-01-31", 100),
        posted(2, "2026-02-01", 20),
        posted(3, "2026-03-01", 3),
    ]
    reader, lines = _read(Period(date(2026, 2, 1), date(2026, 2, 28)), entries)
    assert [line.count(b'"entry":2') for line in lines] == [1]
    assert lines[0].endswith(b"\n") and reader.journal_entries == 1
    assert reader.balances == {"1001": 120, "2101.1": -120}
