"""Casting through a personal link: one ballot per member, logged and receipted atomically."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from notary import store
from notary.merkle import MemoryTree
from tests.conftest import requires_postgres
from tests.services.voting.owner_helpers import (
    CODE,
    issue_all,
    log_entries,
    log_text,
    make_register,
    member_id_of,
    open_ballot,
    tokens_by_unit,
)
from voting import ballots
from voting.casting import cast_vote, new_tracker, normalise_choices
from voting.credentials import open_link, verify_identity
from voting.errors import (
    AlreadyVoted,
    BallotClosed,
    IdentityCheckRequired,
    InvalidChoices,
    UnknownLink,
)
from voting.link_view import link_receipt
from voting.models import Vote
from voting.receipts import Receipt

BOTH = {1: "agree", 2: "abstain"}


@pytest.fixture
def opened(runtime: Runtime) -> tuple[ballots.BallotInfo, dict[str, str]]:
    make_register(runtime)
    info = open_ballot(runtime)
    return info, tokens_by_unit(issue_all(runtime, info.ref))


def cast(runtime: Runtime, token: str, choices: dict[int, str] | None = None, **kw: Any) -> Receipt:
    return runtime.run(cast_vote, token=token, choices=choices or BOTH, **kw)


def test_cast_records_ballot_log_entry_and_receipt(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    info, tokens = opened
    receipt = cast(runtime, tokens["1-101"], client_entropy="browser-noise")
    data = receipt.data
    assert data["community"] == CODE and data["ballot"] == info.ref
    assert data["questions"] == [
        {"position": 1, "choice": "agree"},
        {"position": 2, "choice": "abstain"},
    ]
    assert data["weights"] == {"heads": 1, "area": "209.37"}
    assert data["channel"] == "online" and data["type"] == "fundvote.receipt"
    assert data["log"]["origin"] == f"fundvote.test/{CODE}"
    assert data["signature"]["alg"] == "Ed25519"
    with runtime.session_factory() as s:
        row = s.scalars(sa.select(Vote)).one()
        stored = store.entry(s, CODE, data["log"]["index"])
    assert row.receipt == receipt.text and row.tracker == receipt.tracker
    assert json.loads(row.choices) == {"1": "agree", "2": "abstain"}
    assert stored.leaf_hash.hex() == data["log"]["leaf_hash"] == row.leaf_hash
    event = stored.data
    assert event["type"] == "voting.ballot_cast"
    assert event["data"]["member"].startswith("m") and event["data"]["tracker"] == receipt.tracker
    assert event["data"]["weights"] == {"heads": 1, "area_centi": 20937}
    assert tokens["1-101"] not in log_text(runtime) and "张三明" not in log_text(runtime)
    view = runtime.query(open_link, token=tokens["2-101"])
    assert view.has_voted and view.receipt == receipt.text
    assert runtime.query(link_receipt, token=tokens["1-101"]) == receipt


def test_one_ballot_per_member_and_final(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    _info, tokens = opened
    first = cast(runtime, tokens["1-102"])
    with pytest.raises(AlreadyVoted):
        cast(runtime, tokens["1-102"], {1: "oppose", 2: "oppose"})
    assert len(log_entries(runtime, prefix="voting.ballot_cast")) == 1
    # The same request again (its answer was lost): the stored receipt, nothing written.
    again = cast(runtime, tokens["1-102"], client_entropy="a retry")
    assert again.text == first.text
    assert len(log_entries(runtime, prefix="voting.ballot_cast")) == 1


def test_a_new_link_never_replays_the_old_links_vote(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    """A reissued link's holder guessing the choices learns nothing: already voted."""
    from tests.services.voting.owner_helpers import BASE_URL, token_of
    from voting.credentials import reissue_link

    info, tokens = opened
    cast(runtime, tokens["1-103"])
    runtime.clock.advance(minutes=1)  # type: ignore[attr-defined]
    new = runtime.run(
        reissue_link,
        ballot_ref=info.ref,
        member_id=member_id_of(runtime, info.ref, "1-103"),
        base_url=BASE_URL,
    )
    with pytest.raises(AlreadyVoted):
        cast(runtime, token_of(new.links[0].url))


def test_choices_must_answer_every_question(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    _info, tokens = opened
    for bad in ({1: "agree"}, {1: "agree", 2: "maybe"}, {1: "agree", 2: "oppose", 3: "agree"}):
        with pytest.raises(InvalidChoices):
            cast(runtime, tokens["1-103"], bad)
    assert normalise_choices({"2": "oppose", "1": "agree"}, [1, 2]) == {1: "agree", 2: "oppose"}
    with pytest.raises(InvalidChoices):
        normalise_choices({"x": "agree"}, [1])
    assert log_entries(runtime, prefix="voting.ballot_cast") == []


def test_window_and_status(runtime: Runtime) -> None:
    make_register(runtime)
    info = open_ballot(runtime, start_now=False)
    tokens = tokens_by_unit(issue_all(runtime, info.ref))
    with pytest.raises(BallotClosed):  # open, but the window starts in an hour
        cast(runtime, tokens["1-101"])
    runtime.clock.advance(hours=1)  # type: ignore[attr-defined]
    cast(runtime, tokens["1-101"])
    runtime.clock.set(info.closes_at)  # type: ignore[attr-defined]
    with pytest.raises(BallotClosed):  # still "open", but past closes_at
        cast(runtime, tokens["1-102"])
    runtime.run(ballots.close_ballot, ballot_ref=info.ref)
    with pytest.raises(BallotClosed):
        cast(runtime, tokens["1-103"])
    with pytest.raises(UnknownLink):
        cast(runtime, "not-a-real-token-at-all-000000000")


def test_identity_required_before_casting(runtime: Runtime) -> None:
    make_register(runtime)
    info = open_ballot(runtime, identity_check="phone_last4")
    token = tokens_by_unit(issue_all(runtime, info.ref))["2-102"]
    with pytest.raises(IdentityCheckRequired):
        cast(runtime, token)
    runtime.run(verify_identity, token=token, digits="3333", cipher=runtime.cipher)
    assert cast(runtime, token).data["channel"] == "online"


def test_tracker_format_and_entropy() -> None:
    trackers = {new_tracker() for _ in range(200)} | {new_tracker("x") for _ in range(200)}
    assert len(trackers) == 400
    for t in trackers:
        groups = t.split("-")
        assert len(groups) == 5 and all(len(g) == 4 for g in groups)
        assert not set(t) & set("ILOU")


def test_reissued_link_casts_and_old_one_does_not(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    from tests.services.voting.owner_helpers import BASE_URL, token_of
    from voting.credentials import reissue_link

    info, tokens = opened
    new = runtime.run(
        reissue_link,
        ballot_ref=info.ref,
        member_id=member_id_of(runtime, info.ref, "1-103"),
        base_url=BASE_URL,
    )
    with pytest.raises(UnknownLink):
        cast(runtime, tokens["1-103"])
    cast(runtime, token_of(new.links[0].url))


# -- concurrency ----------------------------------------------------------------------------


def race(runtime: Runtime, token: str, threads: int) -> tuple[int, int, list[BaseException]]:
    barrier = threading.Barrier(threads)
    lock = threading.Lock()
    ok, already, other = [0], [0], []

    def work() -> None:
        barrier.wait()
        try:
            cast(runtime, token)
        except AlreadyVoted:
            with lock:
                already[0] += 1
        except BaseException as exc:
            with lock:
                other.append(exc)
        else:
            with lock:
                ok[0] += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    return ok[0], already[0], other


def check_log(runtime: Runtime) -> None:
    with runtime.session_factory() as s:
        entries = list(store.entries(s, CODE))
        size = store.tree_size(s, CODE)
        head_root = store.root(s, CODE)
    assert [e.index for e in entries] == list(range(size))
    mirror = MemoryTree()
    for e in entries:
        mirror.append(e.body_bytes)
    assert mirror.root() == head_root


def test_concurrent_casts_with_one_link(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    """Runs on either backend (SQLite serializes with BEGIN IMMEDIATE)."""
    _info, tokens = opened
    ok, already, other = race(runtime, tokens["2-102"], 8)
    # One cast wins; the others either lost the race (already voted) or, coming after its
    # commit, are the same request repeated and get its stored receipt.
    assert other == [] and ok >= 1 and ok + already == 8
    with runtime.session_factory() as s:
        assert len(set(s.scalars(sa.select(Vote.receipt)))) == 1
    assert len(log_entries(runtime, prefix="voting.ballot_cast")) == 1
    check_log(runtime)


@requires_postgres
def test_postgres_fifty_concurrent_casts_one_wins(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    assert runtime.engine.dialect.name == "postgresql"
    _info, tokens = opened
    ok, already, other = race(runtime, tokens["1-101"], 50)
    assert other == [], [type(e).__name__ for e in other]
    assert ok >= 1 and ok + already == 50  # later ones are repeats: the stored receipt
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1
    assert len(log_entries(runtime, prefix="voting.ballot_cast")) == 1
    check_log(runtime)
    # The log keeps growing cleanly after the race.
    cast(runtime, tokens["1-102"])
    check_log(runtime)


def test_cast_after_window_move(runtime: Runtime) -> None:
    make_register(runtime)
    info = open_ballot(runtime)
    tokens = tokens_by_unit(issue_all(runtime, info.ref))
    runtime.clock.advance(days=6, hours=23)  # type: ignore[attr-defined]
    cast(runtime, tokens["2-S01"])
    runtime.clock.advance(hours=1)  # type: ignore[attr-defined]
    with pytest.raises(BallotClosed):
        cast(runtime, tokens["1-101"])
    assert info.closes_at - info.opens_at == timedelta(days=7)


def test_concurrent_copies_of_one_cast_all_get_its_receipt(
    runtime: Runtime, opened: tuple[ballots.BallotInfo, dict[str, str]]
) -> None:
    """fundvote.casting.cast_once: a copy that lost the race to its first attempt reads the
    stored receipt instead of "already voted"; other choices are still refused."""
    from fundvote.casting import cast_once

    _info, tokens = opened
    token = tokens["2-101"]
    barrier = threading.Barrier(8)
    receipts: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            receipts.append(cast_once(runtime, token=token, choices=BOTH).text)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == [] and len(receipts) == 8 and len(set(receipts)) == 1
    assert len(log_entries(runtime, prefix="voting.ballot_cast")) == 1
    with pytest.raises(AlreadyVoted):
        cast_once(runtime, token=token, choices={1: "oppose", 2: "oppose"})
