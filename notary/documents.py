"""Bulk payloads kept beside the log: document references in log entries.

A log entry is at most :data:`MAX_ENTRY_BYTES` bytes (the C2SP ``tlog-tiles`` entry bundle
writes each entry's length in two bytes). A bulky field (a 50,000-unit roll import's units, an
interest allocation's postings) is therefore stored as a *document*: its canonical JSON
(RFC 8785), kept by SHA-256, while the entry carries the reference ``{"$doc": "<sha256 hex>"}``
in the field's place. The entry's hash commits to the document's hash, so the document is as
fixed as the entry; audit bundles ship each referenced document as
``log/documents/<sha256>.json``.

Pure: the offline verifier uses these functions with only ``cryptography`` and ``rfc8785``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from notary.canonical import canonical_bytes, parse_canonical
from notary.errors import N_, DomainError

DOC_KEY = "$doc"
"""The only key of a document reference."""

MAX_ENTRY_BYTES = 65_535
"""No log entry's canonical JSON is longer than this (tlog-tiles' two-byte length prefix)."""

BULK_INLINE_LIMIT = 8_192
"""An entry whose canonical JSON would exceed this moves its bulk fields into documents."""

MAX_DOCUMENT_DEPTH = 4
"""How deep in an entry's data a document reference may sit (the inliner looks no deeper)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")


class DocumentMismatch(DomainError):
    """A document's bytes do not hash to its reference, or are not canonical JSON."""

    code = "document-mismatch"


def document_ref(sha256_hex: str) -> dict[str, str]:
    """The reference that stands in an entry for the document with this SHA-256 (hex)."""
    if not _HEX64.fullmatch(sha256_hex):
        raise ValueError("a document reference is 64 lowercase hex digits")
    return {DOC_KEY: sha256_hex}


def document_bytes(value: Any) -> tuple[str, bytes]:
    """The SHA-256 (hex) and the canonical JSON bytes of a document's value."""
    body = canonical_bytes(value)
    return hashlib.sha256(body).hexdigest(), body


def is_document_ref(value: Any) -> bool:
    """Whether ``value`` is a document reference: a mapping whose only key is ``$doc`` and
    whose value is 64 lowercase hex digits."""
    return (
        isinstance(value, dict)
        and len(value) == 1
        and isinstance(value.get(DOC_KEY), str)
        and _HEX64.fullmatch(value[DOC_KEY]) is not None
    )


def referenced_documents(value: Any) -> Iterator[str]:
    """The SHA-256 (hex) of every document referenced in ``value`` (an entry or its data), in
    document order, looking at most :data:`MAX_DOCUMENT_DEPTH` levels below the entry's data."""
    yield from _refs(value, MAX_DOCUMENT_DEPTH + 2)


def _refs(value: Any, depth: int) -> Iterator[str]:
    if is_document_ref(value):
        yield value[DOC_KEY]
    elif depth > 0 and isinstance(value, dict):
        for item in value.values():
            yield from _refs(item, depth - 1)
    elif depth > 0 and isinstance(value, list):
        for item in value:
            yield from _refs(item, depth - 1)


def parse_document(sha256_hex: str, body: bytes) -> Any:
    """The value of a document read back as bytes; raises :class:`DocumentMismatch` unless the
    bytes hash to ``sha256_hex`` and are canonical JSON."""
    if hashlib.sha256(body).hexdigest() != sha256_hex:
        raise DocumentMismatch(N_("A document does not match its hash."), sha256=sha256_hex)
    try:
        value, is_canonical = parse_canonical(body)
    except (ValueError, TypeError, RecursionError) as exc:
        raise DocumentMismatch(N_("A document is not JSON."), sha256=sha256_hex) from exc
    if not is_canonical:
        raise DocumentMismatch(N_("A document is not canonical JSON."), sha256=sha256_hex)
    return value


def inline_documents(value: Any, fetch: Callable[[str], bytes]) -> Any:
    """``value`` with every document reference replaced by the document's value.

    ``fetch(sha256_hex)`` returns the document's bytes (raising what it likes for an unknown
    one); each is checked by :func:`parse_document`. The input is not modified.
    """
    return _inline(value, fetch, MAX_DOCUMENT_DEPTH + 2)


def _inline(value: Any, fetch: Callable[[str], bytes], depth: int) -> Any:
    if is_document_ref(value):
        sha = value[DOC_KEY]
        return parse_document(sha, fetch(sha))
    if depth > 0 and isinstance(value, dict):
        return {k: _inline(v, fetch, depth - 1) for k, v in value.items()}
    if depth > 0 and isinstance(value, list):
        return [_inline(v, fetch, depth - 1) for v in value]
    return value
