"""Log documents in the database: bulk payloads stored by hash and read back into entries."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select, update

from fundvote.runtime import Runtime
from notary import store
from notary.documents import DocumentMismatch, document_bytes
from notary.envelope import PersonalDataInEntry

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
