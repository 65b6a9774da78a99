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
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.bench import load
from tests.bench.client import token_of
from tests.bench.roll_csv import RollRow, member_groups, roll_csv, roll_rows
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


# The baselines write the same rows, with the same columns, keys, foreign keys and indexes,
# as the use case must write (the register's, the frozen roll's and the credentials' tables
# as fundvote/migrations create them), with Core bulk inserts in one transaction each. Ids
# are assigned by the baseline itself (the cheapest way to link rows), so nothing is read
# back. What the use case does beyond writing those rows (parsing and checking the file,
# grouping members, apportioning shares, the Merkle log entry, the response) is not in them.
_META = sa.MetaData()
_ID = sa.BigInteger
COMMUNITY = sa.Table(
    "base_community",
    _META,
    sa.Column("id", _ID, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
)
BUILDINGS = sa.Table(
    "base_building",
    _META,
    sa.Column("id", _ID, primary_key=True, autoincrement=False),
    sa.Column("community_id", _ID, sa.ForeignKey("base_community.id"), nullable=False, index=True),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.UniqueConstraint("community_id", "code"),
)
OWNERS = sa.Table(
    "base_owner",
    _META,
    sa.Column("id", _ID, primary_key=True, autoincrement=False),
    sa.Column("community_id", _ID, sa.ForeignKey("base_community.id"), nullable=False, index=True),
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("ref", sa.String(32), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone_enc", sa.LargeBinary),
    sa.Column("id_last4_enc", sa.LargeBinary),
    sa.UniqueConstraint("community_id", "key"),
    sa.CheckConstraint("key <> ''"),
)
UNITS = sa.Table(
    "base_unit",
    _META,
    sa.Column("id", _ID, primary_key=True, autoincrement=False),
    sa.Column("community_id", _ID, sa.ForeignKey("base_community.id"), nullable=False, index=True),
    sa.Column("building_id", _ID, sa.ForeignKey("base_building.id"), nullable=False, index=True),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("area_centi", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("is_developer_held", sa.Boolean, nullable=False),
    sa.UniqueConstraint("community_id", "code"),
    sa.CheckConstraint("area_centi > 0"),
)
UNIT_OWNERS = sa.Table(
    "base_unit_owner",
    _META,
    sa.Column("id", _ID, sa.Identity(), primary_key=True),
    sa.Column("unit_id", _ID, sa.ForeignKey("base_unit.id", ondelete="CASCADE"), nullable=False),
    sa.Column("owner_id", _ID, sa.ForeignKey("base_owner.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.UniqueConstraint("unit_id", "owner_id"),
)
BALLOT = sa.Table("base_ballot", _META, sa.Column("id", _ID, primary_key=True, autoincrement=False))
MEMBERS = sa.Table(
    "base_member",
    _META,
    sa.Column("id", _ID, primary_key=True, autoincrement=False),
    sa.Column("ballot_id", _ID, sa.ForeignKey("base_ballot.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("member_key", sa.String(64), nullable=False),
    sa.Column("is_developer", sa.Boolean, nullable=False),
    sa.Column("heads", sa.Integer, nullable=False),
    sa.Column("area_centi", sa.BigInteger, nullable=False),
    sa.Column("owner_refs", sa.Text, nullable=False),
    sa.UniqueConstraint("ballot_id", "member_key"),
    sa.UniqueConstraint("ballot_id", "position"),
    sa.CheckConstraint("area_centi > 0"),
    sa.CheckConstraint("heads = 1"),
)
MEMBER_UNITS = sa.Table(
    "base_member_unit",
    _META,
    sa.Column("id", _ID, sa.Identity(), primary_key=True),
    sa.Column("ballot_id", _ID, sa.ForeignKey("base_ballot.id"), nullable=False, index=True),
    sa.Column("member_id", _ID, sa.ForeignKey("base_member.id"), nullable=False, index=True),
    sa.Column("unit_code", sa.String(64), nullable=False),
    sa.Column("building_code", sa.String(64), nullable=False),
    sa.Column("area_centi", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("ballot_id", "unit_code"),
    sa.CheckConstraint("area_centi > 0"),
)
SHARES = sa.Table(
    "base_share",
    _META,
    sa.Column("member_id", _ID, sa.ForeignKey("base_member.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("ballot_id", _ID, sa.ForeignKey("base_ballot.id"), nullable=False, index=True),
    sa.Column("share_fen", sa.BigInteger, nullable=False),
    sa.CheckConstraint("share_fen >= 0"),
)
CREDENTIALS = sa.Table(
    "base_credential",
    _META,
    sa.Column("id", _ID, sa.Identity(), primary_key=True),
    sa.Column("ballot_id", _ID, sa.ForeignKey("base_ballot.id"), nullable=False, index=True),
    sa.Column("member_id", _ID, sa.ForeignKey("base_member.id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("identity_failures", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("identity_verified_at", sa.DateTime(timezone=True)),
    sa.Index(
        "base_credential_live_member",
        "member_id",
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    ),
)
FUND_PART_FEN = 100_000_000  # the bench ballot's maintenance-fund part (tests/bench/client.py)


def _import_baseline(engine: sa.Engine, rows: list[RollRow]) -> float:
    """Seconds to bulk insert the register rows of the roll: buildings, owners, units, links."""
    start = time.perf_counter()
    buildings = {code: i for i, code in enumerate(dict.fromkeys(r.building for r in rows), 1)}
    owners = {k: i for i, k in enumerate(dict.fromkeys(k for r in rows for k in r.owners), 1)}
    with engine.begin() as conn:
        conn.execute(COMMUNITY.insert(), [{"id": 1, "code": CODE}])
        conn.execute(
            BUILDINGS.insert(),
            [{"id": i, "community_id": 1, "code": c, "name": c} for c, i in buildings.items()],
        )
        conn.execute(
            OWNERS.insert(),
            [
                {"id": i, "community_id": 1, "key": key, "ref": "o_" + secrets.token_hex(8),
                 "kind": "person", "name": "", "phone_enc": None, "id_last4_enc": None,
                 "id_hmac": None}
                for key, i in owners.items()
            ],
        )  # fmt: skip
        conn.execute(
            UNITS.insert(),
            [
                {"id": i, "community_id": 1, "building_id": buildings[r.building],
                 "code": r.unit, "area_centi": r.area_centi, "kind": "flat",
                 "is_developer_held": r.developer}
                for i, r in enumerate(rows, 1)
            ],
        )  # fmt: skip
        conn.execute(
            UNIT_OWNERS.insert(),
            [
                {"unit_id": i, "owner_id": owners[key], "position": position}
                for i, r in enumerate(rows, 1)
                for position, key in enumerate(r.owners)
            ],
        )
    return time.perf_counter() - start


def _open_baseline(engine: sa.Engine, ref: str, rows: list[RollRow]) -> float:
    """Seconds to bulk insert the frozen roll's rows: members, their units, their shares."""
    groups = list(member_groups(rows).values())
    total = sum(r.area_centi for r in rows)
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(BALLOT.insert(), [{"id": 1}])
        conn.execute(
            MEMBERS.insert(),
            [
                {"id": i, "ballot_id": 1, "position": i,
                 "member_key": "m" + hashlib.sha256(f"{ref}:{i}".encode()).hexdigest()[:32],
                 "is_developer": g[0].developer, "heads": 1,
                 "area_centi": sum(r.area_centi for r in g),
                 "owner_refs": json.dumps(sorted(g[0].owners))}
                for i, g in enumerate(groups, 1)
            ],
        )  # fmt: skip
        conn.execute(
            MEMBER_UNITS.insert(),
            [
                {"ballot_id": 1, "member_id": i, "unit_code": r.unit, "building_code": r.building,
                 "area_centi": r.area_centi}
                for i, g in enumerate(groups, 1)
                for r in g
            ],
        )  # fmt: skip
        conn.execute(
            SHARES.insert(),
            [
                {"member_id": i, "position": 1, "ballot_id": 1,
                 "share_fen": FUND_PART_FEN * sum(r.area_centi for r in g) // total}
                for i, g in enumerate(groups, 1)
            ],
        )  # fmt: skip
    return time.perf_counter() - start


def _issue_baseline(engine: sa.Engine, links: int) -> float:
    """Seconds to bulk insert one credential row (a token hash) per link."""
    now = datetime.now(UTC)
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            CREDENTIALS.insert(),
            [
                {"ballot_id": 1, "member_id": i, "issued_at": now, "identity_failures": 0,
                 "token_hash": hashlib.sha256(f"t{i}".encode()).hexdigest()}
                for i in range(1, links + 1)
            ],
        )  # fmt: skip
    return time.perf_counter() - start


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
    import_base = _import_baseline(bare.engine, rows)

    # Everything that needs the window open: opening and issuing (estimated at twice the
    # import each), the casts, the owner pages and turnout (each capped).
    window = 4 * import_s + 3.5 * sizes.request_cap_s
    ballot = fv.api.create_fund_use_ballot(CODE, timedelta(seconds=window))
    ref = ballot["ref"]
    closes_at = datetime.fromisoformat(ballot["closes_at"]).astimezone(UTC)

    start = time.perf_counter()
    opened = fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/open")
    open_s = time.perf_counter() - start
    open_base = _open_baseline(bare.engine, ref, rows)

    start = time.perf_counter()
    issued = fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/links", {})
    issue_s = time.perf_counter() - start
    issue_base = _issue_baseline(bare.engine, len(issued["links"]))

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
