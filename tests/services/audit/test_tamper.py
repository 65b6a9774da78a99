"""The demo's real bundle, tampered with in many ways: each change is caught by its own
check. Twice for every content change: left unsealed (the manifest catches it) and re-sealed
by a tamperer holding a key the verifier is told to trust (checkpoint and manifest
recomputed), where the content check itself must catch it. The untouched bundle is clean."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.verify import Report, verify_bundle
from fundvote.cli import main
from fundvote.runtime import Runtime
from ledger.api import statement_json, unit_statement
from notary.canonical import canonical_bytes
from notary.checkpoint import Checkpoint, sign_checkpoint
from notary.keys import KeyRing
from notary.merkle import root_of
from tests.services.audit.conftest import DemoBundleBuild
from tests.services.audit.reseal import (
    Files,
    checkpoint_of,
    log_lines,
    reseal,
    rezip,
    unzip,
    with_lines,
)
from tests.unit.audit.offline import run_pyz


@dataclass(frozen=True)
class DemoBundle:
    """The demo's bundle (zip bytes), the key that signed it and its verifier key line."""

    data: bytes
    ring: KeyRing
    key: str
    statement: dict[str, Any]
    """A unit's statement as its owner downloads it (for ``--statement``)."""


@pytest.fixture(scope="module")
def demo_bundle(demo_runtime: Runtime, demo_bundle_build: DemoBundleBuild) -> DemoBundle:
    rt = demo_runtime
    ring = rt.keyring.current()
    statement = rt.query(unit_statement, "demo", "01-0103", date(2026, 1, 1), date(2026, 11, 1))
    return DemoBundle(demo_bundle_build.data, ring, ring.verifier.text, statement_json(statement))


ATTACKER = KeyRing("fundvote.test", Ed25519PrivateKey.from_private_bytes(b"\x09" * 32))


def _json(files: Files, path: str) -> Any:
    return json.loads(files[path])


def _put(files: Files, path: str, value: Any) -> Files:
    return {**files, path: canonical_bytes(value)}


def _decided(files: Files) -> str:
    """The first ballot with a recorded decision."""
    index = _json(files, "ballots/index.json")["ballots"]
    return next(
        b["ballot"] for b in index if _json(files, f"ballots/{b['ballot']}/tally.json")["questions"]
    )


def _board(files: Files) -> tuple[str, dict[str, Any]]:
    path = f"ballots/{_decided(files)}/board.json"
    return path, _json(files, path)


def flip_choice(files: Files) -> Files:
    path, board = _board(files)
    vote = board["ballots"][0]["choices"]
    vote["1"] = "oppose" if vote["1"] != "oppose" else "agree"
    return _put(files, path, board)


def drop_vote(files: Files) -> Files:
    path, board = _board(files)
    board["ballots"].pop(3)
    return _put(files, path, board)


def add_vote(files: Files) -> Files:
    path, board = _board(files)
    ref = board["ballot"]
    voted = {v["member"] for v in board["ballots"]}
    roll = _json(files, f"ballots/{ref}/roll.json")
    absent = next(m["key"] for m in roll["members"] if m["key"] not in voted)
    last = board["ballots"][-1]
    board["ballots"].append({**last, "member": absent, "log_index": last["log_index"] + 1})
    return _put(files, path, board)


def roll_csv_area(files: Files) -> Files:
    path = f"ballots/{_decided(files)}/roll.csv"
    lines = files[path].decode().split("\r\n")
    unit, building, area, *rest = lines[1].split(",")
    whole, hundredths = area.split(".")
    lines[1] = ",".join([unit, building, f"{int(whole) + 1}.{hundredths}", *rest])
    return {**files, path: "\r\n".join(lines).encode()}


def roll_area(files: Files) -> Files:
    path = f"ballots/{_decided(files)}/roll.json"
    roll = _json(files, path)
    member = roll["members"][0]
    member["area_centi"] += 100
    member["units"][0]["area_centi"] += 100
    roll["area_centi"] += 100
    return _put(files, path, roll)


def posting_in_file(files: Files) -> Files:
    lines = files["ledger/entries.jsonl"].splitlines()
    entry = json.loads(lines[0])
    entry["postings"] = [[code, fen * 2] for code, fen in entry["postings"]]
    lines[0] = canonical_bytes(entry)
    return {**files, "ledger/entries.jsonl": b"".join(line + b"\n" for line in lines)}


def _posting_line(lines: list[bytes]) -> int:
    return next(i for i, line in enumerate(lines) if b'"ledger.entry_posted"' in line)


def posting_in_log(files: Files) -> Files:
    lines = log_lines(files)
    at = _posting_line(lines)
    entry = json.loads(lines[at])
    entry["data"]["postings"] = [[c, f * 2] for c, f in entry["data"]["postings"]]
    lines[at] = canonical_bytes(entry)
    return with_lines(files, lines)


def drop_entry(files: Files) -> Files:
    lines = log_lines(files)
    at = _json(files, "ballots/index.json")["ballots"][0]["opened_index"] + 3
    return with_lines(files, lines[:at] + lines[at + 1 :])


def reorder(files: Files) -> Files:
    lines = log_lines(files)
    at = _json(files, "ballots/index.json")["ballots"][0]["opened_index"] + 3
    lines[at], lines[at + 1] = lines[at + 1], lines[at]
    return with_lines(files, lines)


def undo_decision(files: Files) -> Files:
    """The decision that authorised a draw, logged as not passed."""
    lines = log_lines(files)
    at = _json(files, f"ballots/{_decided(files)}/tally.json")["questions"][0]["log_index"]
    entry = json.loads(lines[at])
    entry["data"]["plain"]["passed"] = False
    entry["data"]["plain"]["approved"] = False
    lines[at] = canonical_bytes(entry)
    return with_lines(files, lines)


def index_hash(files: Files) -> Files:
    rows = files["documents/index.csv"].split(b"\r\n")
    kind, ref, name, sha, index = rows[1].split(b",")
    rows[1] = b",".join([kind, ref, name, sha[::-1], index])
    return {**files, "documents/index.csv": b"\r\n".join(rows)}


CONTENT: list[tuple[str, Callable[[Files], Files], set[str]]] = [
    ("flip a ballot's choice", flip_choice, {"board", "tally"}),
    ("drop a ballot", drop_vote, {"board", "tally"}),
    ("add a ballot", add_vote, {"board", "tally"}),
    ("change a roll area", roll_area, {"roll"}),
    ("change a unit's area in roll.csv", roll_csv_area, {"roll"}),
    ("change a posting amount in the books", posting_in_file, {"journal"}),
    ("change a posting amount in the log", posting_in_log, {"journal", "trial-balance"}),
    ("drop an entry", drop_entry, {"log-order"}),
    ("reorder log lines", reorder, {"log-order"}),
    ("record a decision as not passed", undo_decision, {"tally", "coverage"}),
    ("change a file's hash in the documents index", index_hash, {"document"}),
]
IDS = [c[0] for c in CONTENT]


@pytest.fixture(scope="module")
def files(demo_bundle: DemoBundle) -> Files:
    return unzip(demo_bundle.data)


def _verify(tmp: Path, files: Files, name: str = "b.zip", **kw: Any) -> Report:
    path = tmp / name
    path.write_bytes(rezip(files))
    return verify_bundle(path, **kw)


def test_the_untouched_bundle_is_clean(
    demo_bundle: DemoBundle, files: Files, tmp_path: Path
) -> None:
    report = _verify(tmp_path, files, key=demo_bundle.key)
    assert report.findings == [], report.text()


@pytest.mark.parametrize(("name", "tamper", "checks"), CONTENT, ids=IDS)
def test_content_tamper_unsealed(
    demo_bundle: DemoBundle,
    files: Files,
    tmp_path: Path,
    name: str,
    tamper: Callable[[Files], Files],
    checks: set[str],
) -> None:
    report = _verify(tmp_path, tamper(files), key=demo_bundle.key)
    assert "manifest" in report.checks() or "root" in report.checks(), report.text()


@pytest.mark.parametrize(("name", "tamper", "checks"), CONTENT, ids=IDS)
def test_content_tamper_resealed(
    files: Files, tmp_path: Path, name: str, tamper: Callable[[Files], Files], checks: set[str]
) -> None:
    report = _verify(tmp_path, reseal(tamper(files), ATTACKER), key=ATTACKER.verifier.text)
    found = report.checks()
    assert checks <= found, report.text()
    assert not found & {"manifest", "signature", "root", "zip"}, report.text()


def test_another_key_swapped_in(demo_bundle: DemoBundle, files: Files, tmp_path: Path) -> None:
    swapped = reseal(files, ATTACKER, keys=True)
    unpinned = _verify(tmp_path, swapped)
    assert unpinned.clean and not unpinned.key_pinned  # only self-consistent: said so
    assert "NOT pinned" in unpinned.text()
    assert _verify(tmp_path, swapped, key=demo_bundle.key).checks() == {"signature"}
    (tmp_path / "real.zip").write_bytes(demo_bundle.data)
    report = _verify(tmp_path, swapped, previous=tmp_path / "real.zip")
    assert "signature" in report.checks(), report.text()


def _older(demo_bundle: DemoBundle, files: Files, size: int) -> Files:
    """A genuine earlier bundle: the log's first ``size`` entries, signed by the instance."""
    lines = log_lines(files)[:size]
    older = reseal(with_lines(files, lines), demo_bundle.ring)
    assert checkpoint_of(older).size == size
    return older


def test_an_older_checkpoint_replayed_as_new(
    demo_bundle: DemoBundle, files: Files, tmp_path: Path
) -> None:
    (tmp_path / "current.zip").write_bytes(demo_bundle.data)
    older = _older(demo_bundle, files, 1000)
    report = _verify(tmp_path, older, key=demo_bundle.key, previous=tmp_path / "current.zip")
    assert any(f.check == "checkpoint" and "replayed" in f.what for f in report.findings), (
        report.text()
    )


def test_history_rewritten_between_bundles(
    demo_bundle: DemoBundle, files: Files, tmp_path: Path
) -> None:
    lines = log_lines(files)
    cp = checkpoint_of(files)
    earlier = Checkpoint(cp.origin, 1000, root_of(lines[:1000]))
    previous = tmp_path / "checkpoint.txt"
    previous.write_text(sign_checkpoint(earlier, demo_bundle.ring))
    assert _verify(tmp_path, files, key=demo_bundle.key, previous=previous).clean
    rewritten = reseal(posting_in_log(files), demo_bundle.ring)  # the operator's own key
    report = _verify(tmp_path, rewritten, key=demo_bundle.key, previous=previous)
    assert "consistency" in report.checks(), report.text()
    assert any("rewritten" in f.what for f in report.findings)


def test_an_altered_pdf(demo_bundle: DemoBundle, files: Files, tmp_path: Path) -> None:
    pdf = next(p for p in sorted(files) if p.endswith("notice.pdf"))
    changed = {**files, pdf: files[pdf].replace(b"%%EOF", b"%%EOF\n% changed", 1)}
    report = _verify(tmp_path, changed, key=demo_bundle.key)
    assert report.checks() == {"manifest"} and report.findings[0].where == pdf, report.text()
    resealed = _verify(tmp_path, reseal(changed, ATTACKER), key=demo_bundle.key)
    assert resealed.checks() == {"signature"}, resealed.text()


def test_an_altered_manifest(demo_bundle: DemoBundle, files: Files, tmp_path: Path) -> None:
    manifest = _json(files, "manifest.json")
    manifest["files"] = [
        f for f in manifest["files"] if not f["path"].startswith("ledger/reports/")
    ]
    report = _verify(tmp_path, _put(files, "manifest.json", manifest), key=demo_bundle.key)
    assert report.checks() == {"signature", "manifest"}, report.text()
    assert any(f.where.startswith("ledger/reports/") for f in report.findings)


def test_fundvote_verify_prints_a_clean_report(demo_bundle: DemoBundle, tmp_path: Path) -> None:
    path = tmp_path / "demo.zip"
    path.write_bytes(demo_bundle.data)
    result = CliRunner().invoke(main, ["verify", str(path), "--key", demo_bundle.key])
    assert result.exit_code == 0, result.output
    assert "Clean: no finding." in result.output
    assert "the books: " in result.output and "journal entries" in result.output
    unpinned = CliRunner().invoke(main, ["verify", str(path), "--json"])
    assert unpinned.exit_code == 0, unpinned.output
    doc = json.loads(unpinned.output)
    assert doc["clean"] and doc["key_pinned"] is False and doc["community"] == "demo"
    assert doc["counts"]["ballots"] == 3 and doc["counts"]["journal_entries"] > 1000


def test_the_pyz_verifies_the_demo_bundle(demo_bundle: DemoBundle, tmp_path: Path) -> None:
    path = tmp_path / "demo.zip"
    path.write_bytes(demo_bundle.data)
    result = run_pyz(tmp_path, str(path), "--key", demo_bundle.key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Clean: no finding." in result.stdout


def test_fundvote_verify_checks_an_owner_statement(demo_bundle: DemoBundle, tmp_path: Path) -> None:
    path = tmp_path / "demo.zip"
    path.write_bytes(demo_bundle.data)
    good = tmp_path / "statement.json"
    good.write_text(json.dumps(demo_bundle.statement))
    result = CliRunner().invoke(main, ["verify", str(path), "--statement", str(good)])
    assert result.exit_code == 0, result.output
    changed = json.loads(good.read_text())
    changed["lines"][0]["amount_fen"] += 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(changed))
    result = CliRunner().invoke(main, ["verify", str(path), "--statement", str(bad), "--json"])
    assert result.exit_code == 1, result.output
    assert {f["check"] for f in json.loads(result.output)["findings"]} == {"statement"}
    missing = CliRunner().invoke(main, ["verify", str(path), "--statement", str(tmp_path / "no")])
    assert missing.exit_code == 2
