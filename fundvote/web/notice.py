"""The printable notice (公告) of a published ballot, written once: the public results page
(``/r/<code>/<ref>/notice.pdf``) and the JSON API send the same PDF."""

from __future__ import annotations

from flask import render_template, url_for

from estate.api import CommunityInfo
from fundvote.access import current_runtime
from fundvote.urls import public_url
from fundvote.web.ballot_labels import local_time
from fundvote.web.pdf import qr_data_uri, render_pdf
from notary.api import N_
from voting import api as voting
from voting.api import BallotInfo, ResultsNotPublished


def notice_pdf(community: CommunityInfo, info: BallotInfo) -> bytes:
    """The notice of ``info`` as PDF bytes: the figures and outcome of every question, the
    log checkpoint, and a QR code of the public results page.

    Raises ``ResultsNotPublished`` while the ballot's results are not public (before
    publication, or a cancelled ballot)."""
    if not info.is_results_public:
        raise ResultsNotPublished(
            N_("The results of this ballot are not published yet."), ref=info.ref
        )
    report = current_runtime().query(voting.get_tally, info.ref)
    url = public_url(url_for("results.ballot", code=community.code, ref=info.ref))
    html = render_template(
        "print/notice.html",
        community=community,
        ballot=info,
        report=report,
        page_url=url,
        qr=qr_data_uri(url),
        issued_on=local_time(info.published_at, "%Y-%m-%d"),
    )
    return render_pdf(html)
