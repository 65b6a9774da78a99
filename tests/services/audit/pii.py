"""A spy on the PDF renderer: the HTML every PDF of a bundle was rendered from, so that
personal data can be looked for in text (a PDF's text is glyph codes, not searchable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from fundvote.web import bundle_files, ledger_files, notice, pdf


@contextmanager
def rendered_html(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Within the block, record the HTML of every PDF rendered (and still render it)."""
    seen: list[str] = []
    real = pdf.render_pdf

    def spy(html: str, **kwargs: Any) -> bytes:
        seen.append(html)
        return real(html, **kwargs)

    for module in (bundle_files, ledger_files, notice):
        monkeypatch.setattr(module, "render_pdf", spy)
    yield seen
