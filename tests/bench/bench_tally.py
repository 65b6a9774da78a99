"""Tally of the big ballot (``POST .../tally`` once its window has closed), beside one plain
SQL statement that counts and sums the same cast rows and the whole roll."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.bench.big import CODE, big
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import Sizes

# Reads fundvote's tables (roll_member, cast_ballot) directly: the baseline is what a
# database does when asked for the same totals, without the service.
BASELINE_SQL = sa.text(
    """
    SELECT c.choices, count(*) AS heads, sum(m.area_centi) AS area
      FROM cast_ballot c JOIN roll_member m ON m.id = c.member_id
     WHERE c.ballot_id = :ballot
     GROUP BY c.choices
    UNION ALL
    SELECT 'roll', sum(heads), sum(area_centi) FROM roll_member WHERE ballot_id = :ballot
    """
)


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``tally`` (seconds): waits for the ballot's window to end, closes it, counts."""
    b = big(site, sizes)
    fv = site.fundvote()
    wait = (b.closes_at - datetime.now(UTC)).total_seconds() + 1
    if wait > 0:
        print(f"  (waiting {wait:.0f} s for the big ballot's voting window to close)")
        time.sleep(wait)
    path = f"/communities/{CODE}/ballots/{b.ballot_ref}"
    fv.api.call("POST", f"{path}/close")
    start = time.perf_counter()
    fv.api.call("POST", f"{path}/tally")
    tally_s = time.perf_counter() - start

    engine = sa.create_engine(fv.database_url)
    try:
        with engine.connect() as conn:
            ballot_id = conn.scalar(
                sa.text("SELECT id FROM ballot WHERE ref = :ref"), {"ref": b.ballot_ref}
            )
            start = time.perf_counter()
            rows = conn.execute(BASELINE_SQL, {"ballot": ballot_id}).all()
            base_s = time.perf_counter() - start
    finally:
        engine.dispose()
    cast = sum(int(r.heads) for r in rows if r.choices != "roll")
    results.add(
        "tally",
        tally_s,
        "s",
        base_s,
        f"POST .../tally, {b.members:,} members, {cast} cast; baseline: one SQL count/sum",
    )
