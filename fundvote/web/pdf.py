"""Printable documents: HTML rendered to PDF by WeasyPrint, with a CJK font, and QR codes.

Views render a template from ``templates/print/`` (which extend ``print/base.html``) and pass
the HTML here. Nothing is fetched from the network: images are inline data URIs and fonts are
the system's (``fonts-wqy-microhei`` or ``fonts-noto-cjk``, installed by the make targets).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import segno
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher

# WeasyPrint and fontTools log every font subset at INFO/WARNING; none of it is news to users.
for _name in ("weasyprint", "fontTools"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def render_pdf(html: str, *, attachments: Sequence[tuple[str, str]] = ()) -> bytes:
    """Render ``html`` (a complete document) to PDF bytes; never reaches out to the network.

    ``attachments`` are ``(file name, UTF-8 text)`` pairs embedded in the PDF as attached
    files (the receipt PDF carries its receipt so that it can be checked by upload)."""
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    files = [Attachment(string=text, name=name, url_fetcher=fetcher) for name, text in attachments]
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(attachments=files or None)
    return pdf


def qr_data_uri(text: str, *, scale: int = 4) -> str:
    """A QR code for ``text`` as an ``data:image/svg+xml`` URI, for <img src=...>."""
    return str(segno.make(text, error="m").svg_data_uri(scale=scale, border=2))


def qr_png(text: str, *, scale: int = 6) -> bytes:
    """A QR code for ``text`` as PNG bytes."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()
