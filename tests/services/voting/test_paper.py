"""Paper ballots: double entry by two different committee members, mismatches, conflicts."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from tests.services.voting.owner_helpers import (
    issue_all,
    log_entries,
    make_register,
    member_id_of,
    open_ballot,
    tokens_by_unit,
)
from voting import ballots
from voting.casting import cast_vote
from voting.credentials import open_link
from voting.errors import (
    ConfirmerNotCommittee,
    IllegalTransition,
    InvalidChoices,
    NotEligible,
    PaperEntryInvalid,
    PaperEntryNotFound,
)
from voting.models import Vote
from voting.paper import PaperOutcome, enter_paper_ballot, list_paper_entries, void_paper_entry
from voting.receipts import check_receipt

SCAN = hashlib.sha256(b"scan of form 1-103").hexdigest()
AGREE = {1: "agree", 2: "agree"}
OPPOSE = {1: "oppose", 2: "agree"}
ALICE, BOB, CAROL = 11, 12, 13


@pytest.fixture
def ref(runtime: Runtime) -> str:
    make_register(runtime)
    return open_ballot(runtime).ref


def enter(
    runtime: Runtime,
    ref: str,
    unit: str,
    choices: dict[int, str],
    by: int,
    scan: str = SCAN,
    *,
    is_committee: bool = True,
) -> PaperOutcome:
    return runtime.run(
        enter_paper_ballot,
        ballot_ref=ref,
        member_id=member_id_of(runtime, ref, unit),
        choices=choices,
        scan_sha256=scan,
        entered_by=by,
        is_committee=is_committee,
    )


def casts(runtime: Runtime) -> list[Vote]:
    with runtime.session_factory() as s:
        return list(s.scalars(sa.select(Vote)))


def test_counts_only_after_a_second_different_person_agrees(runtime: Runtime, ref: str) -> None:
    first = enter(runtime, ref, "1-103", AGREE, ALICE)
    assert first.status == "pending" and first.receipt is None and casts(runtime) == []
    again = enter(runtime, ref, "1-103", AGREE, ALICE)  # the same person again: not a check
    assert again.status == "pending" and casts(runtime) == []
    statuses = {e.entry_id: e.status for e in runtime.query(list_paper_entries, ballot_ref=ref)}
    assert statuses[first.entry_id] == "void" and statuses[again.entry_id] == "pending"
    second = enter(runtime, ref, "1-103", AGREE, BOB, scan=SCAN.upper())
    assert second.status == "counted" and second.receipt is not None
    assert second.receipt.data["channel"] == "paper"
    [row] = casts(runtime)
    assert row.channel == "paper" and row.receipt == second.receipt.text
    sign_due_checkpoints(runtime)  # the tick covers the new entry with a signed checkpoint
    result = runtime.query(check_receipt, receipt_json=second.receipt.text)
    assert result.is_valid, result.problems
    cast_event = log_entries(runtime, prefix="voting.ballot_cast")[0]["data"]
    assert cast_event["paper"]["entered_by"] == [ALICE, BOB]
    assert cast_event["paper"]["scan_sha256"] == [SCAN, SCAN]
    assert len(log_entries(runtime, prefix="voting.paper_entered")) == 3


def test_mismatch_is_listed_and_resolved(runtime: Runtime, ref: str) -> None:
    a = enter(runtime, ref, "1-103", AGREE, ALICE)
    b = enter(runtime, ref, "1-103", OPPOSE, BOB)
    assert b.status == "mismatch"
    mismatched = runtime.query(list_paper_entries, ballot_ref=ref, status="mismatch")
    assert {e.entry_id for e in mismatched} == {a.entry_id, b.entry_id}
    assert casts(runtime) == []
    # Resolved by voiding Bob's wrong keying; Alice's goes back to pending...
    runtime.run(void_paper_entry, ballot_ref=ref, entry_id=b.entry_id, voided_by=CAROL)
    pending = runtime.query(list_paper_entries, ballot_ref=ref, status="pending")
    assert [e.entry_id for e in pending] == [a.entry_id]
    # ...and Carol's matching keying counts it.
    c = enter(runtime, ref, "1-103", AGREE, CAROL)
    assert c.status == "counted" and len(casts(runtime)) == 1
    with pytest.raises(PaperEntryInvalid):
        runtime.run(void_paper_entry, ballot_ref=ref, entry_id=c.entry_id, voided_by=ALICE)
    with pytest.raises(PaperEntryNotFound):
        runtime.run(void_paper_entry, ballot_ref=ref, entry_id=99999, voided_by=ALICE)


def test_a_third_keying_settles_a_mismatch(runtime: Runtime, ref: str) -> None:
    enter(runtime, ref, "1-103", AGREE, ALICE)
    enter(runtime, ref, "1-103", OPPOSE, BOB)
    c = enter(runtime, ref, "1-103", OPPOSE, CAROL)
    assert c.status == "counted"
    [row] = casts(runtime)
    assert row.choices == '{"1": "oppose", "2": "agree"}'
    statuses = sorted(e.status for e in runtime.query(list_paper_entries, ballot_ref=ref))
    assert statuses == ["counted", "counted", "void"]


def test_online_first_wins_and_paper_is_a_conflict(runtime: Runtime, ref: str) -> None:
    token = tokens_by_unit(issue_all(runtime, ref))["2-102"]
    runtime.run(cast_vote, token=token, choices=AGREE)
    out = enter(runtime, ref, "2-102", OPPOSE, ALICE)
    assert out.status == "conflict"
    [conflict] = runtime.query(list_paper_entries, ballot_ref=ref, status="conflict")
    assert "online" in conflict.note
    assert len(casts(runtime)) == 1


def test_paper_first_then_online_is_already_voted(runtime: Runtime, ref: str) -> None:
    token = tokens_by_unit(issue_all(runtime, ref))["1-103"]
    enter(runtime, ref, "1-103", AGREE, ALICE)
    enter(runtime, ref, "1-103", AGREE, BOB)
    view = runtime.query(open_link, token=token)
    assert view.has_voted  # the owner's page shows the paper ballot's receipt
    from voting.errors import AlreadyVoted

    with pytest.raises(AlreadyVoted):
        runtime.run(cast_vote, token=token, choices=OPPOSE)


def test_refusals(runtime: Runtime, ref: str) -> None:
    with pytest.raises(PaperEntryInvalid):
        enter(runtime, ref, "1-103", AGREE, ALICE, scan="abc")
    with pytest.raises(InvalidChoices):
        enter(runtime, ref, "1-103", {1: "agree"}, ALICE)
    with pytest.raises(NotEligible):
        runtime.run(
            enter_paper_ballot,
            ballot_ref=ref,
            member_id=999999,
            choices=AGREE,
            scan_sha256=SCAN,
            entered_by=ALICE,
            is_committee=True,
        )


def test_entry_after_close_and_not_after_tally(runtime: Runtime, ref: str) -> None:
    with runtime.session_factory() as s:
        closes = ballots.get_ballot(s, ref).closes_at
    runtime.clock.set(closes)  # type: ignore[attr-defined]
    runtime.run(ballots.close_ballot, ballot_ref=ref)
    enter(runtime, ref, "1-103", AGREE, ALICE)
    assert enter(runtime, ref, "1-103", AGREE, BOB).status == "counted"
    runtime.run(ballots.tally_ballot, ballot_ref=ref)
    with pytest.raises(IllegalTransition):
        enter(runtime, ref, "1-101", AGREE, ALICE)


def test_only_a_committee_member_confirms_a_paper_ballot(runtime: Runtime, ref: str) -> None:
    """The second, confirming entry must come from a committee member of the community other
    than the first keyer: an admin's (or a manager's) matching entry is refused and writes
    nothing; a first entry by an admin waits for a committee member."""
    first = enter(runtime, ref, "1-103", AGREE, ALICE)
    entered = len(log_entries(runtime, prefix="voting.paper_entered"))
    with pytest.raises(ConfirmerNotCommittee):
        enter(runtime, ref, "1-103", AGREE, BOB, is_committee=False)
    assert casts(runtime) == []
    assert [(e.entry_id, e.status) for e in runtime.query(list_paper_entries, ballot_ref=ref)] == [
        (first.entry_id, "pending")
    ]
    assert len(log_entries(runtime, prefix="voting.paper_entered")) == entered
    # The first keyer again (even as a committee member) does not confirm either.
    assert enter(runtime, ref, "1-103", AGREE, ALICE).status == "pending"
    assert casts(runtime) == []
    assert enter(runtime, ref, "1-103", AGREE, CAROL).status == "counted"
    # An admin's first entry (a mismatch or a pending one) is taken; a committee member
    # other than the admin confirms it.
    admin_first = enter(runtime, ref, "1-102", AGREE, BOB, is_committee=False)
    assert admin_first.status == "pending"
    assert enter(runtime, ref, "1-102", AGREE, ALICE).status == "counted"
    [event] = [
        e["data"]
        for e in log_entries(runtime, prefix="voting.ballot_cast")
        if e["data"]["paper"]["entered_by"] == [BOB, ALICE]
    ]
    assert event["channel"] == "paper"
