"""Receipts: canonical signed JSON, and verification against the log."""

from __future__ import annotations

import base64
import copy
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from estate.errors import CommunityNotFound
from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from notary import store
from notary.canonical import canonical_bytes
from notary.keys import rotate_key
from tests.services.voting.owner_helpers import (
    BASE_URL,
    CODE,
    issue_all,
    make_register,
    member_id_of,
    open_ballot,
    token_of,
    tokens_by_unit,
)
from voting.casting import cast_vote
from voting.credentials import reissue_link
from voting.errors import MalformedReceipt
from voting.receipts import Receipt, check_receipt, parse_receipt, signature_ok, verify_receipt


def cast_two(runtime: Runtime) -> Receipt:
    make_register(runtime)
    info = open_ballot(runtime)
    tokens = tokens_by_unit(issue_all(runtime, info.ref))
    first = runtime.run(cast_vote, token=tokens["1-101"], choices={1: "agree", 2: "oppose"})
    runtime.run(cast_vote, token=tokens["1-102"], choices={1: "oppose", 2: "oppose"})
    return first


@pytest.fixture
def receipt(runtime: Runtime) -> Receipt:
    """A receipt covered by a signed checkpoint (the tick ran after the casts)."""
    first = cast_two(runtime)
    sign_due_checkpoints(runtime)
    return first


def check(runtime: Runtime, data: Any) -> Any:
    return runtime.query(check_receipt, receipt_json=data)


def row_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.session_factory() as s:
        return {
            table.__tablename__: s.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in (store.LogHead, store.LogEntry, store.LogNode, store.LogCheckpoint)
        }


def test_receipt_is_canonical_and_signed(runtime: Runtime, receipt: Receipt) -> None:
    text = receipt.text
    assert canonical_bytes(json.loads(text)).decode() == text
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert set(data) == {
        "v", "type", "community", "ballot", "questions", "tracker", "weights", "cast_at",
        "channel", "log", "signature",
    }  # fmt: skip
    assert data["signature"]["key_id"] == runtime.keyring.active_key_id
    assert len(base64.b64decode(data["signature"]["sig"])) == 64
    assert signature_ok(data, runtime.keyring)
    assert Receipt.from_text(text).digest == receipt.digest


def test_a_receipt_newer_than_the_latest_checkpoint_is_pending_and_nothing_is_written(
    runtime: Runtime,
) -> None:
    receipt = cast_two(runtime)
    with runtime.session_factory() as s:
        latest = store.latest_checkpoint(s, CODE)  # signed when the ballot opened
        assert latest is not None and latest.size <= receipt.log_index
    before = row_counts(runtime)
    # Even in a unit of work that commits, checking writes nothing.
    result = runtime.run(check_receipt, receipt_json=receipt.text)
    assert row_counts(runtime) == before
    assert result.is_pending and not result.is_valid and result.problems == ()
    assert result.is_signature_valid and result.is_entry_found and result.is_matching
    assert not result.is_included and result.checkpoint_size is None
    assert result.covered_by == runtime.clock.now() + timedelta(seconds=60)


def test_the_tick_covers_the_receipt_and_a_second_check_reuses_the_checkpoint(
    runtime: Runtime,
) -> None:
    receipt = cast_two(runtime)
    assert str(sign_due_checkpoints(runtime)) == "1 log checkpointed"
    result = check(runtime, receipt.text)
    assert result.is_valid, result.problems
    assert result.is_signature_valid and result.is_entry_found
    assert result.is_included and result.is_matching and not result.is_pending
    assert result.choices == ((1, "agree"), (2, "oppose"))
    with runtime.session_factory() as s:
        cp = store.latest_checkpoint(s, CODE)
        assert cp is not None and cp.size == store.tree_size(s, CODE)
    assert result.checkpoint_size == cp.size
    assert str(sign_due_checkpoints(runtime)) == "0 logs checkpointed"
    # Bytes, a BOM and surrounding spaces are fine.
    again = check(runtime, b"\xef\xbb\xbf  " + receipt.text.encode() + b"\n")
    assert again.is_valid and again.checkpoint_size == cp.size


def test_a_receipt_naming_an_unknown_community_is_not_found_and_writes_nothing(
    runtime: Runtime, receipt: Receipt
) -> None:
    data = tamper(receipt, lambda d: d.update(community="NOPE"))
    data["log"]["origin"] = "fundvote.test/NOPE"
    before = row_counts(runtime)
    with pytest.raises(CommunityNotFound):
        runtime.run(check_receipt, receipt_json=data)
    assert row_counts(runtime) == before


def test_a_newer_receipt_is_pending_until_the_next_tick(runtime: Runtime, receipt: Receipt) -> None:
    link = runtime.run(
        reissue_link,
        ballot_ref=receipt.ballot,
        member_id=member_id_of(runtime, receipt.ballot, "2-102"),
        base_url=BASE_URL,
    ).links[0]
    newer = runtime.run(cast_vote, token=token_of(link.url), choices={1: "abstain", 2: "abstain"})
    assert check(runtime, newer.text).is_pending
    assert check(runtime, receipt.text).is_valid
    sign_due_checkpoints(runtime)
    result = check(runtime, newer.text)
    assert result.is_valid and result.checkpoint_size is not None
    assert result.checkpoint_size > newer.log_index
    assert check(runtime, receipt.text).checkpoint_size == result.checkpoint_size


def tamper(receipt: Receipt, change: Any) -> dict[str, Any]:
    data = copy.deepcopy(dict(receipt.data))
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["questions"][0].update(choice="oppose"), "signature"),
        (lambda d: d.update(tracker="0000-0000-0000-0000-0000"), "signature"),
        (lambda d: d["signature"].update(sig=base64.b64encode(bytes(64)).decode()), "signature"),
        (lambda d: d["signature"].update(key_id="00000000"), "signature"),
        (lambda d: d["log"].update(index=10_000), "entry-missing"),
        (lambda d: d["log"].update(origin="elsewhere/JB01"), "origin"),
        (lambda d: d["log"].update(leaf_hash="00" * 32), "leaf-hash"),
    ],
)
def test_tampered_receipts_fail(
    runtime: Runtime, receipt: Receipt, change: Any, problem: str
) -> None:
    result = check(runtime, tamper(receipt, change))
    assert not result.is_valid
    assert problem in result.problems


def test_a_validly_signed_receipt_for_another_entry_does_not_match(
    runtime: Runtime, receipt: Receipt
) -> None:
    """Re-signing with the service key (as an insider could) still fails against the log."""
    data = tamper(receipt, lambda d: d["questions"][1].update(choice="agree"))
    body = {k: v for k, v in data.items() if k != "signature"}
    data["signature"]["sig"] = base64.b64encode(
        runtime.keyring.sign(canonical_bytes(body))
    ).decode()
    result = check(runtime, data)
    assert result.is_signature_valid and result.is_included
    assert result.problems == ("contents",)


def test_receipts_stay_valid_after_key_rotation(runtime: Runtime, receipt: Receipt) -> None:
    ring = rotate_key(runtime.settings.signing_key_file, name=runtime.settings.key_name)
    with runtime.session_factory() as s:
        result = verify_receipt(s, receipt.text, ring)
    assert result.is_valid, result.problems


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"v": 1}',
        json.dumps({"v": 2, "type": "fundvote.receipt"}),
    ],
)
def test_malformed_receipts_are_refused(runtime: Runtime, text: str) -> None:
    with pytest.raises(MalformedReceipt):
        parse_receipt(text)
    with pytest.raises(MalformedReceipt):
        check(runtime, text)


def test_missing_nested_fields_are_malformed(receipt: Receipt) -> None:
    data = tamper(receipt, lambda d: d["log"].pop("index"))
    with pytest.raises(MalformedReceipt):
        parse_receipt(data)
    data = tamper(receipt, lambda d: d["questions"].append("x"))
    with pytest.raises(MalformedReceipt):
        parse_receipt(data)
