"""Latency of the owner's page (``GET /v/<token>``) and of the committee's turnout (``GET
/api/v1/.../turnout``) on the big ballot, each beside a bare ``GET /`` of the baseline app
measured the same way (same request count and connections, wrk)."""

from __future__ import annotations

from tests.bench import load
from tests.bench.big import CODE, big
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import Sizes


def _check(results: Results, what: str, r: load.LoadResult, wanted: int) -> str:
    if r.failures:
        results.warn(f"{what}: {r.failures} failed requests (non-2xx {r.non2xx})")
    if r.capped_by_time:
        return f"CAPPED at {r.requests} requests"
    return f"{r.requests} requests"


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``owner_page_p99``, ``owner_page_p50`` and ``turnout_p99`` (ms)."""
    b = big(site, sizes)
    fv, bare = site.fundvote(), site.bare()
    n, conns, cap = sizes.page_requests, sizes.page_connections, sizes.request_cap_s
    bare_gets = [load.Request("GET", "/")] * (n + conns)
    base = load.run(bare.server.base, bare_gets, n, conns, cap)
    pages = [load.Request("GET", f"/v/{t}") for t in b.page_tokens]
    owner = load.run(fv.server.base, pages, n, conns, cap)
    note = _check(results, "owner page", owner, n)
    detail = f"{b.members:,} members, {note}, {conns} connections; baseline: bare GET"
    results.add("owner_page_p50", owner.p50_ms, "ms", base.p50_ms, detail)
    results.add("owner_page_p99", owner.p99_ms, "ms", base.p99_ms, detail)

    committee = fv.cli.staff_token("bench-committee", "committee", (CODE,))
    path = f"/api/v1/communities/{CODE}/ballots/{b.ballot_ref}/turnout"
    turnout = load.run(
        fv.server.base, [load.Request("GET", path)] * (n + conns), n, conns, cap, committee
    )
    note = _check(results, "turnout", turnout, n)
    cast = b.casts.requests if b.casts else 0
    results.add(
        "turnout_p50",
        turnout.p50_ms,
        "ms",
        base.p50_ms,
        f"{b.members:,} members, {cast} cast, {note}; participation computed per request"
        " (the frozen roll's own figures were stored at opening)",
    )
    results.add("turnout_p99", turnout.p99_ms, "ms", base.p99_ms, "baseline: bare GET")
