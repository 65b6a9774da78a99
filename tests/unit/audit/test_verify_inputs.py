"""The verifier's inputs: bounded zip reading, exit codes, --key forms, --previous as a
checkpoint, receipts, the consistency proof file, the frontier, and agreement with checks
written from the specifications alone."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import warnings
import zipfile
from pathlib import Path

import pytest

from audit.verify import ZipLimits, verify_bundle
from audit.verify.cli import main
from audit.verify.frontier import Frontier
from estate.quantities import format_hundredths
from notary.canonical import canonical_bytes
from notary.checkpoint import Checkpoint, parse_checkpoint, sign_checkpoint
from notary.merkle import MemoryTree, root_of
from tests.unit.audit.independent import note_verifies, pymerkle_root
from tests.unit.audit.kit import (
    AREAS,
    ATTACKER,
    ORIGIN,
    REF,
    RING,
    lines_of,
    sample_content,
    seal,
    write,
    zip_bytes,
)
from voting.receipts import build_receipt

Files = dict[str, bytes]


@pytest.fixture(scope="module")
def sealed() -> Files:
    return seal(sample_content())


def test_frontier_matches_the_tree() -> None:
    frontier, tree = Frontier(), MemoryTree()
    assert frontier.root() == root_of([])
    for n in range(1, 300):
        body = f"entry {n}".encode()
        frontier.append(body)
        tree.append(body)
        assert frontier.root() == tree.root()
        assert len(frontier._stack) == bin(n).count("1")


def test_independent_checks_agree(sealed: Files) -> None:
    lines = lines_of(sealed)
    cp = parse_checkpoint(note_verifies(sealed["checkpoint.txt"].decode(), RING.verifier.text))
    assert cp.size == len(lines) and cp.root == pymerkle_root(lines)
    text = note_verifies(sealed["manifest.sig"].decode(), RING.verifier.text)
    assert text == f"fundvote manifest v1\n{hashlib.sha256(sealed['manifest.json']).hexdigest()}\n"
    assert note_verifies(sealed["manifest.sig"].decode(), ATTACKER.verifier.text) is None


def test_exit_codes_and_reports(
    sealed: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(sealed, tmp_path / "good.zip")
    assert main([str(good)]) == 0
    out = capsys.readouterr().out
    assert "Clean" in out and "NOT pinned" in out and "4 votes" in out
    key_file = tmp_path / "key.vkey"
    key_file.write_text(RING.verifier.text + "\n")
    assert main([str(good), "--key", str(key_file), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["clean"] and doc["key_pinned"] and doc["community"] == "demo"
    assert doc["verifier"] == "fundvote-verify 1" and doc["findings"] == []
    assert doc["checkpoint"]["size"] == len(lines_of(sealed))
    assert main([str(good), "--key", ATTACKER.verifier.text]) == 1
    assert "[signature]" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.zip")]) == 2
    (tmp_path / "text.zip").write_text("not a zip")
    assert main([str(tmp_path / "text.zip")]) == 2
    assert main([str(good), "--previous", str(tmp_path / "missing.zip")]) == 2
    assert main([str(good), "--key", "garbage"]) == 2


def test_zip_bomb_and_oversized_members_are_findings(sealed: Files, tmp_path: Path) -> None:
    files = seal({**sample_content(), "ballots/bomb.bin": b"\0" * (4 << 20)})
    path = write(files, tmp_path / "bomb.zip")
    report = verify_bundle(path, limits=ZipLimits(ratio_floor=1 << 16, max_ratio=100))
    assert any(f.check == "zip" and f.where == "ballots/bomb.bin" for f in report.findings)
    small = verify_bundle(
        write(sealed, tmp_path / "s.zip"), limits=ZipLimits(max_member_bytes=2000)
    )
    assert any(f.check == "zip" and f.where == "log/entries.jsonl" for f in small.findings)
    few = verify_bundle(write(sealed, tmp_path / "f.zip"), limits=ZipLimits(max_members=3))
    assert "zip" in few.checks()


def test_unlisted_missing_and_duplicate_members(sealed: Files, tmp_path: Path) -> None:
    extra = verify_bundle(write({**sealed, "extra.txt": b"hi"}, tmp_path / "e.zip"))
    assert [f.where for f in extra.findings] == ["extra.txt"]
    files = dict(sealed)
    del files[f"ballots/{REF}/notice.pdf"]
    assert verify_bundle(write(files, tmp_path / "m.zip")).checks() == {"manifest"}
    data = zip_bytes(sealed)
    with (
        zipfile.ZipFile(tmp_path / "d.zip", "w") as z,
        zipfile.ZipFile(io.BytesIO(data)) as src,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it writes
        for info in src.infolist():
            z.writestr(info.filename, src.read(info))
        z.writestr("manifest.json", b"{}")
    assert "zip" in verify_bundle(tmp_path / "d.zip").checks()


def test_corrupt_member_is_a_finding(sealed: Files, tmp_path: Path) -> None:
    data = bytearray(zip_bytes(sealed))
    at = data.find(b"ballots/" + REF.encode() + b"/board.json") + 60
    data[at : at + 20] = b"\xff" * 20
    path = tmp_path / "c.zip"
    path.write_bytes(bytes(data))
    report = verify_bundle(path)
    assert not report.clean


def test_entries_documents_and_envelopes(sealed: Files, tmp_path: Path) -> None:
    content = sample_content()
    lines = lines_of(content)
    entry = json.loads(lines[1])
    lines[1] = json.dumps(entry, indent=1).replace("\n", "").encode()  # not canonical
    entry2 = json.loads(lines[2])
    entry2["salt"] = "XYZ"
    lines[2] = json.dumps(entry2, separators=(",", ":"), sort_keys=True).encode()
    content["log/entries.jsonl"] = b"".join(line + b"\n" for line in lines)
    doc = next(p for p in content if p.startswith("log/documents/"))
    content[doc] = content[doc] + b" "
    report = verify_bundle(write(seal(content), tmp_path / "x.zip"))
    whats = {(f.check, f.where) for f in report.findings}
    assert ("entry", "log/entries.jsonl:2") in whats
    assert ("entry", "log/entries.jsonl:3") in whats
    assert any(c == "document" for c, _ in whats), report.text()


def test_previous_as_a_checkpoint_and_the_proof_file(sealed: Files, tmp_path: Path) -> None:
    lines = lines_of(sealed)
    tree = MemoryTree()
    for line in lines:
        tree.append(line)
    old_cp = Checkpoint(ORIGIN, 6, tree.root(6))
    old_note = tmp_path / "checkpoint.txt"
    old_note.write_text(sign_checkpoint(old_cp, RING))
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    proof = {
        "old": {"size": 6, "root": b64(tree.root(6))},
        "new": {"size": len(lines), "root": b64(tree.root())},
        "proof": [b64(h) for h in tree.consistency_proof(6)],
        "previous_checkpoint": old_note.read_text(),
    }
    content = dict(sealed)
    content["proofs/consistency.json"] = json.dumps(proof).encode()
    path = write(seal(content), tmp_path / "p.zip")
    report = verify_bundle(path, key=RING.verifier.text, previous=old_note)
    assert report.clean, report.text()
    proof["proof"] = proof["proof"][::-1]
    content["proofs/consistency.json"] = json.dumps(proof).encode()
    bad = verify_bundle(write(seal(content), tmp_path / "q.zip"), previous=old_note)
    assert bad.checks() == {"consistency"}, bad.text()


def _receipt(sealed: Files, at: int, **change: object) -> dict:
    line = lines_of(sealed)[at]
    data = json.loads(line)["data"]
    fields = {
        "community": "demo",
        "ballot": REF,
        "choices": {int(k): v for k, v in data["choices"].items()},
        "tracker": data["tracker"],
        "area": format_hundredths(AREAS["A-101"]),
        "cast_at": json.loads(line)["at"],
        "channel": "online",
        "origin": ORIGIN,
        "index": at,
        "leaf_hash_hex": hashlib.sha256(b"\0" + line).hexdigest(),
        "keyring": RING,
    }
    fields.update(change)
    return dict(build_receipt(**fields).data)  # type: ignore[arg-type]


def test_receipts(sealed: Files, tmp_path: Path) -> None:
    bundle = write(sealed, tmp_path / "b.zip")
    index = next(i for i, line in enumerate(lines_of(sealed)) if b"ballot_cast" in line)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_receipt(sealed, index)))
    assert verify_bundle(bundle, key=RING.verifier.text, receipt=good).clean
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(_receipt(sealed, index, keyring=ATTACKER)))
    assert verify_bundle(bundle, receipt=forged).checks() == {"receipt"}
    other = tmp_path / "other.json"
    other.write_text(json.dumps(_receipt(sealed, index, choices={1: "oppose", 2: "agree"})))
    report = verify_bundle(bundle, receipt=other)
    assert report.checks() == {"receipt"}
    assert any("not this receipt's vote" in f.what for f in report.findings)
    beyond = tmp_path / "beyond.json"
    beyond.write_text(json.dumps(_receipt(sealed, index, index=999)))
    assert any(
        "not in the checkpoint" in f.what for f in verify_bundle(bundle, receipt=beyond).findings
    )
    junk = tmp_path / "junk.json"
    junk.write_text("[]")
    assert verify_bundle(bundle, receipt=junk).checks() == {"receipt"}


def test_hostile_content_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    content = sample_content()
    lines = lines_of(content)
    at = next(i for i, line in enumerate(lines) if b"ballot_opened" in line)
    entry = json.loads(lines[at])
    entry["data"]["content"] = ["not", "an", "object"]
    entry["data"]["roll"] = 7
    lines[at] = canonical_bytes(entry)
    content["log/entries.jsonl"] = b"".join(line + b"\n" for line in lines)
    content[f"ballots/{REF}/board.json"] = b"[" * 100_000
    report = verify_bundle(write(seal(content), tmp_path / "h.zip"))
    assert not report.clean and report.findings
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    assert verify_bundle(
        write(seal(sample_content()), tmp_path / "d.zip"), receipt=deep
    ).checks() == {"receipt"}


def test_the_documents_index(tmp_path: Path) -> None:
    content = sample_content()
    scan = hashlib.sha256(b"scan").hexdigest()
    lines = lines_of(content)
    at = next(i for i, line in enumerate(lines) if b"paper_entered" in line)
    entry = json.loads(lines[at])
    entry["data"]["scan_sha256"] = scan
    lines[at] = canonical_bytes(entry)
    content["log/entries.jsonl"] = b"".join(line + b"\n" for line in lines)
    head = "kind,ref,file,sha256,log_index\r\n"
    content["documents/index.csv"] = f"{head}scan,{REF},,{scan},{at}\r\n".encode()
    assert verify_bundle(write(seal(content), tmp_path / "a.zip")).clean
    content["documents/index.csv"] = f"{head}scan,{REF},,{scan},{at + 1}\r\n".encode()
    report = verify_bundle(write(seal(content), tmp_path / "b.zip"))
    assert report.checks() == {"document"}, report.text()
    content["documents/index.csv"] = b"kind,ref\r\nx,y\r\n"
    assert verify_bundle(write(seal(content), tmp_path / "c.zip")).checks() == {"document"}


def test_a_ballot_opened_in_the_period_must_be_presented(tmp_path: Path) -> None:
    content = sample_content()  # opened 2026-03-01 08:02 UTC, 16:02 in Shanghai
    content["ballots/index.json"] = canonical_bytes({"ballots": []})
    for name in [p for p in content if p.startswith(f"ballots/{REF}/")]:
        del content[name]
    report = verify_bundle(write(seal(content), tmp_path / "a.zip"))
    assert report.checks() == {"ballot"}, report.text()
    assert "not presented" in report.findings[0].what
