"""Printable slips of personal links: time per slip when rendering the slips PDF of the links
the API issued, beside rendering a trivial one-page WeasyPrint document.

The links come from the API (``POST .../links`` on the big ballot); the PDF is rendered in
this process by the web app's slip renderer, inside an app built on the same instance (the
web route that returns slips also issues links, which can happen once per member).
"""

from __future__ import annotations

from weasyprint import HTML

from tests.bench.big import big
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import Sizes
from tests.bench.timing import median_seconds

TRIVIAL = "<!doctype html><html><body><p>One page.</p></body></html>"


def _area_centi(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int(frac or "0")


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``slip_per_link`` (ms per slip)."""
    from fundvote.app import create_app
    from fundvote.config import load_settings
    from fundvote.web.slip_render import render_slips
    from fundvote.web.slip_store import Slip, SlipBatch

    b = big(site, sizes)
    fv = site.fundvote()
    slips = tuple(
        Slip(
            unit_codes=(f"001-{i:04d}",),
            holder_label="张*明",
            is_developer=False,
            area_centi=_area_centi("89.37"),
            url=f"{fv.server.base}/v/{token}",
        )
        for i, token in enumerate(b.page_tokens[: sizes.slips])
    )

    def batch(of: tuple[Slip, ...]) -> SlipBatch:
        return SlipBatch(
            ballot_ref=b.ballot_ref,
            ballot_title="电梯更换 (bench)",
            community_code="big",
            community_name="Bench big community",
            closes_at=b.closes_at,
            first=1,
            slips=of,
        )

    app = create_app(settings=load_settings(fv.cli.env))
    with app.test_request_context("/"):
        render_slips(batch(slips[:1]))  # warm fonts
        HTML(string=TRIVIAL).write_pdf()
        slips_s = median_seconds(lambda: render_slips(batch(slips)), 3)
        trivial_s = median_seconds(lambda: HTML(string=TRIVIAL).write_pdf(), 5)
    links = slips
    results.add(
        "slip_per_link",
        slips_s / len(links) * 1000,
        "ms",
        trivial_s * 1000,
        f"{len(links)} slips in one PDF (6 per page); baseline: one trivial page",
    )
