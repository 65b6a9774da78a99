"""The big community (50,000 units in a full run), set up once through the CLI and the API
and shared by the import, opening, page and tally benchmarks.

Building it measures, beside their bare baselines: the roll import (``POST .../roll``),
the ballot opening (the roll freeze) and issuing every link. Then it casts a bounded number
of ballots so turnout and tally have votes to count. The ballot's window is set to close
after everything that must happen while it is open, so the tally can close it later.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.bench import load
from tests.bench.client import token_of
from tests.bench.roll_csv import member_groups, roll_csv, roll_rows
from tests.bench.site import Site
from tests.bench.sizes import Sizes

CODE = "big"


@dataclass
class Timed:
    """One measured step and its baseline, in seconds."""

    seconds: float
    baseline_seconds: float


@dataclass
class Big:
    """The big community's ballot, its tokens and what building it measured."""

    ballot_ref: str
    closes_at: datetime
    members: int
    units: int
    page_tokens: list[str]
    casts: load.LoadResult | None
    import_: Timed
    open_: Timed
    issue: Timed


_META = sa.MetaData()
ROLL_ROWS = sa.Table(
    "base_roll_row",
    _META,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False, unique=True),
    sa.Column("building", sa.String(64), nullable=False),
    sa.Column("area_centi", sa.BigInteger, nullable=False),
    sa.Column("owners", sa.Text, nullable=False),
    sa.Column("developer", sa.Boolean, nullable=False),
)
MEMBERS = sa.Table(
    "base_member",
    _META,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("member_key", sa.String(64), nullable=False),
    sa.Column("heads", sa.Integer, nullable=False),
    sa.Column("area_centi", sa.BigInteger, nullable=False),
    sa.Column("owners", sa.Text, nullable=False),
)
MEMBER_UNITS = sa.Table(
    "base_member_unit",
    _META,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("member_id", sa.BigInteger, sa.ForeignKey("base_member.id"), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("building", sa.String(64), nullable=False),
    sa.Column("area_centi", sa.BigInteger, nullable=False),
)
CREDENTIALS = sa.Table(
    "base_credential",
    _META,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("member_id", sa.BigInteger, sa.ForeignKey("base_member.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
)


def _bulk(engine: sa.Engine, table: sa.Table, rows: list[dict[str, object]]) -> None:
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)


def big(site: Site, sizes: Sizes) -> Big:
    """The big community, built on first call (see the module docstring)."""
    found = site.shared.get("big")
    if isinstance(found, Big):
        return found
    fv, bare = site.fundvote(), site.bare()
    _META.create_all(bare.engine)
    rows = roll_rows(sizes.big_units)
    data = roll_csv(rows)
    fv.cli.run("community", "add", CODE, "Bench big community")
    print(f"  (setting up {sizes.big_units:,} units: import, open, issue links)")

    start = time.perf_counter()
    fv.api.upload(f"/communities/{CODE}/roll", "roll.csv", data)
    import_s = time.perf_counter() - start
    start = time.perf_counter()
    _bulk(
        bare.engine,
        ROLL_ROWS,
        [
            {"unit": r.unit, "building": r.building, "area_centi": r.area_centi,
             "owners": ";".join(r.owners), "developer": r.developer}
            for r in rows
        ],
    )  # fmt: skip
    import_base = time.perf_counter() - start

    # Everything that needs the window open: opening and issuing (estimated at twice the
    # import each), the casts, the owner pages and turnout (each capped).
    window = 4 * import_s + 3.5 * sizes.request_cap_s
    ballot = fv.api.create_fund_use_ballot(CODE, timedelta(seconds=window))
    ref = ballot["ref"]
    closes_at = datetime.fromisoformat(ballot["closes_at"]).astimezone(UTC)

    start = time.perf_counter()
    opened = fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/open")
    open_s = time.perf_counter() - start
    groups = list(member_groups(rows).values())
    start = time.perf_counter()
    with bare.engine.begin() as conn:
        conn.execute(
            MEMBERS.insert(),
            [
                {"id": i + 1, "member_key": hashlib.sha256(f"{ref}:{i}".encode()).hexdigest(),
                 "heads": 1, "area_centi": sum(r.area_centi for r in g),
                 "owners": json.dumps(sorted(g[0].owners))}
                for i, g in enumerate(groups)
            ],
        )  # fmt: skip
        conn.execute(
            MEMBER_UNITS.insert(),
            [
                {"member_id": i + 1, "unit": r.unit, "building": r.building,
                 "area_centi": r.area_centi}
                for i, g in enumerate(groups)
                for r in g
            ],
        )  # fmt: skip
    open_base = time.perf_counter() - start

    start = time.perf_counter()
    issued = fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/links", {})
    issue_s = time.perf_counter() - start
    now = datetime.now(UTC)
    start = time.perf_counter()
    _bulk(
        bare.engine,
        CREDENTIALS,
        [
            {"member_id": i + 1, "token_hash": hashlib.sha256(f"t{i}".encode()).hexdigest(),
             "issued_at": now}
            for i in range(len(issued["links"]))
        ],
    )  # fmt: skip
    issue_base = time.perf_counter() - start

    tokens = [token_of(link["url"]) for link in issued["links"]]
    casts = _cast_some(site, sizes, tokens[sizes.page_requests + sizes.page_connections :])
    result = Big(
        ballot_ref=ref,
        closes_at=closes_at,
        members=int(opened["roll"]["heads"]),
        units=len(rows),
        page_tokens=tokens[: sizes.page_requests + sizes.page_connections],
        casts=casts,
        import_=Timed(import_s, import_base),
        open_=Timed(open_s, open_base),
        issue=Timed(issue_s, issue_base),
    )
    site.shared["big"] = result
    return result


def _cast_some(site: Site, sizes: Sizes, tokens: list[str]) -> load.LoadResult:
    """Cast ``sizes.big_casts`` ballots (agree on every second, oppose otherwise)."""
    choices = ("agree", "oppose")
    requests = [
        load.Request(
            "POST",
            "/api/v1/cast",
            json.dumps({"token": t, "choices": {"1": choices[i % 2]}}),
        )
        for i, t in enumerate(tokens[: sizes.big_casts + sizes.connections])
    ]
    return load.run(
        site.fundvote().server.base,
        requests,
        sizes.big_casts,
        sizes.connections,
        sizes.request_cap_s,
    )
