"""Casting over HTTP (``POST /api/v1/cast``, a distinct link per request) against a bare
Flask + SQLAlchemy Core app inserting one row per request, both under gunicorn as
``fundvote serve`` runs it, both on fresh PostgreSQL databases with durable commits, both
driven by wrk with the same connections and request count.

Beside the throughput, what each side's requests cost in CPU (:mod:`tests.bench.cpu`): the
cast, the bare insert, and the cast endpoint refusing a body without choices (422, before any
database work: what the web framework, the rate limiter and the error answer cost alone). On
this shared host these move far less than throughputs do.
"""

from __future__ import annotations

import json
from datetime import timedelta

from tests.bench import cpu, load, servers
from tests.bench.client import token_of, write_roll
from tests.bench.results import Results
from tests.bench.roll_csv import roll_csv, roll_rows
from tests.bench.site import Site
from tests.bench.sizes import Sizes

CODE = "cast"


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``cast_vs_bare_insert`` (ratio), ``cast_throughput`` (req/s), ``cast_p50``
    and ``cast_p99`` (ms), and the CPU a request costs: ``cast_cpu`` and ``cast_refused_cpu``
    beside the bare insert's (ms)."""
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
    refused_reqs = [
        load.Request("POST", "/api/v1/cast", json.dumps({"token": token_of(link["url"])}))
        for link in issued["links"]
    ]

    # Warm both sides alike (workers' imports, connection pools), then measure.
    load.run(bare.server.base, bare_reqs[:warm], 2 * conns, conns, cap)
    load.run(fv.server.base, cast_reqs[:warm], 2 * conns, conns, cap)

    def measured(
        server: servers.Server, database_url: str, reqs: list[load.Request]
    ) -> tuple[load.LoadResult, cpu.CpuUse]:
        return cpu.measure(
            lambda: cpu.group_pids(server.process.pid),
            database_url,
            lambda: load.run(server.base, reqs, n, conns, cap),
        )

    base, base_cpu = measured(bare.server, bare.database_url, bare_reqs[warm : warm + n + conns])
    cast, cast_cpu = measured(fv.server, fv.database_url, cast_reqs[warm : warm + n + conns])
    refused, refused_cpu = measured(fv.server, fv.database_url, refused_reqs[: n + conns])

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
    if refused.non2xx != refused.requests:
        results.warn(f"refused casts: {refused.requests - refused.non2xx} were not refused")
    per_base = base_cpu.per(base.requests)
    results.add(
        "cast_cpu",
        cast_cpu.per(cast.requests).total_ms,
        "ms",
        per_base.total_ms,
        f"CPU a cast costs: {cast_cpu.per(cast.requests).describe()}; "
        f"bare insert: {per_base.describe()}",
    )
    results.add(
        "cast_refused_cpu",
        refused_cpu.per(refused.requests).total_ms,
        "ms",
        per_base.total_ms,
        "CPU of a cast refused before any database work (no choices: 422), "
        f"{refused_cpu.per(refused.requests).describe()}; baseline: the bare insert's",
    )
