"""Verifying one audit bundle (docs/audit-bundle.md): the orchestration of every check.

Order: open the zip (bounded), settle the trusted keys, check the checkpoint and the
manifest, read ``--previous``'s checkpoint and the receipt, stream the log once through every
:class:`~audit.findings.StreamCheck`, then compare root, size and consistency and let each
check look at the bundle's other files.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import importlib.util
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from audit.findings import Finding, StreamCheck
from audit.verify.ballots import BallotCheck
from audit.verify.documents_index import DocumentIndexCheck
from audit.verify.log import ENTRIES, read_log
from audit.verify.manifest import Manifest, check_manifest
from audit.verify.receipt import check_receipt, load_receipt
from audit.verify.report import Report
from audit.verify.trust import Trust, bundle_keys, note_signed, pinned_key
from audit.verify.zipread import BundleZip, ZipLimits
from notary.checkpoint import Checkpoint, MalformedCheckpoint, parse_checkpoint
from notary.keys import VerifierKey
from notary.merkle import HASH_SIZE, verify_consistency

CHECKPOINT = "checkpoint.txt"
CONSISTENCY = "proofs/consistency.json"
LEDGER_ENTRIES = "ledger/entries.jsonl"
MAX_NOTE = 64 << 10


def ledger_check(statement: Mapping[str, Any] | None = None) -> StreamCheck | None:
    """The ledger's streaming check (``audit.verify_ledger.LedgerCheck``) when that module is
    installed, given an owner's unit ``statement`` (parsed JSON) when there is one; else
    None."""
    if importlib.util.find_spec("audit.verify_ledger") is None:
        return None
    factory: Any = importlib.import_module("audit.verify_ledger").LedgerCheck
    if statement is not None:
        return cast(StreamCheck, factory(statement=statement))
    return cast(StreamCheck, factory())


def verify_bundle(
    path: str | Path,
    *,
    key: str | VerifierKey | None = None,
    previous: str | Path | None = None,
    receipt: str | Path | None = None,
    checks: Sequence[StreamCheck] | None = None,
    limits: ZipLimits | None = None,
) -> Report:
    """Check the bundle at ``path``; every problem is a finding in the report.

    ``key`` pins the trusted key (a verifier key line, a file holding one, or a key);
    ``previous`` is an older bundle of the same log whose checkpoint this one must extend;
    ``receipt`` a voter's receipt to find in the log. ``checks`` are extra streaming checks
    (default: the ledger's check when installed). Raises ``NotABundle`` when ``path`` or
    ``previous`` is missing or not a zip, ``UnusableKey`` when ``key`` is not a key.
    """
    pinned = None if key is None else key if isinstance(key, VerifierKey) else pinned_key(key)
    if checks is None:
        found = ledger_check()
        checks = [] if found is None else [found]
    with BundleZip(path, limits) as bundle:
        old = None if previous is None else _previous(previous, limits)
        try:
            return _verify(bundle, Path(path).name, pinned, old, receipt, list(checks))
        finally:
            if isinstance(old, BundleZip):
                old.close()


def _previous(path: str | Path, limits: ZipLimits | None) -> BundleZip | bytes:
    """An older bundle, or just its ``checkpoint.txt`` (a small text file, not a zip)."""
    p = Path(path)
    if p.is_file() and not zipfile.is_zipfile(p) and p.stat().st_size <= MAX_NOTE:
        return p.read_bytes()
    return BundleZip(p, limits)


def _verify(
    bundle: BundleZip,
    name: str,
    pinned: VerifierKey | None,
    old: BundleZip | bytes | None,
    receipt_path: str | Path | None,
    checks: list[StreamCheck],
) -> Report:
    findings: list[Finding] = []
    keys = bundle_keys(bundle, findings)
    trust = Trust((pinned,), True) if pinned is not None else Trust(tuple(keys), False)
    report = Report(bundle=name, key_pinned=trust.pinned)
    if not trust.pinned and not keys:
        findings.append(Finding("signature", "keys/", "the bundle carries no verifier key"))
    checkpoint = _checkpoint(bundle, CHECKPOINT, trust, findings)
    manifest = check_manifest(bundle, trust, findings)
    community = manifest.community if manifest is not None else None
    if checkpoint is not None:
        _against_manifest(checkpoint, manifest, findings)
    report.community = community
    report.checkpoint = checkpoint
    previous = None
    if isinstance(old, bytes):
        previous = _checkpoint_note(old, "--previous", trust, findings)
    elif old is not None:
        previous = _checkpoint(old, CHECKPOINT, trust, findings, label="--previous")
        findings += [Finding("zip", f"--previous {f.where}", f.what) for f in old.problems]
    proof = _proof_file(bundle, findings)
    receipt = None if receipt_path is None else load_receipt(str(receipt_path), findings)

    sizes = {c.size for c in (previous, proof[0] if proof else None) if c is not None}
    watch = {int(receipt["log"]["index"])} if receipt is not None else set()
    ballots = BallotCheck(manifest.period if manifest is not None else None)
    documents = DocumentIndexCheck()
    documents.load(bundle)
    all_checks: list[StreamCheck] = [ballots, documents, *checks]
    log = read_log(
        bundle, community, all_checks, findings, roots_at=frozenset(sizes), watch=frozenset(watch)
    )
    if checkpoint is not None:
        if log.size != checkpoint.size:
            findings.append(
                Finding(
                    "root",
                    ENTRIES,
                    f"the log has {log.size} entries, the checkpoint says {checkpoint.size}",
                )
            )
        elif log.root != checkpoint.root:
            findings.append(
                Finding("root", ENTRIES, "the entries do not rebuild the checkpoint's root")
            )
    if previous is not None and checkpoint is not None:
        _against_previous(previous, checkpoint, log.roots_at, proof, findings)
    if proof is not None and checkpoint is not None:
        _proof_checks(proof, checkpoint, log.roots_at, findings)
    if receipt is not None:
        check_receipt(
            receipt, log.watched.get(int(receipt["log"]["index"])), checkpoint, trust, findings
        )

    for check in all_checks:
        try:
            check.finish(bundle)
        except Exception as exc:  # hostile input is a finding, never a crash
            what = f"{type(check).__name__} could not read the bundle ({type(exc).__name__})"
            findings.append(Finding("entry", name, what))
    for check in all_checks:
        findings += check.findings()
        report.pending += check.pending()
        report.legacy += check.notes()
    report.findings = bundle.problems + findings
    journal = sum(1 for _ in bundle.lines(LEDGER_ENTRIES)) if bundle.has(LEDGER_ENTRIES) else 0
    report.counts = {
        "entries": log.size,
        "ballots": ballots.ballots,
        "journal_entries": journal,
        "documents": log.documents,
        "votes": ballots.votes,
        "questions": ballots.questions,
        "files": len(manifest.paths) if manifest is not None else 0,
    }
    report.counts["indexed_files"] = documents.rows
    report.checked = _checked(report, trust, previous, receipt, checks)
    return report


def _checked(
    report: Report,
    trust: Trust,
    previous: Checkpoint | None,
    receipt: dict[str, Any] | None,
    checks: list[StreamCheck],
) -> list[str]:
    c = report.counts
    out = [
        f"the manifest: {c['files']} files by size and SHA-256, its signature and the "
        f"checkpoint's ({'pinned key' if trust.pinned else 'the bundle' + chr(39) + 's keys'})",
        f"the log: {c['entries']} entries, each canonical, the root recomputed; "
        f"{c['documents']} documents by hash",
        f"the ballots: {c['ballots']} against the log, {c['votes']} votes on the boards, "
        f"{c['questions']} questions re-tallied",
        f"the documents index: {c['indexed_files']} files by their hash in the log",
    ]
    if previous is not None:
        out.append(f"consistency with the previous bundle's checkpoint (size {previous.size})")
    if receipt is not None:
        out.append(f"the receipt {receipt['tracker']} against the log")
    if checks:
        out.append(f"the books: {c['journal_entries']} journal entries")
    else:
        out.append("the books: NOT checked (this verifier has no ledger check)")
    return out


def _checkpoint(
    bundle: BundleZip, path: str, trust: Trust, findings: list[Finding], label: str = ""
) -> Checkpoint | None:
    where = f"{label} {path}".strip()
    raw = bundle.read(path)
    if raw is None:
        findings.append(Finding("checkpoint", where, "the bundle has no readable checkpoint"))
        return None
    return _checkpoint_note(raw, where, trust, findings)


def _checkpoint_note(
    raw: bytes, where: str, trust: Trust, findings: list[Finding]
) -> Checkpoint | None:
    try:
        note = raw.decode("utf-8")
    except UnicodeDecodeError:
        findings.append(Finding("checkpoint", where, "not UTF-8 text"))
        return None
    text, problem = note_signed(note, trust)
    if problem is not None:
        findings.append(Finding("signature", where, f"the checkpoint {problem}"))
    if text is None:
        return None
    try:
        return parse_checkpoint(text)
    except MalformedCheckpoint as exc:
        findings.append(Finding("checkpoint", where, f"malformed: {exc.text}"))
        return None


def _against_manifest(cp: Checkpoint, manifest: Manifest | None, findings: list[Finding]) -> None:
    if manifest is None:
        return
    said = manifest.checkpoint
    if (said.get("origin"), said.get("size"), said.get("root")) != (
        cp.origin,
        cp.size,
        base64.b64encode(cp.root).decode("ascii"),
    ):
        findings.append(
            Finding("checkpoint", "manifest.json", "the manifest names another checkpoint")
        )
    if manifest.community is None or not cp.origin.endswith("/" + manifest.community):
        findings.append(
            Finding("checkpoint", CHECKPOINT, "the checkpoint is not of the bundle's community")
        )


_Proof = tuple[Checkpoint, Checkpoint, list[bytes]]


def _proof_file(bundle: BundleZip, findings: list[Finding]) -> _Proof | None:
    raw = bundle.read(CONSISTENCY)
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
        old = Checkpoint("", int(doc["old"]["size"]), _hash(doc["old"]["root"]))
        new = Checkpoint("", int(doc["new"]["size"]), _hash(doc["new"]["root"]))
        hashes = [_hash(h) for h in doc["proof"]]
    except (ValueError, TypeError, KeyError, binascii.Error):
        findings.append(Finding("consistency", CONSISTENCY, "not a consistency proof"))
        return None
    return old, new, hashes


def _hash(text: Any) -> bytes:
    raw = base64.b64decode(str(text), validate=True)
    if len(raw) != HASH_SIZE:
        raise ValueError("not a hash")
    return raw


def _proof_checks(
    proof: _Proof, cp: Checkpoint, roots: dict[int, bytes], findings: list[Finding]
) -> None:
    old, new, hashes = proof
    if (new.size, new.root) != (cp.size, cp.root):
        findings.append(Finding("consistency", CONSISTENCY, "its new tree is not the checkpoint"))
    if not verify_consistency(old.size, new.size, old.root, new.root, hashes):
        findings.append(Finding("consistency", CONSISTENCY, "the proof does not verify"))
    if old.size <= cp.size and roots.get(old.size) != old.root:
        findings.append(
            Finding(
                "consistency",
                CONSISTENCY,
                f"the first {old.size} entries do not rebuild the old root: history was rewritten",
            )
        )


def _against_previous(
    prev: Checkpoint,
    cp: Checkpoint,
    roots: dict[int, bytes],
    proof: _Proof | None,
    findings: list[Finding],
) -> None:
    if prev.origin != cp.origin:
        findings.append(Finding("consistency", CHECKPOINT, "the previous bundle is of another log"))
        return
    if cp.size < prev.size:
        findings.append(
            Finding(
                "checkpoint",
                CHECKPOINT,
                f"the checkpoint (size {cp.size}) is older than the previous bundle's "
                f"(size {prev.size}): an old checkpoint replayed as new",
            )
        )
        return
    if roots.get(prev.size) != prev.root:
        findings.append(
            Finding(
                "consistency",
                ENTRIES,
                f"the first {prev.size} entries do not rebuild the previous bundle's root: "
                "the log's history was rewritten between the two bundles",
            )
        )
    if proof is not None and (proof[0].size, proof[0].root) != (prev.size, prev.root):
        findings.append(
            Finding("consistency", CONSISTENCY, "the proof starts from another checkpoint")
        )
