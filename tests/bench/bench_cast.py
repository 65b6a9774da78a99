"""Casting over HTTP (``POST /api/v1/cast``, a distinct link per request) against a bare
Flask + SQLAlchemy Core app inserting one row per request, both under gunicorn as
``fundvote serve`` runs it, both on fresh PostgreSQL databases with durable commits, both
driven by wrk with the same connections and request count."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.bench import load
from tests.bench.client import token_of, write_roll
from tests.bench.results import Results
from tests.bench.roll_csv import roll_csv, roll_rows
from tests.bench.site import Site
from tests.bench.sizes import Sizes

CODE = "cast"


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``cast_vs_bare_insert`` (ratio), ``cast_throughput`` (req/s), ``cast_p50``
    and ``cast_p99`` (ms)."""
    fv, bare = site.fundvote(), site.bare()
    conns, n, cap = sizes.connections, sizes.cast_requests, sizes.request_cap_s
    fv.cli.run("community", "add", CODE, "Bench cast community")
    roll = write_roll(site.tmp / "cast-roll.csv", roll_csv(roll_rows(sizes.cast_units)))
    fv.cli.run("roll", "import", CODE, str(roll))
    ref = fv.api.create_fund_use_ballot(CODE, timedelta(hours=2))["ref"]
    fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/open")
    issued = fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/links", {})
    bodies = [
        json.dumps({"token": token_of(link["url"]), "choices": {"1": "agree"}})
        for link in issued["links"]
    ]
    warm = 3 * conns
    if len(bodies) < warm + n + conns:
        raise RuntimeError(f"{len(bodies)} links are too few for {n} casts")
    cast_reqs = [load.Request("POST", "/api/v1/cast", b) for b in bodies]
    bare_reqs = [load.Request("POST", "/rows", b) for b in bodies]

    # Warm both sides alike (workers' imports, connection pools), then measure.
    load.run(bare.server.base, bare_reqs[:warm], 2 * conns, conns, cap)
    load.run(fv.server.base, cast_reqs[:warm], 2 * conns, conns, cap)
    base = load.run(bare.server.base, bare_reqs[warm : warm + n + conns], n, conns, cap)
    cast = load.run(fv.server.base, cast_reqs[warm : warm + n + conns], n, conns, cap)

    for what, r in (("cast", cast), ("bare insert", base)):
        if r.failures:
            results.warn(
                f"{what}: {r.failures} of {r.requests} requests FAILED "
                f"(non-2xx {r.non2xx}, socket errors {r.socket_errors}); figures are suspect"
            )
    note = f"{cast.requests} casts, {len(bodies):,} members, {conns} connections"
    if cast.capped_by_time:
        note += f"; CAPPED at {cap} s"
    results.add(
        "cast_vs_bare_insert",
        cast.per_second / base.per_second,
        "ratio",
        1.0,
        f"cast req/s ÷ bare insert req/s; {note}",
    )
    results.add("cast_throughput", cast.per_second, "req/s", base.per_second, note)
    results.add("cast_p50", cast.p50_ms, "ms", base.p50_ms, "baseline: bare insert p50")
    results.add("cast_p99", cast.p99_ms, "ms", base.p99_ms, "baseline: bare insert p99")
