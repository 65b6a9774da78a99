"""Printing link slips: one :class:`~fundvote.web.slip_store.SlipBatch` to one A4 PDF.

Six slips per page, laid out as one fixed 2 x 3 table per page (no floats), each with a QR
code of the member's link drawn as a tiny PNG (one pixel per module, scaled without
smoothing), which WeasyPrint places far faster than an SVG path. Needs an application
context (templates, translations); the text is always Chinese, what owners read.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import TypeVar

import segno
from flask import render_template
from flask_babel import force_locale

from fundvote.web.ballot_labels import local_time
from fundvote.web.pdf import render_pdf
from fundvote.web.slip_store import SlipBatch

SLIPS_PER_ROW = 2
ROWS_PER_PAGE = 3
T = TypeVar("T")


def render_slips(batch: SlipBatch) -> bytes:
    """The PDF of ``batch``'s slips, in order, six per A4 page with dashed cut lines: the
    community, the ballot, the units, the masked holders and area, the closing time (Beijing
    time), the QR code and text of the link, and plain instructions."""
    cells = [(slip, qr_png_data_uri(slip.url)) for slip in batch.slips]
    with force_locale("zh_Hans"):
        html = render_template(
            "print/slips.html",
            batch=batch,
            pages=_pages(cells),
            closes=local_time(batch.closes_at),
            current_language="zh-Hans",
        )
    return render_pdf(html)


def qr_png_data_uri(text: str) -> str:
    """A QR code of ``text`` (error correction M) as a ``data:image/png`` URI, one pixel per
    module with a two-module quiet zone; print it with ``image-rendering: pixelated``.

    The mask pattern is fixed (mask 0): every mask is valid and readers take it from the
    code's format bits, and trying all eight to pick the "best" is most of segno's time.
    """
    out = io.BytesIO()
    segno.make(text, error="m", boost_error=False, mask=0, micro=False).save(
        out, kind="png", scale=1, border=2
    )
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _pages(cells: Sequence[T]) -> list[list[Sequence[T]]]:
    per_page = SLIPS_PER_ROW * ROWS_PER_PAGE
    return [
        [
            cells[row : row + SLIPS_PER_ROW]
            for row in range(start, min(start + per_page, len(cells)), SLIPS_PER_ROW)
        ]
        for start in range(0, len(cells), per_page)
    ]
