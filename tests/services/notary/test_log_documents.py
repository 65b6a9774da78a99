"""Log documents in the database: bulk payloads stored by hash and read back into entries."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import delete, func, select, update

from fundvote.runtime import Runtime
from notary import store
from notary.documents import (
    BULK_INLINE_LIMIT,
    MAX_ENTRY_BYTES,
    DocumentMismatch,
    document_bytes,
    is_document_ref,
)
from notary.envelope import PersonalDataInEntry
from notary.logcheck import check_log
from notary.work import UnitOfWork

LOG = "JB01"


def test_put_document_returns_its_reference_and_is_idempotent(runtime: Runtime) -> None:
    units = [{"unit": f"1-{i}", "area_cm2": 8_000 + i} for i in range(100)]
    sha, body = document_bytes(units)
    with runtime.session_factory.begin() as s:
        assert store.put_document(s, LOG, units) == {"$doc": sha}
        assert store.put_document(s, LOG, list(units)) == {"$doc": sha}
    with runtime.session_factory.begin() as s:
        assert store.put_document(s, LOG, units) == {"$doc": sha}
        assert store.put_document(s, "JB02", units) == {"$doc": sha}
    with runtime.session_factory() as s:
        rows = s.execute(
            select(func.count()).select_from(store.LogDocument).where(store.LogDocument.log == LOG)
        ).scalar_one()
        assert rows == 1
        assert store.document_bytes(s, LOG, sha) == body
        assert hashlib.sha256(store.document_bytes(s, "JB02", sha)).hexdigest() == sha


def test_missing_document_is_a_named_error(runtime: Runtime) -> None:
    with runtime.session_factory() as s, pytest.raises(store.DocumentNotFound):
        store.document_bytes(s, LOG, "0" * 64)


def test_documents_of_fetches_many_in_batches(runtime: Runtime) -> None:
    values = [{"n": i} for i in range(1_203)]
    with runtime.session_factory.begin() as s:
        refs = [store.put_document(s, LOG, v) for v in values]
    shas = [r["$doc"] for r in refs]
    with runtime.session_factory() as s:
        found = store.documents_of(s, LOG, [*shas, "f" * 64])
        other = store.documents_of(s, "JB02", shas)
    assert set(found) == set(shas)
    assert found[shas[7]] == b'{"n":7}'
    assert other == {}


def test_put_document_refuses_personal_data(runtime: Runtime) -> None:
    with runtime.session_factory.begin() as s, pytest.raises(PersonalDataInEntry):
        store.put_document(s, LOG, [{"unit": "1-1", "owner_name": "x"}])


def test_resolved_inlines_references_and_refuses_missing_or_altered(runtime: Runtime) -> None:
    members = [{"member": f"m{i}"} for i in range(40)]
    with runtime.session_factory.begin() as s:
        ref = store.put_document(s, LOG, members)
        store.append(s, LOG, {"type": "t", "data": {"members": ref, "ballot": 3}})
        store.append(s, LOG, {"type": "t", "data": {"members": {"$doc": "a" * 64}}})
    with runtime.session_factory() as s:
        first, second = list(store.entries(s, LOG))
        assert store.resolved(s, LOG, first) == {
            "type": "t",
            "data": {"members": members, "ballot": 3},
        }
        assert store.resolved(s, LOG, {"data": {"n": 1}}) == {"data": {"n": 1}}
        with pytest.raises(store.LogCorrupt):
            store.resolved(s, LOG, second)
    with runtime.session_factory.begin() as s:
        s.execute(update(store.LogDocument).values(body='[{"member":"m0"}]'))
    with runtime.session_factory() as s, pytest.raises(DocumentMismatch):
        store.resolved(s, LOG, store.entry(s, LOG, 0))


def _units(n: int) -> list[dict[str, object]]:
    return [{"unit": f"{i // 100}-{i % 100}", "area_cm2": 8_000_000 + i} for i in range(n)]


def test_a_small_entry_keeps_its_bulk_fields_inline(runtime: Runtime) -> None:
    def step(uow: UnitOfWork) -> store.Appended:
        return uow.log(LOG, "test.bulk", {"units": _units(3), "n": 3}, bulk=("units",))

    appended = runtime.run(step)
    entry = json.loads(appended.body_bytes)
    assert entry["data"] == {"units": _units(3), "n": 3}
    assert entry["v"] == 2 and len(entry["salt"]) == 32


def test_a_large_entry_moves_its_bulk_fields_into_documents(runtime: Runtime) -> None:
    units = _units(5_000)

    def step(uow: UnitOfWork) -> store.Appended:
        return uow.log(
            LOG, "test.bulk", {"units": units, "by": {"n": 1}, "n": 5_000}, bulk=("units", "gone")
        )

    appended = runtime.run(step)
    assert len(appended.body_bytes) <= BULK_INLINE_LIMIT
    raw = json.loads(appended.body_bytes)
    assert raw["data"]["by"] == {"n": 1} and raw["data"]["n"] == 5_000
    assert is_document_ref(raw["data"]["units"])
    with runtime.session_factory() as s:
        stored = store.entry(s, LOG, appended.index)
        assert stored.raw == raw
        assert stored.data["data"]["units"] == units
        assert store.resolved(s, LOG, stored) == stored.data
        assert [e.data for e in store.entries(s, LOG)] == [stored.data]


def test_an_entry_too_large_even_so_is_refused_and_nothing_is_kept(runtime: Runtime) -> None:
    def step(uow: UnitOfWork) -> store.Appended:
        return uow.log(LOG, "test.bulk", {"units": _units(5_000)})

    with pytest.raises(store.EntryTooLarge):
        runtime.run(step)
    with runtime.session_factory.begin() as s:
        assert store.tree_size(s, LOG) == 0
        with pytest.raises(store.EntryTooLarge):
            store.append(s, LOG, {"pad": "x" * MAX_ENTRY_BYTES})
        assert store.append(s, LOG, {"pad": "x" * (MAX_ENTRY_BYTES - 10)}).index == 0


def test_the_log_check_names_a_missing_or_altered_document(runtime: Runtime) -> None:
    units = _units(5_000)

    def step(uow: UnitOfWork) -> None:
        uow.log(LOG, "test.bulk", {"units": units}, bulk=("units",))
        uow.log(LOG, "test.small", {"n": 1})

    runtime.run(step)
    seen: list[int] = []

    def check() -> list[str]:
        seen.clear()
        with runtime.session_factory() as s:
            diffs = check_log(
                s, LOG, runtime.keyring, "o", observe=lambda e: seen.append(len(str(e.data)))
            )
        return [d.text for d in diffs]

    sha, _ = document_bytes(units)
    assert check() == [] and len(seen) == 2 and seen[0] > len(str(units))
    with runtime.session_factory.begin() as s:
        s.execute(update(store.LogDocument).values(body='[{"unit":"1-1"}]'))
    assert check() == [
        f"{LOG}: log_document sha256={sha}: body: not the canonical JSON of its hash"
    ]
    assert len(seen) == 1  # the entry with the altered document is not interpreted
    with runtime.session_factory.begin() as s:
        s.execute(delete(store.LogDocument))
    assert check() == [f"{LOG}: log_document sha256={sha}: row: missing (referenced by idx=0)"]
