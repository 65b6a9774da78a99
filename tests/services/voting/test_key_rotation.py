"""A key rotation reaches every worker at once: two runtimes built from the same settings (as
two gunicorn workers are) both sign with the new key right after ``fundvote keys rotate``, and
both keep verifying receipts and checkpoints signed with the retired key."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from fundvote.cli import main
from fundvote.runtime import Runtime, build_runtime
from notary import store
from notary.checkpoint import open_checkpoint
from notary.keys import rotate_key
from tests.services.voting.owner_helpers import (
    CODE,
    issue_all,
    make_register,
    open_ballot,
    tokens_by_unit,
)
from voting.casting import cast_vote
from voting.receipts import check_receipt


@pytest.fixture
def second_worker(runtime: Runtime) -> Iterator[Runtime]:
    other = build_runtime(runtime.settings, clock=runtime.clock)
    try:
        yield other
    finally:
        other.engine.dispose()


def _rotate_with_the_cli(runtime: Runtime) -> None:
    s = runtime.settings
    env = {
        "FUNDVOTE_INSTANCE_PATH": str(s.instance_path),
        "FUNDVOTE_DATABASE_URL": s.database_url,
        "FUNDVOTE_SECRET_KEY": s.secret_key,
        "FUNDVOTE_SIGNING_KEY_FILE": str(s.signing_key_file),
        "FUNDVOTE_DATA_KEY_FILE": str(s.data_key_file),
        "FUNDVOTE_LOG_ORIGIN": s.log_origin,
    }
    result = CliRunner().invoke(main, ["keys", "rotate"], env=env)
    assert result.exit_code == 0, result.output


def _signed_ok(rt: Runtime, receipt_text: str) -> bool:
    result = rt.query(check_receipt, receipt_json=receipt_text)
    return result.is_signature_valid and "signature" not in result.problems


def test_a_rotation_reaches_both_workers_and_old_receipts_still_verify(
    runtime: Runtime, second_worker: Runtime
) -> None:
    make_register(runtime)
    info = open_ballot(runtime)
    tokens = tokens_by_unit(issue_all(runtime, info.ref))
    old_key = runtime.keyring.active_key_id
    assert second_worker.keyring.active_key_id == old_key
    before_a = runtime.run(cast_vote, token=tokens["1-101"], choices={1: "agree", 2: "agree"})
    before_b = second_worker.run(
        cast_vote, token=tokens["1-102"], choices={1: "oppose", 2: "agree"}
    )

    _rotate_with_the_cli(runtime)

    after_a = runtime.run(cast_vote, token=tokens["1-103"], choices={1: "agree", 2: "oppose"})
    after_b = second_worker.run(
        cast_vote, token=tokens["2-102"], choices={1: "abstain", 2: "agree"}
    )
    new_key = after_a.data["signature"]["key_id"]
    assert new_key != old_key
    assert after_b.data["signature"]["key_id"] == new_key
    assert runtime.keyring.active_key_id == second_worker.keyring.active_key_id == new_key
    for worker in (runtime, second_worker):
        for receipt in (before_a, before_b, after_a, after_b):
            assert _signed_ok(worker, receipt.text), (worker, receipt.data["signature"])


def test_checkpoints_signed_before_and_after_a_rotation_verify_on_every_worker(
    runtime: Runtime, second_worker: Runtime
) -> None:
    make_register(runtime)
    open_ballot(runtime)  # opening signs a checkpoint with the first key
    with runtime.session_factory() as s:
        first = store.latest_checkpoint(s, CODE)
    assert first is not None
    rotate_key(runtime.settings.signing_key_file, name=runtime.settings.key_name)
    open_ballot(second_worker)  # a second ballot: signed by the other worker, new key
    with runtime.session_factory() as s:
        second = store.latest_checkpoint(s, CODE)
    assert second is not None and second.size > first.size
    for worker in (runtime, second_worker):
        ring = worker.keyring.current()
        assert open_checkpoint(first.note, ring.verifiers()).size == first.size
        opened = open_checkpoint(second.note, [ring.verifier])  # the active key signed it
        assert opened.size == second.size


def test_a_half_written_key_file_keeps_the_last_good_key(runtime: Runtime) -> None:
    ring = runtime.keyring
    before = ring.active_key_id
    path = runtime.settings.signing_key_file
    good = path.read_bytes()
    path.write_bytes(good[:20])  # as a reader may catch a file being replaced in place
    try:
        assert ring.current().active_key_id == before
        assert ring.verify(before, b"x", ring.sign(b"x"))
    finally:
        path.write_bytes(good)
        os.utime(path)
    assert ring.current().active_key_id == before
