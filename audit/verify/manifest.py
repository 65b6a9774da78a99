"""The bundle's manifest: every member listed with its size and SHA-256, nothing unlisted,
and ``manifest.sig`` a signed note over the manifest's hash by a trusted key."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from audit.findings import Finding
from audit.verify.trust import Trust, note_signed
from audit.verify.zipread import BundleZip
from notary.canonical import parse_canonical

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
COVER = "cover.pdf"
"""Printed with the manifest's hash, so outside the manifest; the verifier ignores it."""
SIG_TEXT = "fundvote manifest v1\n{}\n"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Manifest:
    """What the manifest says (``None`` fields when it does not say it properly)."""

    community: str | None
    period: dict[str, Any]
    checkpoint: dict[str, Any]
    paths: frozenset[str]


def check_manifest(bundle: BundleZip, trust: Trust, findings: list[Finding]) -> Manifest | None:
    """Check ``manifest.json`` and ``manifest.sig`` (findings ``manifest`` and ``signature``);
    returns the manifest when it could be read at all."""
    raw = bundle.read(MANIFEST)
    if raw is None:
        findings.append(Finding("manifest", MANIFEST, "the bundle has no readable manifest"))
        return None
    _check_signature(bundle, hashlib.sha256(raw).hexdigest(), trust, findings)
    try:
        doc, canonical = parse_canonical(raw)
    except (ValueError, TypeError, RecursionError):
        findings.append(Finding("manifest", MANIFEST, "the manifest is not JSON"))
        return None
    if not canonical:
        findings.append(Finding("manifest", MANIFEST, "the manifest is not canonical JSON"))
    if not isinstance(doc, dict) or doc.get("version") != 1:
        findings.append(Finding("manifest", MANIFEST, "the manifest is not version 1"))
        return None
    files = doc.get("files")
    if not isinstance(files, list):
        findings.append(Finding("manifest", MANIFEST, "the manifest lists no files"))
        files = []
    listed: list[str] = []
    for n, item in enumerate(files):
        where = f"{MANIFEST}:files[{n}]"
        if not (
            isinstance(item, dict)
            and isinstance(item.get("path"), str)
            and isinstance(item.get("size"), int)
            and isinstance(item.get("sha256"), str)
            and _HEX64.fullmatch(item["sha256"])
        ):
            findings.append(Finding("manifest", where, "not a {path, size, sha256} record"))
            continue
        path = item["path"]
        listed.append(path)
        if path in (MANIFEST, SIGNATURE, COVER):
            findings.append(Finding("manifest", path, "the manifest lists itself or its signature"))
            continue
        if not bundle.has(path):
            findings.append(Finding("manifest", path, "listed in the manifest but missing"))
            continue
        got = bundle.digest(path)
        if got is None:
            continue  # the zip finding says why
        size, sha = got
        if size != item["size"]:
            findings.append(
                Finding("manifest", path, f"{size} bytes, the manifest says {item['size']}")
            )
        if sha != item["sha256"]:
            findings.append(
                Finding("manifest", path, "its SHA-256 is not the one in the manifest", sha)
            )
    if listed != sorted(set(listed)):
        findings.append(
            Finding("manifest", MANIFEST, "files are not listed once each in path order")
        )
    known = set(listed) | {MANIFEST, SIGNATURE, COVER}
    for name in bundle.names():
        if name not in known:
            findings.append(Finding("manifest", name, "in the bundle but not in the manifest"))
    period, checkpoint = doc.get("period"), doc.get("checkpoint")
    community = doc.get("community")
    return Manifest(
        community if isinstance(community, str) else None,
        dict(period) if isinstance(period, dict) else {},
        dict(checkpoint) if isinstance(checkpoint, dict) else {},
        frozenset(listed),
    )


def _check_signature(bundle: BundleZip, sha: str, trust: Trust, findings: list[Finding]) -> None:
    raw = bundle.read(SIGNATURE)
    if raw is None:
        findings.append(Finding("signature", SIGNATURE, "the manifest is not signed"))
        return
    try:
        note = raw.decode("utf-8")
    except UnicodeDecodeError:
        findings.append(Finding("signature", SIGNATURE, "not UTF-8 text"))
        return
    text, problem = note_signed(note, trust)
    if problem is not None:
        findings.append(Finding("signature", SIGNATURE, f"the manifest's signature {problem}"))
    if text is not None and text != SIG_TEXT.format(sha):
        findings.append(
            Finding("signature", SIGNATURE, "the signed text is not the manifest's SHA-256")
        )
