"""The database-backed log: appends, roots, proofs and checkpoints on a real database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from fundvote.runtime import Runtime
from notary import store
from notary.checkpoint import open_checkpoint
from notary.envelope import PersonalDataInEntry, make_entry
from notary.keys import rotate_key
from notary.merkle import (
    EMPTY_ROOT,
    BeyondTreeSize,
    MemoryTree,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import requires_postgres

AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
LOG = "JB01"


def entry_for(i: int, community: str = LOG) -> dict[str, object]:
    return make_entry("test.event", AT + timedelta(seconds=i), community, {"n": i, "fen": 100 * i})


def append_many(rt: Runtime, n: int, log: str = LOG) -> MemoryTree:
    """Append n entries, one transaction each; return the same log built in memory."""
    mirror = MemoryTree()
    for i in range(n):
        with rt.session_factory.begin() as s:
            appended = store.append(s, log, entry_for(i, log))
        assert mirror.append(appended.body_bytes) == appended.index == i
    return mirror


def test_append_returns_index_leaf_and_canonical_body(runtime: Runtime) -> None:
    with runtime.session_factory.begin() as s:
        first = store.append(s, LOG, {"b": 1, "a": [True, None]})
        second = store.append(s, LOG, entry_for(1))
    assert (first.index, second.index) == (0, 1)
    assert first.body_bytes == b'{"a":[true,null],"b":1}'
    with runtime.session_factory() as s:
        stored = store.entry(s, LOG, 0)
        assert stored.body_bytes == first.body_bytes
        assert stored.leaf_hash == first.leaf_hash
        assert stored.data == {"a": [True, None], "b": 1}
        assert store.tree_size(s, LOG) == 2
        assert [e.index for e in store.entries(s, LOG)] == [0, 1]
        assert [e.index for e in store.entries(s, LOG, 1, 2)] == [1]


def test_roots_and_proofs_match_the_in_memory_tree(runtime: Runtime) -> None:
    n = 21
    mirror = append_many(runtime, n)
    with runtime.session_factory() as s:
        assert store.root(s, LOG) == mirror.root()
        for size in range(n + 1):
            assert store.root(s, LOG, size) == mirror.root(size)
            for index in range(size):
                proof = store.inclusion_proof(s, LOG, index, size)
                assert proof == mirror.inclusion_proof(index, size)
                assert verify_inclusion(mirror.get(0, index), index, size, proof, mirror.root(size))
            for old in range(size + 1):
                proof = store.consistency_proof(s, LOG, old, size)
                assert proof == mirror.consistency_proof(old, size)
                assert verify_consistency(old, size, mirror.root(old), mirror.root(size), proof)


def test_storage_holds_every_perfect_subtree(runtime: Runtime) -> None:
    append_many(runtime, 37)
    with runtime.session_factory() as s:
        count = s.execute(
            select(func.count()).select_from(store.LogNode).where(store.LogNode.log == LOG)
        ).scalar_one()
    assert count == 2 * 37 - bin(37).count("1")


def test_a_rolled_back_append_leaves_no_trace(runtime: Runtime) -> None:
    append_many(runtime, 3)
    with pytest.raises(RuntimeError), runtime.session_factory.begin() as s:
        store.append(s, LOG, entry_for(99))
        raise RuntimeError("the service failed after appending")
    with runtime.session_factory.begin() as s:
        assert store.tree_size(s, LOG) == 3
        assert store.append(s, LOG, entry_for(3)).index == 3


def test_refused_entries_touch_nothing(runtime: Runtime) -> None:
    with runtime.session_factory.begin() as s:
        with pytest.raises(PersonalDataInEntry):
            store.append(s, LOG, {"data": {"owners": [{"owner_name": "x"}]}})
        with pytest.raises(TypeError):
            store.append(s, LOG, {"share": 0.25})
        assert store.tree_size(s, LOG) == 0
        assert store.root(s, LOG) == EMPTY_ROOT


def test_logs_are_independent(runtime: Runtime) -> None:
    a = append_many(runtime, 5, "A1")
    b = append_many(runtime, 3, "B2")
    with runtime.session_factory() as s:
        assert store.tree_size(s, "A1") == 5 and store.tree_size(s, "B2") == 3
        assert store.root(s, "A1") == a.root() and store.root(s, "B2") == b.root()


def test_impossible_requests(runtime: Runtime) -> None:
    append_many(runtime, 4)
    with runtime.session_factory() as s:
        with pytest.raises(BeyondTreeSize):
            store.root(s, LOG, 5)
        with pytest.raises(BeyondTreeSize):
            store.inclusion_proof(s, LOG, 4, 4)
        with pytest.raises(BeyondTreeSize):
            store.inclusion_proof(s, LOG, 0, 5)
        with pytest.raises(BeyondTreeSize):
            store.consistency_proof(s, LOG, 3, 5)
        with pytest.raises(store.EntryNotFound):
            store.entry(s, LOG, 4)
        with pytest.raises(store.EntryNotFound):
            store.entry(s, "nope", 0)
        assert store.tree_size(s, "nope") == 0
    with pytest.raises(ValueError), runtime.session_factory.begin() as s:
        store.append(s, "bad name", {"a": 1})


def test_a_missing_node_is_reported_as_corruption(runtime: Runtime) -> None:
    append_many(runtime, 6)
    with runtime.session_factory() as s:
        s.execute(
            delete(store.LogNode).where(
                store.LogNode.log == LOG, store.LogNode.level == 1, store.LogNode.idx == 2
            )
        )
        assert store.root(s, LOG, 5)  # does not need leaves 4..5 as one subtree
        with pytest.raises(store.LogCorrupt):
            store.inclusion_proof(s, LOG, 0, 6)  # needs the hash of leaves 4..5
        s.rollback()


# -- checkpoints ------------------------------------------------------------------------------


def test_issue_checkpoint_signs_the_head(runtime: Runtime) -> None:
    mirror = append_many(runtime, 5)
    with runtime.session_factory.begin() as s:
        cp = store.issue_checkpoint(s, LOG, runtime.keyring, runtime.settings.log_origin, AT)
    assert (cp.size, cp.root, cp.origin) == (5, mirror.root(), "fundvote.test/JB01")
    assert cp.created_at == AT
    body = open_checkpoint(cp.note, runtime.keyring.verifiers())
    assert body == cp.checkpoint
    with runtime.session_factory() as s:
        latest = store.latest_checkpoint(s, LOG)
    assert latest == cp
    assert latest is not None and latest.created_at.tzinfo is not None


def test_checkpoints_are_reused_until_the_log_grows(runtime: Runtime) -> None:
    append_many(runtime, 2)
    prefix = runtime.settings.log_origin
    with runtime.session_factory.begin() as s:
        first = store.issue_checkpoint(s, LOG, runtime.keyring, prefix, AT)
    with runtime.session_factory.begin() as s:
        again = store.issue_checkpoint(s, LOG, runtime.keyring, prefix, AT + timedelta(hours=1))
    assert again == first
    with runtime.session_factory.begin() as s:
        store.append(s, LOG, entry_for(2))
        later = store.issue_checkpoint(s, LOG, runtime.keyring, prefix, AT + timedelta(hours=2))
    assert later.size == 3 and later.note != first.note
    with runtime.session_factory() as s:
        assert store.latest_checkpoint(s, LOG) == later
        assert store.checkpoint_at(s, LOG, 2) == first
        assert store.checkpoint_at(s, LOG, 1) is None
        rows = s.execute(select(func.count()).select_from(store.LogCheckpoint)).scalar_one()
    assert rows == 2


def test_checkpoint_of_an_empty_log(runtime: Runtime) -> None:
    with runtime.session_factory.begin() as s:
        assert store.latest_checkpoint(s, "EMPTY") is None
        cp = store.issue_checkpoint(s, "EMPTY", runtime.keyring, "fundvote.test", AT)
    assert (cp.size, cp.root) == (0, EMPTY_ROOT)
    assert cp.note.startswith(
        "fundvote.test/EMPTY\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    )


def test_a_rewritten_head_is_never_signed(runtime: Runtime) -> None:
    append_many(runtime, 3)
    with runtime.session_factory.begin() as s:
        store.issue_checkpoint(s, LOG, runtime.keyring, "fundvote.test", AT)
    with runtime.session_factory.begin() as s:
        for i in (3, 4):
            store.append(s, LOG, entry_for(i))
        s.execute(update(store.LogHead).where(store.LogHead.log == LOG).values(root=b"\x07" * 32))
        with pytest.raises(store.LogCorrupt):
            store.issue_checkpoint(s, LOG, runtime.keyring, "fundvote.test", AT)


def test_checkpoints_signed_before_a_rotation_still_verify(runtime: Runtime) -> None:
    append_many(runtime, 2)
    with runtime.session_factory.begin() as s:
        old = store.issue_checkpoint(s, LOG, runtime.keyring, "fundvote.test", AT)
    before = runtime.keyring.current()  # a snapshot: the runtime's ring follows the rotation
    rotated = rotate_key(runtime.settings.signing_key_file, name=runtime.keyring.name)
    assert rotated.key_id != before.key_id
    assert runtime.keyring.key_id == rotated.key_id
    assert open_checkpoint(old.note, rotated.verifiers()).size == 2
    with runtime.session_factory.begin() as s:
        store.append(s, LOG, entry_for(2))
        new = store.issue_checkpoint(s, LOG, rotated, "fundvote.test", AT)
    assert open_checkpoint(new.note, [rotated.verifier]).size == 3


# -- concurrency ------------------------------------------------------------------------------


def run_parallel_appends(rt: Runtime, threads: int, per_thread: int) -> list[int]:
    indices: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            start.wait()
            for k in range(per_thread):
                with rt.session_factory.begin() as s:
                    appended = store.append(s, "PAR", entry_for(t * 1000 + k, "PAR"))
                with lock:
                    indices.append(appended.index)
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    return indices


def check_parallel_log(rt: Runtime, indices: list[int], n: int) -> None:
    assert sorted(indices) == list(range(n))
    with rt.session_factory() as s:
        assert store.tree_size(s, "PAR") == n
        bodies = [e.body_bytes for e in store.entries(s, "PAR")]
        assert len(bodies) == n
        mirror = MemoryTree()
        for body in bodies:
            mirror.append(body)
        assert store.root(s, "PAR") == mirror.root()
        mid = n // 2 + 3
        proof = store.consistency_proof(s, "PAR", mid, n)
        assert verify_consistency(mid, n, store.root(s, "PAR", mid), mirror.root(), proof)
        assert store.root(s, "PAR", mid) == mirror.root(mid)


def test_parallel_appends_keep_one_history(runtime: Runtime) -> None:
    """Runs on either backend; SQLite serializes with BEGIN IMMEDIATE."""
    check_parallel_log(runtime, run_parallel_appends(runtime, 4, 10), 40)


@requires_postgres
@pytest.mark.postgres
def test_postgres_parallel_appends_never_fork_the_log(runtime: Runtime) -> None:
    assert runtime.engine.dialect.name == "postgresql"
    check_parallel_log(runtime, run_parallel_appends(runtime, 8, 25), 200)
