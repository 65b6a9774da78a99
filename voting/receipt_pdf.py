"""The receipt inside the printable receipt PDF: its name there, and reading it back (pure).

The receipt PDF carries the signed receipt (canonical JSON) as an embedded file named
:data:`RECEIPT_ATTACHMENT`, so the PDF an owner downloads can be checked by uploading it as it
is. Reading it back is a careful, bounded scan, not a PDF parser: an uploaded file is
hostile until its receipt's signature checks out, and only an embedded file stream is read.

- the file is at most :data:`MAX_PDF_BYTES` and starts with ``%PDF-``;
- at most :data:`MAX_EMBEDDED` streams marked ``/Type /EmbeddedFile`` are looked at; each
  must give its ``/Length`` as a direct number and use no filter or ``/FlateDecode`` alone;
- an inflated stream may be at most :data:`MAX_RECEIPT_BYTES` (a "zip bomb" stops there);
- the first one that is a JSON object of ``"type": "fundvote.receipt"`` is the receipt.

Anything else is :class:`~voting.errors.MalformedReceipt` with a message that says what to do;
never another exception. Whether the receipt is genuine is the receipt check's business
(``voting.receipts.check_receipt``): a forged stream fails its signature there.
"""

from __future__ import annotations

import json
import re
import zlib

from voting.errors import N_, MalformedReceipt
from voting.receipts import RECEIPT_TYPE

RECEIPT_ATTACHMENT = "fundvote-receipt.json"
"""The name of the embedded file that holds the receipt."""
MAX_PDF_BYTES = 4 * 1024 * 1024
"""The largest receipt PDF read (fundvote's own are about 50 KB)."""
MAX_RECEIPT_BYTES = 64 * 1024
"""The largest receipt text (inflated) taken from a PDF."""
MAX_EMBEDDED = 8
"""How many embedded file streams are looked at before giving up."""

_WINDOW = 4096  # bytes before a /Type /EmbeddedFile mark searched for its object's start
_MARK = re.compile(rb"/Type\s*/EmbeddedFile(?![A-Za-z0-9])")
_OBJ = re.compile(rb"\d{1,10}\s+\d{1,5}\s+obj\b")
_STREAM = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
_LENGTH = re.compile(rb"/Length\s+(\d{1,9})(?!\s+\d+\s+R)(?=[\s/>])")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]{0,200}\]|/[A-Za-z0-9]{1,40})")


def is_pdf(data: bytes) -> bool:
    """Whether ``data`` starts like a PDF file."""
    return data[:5] == b"%PDF-"


def receipt_from_pdf(data: bytes) -> str:
    """The receipt text embedded in a receipt PDF.

    Guarantees: returns the text of the first embedded file that is a JSON object of type
    ``fundvote.receipt`` (read within the bounds in the module docstring); raises
    ``MalformedReceipt`` for anything else, including a file too large, not a PDF, without
    such an embedded file, or with streams it will not read. Never raises another exception.
    """
    if len(data) > MAX_PDF_BYTES:
        raise MalformedReceipt(N_("The file is too large to be a receipt."))
    if not is_pdf(data):
        raise MalformedReceipt(N_("The file is not a PDF."))
    for count, mark in enumerate(_MARK.finditer(data)):
        if count >= MAX_EMBEDDED:
            break
        text = _embedded_text(data, mark.start())
        if text is not None and _is_receipt(text):
            return text
    raise MalformedReceipt(
        N_(
            "This PDF holds no fundvote receipt. Upload the receipt PDF downloaded from your "
            "voting link, or its receipt file (JSON)."
        )
    )


def _embedded_text(data: bytes, at: int) -> str | None:
    """The inflated text of the embedded file stream whose dictionary holds offset ``at``,
    or None if it is not one this reader takes."""
    before = data[max(0, at - _WINDOW) : at]
    starts = list(_OBJ.finditer(before))
    if not starts:
        return None
    head = at - len(before) + starts[-1].end()
    stream = _STREAM.search(data, at, at + _WINDOW)
    if stream is None:
        return None
    dictionary = data[head : stream.start() + 2]
    length = _LENGTH.search(dictionary)
    if length is None:
        return None
    size = int(length.group(1))
    body = data[stream.end() : stream.end() + size]
    if len(body) != size or size > MAX_PDF_BYTES:
        return None
    found = _FILTER.search(dictionary)
    name = found.group(1).strip(b"[] \t\r\n") if found else b""
    if name == b"/FlateDecode":
        raw = _inflate(body)
    elif not name:
        raw = body if size <= MAX_RECEIPT_BYTES else None
    else:
        raw = None
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _inflate(body: bytes) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, MAX_RECEIPT_BYTES + 1)
    except zlib.error:
        return None
    if len(out) > MAX_RECEIPT_BYTES or inflater.unconsumed_tail:
        return None
    return out


def _is_receipt(text: str) -> bool:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and value.get("type") == RECEIPT_TYPE
