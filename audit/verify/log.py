"""Streaming ``log/entries.jsonl``: each line checked as a log entry, hashed into the Merkle
frontier, its documents inlined and handed to every streaming check.

One pass, line by line; memory is the frontier (``O(log n)``), the roots asked for at given
sizes, and the set of documents referenced so far.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.findings import Finding, StreamCheck
from audit.verify.frontier import Frontier
from audit.verify.zipread import BundleZip
from notary.canonical import parse_canonical
from notary.documents import DocumentMismatch, inline_documents, referenced_documents

ENTRIES = "log/entries.jsonl"
DOCUMENTS = "log/documents/"
MAX_ENTRY_BYTES = 65_535
_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_SALT = re.compile(r"[0-9a-f]{32}")
_KEYS = {
    1: {"v", "type", "at", "community", "data"},
    2: {"v", "type", "at", "community", "salt", "data"},
}


@dataclass
class LogPass:
    """What one pass over the log found besides its findings."""

    size: int = 0
    root: bytes = b""
    roots_at: dict[int, bytes] = field(default_factory=dict)
    watched: dict[int, bytes] = field(default_factory=dict)
    documents: int = 0


class _MissingDocument(Exception):
    pass


def read_log(
    bundle: BundleZip,
    community: str | None,
    checks: Sequence[StreamCheck],
    findings: list[Finding],
    *,
    roots_at: frozenset[int] = frozenset(),
    watch: frozenset[int] = frozenset(),
) -> LogPass:
    """Read the log once. Findings: ``entry`` (not canonical JSON, not an envelope, too big,
    another community) and ``document`` (a reference that does not resolve or match).

    Returns the size and root, the root after each size in ``roots_at`` and the raw bytes of
    each index in ``watch``. Each entry that parses is given, documents inlined, to every
    check in ``checks`` in index order.
    """
    out = LogPass()
    frontier = Frontier()
    seen_docs: set[str] = set()
    if not bundle.has(ENTRIES):
        findings.append(Finding("root", ENTRIES, "the bundle has no log"))
    for number, line in bundle.lines(ENTRIES):
        index = number - 1
        frontier.append(line)
        if frontier.size in roots_at:
            out.roots_at[frontier.size] = frontier.root()
        if index in watch:
            out.watched[index] = line
        where = f"{ENTRIES}:{number}"
        entry = _envelope(line, community, where, findings)
        if entry is None:
            continue
        refs = set(referenced_documents(entry["data"]))
        if refs:
            seen_docs |= refs
            try:
                entry = inline_documents(entry, _fetcher(bundle))
            except _MissingDocument as exc:
                findings.append(Finding("document", where, f"document {exc} is not in the bundle"))
                continue
            except DocumentMismatch as exc:
                sha = exc.params.get("sha256", "?")
                findings.append(
                    Finding("document", f"{DOCUMENTS}{sha}.json", "does not match its hash")
                )
                continue
        for check in checks:
            try:
                check.entry(index, entry)
            except Exception as exc:  # hostile input is a finding, never a crash
                findings.append(Finding("entry", where, _crash(check, exc)))
    out.size = frontier.size
    out.root = frontier.root()
    for name in bundle.names():
        if name.startswith(DOCUMENTS):
            sha = name[len(DOCUMENTS) :].removesuffix(".json")
            if sha not in seen_docs:
                findings.append(Finding("document", name, "no log entry references it"))
    out.documents = len(seen_docs)
    return out


def _crash(check: object, exc: Exception) -> str:
    return f"{type(check).__name__} could not read this ({type(exc).__name__})"


def _fetcher(bundle: BundleZip) -> Callable[[str], bytes]:
    def fetch(sha: str) -> bytes:
        raw = bundle.read(f"{DOCUMENTS}{sha}.json")
        if raw is None:
            raise _MissingDocument(sha)
        return raw

    return fetch


def _envelope(
    line: bytes, community: str | None, where: str, findings: list[Finding]
) -> dict[str, Any] | None:
    try:
        entry, canonical = parse_canonical(line)
    except (ValueError, TypeError, RecursionError):
        findings.append(Finding("entry", where, "the line is not JSON"))
        return None
    if not canonical:
        findings.append(Finding("entry", where, "the line is not canonical JSON"))
    if not isinstance(entry, dict) or _KEYS.get(entry.get("v")) != set(entry):  # type: ignore[arg-type]
        findings.append(Finding("entry", where, "not a version 1 or 2 log envelope"))
        return None
    problems = []
    if entry["v"] == 2 and len(line) > MAX_ENTRY_BYTES:
        # (version 1 entries predate the limit: a roll import could be larger then)
        problems.append(f"the entry has {len(line)} bytes, over {MAX_ENTRY_BYTES}")
    if not isinstance(entry["type"], str) or not entry["type"]:
        problems.append("its type is not a name")
    if not isinstance(entry["at"], str) or not _AT.fullmatch(entry["at"]):
        problems.append("its time is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    if entry["v"] == 2 and not (isinstance(entry["salt"], str) and _SALT.fullmatch(entry["salt"])):
        problems.append("its salt is not 32 lowercase hex digits")
    if not isinstance(entry["data"], dict):
        problems.append("its data is not an object")
    if community is not None and entry["community"] != community:
        problems.append("it belongs to another community")
    for what in problems:
        findings.append(Finding("entry", where, what))
    return None if problems else entry
