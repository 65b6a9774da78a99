"""Tampering with a contract-built bundle: each change is caught by its own check, both when
the tamperer leaves the seal alone and when they recompute every hash and re-sign with a key
the verifier is told to trust."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from audit.verify import verify_bundle
from notary.checkpoint import Checkpoint
from notary.merkle import root_of
from tests.unit.audit.kit import (
    ATTACKER,
    ORIGIN,
    REF,
    RING,
    _j,
    lines_of,
    member_key,
    sample_content,
    seal,
    write,
)

Files = dict[str, bytes]
BOARD = f"ballots/{REF}/board.json"
ROLL = f"ballots/{REF}/roll.json"


def _edit_json(files: Files, path: str, change: Callable[[dict], None]) -> Files:
    doc = json.loads(files[path])
    change(doc)
    return {**files, path: _j(doc)}


def _set_lines(files: Files, lines: list[bytes]) -> Files:
    return {**files, "log/entries.jsonl": b"".join(line + b"\n" for line in lines)}


def flip_choice(f: Files) -> Files:
    def change(doc: dict) -> None:
        doc["ballots"][0]["choices"]["1"] = "oppose"

    return _edit_json(f, BOARD, change)


def drop_vote(f: Files) -> Files:
    return _edit_json(f, BOARD, lambda d: d["ballots"].pop(0))


def add_vote(f: Files) -> Files:
    extra = {
        "member": member_key("B-102"),
        "choices": {"1": "agree", "2": "agree"},
        "channel": "online",
        "log_index": 99,
    }
    return _edit_json(f, BOARD, lambda d: d["ballots"].append(extra))


def roll_area(f: Files) -> Files:
    def change(doc: dict) -> None:
        doc["members"][0]["area_centi"] += 100
        doc["members"][0]["units"][0]["area_centi"] += 100
        doc["area_centi"] += 100

    return _edit_json(f, ROLL, change)


def drop_entry(f: Files) -> Files:
    lines = lines_of(f)
    return _set_lines(f, lines[:3] + lines[4:])


def reorder(f: Files) -> Files:
    lines = lines_of(f)
    lines[3], lines[4] = lines[4], lines[3]
    return _set_lines(f, lines)


def flip_in_log(f: Files) -> Files:
    lines = [
        line.replace(b'"choices":{"1":"agree"', b'"choices":{"1":"oppose"', 1)
        if b"ballot_cast" in line
        else line
        for line in lines_of(f)
    ]
    return _set_lines(f, lines)


CONTENT_TAMPERS: list[tuple[str, Callable[[Files], Files], set[str]]] = [
    ("flip a ballot's choice", flip_choice, {"board", "tally"}),
    ("drop a ballot", drop_vote, {"board", "tally"}),
    ("add a ballot", add_vote, {"board", "tally"}),
    ("change a roll area", roll_area, {"roll"}),
    ("drop an entry", drop_entry, {"log-order"}),
    ("reorder log lines", reorder, {"log-order"}),
    ("flip a choice in the log", flip_in_log, {"board", "tally"}),
]


@pytest.fixture(scope="module")
def content() -> Files:
    return sample_content()


@pytest.mark.parametrize(
    ("name", "tamper", "checks"), CONTENT_TAMPERS, ids=[t[0] for t in CONTENT_TAMPERS]
)
def test_content_tamper_without_resealing(
    content: Files, tmp_path: Path, name: str, tamper: Callable[[Files], Files], checks: set[str]
) -> None:
    sealed = seal(content)
    changed = tamper(sealed)
    report = verify_bundle(write(changed, tmp_path / "t.zip"), key=RING.verifier.text)
    assert "manifest" in report.checks(), report.text()
    if "log/entries.jsonl" in {p for p in changed if changed[p] != sealed[p]}:
        assert "root" in report.checks(), report.text()


@pytest.mark.parametrize(
    ("name", "tamper", "checks"), CONTENT_TAMPERS, ids=[t[0] for t in CONTENT_TAMPERS]
)
def test_content_tamper_resealed_by_a_trusted_key(
    content: Files, tmp_path: Path, name: str, tamper: Callable[[Files], Files], checks: set[str]
) -> None:
    report = verify_bundle(
        write(seal(tamper(content), ATTACKER), tmp_path / "t.zip"), key=ATTACKER.verifier.text
    )
    assert not report.clean
    assert checks <= report.checks(), report.text()
    assert "manifest" not in report.checks() and "signature" not in report.checks()
    assert "root" not in report.checks()


def test_another_key_swapped_in(content: Files, tmp_path: Path) -> None:
    swapped = write(seal(content, ATTACKER), tmp_path / "swapped.zip")
    assert verify_bundle(swapped).clean  # self-consistent, and the report says unpinned
    assert not verify_bundle(swapped).key_pinned
    pinned = verify_bundle(swapped, key=RING.verifier.text)
    assert pinned.checks() == {"signature"}, pinned.text()
    old = write(seal(content), tmp_path / "old.zip")
    against_old = verify_bundle(swapped, previous=old)
    assert "signature" in against_old.checks(), against_old.text()


def _old_bundle(content: Files, size: int, tmp_path: Path) -> Path:
    lines = lines_of(content)
    cp = Checkpoint(ORIGIN, size, root_of(lines[:size]))
    return write(seal(content, checkpoint=cp), tmp_path / f"old{size}.zip")


def test_previous_bundle_extends(content: Files, tmp_path: Path) -> None:
    new = write(seal(content), tmp_path / "new.zip")
    report = verify_bundle(new, key=RING.verifier.text, previous=_old_bundle(content, 5, tmp_path))
    assert report.clean, report.text()


def test_older_checkpoint_replayed_as_new(content: Files, tmp_path: Path) -> None:
    new = write(seal(content), tmp_path / "new.zip")
    report = verify_bundle(_old_bundle(content, 5, tmp_path), key=RING.verifier.text, previous=new)
    assert "checkpoint" in report.checks(), report.text()
    assert any("replayed" in f.what for f in report.findings)


def test_history_rewritten_between_bundles(content: Files, tmp_path: Path) -> None:
    old = _old_bundle(content, 5, tmp_path)
    lines = lines_of(content)
    lines[1] = lines[1].replace(b'"by":1', b'"by":2')
    rewritten = write(seal(_set_lines(content, lines)), tmp_path / "rewritten.zip")
    report = verify_bundle(rewritten, key=RING.verifier.text, previous=old)
    assert report.checks() == {"consistency"}, report.text()


def test_altered_pdf(content: Files, tmp_path: Path) -> None:
    sealed = seal(content)
    sealed[f"ballots/{REF}/notice.pdf"] += b"%"
    report = verify_bundle(write(sealed, tmp_path / "t.zip"), key=RING.verifier.text)
    assert report.checks() == {"manifest"}, report.text()
    resealed = write(seal(sealed, ATTACKER), tmp_path / "r.zip")
    assert verify_bundle(resealed, key=RING.verifier.text).checks() == {"signature"}


def test_altered_manifest(content: Files, tmp_path: Path) -> None:
    sealed = seal(content)
    doc = json.loads(sealed["manifest.json"])
    doc["files"] = [f for f in doc["files"] if not f["path"].endswith("notice.pdf")]
    sealed["manifest.json"] = _j(doc)
    report = verify_bundle(write(sealed, tmp_path / "t.zip"), key=RING.verifier.text)
    assert report.checks() == {"signature", "manifest"}, report.text()
    assert any(f.where.endswith("notice.pdf") for f in report.findings)
