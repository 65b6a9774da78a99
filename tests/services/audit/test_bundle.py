"""The audit bundle (docs/audit-bundle.md): its layout and manifest, the signature, the log up
to the latest stored checkpoint, the ballots and books it presents, the consistency proof
from an earlier bundle, reproducibility, and that building it writes nothing."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from audit.bundle import NOT_IN_MANIFEST, Period, build_bundle
from audit.errors import (
    CheckpointSignerRetired,
    NoCheckpoint,
    PreviousBundleRejected,
    PreviousBundleUnreadable,
)
from fundvote.books import create_community_with_books
from fundvote.runtime import Runtime
from notary import store
from notary.canonical import canonical_bytes
from notary.checkpoint import open_checkpoint, parse_checkpoint
from notary.keys import KeyRing, rotate_key
from notary.merkle import root_of, verify_consistency
from notary.note import open_note
from tests.services.audit.conftest import (
    CODE,
    Build,
    Scenario,
    checkpoint,
    deposit,
    members,
)
from tests.services.voting.ballot_helpers import log


def _log_state(rt: Runtime, code: str = CODE) -> tuple[int, int]:
    with rt.session_factory() as s:
        count = s.scalar(
            select(func.count())
            .select_from(store.LogCheckpoint)
            .where(store.LogCheckpoint.log == code)
        )
        return store.tree_size(s, code), int(count or 0)


def test_layout_manifest_and_signature(runtime: Runtime, scenario: Scenario, build: Build) -> None:
    data, summary = build()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert all(i.compress_type == zipfile.ZIP_DEFLATED and i.extra == b"" for i in infos)
    files = members(data)
    ref = scenario.ballot_ref
    for path in (
        "checkpoint.txt",
        "log/entries.jsonl",
        "ballots/index.json",
        f"ballots/{ref}/ballot.json",
        f"ballots/{ref}/roll.json",
        f"ballots/{ref}/roll.csv",
        f"ballots/{ref}/board.json",
        f"ballots/{ref}/tally.json",
        f"ballots/{ref}/notice.pdf",
        "ledger/accounts.csv",
        "ledger/entries.jsonl",
        "ledger/trial_balance.csv",
        "ledger/books.beancount",
        "documents/index.csv",
        "cover.pdf",
        "manifest.json",
        "manifest.sig",
    ):
        assert path in files, path
    assert files["cover.pdf"].startswith(b"%PDF-")
    assert files[f"ballots/{ref}/notice.pdf"].startswith(b"%PDF-")

    manifest = json.loads(files["manifest.json"])
    assert canonical_bytes(manifest) == files["manifest.json"]
    assert manifest["version"] == 1 and manifest["community"] == CODE
    assert manifest["period"] == {"from": None, "to": None}
    listed = {f["path"]: f for f in manifest["files"]}
    assert [f["path"] for f in manifest["files"]] == sorted(listed)
    assert set(listed) == set(files) - set(NOT_IN_MANIFEST)
    for path, entry in listed.items():
        assert entry["size"] == len(files[path])
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()

    fingerprint = hashlib.sha256(files["manifest.json"]).hexdigest()
    assert summary.manifest_sha256 == fingerprint
    keys = runtime.keyring.verifiers()
    opened = open_note(files["manifest.sig"].decode(), keys)
    assert opened.text == f"fundvote manifest v1\n{fingerprint}\n"
    signed_checkpoint = open_note(files["checkpoint.txt"].decode(), keys)
    assert opened.signed_by == signed_checkpoint.signed_by
    vkeys = {p: files[p].decode() for p in files if p.startswith("keys/")}
    assert vkeys == {f"keys/{k.key_id_hex}.vkey": k.text + "\n" for k in keys}


def test_the_bundle_ends_at_the_latest_stored_checkpoint(
    runtime: Runtime, scenario: Scenario, build: Build
) -> None:
    with runtime.session_factory() as s:
        latest = store.latest_checkpoint(s, CODE)
    assert latest is not None
    deposit(runtime, "1-101", 5_000, date(2026, 11, 21))  # logged after the checkpoint
    size, _ = _log_state(runtime)
    assert size == latest.size + 1

    files = members(build()[0])
    assert files["checkpoint.txt"].decode() == latest.note
    lines = files["log/entries.jsonl"].split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == latest.size
    assert root_of(lines[:-1]) == latest.root
    with runtime.session_factory() as s:
        stored = [e.body_bytes for e in store.entries(s, CODE, 0, latest.size)]
    assert lines[:-1] == stored
    manifest = json.loads(files["manifest.json"])
    assert manifest["checkpoint"] == {
        "origin": latest.origin,
        "size": latest.size,
        "root": base64.b64encode(latest.root).decode(),
    }
    # The deposit after the checkpoint is not presented either.
    ledger_lines = [json.loads(x) for x in files["ledger/entries.jsonl"].splitlines()]
    assert all(line["log_index"] < latest.size for line in ledger_lines)
    assert len(ledger_lines) == 3


def test_ballot_files_come_from_the_log(runtime: Runtime, scenario: Scenario, build: Build) -> None:
    files = members(build()[0])
    ref = scenario.ballot_ref
    entries = log(runtime, CODE)
    with runtime.session_factory() as s:
        indexed = [
            (e.index, e.data)
            for e in store.entries(s, CODE)
            if e.data["type"].startswith("voting.") and e.data["data"].get("ballot") == ref
        ]
    opened = next((i, e) for i, e in indexed if e["type"] == "voting.ballot_opened")
    assert json.loads(files["ballots/index.json"]) == {
        "ballots": [{"ballot": ref, "opened_index": opened[0], "status": "published"}]
    }
    roll = files[f"ballots/{ref}/roll.json"]
    assert hashlib.sha256(roll).hexdigest() == opened[1]["data"]["roll"]["commitment"]
    roll_csv = files[f"ballots/{ref}/roll.csv"].decode().splitlines()
    assert roll_csv[0] == "unit,building,area,owners,developer"
    member_keys = {m["key"] for m in json.loads(roll)["members"]}
    assert {line.split(",")[3] for line in roll_csv[1:]} == member_keys

    ballot = json.loads(files[f"ballots/{ref}/ballot.json"])
    assert ballot["status"] == "published" and ballot["title"] == "电梯更新"
    assert [e["type"] for e in ballot["events"]] == [
        "voting.ballot_created",
        "voting.ballot_opened",
        "voting.ballot_closed",
        "voting.decision_recorded",
        "voting.ballot_published",
    ]
    casts = [(i, e["data"]) for i, e in indexed if e["type"] == "voting.ballot_cast"]
    board = json.loads(files[f"ballots/{ref}/board.json"])
    assert board == {
        "ballot": ref,
        "ballots": [
            {
                "member": d["member"],
                "choices": d["choices"],
                "channel": d["channel"],
                "log_index": i,
            }
            for i, d in casts
        ],
    }
    assert {b["channel"] for b in board["ballots"]} == {"online", "paper"}
    decisions = [(i, e["data"]) for i, e in indexed if e["type"] == "voting.decision_recorded"]
    tally = json.loads(files[f"ballots/{ref}/tally.json"])
    assert tally == {
        "ballot": ref,
        "questions": [{"question": d["question"], "log_index": i, "data": d} for i, d in decisions],
    }
    assert len(entries) >= len(indexed)


def test_books_and_trial_balance(runtime: Runtime, scenario: Scenario, build: Build) -> None:
    files = members(build(period=Period(date(2026, 10, 2), date(2026, 10, 31)))[0])
    lines = [json.loads(x) for x in files["ledger/entries.jsonl"].splitlines()]
    assert [line["value_date"] for line in lines] == ["2026-10-02"]
    assert lines[0]["postings"] == [["1001", 805_000], ["2101.1-102", -805_000]]
    assert set(lines[0]) == {
        "entry",
        "log_index",
        "value_date",
        "kind",
        "memo",
        "documents",
        "reverses",
        "postings",
    }
    trial = files["ledger/trial_balance.csv"].decode().splitlines()
    assert trial[0] == "code,debit_fen,credit_fen,balance_fen"
    rows = {r.split(",")[0]: r.split(",")[1:] for r in trial[1:]}
    assert rows["1001"] == ["1805000", "0", "1805000"]  # every entry up to the period's end
    assert rows["2101.1-101"] == ["0", "1000000", "-1000000"]
    assert rows["2101.2-101"] == ["0", "0", "0"]  # deposited after the period
    accounts = files["ledger/accounts.csv"].decode().splitlines()
    assert accounts[0] == "code,type,fund,unit,name_zh,name_en"
    assert {a.split(",")[0] for a in accounts[1:]} == set(rows)
    assert files["ledger/books.beancount"].decode().count("2101") > 0


def test_the_period_selects_ballots_by_their_opening(scenario: Scenario, build: Build) -> None:
    before = members(build(period=Period(None, date(2026, 10, 31)))[0])
    assert json.loads(before["ballots/index.json"]) == {"ballots": []}
    assert not any(p.startswith(f"ballots/{scenario.ballot_ref}/") for p in before)
    assert json.loads(before["manifest.json"])["period"] == {"from": None, "to": "2026-10-31"}
    within = members(build(period=Period(date(2026, 11, 1), date(2026, 11, 30)))[0])
    listed = json.loads(within["ballots/index.json"])["ballots"]
    assert [b["ballot"] for b in listed] == [scenario.ballot_ref]


def test_a_previous_bundle_gets_a_consistency_proof(
    runtime: Runtime, scenario: Scenario, build: Build
) -> None:
    old, _ = build()
    deposit(runtime, "1-101", 7_000, date(2026, 11, 25))
    new_checkpoint = checkpoint(runtime)
    files = members(build(previous=old)[0])
    proof = json.loads(files["proofs/consistency.json"])
    old_note = members(old)["checkpoint.txt"].decode()
    assert proof["previous_checkpoint"] == old_note
    old_cp = open_checkpoint(old_note, runtime.keyring.verifiers())
    assert proof["old"] == {"size": old_cp.size, "root": base64.b64encode(old_cp.root).decode()}
    assert proof["new"]["size"] == new_checkpoint.size
    assert verify_consistency(
        old_cp.size,
        new_checkpoint.size,
        old_cp.root,
        new_checkpoint.root,
        [base64.b64decode(h) for h in proof["proof"]],
    )
    # The earlier bundle's checkpoint.txt alone does as well.
    again = members(build(previous=old_note.encode())[0])
    assert again["proofs/consistency.json"] == files["proofs/consistency.json"]
    assert "proofs/consistency.json" in json.dumps(json.loads(files["manifest.json"]))

    with pytest.raises(PreviousBundleUnreadable):
        build(previous=b"PK\x03\x04 not a zip at all")
    with pytest.raises(PreviousBundleUnreadable):
        build(previous=_zip({"other.txt": b"x"}))
    with pytest.raises(PreviousBundleUnreadable):
        build(previous=_zip({"checkpoint.txt": b"x" * 20_000}))
    stranger = KeyRing("fundvote.test", _new_key())
    forged = _resign(old_note, stranger)
    with pytest.raises(PreviousBundleRejected):
        build(previous=forged.encode())
    # A newer checkpoint than the latest one is refused.
    with pytest.raises(PreviousBundleRejected):
        build(previous=_resign(old_note, runtime.keyring, size=new_checkpoint.size + 5).encode())


def test_building_twice_gives_the_same_bytes_and_writes_nothing(
    runtime: Runtime, scenario: Scenario, build: Build
) -> None:
    before = _log_state(runtime)
    first, summary = build()
    second, _ = build()
    assert first == second
    assert _log_state(runtime) == before
    assert summary.size == before[0]


def test_no_personal_data_in_any_member(
    runtime: Runtime, scenario: Scenario, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    from estate.api import export_roll
    from tests.services.audit.conftest import ID_NUMBER, NAMES, PHONES
    from tests.services.audit.pii import rendered_html

    register = runtime.query(export_roll, CODE).decode()
    assert all(name in register for name in NAMES)  # the register holds them in clear
    with rendered_html(monkeypatch) as html:
        files = members(build()[0])
    assert len(html) == 2  # the notice and the cover, scanned as the HTML they came from
    texts = [(path, body) for path, body in files.items() if not path.endswith(".pdf")]
    texts += [(f"html {n}", page.encode()) for n, page in enumerate(html)]
    for needle in (*NAMES, *PHONES, ID_NUMBER, ID_NUMBER[-4:] + "\n"):
        for path, body in texts:
            assert needle.encode() not in body, (needle, path)


def test_no_checkpoint_and_a_retired_signer_are_refused(
    runtime: Runtime, scenario: Scenario, build: Build, tmp_path: object
) -> None:
    runtime.run(create_community_with_books, code="AU02", name="新小区")
    with pytest.raises(NoCheckpoint):
        build(code="AU02")
    path = runtime.settings.signing_key_file
    rotate_key(path, name=runtime.settings.log_origin)
    with pytest.raises(CheckpointSignerRetired):
        build()
    deposit(runtime, "1-101", 1_000, date(2026, 11, 26))
    checkpoint(runtime)  # signed by the new key: bundles work again
    files = members(build()[0])
    assert len([p for p in files if p.startswith("keys/")]) == 2


def _zip(contents: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in contents.items():
            archive.writestr(name, body)
    return out.getvalue()


def _new_key() -> object:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def _resign(note: str, ring: KeyRing, *, size: int | None = None) -> str:
    from notary.checkpoint import Checkpoint, sign_checkpoint
    from notary.note import split_note

    text, _ = split_note(note)
    cp = parse_checkpoint(text)
    return sign_checkpoint(Checkpoint(cp.origin, size or cp.size, cp.root), ring)


def test_build_bundle_needs_a_community(runtime: Runtime, build: Build) -> None:
    from estate.api import CommunityNotFound

    with pytest.raises(CommunityNotFound):
        build(code="NOPE")
    assert build_bundle.__doc__


def test_every_document_the_log_refers_to_is_in_the_bundle(runtime: Runtime, build: Build) -> None:
    from fundvote.books import import_roll_with_books

    code = "AU03"
    runtime.run(create_community_with_books, code=code, name="大小区")
    rows = "".join(f"{b}-{n:03d},{b},90.00,K{b}{n},\n" for b in (1, 2, 3) for n in range(1, 120))
    runtime.run(
        import_roll_with_books,
        community_code=code,
        data=("unit,building,area,owners,developer\n" + rows).encode(),
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    checkpoint(runtime, code)
    files = members(build(code=code)[0])
    documents = {p: body for p, body in files.items() if p.startswith("log/documents/")}
    assert documents  # the roll import's units were moved to a document
    for path, body in documents.items():
        sha = path.removeprefix("log/documents/").removesuffix(".json")
        assert hashlib.sha256(body).hexdigest() == sha
        assert f'"$doc":"{sha}"'.encode() in files["log/entries.jsonl"]
    listed = {f["path"] for f in json.loads(files["manifest.json"])["files"]}
    assert set(documents) <= listed
