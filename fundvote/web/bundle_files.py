"""The printed documents of an audit bundle, rendered with the templates every other PDF uses:
the results notices, the published reports (PDF and CSV) and the bundle's cover.

Always in Chinese (the notice and reports as posted to owners; the cover Chinese first, then
English), whatever language the person asking for the bundle reads, so the same data gives
the same bundle. WeasyPrint writes no creation date and no file identifier unless asked
(``fundvote.web.pdf``), so the same HTML gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from flask import Flask, Response, render_template
from flask_babel import force_locale
from markupsafe import Markup

from audit.api import Cover
from estate.api import CommunityInfo, write_table
from fundvote.access import current_runtime
from fundvote.runtime import Runtime
from fundvote.web.ledger_files import report_pdf, report_table
from fundvote.web.ledger_public import REPORT_NAMES
from fundvote.web.notice import notice_pdf
from fundvote.web.pdf import render_pdf
from ledger import api as ledger
from ledger.api import PublicationInfo
from voting import api as voting

BUNDLE_LOCALE = "zh_Hans"
COVER_LOCALES = ("zh_Hans", "en")
CHUNK_BYTES = 1 << 20


class TemplateRenderers:
    """:class:`audit.bundle.Renderers` on the application's templates; call inside an
    application and request context (:func:`offline_renderers` makes one for the CLI)."""

    def notice_pdf(self, community: CommunityInfo, ballot_ref: str) -> bytes | None:
        """The ballot's notice as posted, or None while its results are not public."""
        info = current_runtime().query(voting.ballot_in_community, community.code, ballot_ref)
        if not info.is_results_public:
            return None
        with force_locale(BUNDLE_LOCALE):
            return notice_pdf(community, info)

    def report_files(
        self, community: CommunityInfo, publication: PublicationInfo
    ) -> tuple[bytes, bytes]:
        """The published report as PDF (with its anchor) and CSV."""
        name = REPORT_NAMES[publication.kind]
        data = current_runtime().query(
            ledger.build_report, community.code, publication.kind, publication.period
        )
        with force_locale(BUNDLE_LOCALE):
            pdf = report_pdf(name, data, community, anchor=publication)
            header, rows, numeric = report_table(name, data)
            csv = write_table(header, rows, "csv", numeric=numeric)
        return pdf, csv

    def cover_pdf(self, cover: Cover) -> bytes:
        """The bundle's cover: one page, Chinese first, then English."""
        parts = []
        for locale in COVER_LOCALES:
            with force_locale(locale):
                # Our own template, autoescaped: its output is safe HTML.
                part = render_template("print/_bundle_cover_part.html", cover=cover)
                parts.append(Markup(part))  # noqa: S704
        with force_locale(BUNDLE_LOCALE):
            html = render_template("print/bundle_cover.html", cover=cover, parts=parts)
        return render_pdf(html)


@contextmanager
def offline_renderers(app: Flask, rt: Runtime) -> Iterator[TemplateRenderers]:
    """Renderers for a bundle built outside a request (the command line): a request context
    on ``FUNDVOTE_PUBLIC_URL`` (the address the notices' QR codes point at)."""
    base = rt.settings.public_url or "http://localhost"
    with app.test_request_context("/", base_url=base):
        yield TemplateRenderers()


def zip_response(out: IO[bytes], download_name: str) -> Response:
    """A built bundle (``out``, positioned at its end) as a download, streamed in chunks;
    ``out`` is closed once sent (or when the response is dropped)."""
    size = out.tell()
    out.seek(0)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := out.read(CHUNK_BYTES):
                yield chunk
        finally:
            out.close()

    response = Response(chunks(), mimetype="application/zip")
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
