"""Reading the receipt back from a receipt PDF: bounded, and hostile files are refused with
``MalformedReceipt``, never another exception (the PDFs here are built by hand; the real
receipt PDF is read in tests/http/test_receipt_pdf_upload.py)."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.errors import MalformedReceipt
from voting.receipt_pdf import MAX_PDF_BYTES, MAX_RECEIPT_BYTES, receipt_from_pdf

RECEIPT = json.dumps({"type": "fundvote.receipt", "v": 1, "tracker": "7K3M"})


def pdf(*streams: tuple[bytes, bytes]) -> bytes:
    """A minimal PDF with one embedded-file object per ``(extra dictionary entries, body)``."""
    out = [b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n1 0 obj\n<</Type /Catalog>>\nendobj\n"]
    for n, (entries, body) in enumerate(streams, start=5):
        out.append(
            b"%d 0 obj\n<</Type /EmbeddedFile/Subtype /application#2fjson" % n
            + entries
            + b">>\nstream\n"
            + body
            + b"\nendstream\nendobj\n"
        )
    out.append(b"trailer\n<</Root 1 0 R>>\n%%EOF\n")
    return b"".join(out)


def flate(text: str | bytes) -> tuple[bytes, bytes]:
    body = zlib.compress(text.encode() if isinstance(text, str) else text)
    return b"/Filter /FlateDecode/Length %d" % len(body), body


def plain(text: str) -> tuple[bytes, bytes]:
    body = text.encode()
    return b"/Length %d" % len(body), body


def refused(data: bytes, words: str = "no fundvote receipt") -> None:
    with pytest.raises(MalformedReceipt) as caught:
        receipt_from_pdf(data)
    assert words in caught.value.message


def test_reads_a_compressed_or_plain_embedded_receipt() -> None:
    assert receipt_from_pdf(pdf(flate(RECEIPT))) == RECEIPT
    assert receipt_from_pdf(pdf(plain(RECEIPT))) == RECEIPT
    # another embedded file first: the receipt is still found
    assert receipt_from_pdf(pdf(plain('{"type": "other"}'), flate(RECEIPT))) == RECEIPT


def test_not_a_pdf_or_too_large() -> None:
    refused(RECEIPT.encode(), "not a PDF")
    refused(b"%PDF-" + b" " * MAX_PDF_BYTES, "too large")


def test_streams_it_will_not_read() -> None:
    refused(pdf())  # no embedded file
    refused(pdf(plain("not json")))
    refused(pdf(plain("[1, 2]")))
    refused(pdf(plain('{"type": "fundvote.receipt"')))  # cut short
    bomb = zlib.compress(b"{" + b" " * (MAX_RECEIPT_BYTES * 50) + b"}")
    refused(pdf((b"/Filter /FlateDecode/Length %d" % len(bomb), bomb)))
    refused(pdf((b"/Filter /FlateDecode/Length 12", b"not deflate!")))
    refused(pdf((b"/Filter /ASCIIHexDecode/Length 4", b"7b7d")))
    refused(pdf((b"/Filter [/FlateDecode /ASCII85Decode]/Length 4", b"abcd")))
    body = RECEIPT.encode()
    refused(pdf((b"/Length 9 0 R", body)))  # indirect length
    refused(pdf((b"/Length %d" % (len(body) + 10_000), body)))  # runs past the end
    refused(pdf((b"", body)))  # no length
    deep = "[" * 100_000 + "]" * 100_000
    refused(pdf(flate(deep)))
    refused(pdf((b"/Length 1", b"\xff")))  # not UTF-8


def test_many_marks_are_not_all_read() -> None:
    decoys = [plain("{}") for _ in range(20)]
    refused(pdf(*decoys, flate(RECEIPT)))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=400))
def test_any_bytes_give_a_receipt_or_a_clear_refusal(noise: bytes, at: int) -> None:
    real = pdf(flate(RECEIPT))
    mutated = real[:at] + noise + real[at + len(noise) // 2 :]
    try:
        text = receipt_from_pdf(mutated)
    except MalformedReceipt:
        return
    assert json.loads(text)["type"] == "fundvote.receipt"
