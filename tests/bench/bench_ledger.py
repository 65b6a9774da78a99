"""The funds ledger's speed, in-process on fresh PostgreSQL databases of the same server.

- ``post_vs_python_accounting`` (``ledger-post``): single entries posted through
  ``ledger.post_entry``, each in its own unit of work with its log append and a durable
  commit, beside python-accounting (PyPI, the ``bench`` extra) posting the same entries as
  journal entries through SQLAlchemy on its own database of the same server, each committed
  (entries per second; the ratio is the figure the issue asks >= 25 of), and ``post_cpu``:
  the CPU an entry costs each side, in its process and in its PostgreSQL backend
  (:mod:`tests.bench.cpu`);
- ``ledger_balances`` (``ledger-balances``): every balance of a 2,000-unit community with ten
  years of history at the last day (``ledger.balances(to=...)``: one aggregate over every
  posting) and ``ledger_balances_running`` (the running balances), each beside a bare
  ``SELECT account_id, sum(amount_fen) ... GROUP BY account_id`` over the same rows;
- ``beancount_export`` (``beancount``): the Beancount export of that history (100,000 entries)
  beside the floor of any export of those rows: the same entries and postings streamed by
  one bare ``SELECT`` and written as one plain line per posting (so the figure shows what
  the Beancount formatting, the chart and the balance assertions cost on top of reading).

The history is built once per run by bulk inserts that respect the schema (:func:`build`):
every entry balanced, every account's running balance the sum of its postings, no
sub-account ever overdrawn; each entry's ``log_index`` points at one log entry that records
the bulk load (appending 100,000 entries one by one would take longer than every benchmark
together, and none of these figures reads the log).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.config import load_settings
from fundvote.db import make_engine
from fundvote.runtime import Runtime, build_runtime
from fundvote.schema import upgrade
from ledger.api import (
    ExportSummary,
    PostingLine,
    balances,
    largest_remainder,
    post_entry,
    write_beancount,
)
from ledger.journal import _content_sha256
from ledger.models import JournalEntry, LedgerAccount, Posting
from notary.canonical import canonical_bytes
from notary.work import UnitOfWork
from tests.bench import cpu, pg
from tests.bench.cpu import CpuUse
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import Sizes

START = date(2016, 1, 1)
POST_START = date(date.today().year, 1, 2)
"""python-accounting opens a reporting period for the current year only (and refuses its
first instant)."""
POSTS_COMMUNITY = "BPOST"
HISTORY_COMMUNITY = "BHIST"


# --- the database and runtime --------------------------------------------------------------


def _runtime(site: Site) -> Runtime:
    """A runtime on a fresh migrated database (durable commits), made once per run."""
    found = site.shared.get("ledger_runtime")
    if isinstance(found, Runtime):
        return found
    url = pg.create_database("ledger")
    site.stack.callback(pg.drop_database, url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    instance = site.tmp / "ledger-instance"
    rt = build_runtime(
        load_settings(
            {
                "FUNDVOTE_INSTANCE_PATH": str(instance),
                "FUNDVOTE_DATABASE_URL": url,
                "FUNDVOTE_SECRET_KEY": hashlib.sha256(b"bench").hexdigest(),
            }
        )
    )
    site.stack.callback(rt.engine.dispose)
    site.shared["ledger_runtime"] = rt
    return rt


def _community(rt: Runtime, code: str, units: int) -> list[tuple[str, int]]:
    """Create community ``code`` with ``units`` units in buildings of 100 (books opened);
    returns (unit code, area in 0.01 m²) in unit-code order."""
    rng = random.Random(units)
    rows = [
        (f"{1 + i // 100}-{1 + i % 100:03d}", rng.randrange(6_000, 15_001)) for i in range(units)
    ]
    roll = "unit,building,area,owners,developer\n" + "".join(
        f"{u},{u.split('-')[0]},{a // 100}.{a % 100:02d},O{u},\n" for u, a in rows
    )
    rt.run(create_community_with_books, code=code, name="基准小区")
    rt.run(
        import_roll_with_books,
        community_code=code,
        data=roll.encode(),
        filename="roll.csv",
        cipher=rt.cipher,
    )
    return sorted(rows)


# --- posting: ours against python-accounting -----------------------------------------------


def _entries_to_post(units: list[tuple[str, int]], n: int) -> list[tuple[str, int]]:
    rng = random.Random(7)
    return [(rng.choice(units)[0], rng.randrange(100, 1_000_000)) for _ in range(n)]


def _post_ours(rt: Runtime, entries: list[tuple[str, int]]) -> float:
    start = time.perf_counter()
    for i, (unit, fen) in enumerate(entries):
        rt.run_as(
            1,
            post_entry,
            community_code=POSTS_COMMUNITY,
            kind="deposit",
            value_date=POST_START + timedelta(days=i // 50),
            lines=[PostingLine("1001", fen), PostingLine(f"2101.{unit}", -fen)],
            memo=f"deposit {i}",
        )
    return time.perf_counter() - start


def _post_python_accounting(
    site: Site, units: list[tuple[str, int]], entries: list[tuple[str, int]]
) -> tuple[float, CpuUse]:
    """python-accounting posting the same entries on its own database of the same server, in
    a child process (it registers SQLAlchemy event listeners on every session of the process
    it is imported into): see :mod:`tests.bench.pyacc_child`."""
    url = pg.create_database("pyacc")
    site.stack.callback(pg.drop_database, url)
    job = site.tmp / "pyacc.json"
    job.write_text(
        json.dumps(
            {
                "url": url,
                "units": [u for u, _ in units],
                "entries": entries,
                "start": POST_START.isoformat(),
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.pyacc_child", str(job)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python-accounting failed: {done.stderr.strip()[-2000:]}")
    took = json.loads(done.stdout.strip().splitlines()[-1])
    return float(took["seconds"]), CpuUse(float(took["app_ms"]), float(took["postgres_ms"]))


def run_post(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``post_vs_python_accounting`` (entries per second, single entries)."""
    rt = _runtime(site)
    units = _community(rt, POSTS_COMMUNITY, 100)
    entries = _entries_to_post(units, sizes.ledger_posts)
    ours, our_cpu = cpu.measure(
        lambda: [os.getpid()],
        rt.engine.url.render_as_string(hide_password=False),
        lambda: _post_ours(rt, entries),
    )
    theirs, their_cpu = _post_python_accounting(site, units, entries)
    got = {b.code: b.balance_fen for b in rt.query(balances, POSTS_COMMUNITY)}
    if got["1001"] != sum(fen for _, fen in entries):
        results.warn("post_entry's bank balance is not the sum of the deposits")
    n = len(entries)
    results.add(
        "post_vs_python_accounting",
        n / ours,
        "entries/s",
        n / theirs,
        f"{n:,} single entries, each committed with its log append; baseline: python-accounting",
    )
    results.add(
        "post_cpu",
        our_cpu.per(n).total_ms,
        "ms",
        their_cpu.per(n).total_ms,
        f"CPU an entry costs: {our_cpu.per(n).describe()}; "
        f"python-accounting: {their_cpu.per(n).describe()}",
    )


# --- ten years of a 2,000-unit community ---------------------------------------------------


@dataclass
class History:
    code: str
    units: int
    entries: int
    postings: int
    end: date


Lines = list[tuple[str, int]]


def _plan(
    units: list[tuple[str, int]], years: int, total_entries: int
) -> list[tuple[str, date, str, Lines]]:
    """The history's entries in date order (kind, date, memo, [(account, fen)]): each unit's
    first deposit, then top-ups (续筹) spread evenly so the history has ``total_entries``
    entries, quarterly interest to every sub-account by balance (largest remainder), monthly
    parking and advertising income and their costs, and a yearly draw on one building (5 %
    of each of its units' balances). No sub-account or bank account is ever overdrawn."""
    rng = random.Random(2016)
    end = START.replace(year=START.year + years) - timedelta(days=1)
    days = (end - START).days + 1
    held = {u: 0 for u, _ in units}
    buildings = sorted({u.split("-")[0] for u, _ in units})
    fixed: list[tuple[date, int, str, str, Lines]] = []  # (date, order, kind, memo, lines)
    for i, (u, area) in enumerate(units):
        fixed.append(
            (
                START + timedelta(days=i % 28),
                0,
                "deposit",
                f"首次交存 {u}",
                [("1001", area * 100), (f"2101.{u}", -area * 100)],
            )
        )
    for month in range(12 * years):
        day = START.replace(year=START.year + month // 12, month=1 + month % 12, day=28)
        parking, ads = rng.randrange(800_000, 1_200_000), rng.randrange(200_000, 400_000)
        fixed.append((day, 1, "public_income", "停车收益", [("1002", parking), ("4101", -parking)]))
        fixed.append((day, 1, "public_income", "电梯广告收益", [("1002", ads), ("4102", -ads)]))
        cost = (parking + ads) // 10
        fixed.append((day, 1, "public_income_cost", "合理成本", [("5101", cost), ("1002", -cost)]))
    quarters = [
        START.replace(year=START.year + q // 4, month=3 * (q % 4) + 3, day=20)
        for q in range(4 * years)
    ]
    draws = [START.replace(year=START.year + y, month=7, day=15) for y in range(years)]
    topups = max(0, total_entries - len(fixed) - len(quarters) - len(draws))
    for k in range(topups):
        u, area = units[k % len(units)]
        day = START + timedelta(days=28 + (k * (days - 29)) // max(topups, 1))
        fen = area * 3
        fixed.append((day, 0, "deposit", f"续筹 {u}", [("1001", fen), (f"2101.{u}", -fen)]))
    for q in quarters:
        fixed.append((q, 2, "interest", "季度利息", []))  # shares computed in date order
    for y, d in enumerate(draws):
        fixed.append((d, 3, "draw", f"{buildings[y % len(buildings)]} 号楼维修", []))
    fixed.sort(key=lambda f: (f[0], f[1]))
    plan = []
    for day, _, kind, memo, lines in fixed:
        if kind == "interest":
            total = sum(held.values()) * 35 // 10_000
            shares = largest_remainder(total, [(u, held[u]) for u, _ in units])
            lines = [("1001", total)] + [(f"2101.{u}", -s) for u, s in shares.items() if s]
            if total == 0:
                continue
        elif kind == "draw":
            building = memo.split(" ")[0]
            parts = [
                (u, held[u] // 20)
                for u, _ in units
                if u.split("-")[0] == building and held[u] >= 20
            ]
            total = sum(s for _, s in parts)
            if not parts:
                continue
            lines = [(f"2101.{u}", s) for u, s in parts] + [("1001", -total)]
        for account, fen in lines:
            if account.startswith("2101."):
                held[account[5:]] -= fen
        plan.append((kind, day, memo, lines))
    return plan


Plan = list[tuple[str, date, str, Lines]]


def insert_plan(
    s: Session, community_id: int, accounts: dict[str, int], plan: Plan, now: datetime
) -> list[int]:
    """Insert the plan's journal entries and their postings (without log indices, which a
    logged entry must not gain postings after) and set every account's running balance to
    the sum of its postings; return the entries' ids in plan order."""
    ids: list[int] = []
    for first in range(0, len(plan), 5_000):
        chunk = plan[first : first + 5_000]
        rows = [
            {
                "community_id": community_id,
                "kind": kind,
                "value_date": day,
                "memo": memo,
                "documents": canonical_bytes({}).decode(),
                "posted_at": now,
                "posted_by": None,
                "idempotency_key": None,
                "content_sha256": _content_sha256(
                    kind, day, memo, {}, [PostingLine(a, f) for a, f in lines], None, None
                ),
                "reverses_id": None,
                "is_legacy": False,
                "legacy_file_sha256": None,
            }
            for kind, day, memo, lines in chunk
        ]
        chunk_ids = (
            s.execute(
                sa.insert(JournalEntry).returning(JournalEntry.id, sort_by_parameter_order=True),
                rows,
            )
            .scalars()
            .all()
        )
        s.execute(
            sa.insert(Posting),
            [
                {
                    "entry_id": entry_id,
                    "account_id": accounts[account],
                    "community_id": community_id,
                    "value_date": day,
                    "position": position,
                    "amount_fen": fen,
                }
                for entry_id, (_, day, _, lines) in zip(chunk_ids, chunk, strict=True)
                for position, (account, fen) in enumerate(lines, start=1)
            ],
        )
        ids.extend(chunk_ids)
    s.execute(
        sa.text(
            "UPDATE ledger_account SET balance_fen = coalesce((SELECT sum(amount_fen) "
            "FROM posting WHERE posting.account_id = ledger_account.id), 0) "
            "WHERE community_id = :c"
        ),
        {"c": community_id},
    )
    return ids


def community_accounts(s: Session, code: str) -> tuple[int, dict[str, int]]:
    """The community's id and its accounts (code -> id), for bulk inserts of its books."""
    community_id = s.scalar(sa.text("SELECT id FROM community WHERE code = :c"), {"c": code})
    accounts = dict(
        s.execute(
            sa.select(LedgerAccount.code, LedgerAccount.id).where(
                LedgerAccount.community_id == community_id
            )
        ).all()
    )
    return int(community_id), accounts


def build(rt: Runtime, code: str, units: int, years: int, total_entries: int) -> History:
    """Build the history (see the module docstring) by bulk inserts in one transaction."""
    roll = _community(rt, code, units)
    plan = _plan(roll, years, total_entries)

    def load(uow: UnitOfWork) -> int:
        s = uow.session
        community_id, accounts = community_accounts(s, code)
        appended = uow.log(
            code,
            "bench.ledger_history_loaded",
            {"entries": len(plan), "postings": sum(len(p[3]) for p in plan)},
        )
        ids = insert_plan(s, community_id, accounts, plan, uow.clock.now())
        postings = sum(len(p[3]) for p in plan)
        s.execute(
            sa.update(JournalEntry)
            .where(JournalEntry.community_id == community_id, JournalEntry.log_index.is_(None))
            .values(log_index=appended.index),
            execution_options={"synchronize_session": False},
        )
        del ids  # every entry points at the one log entry of the load
        return postings

    postings = rt.run(load)
    return History(code, units, len(plan), postings, plan[-1][1])


def _history(site: Site, sizes: Sizes) -> History:
    found = site.shared.get("ledger_history")
    if isinstance(found, History):
        return found
    rt = _runtime(site)
    started = time.perf_counter()
    history = build(
        rt, HISTORY_COMMUNITY, sizes.ledger_units, sizes.ledger_years, sizes.export_entries
    )
    print(
        f"  (history: {history.units:,} units, {sizes.ledger_years} years, "
        f"{history.entries:,} entries, {history.postings:,} postings, built in "
        f"{time.perf_counter() - started:.0f} s)"
    )
    with rt.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
    site.shared["ledger_history"] = history
    return history


def _median(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()  # warm the caches, as a page asked twice would find them
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run_balances(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``ledger_balances`` and ``ledger_balances_running`` (seconds)."""
    rt = _runtime(site)
    h = _history(site, sizes)
    at = rt.query(balances, h.code, to=h.end)
    running = rt.query(balances, h.code)
    if [b.balance_fen for b in at] != [b.balance_fen for b in running]:
        results.warn("balances at the last day differ from the running balances")
    if sum(b.balance_fen for b in at) != 0:
        results.warn("the trial balance is not zero")
    if any(b.kind == "unit_subaccount" and b.balance_fen > 0 for b in at):
        results.warn("a sub-account is overdrawn")

    def bare() -> object:
        with rt.engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT account_id, sum(amount_fen) FROM posting "
                    "WHERE community_id = (SELECT id FROM community WHERE code = :c) "
                    "AND value_date <= :to GROUP BY account_id"
                ),
                {"c": h.code, "to": h.end},
            ).all()

    baseline = _median(bare)
    note = f"{len(at):,} accounts, {h.postings:,} postings; baseline: bare SELECT sum GROUP BY"
    results.add(
        "ledger_balances",
        _median(lambda: rt.query(balances, h.code, to=h.end)),
        "s",
        baseline,
        note,
    )
    results.add(
        "ledger_balances_running",
        _median(lambda: rt.query(balances, h.code)),
        "s",
        baseline,
        note,
    )


def run_beancount(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``beancount_export`` (seconds)."""
    rt = _runtime(site)
    h = _history(site, sizes)
    out = site.tmp / "history.beancount"

    def export() -> ExportSummary:
        with out.open("w", encoding="utf-8") as fh:
            return rt.query(write_beancount, h.code, fh)

    start = time.perf_counter()
    summary = export()
    ours = time.perf_counter() - start
    plain = site.tmp / "history.txt"

    def bare() -> None:
        with rt.engine.connect() as conn, plain.open("w", encoding="utf-8") as fh:
            result = conn.execution_options(stream_results=True, yield_per=10_000).execute(
                sa.text(
                    "SELECT e.id, e.value_date, e.memo, p.account_id, p.amount_fen "
                    "FROM journal_entry e JOIN posting p ON p.entry_id = e.id "
                    "WHERE e.community_id = (SELECT id FROM community WHERE code = :c) "
                    "ORDER BY e.value_date, e.id, p.position"
                ),
                {"c": h.code},
            )
            for row in result:
                fh.write(f"{row[0]}\t{row[1]}\t{row[2]}\t{row[3]}\t{row[4]}\n")

    start = time.perf_counter()
    bare()
    baseline = time.perf_counter() - start
    if site.quick:
        _check_with_beancount(out, results)
    results.add(
        "beancount_export",
        ours,
        "s",
        baseline,
        f"{summary.entries:,} entries, {out.stat().st_size / 1e6:.0f} MB; "
        "baseline: bare SELECT of the rows written as plain lines",
    )


def _check_with_beancount(path: Path, results: Results) -> None:
    from beancount import loader

    _, errors, _ = loader.load_file(str(path))
    if errors:
        results.warn(f"Beancount found {len(errors)} errors in the export: {errors[0].message}")
