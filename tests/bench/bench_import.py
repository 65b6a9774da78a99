"""Roll import, ballot opening and link issuing of the big community, each beside a bare
SQLAlchemy Core bulk insert of the rows each must write into PostgreSQL (in one transaction)."""

from __future__ import annotations

from tests.bench.big import big
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import Sizes


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``roll_import``, ``ballot_open`` and ``issue_links`` (seconds)."""
    b = big(site, sizes)
    results.add(
        "roll_import",
        b.import_.seconds,
        "s",
        b.import_.baseline_seconds,
        f"POST .../roll, {b.units:,} units; baseline: bulk insert of its register rows",
    )
    results.add(
        "ballot_open",
        b.open_.seconds,
        "s",
        b.open_.baseline_seconds,
        f"POST .../open, {b.members:,} members; baseline: bulk insert of members, units, shares",
    )
    results.add(
        "issue_links",
        b.issue.seconds,
        "s",
        b.issue.baseline_seconds,
        f"POST .../links, {b.members:,} links; baseline: bulk insert of as many credentials",
    )
