"""Owners casting through ``fundvote serve`` while workers die and database connections are cut.

A fresh PostgreSQL database and a real server (gunicorn as ``fundvote serve`` runs it); a
community whose every member has a personal link; ``clients`` threads, each casting link after
link through ``POST /api/v1/cast`` and retrying, like a phone on a bad network, whenever the
answer does not arrive (the connection breaks, a worker dies) or is a retryable 503. Some
clients drop the connection on purpose before reading the answer, then retry (the answer was
lost). Meanwhile, at times drawn from a fixed seed, a worker is killed with SIGKILL and every
database session of the app is ended with ``pg_terminate_backend``.

Afterwards, reading the database directly (:func:`check`): every receipt a client holds is the
stored receipt of that member's one vote and is in the log; there is exactly one vote per
member that a client holds a receipt for, and no other; the log holds exactly one cast entry
per vote and its root recomputes from its entries; no answer was a server fault other than a
retryable 503; and ``fundvote log verify`` finds the database consistent with the log.

``python -m tests.faults`` runs the benchmark-sized form (200 clients); the test suite runs a
short form on PostgreSQL (tests/faults/test_faults.py).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.bench import pg
from tests.bench.client import token_of, write_roll
from tests.bench.roll_csv import roll_csv, roll_rows
from tests.bench.site import Site

CODE = "faults"


@dataclass(frozen=True)
class Plan:
    """How hard to push: clients, seconds of load, faults, and the seed of every choice."""

    clients: int = 40
    seconds: float = 30.0
    kills: int = 2
    terminations: int = 1
    members: int = 6000
    drop_rate: float = 0.02  # share of casts whose answer the client throws away unread
    seed: int = 20261127


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    receipts: dict[str, str] = field(default_factory=dict)  # token -> receipt JSON text
    statuses: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lost_then_retried: int = 0
    faults: list[str] = field(default_factory=list)

    def saw(self, what: str) -> None:
        with self.lock:
            self.statuses[what] += 1


@dataclass(frozen=True)
class Report:
    """The outcome: what clients saw and every failed check (empty when all held)."""

    plan: Plan
    casts: int
    statuses: dict[str, int]
    lost_then_retried: int
    faults: list[str]
    problems: list[str]
    seconds: float

    def summary(self) -> str:
        lines = [
            f"{self.plan.clients} clients, {self.seconds:.0f} s, seed {self.plan.seed}: "
            f"{self.casts} receipts held by clients",
            "answers: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.statuses.items())),
            f"answers thrown away unread and retried: {self.lost_then_retried}",
            "faults: " + "; ".join(self.faults),
        ]
        lines += [f"PROBLEM: {p}" for p in self.problems] or ["all checks held"]
        return "\n".join(lines)


def run(plan: Plan, tmp: Path) -> Report:
    """Set up a server and a ballot, run the clients and the faults, check, clean up."""
    with ExitStack() as stack:
        site = Site(stack, tmp, quick=False)
        fv = site.fundvote()
        fv.cli.run("community", "add", CODE, "Fault test community")
        roll = write_roll(tmp / "faults-roll.csv", roll_csv(roll_rows(plan.members)))
        fv.cli.run("roll", "import", CODE, str(roll))
        ref = fv.api.create_fund_use_ballot(CODE, timedelta(hours=2))["ref"]
        fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/open")
        issued = fv.api.call("POST", f"/communities/{CODE}/ballots/{ref}/links", {})
        tokens = [token_of(link["url"]) for link in issued["links"]]
        random.Random(plan.seed).shuffle(tokens)

        tally = Tally()
        started = time.monotonic()
        _load(plan, fv.server.port, fv.server.process.pid, fv.database_url, tokens, tally)
        elapsed = time.monotonic() - started
        fv.server.stop()
        problems = check(fv.database_url, tally)
        verify = fv.cli.run_status("log", "verify", CODE)
        if verify[0] != 0:
            problems.append(f"fundvote log verify exited {verify[0]}: {verify[1][-2000:]}")
        return Report(
            plan,
            len(tally.receipts),
            dict(tally.statuses),
            tally.lost_then_retried,
            tally.faults,
            problems,
            elapsed,
        )


def _load(
    plan: Plan, port: int, master_pid: int, database_url: str, tokens: list[str], tally: Tally
) -> None:
    queue = iter(tokens)
    queue_lock = threading.Lock()
    stop_at = time.monotonic() + plan.seconds

    def next_token() -> str | None:
        if time.monotonic() >= stop_at:
            return None
        with queue_lock:
            return next(queue, None)

    def client(number: int) -> None:
        rng = random.Random(plan.seed * 1000 + number)
        while (token := next_token()) is not None:
            _cast_until_answered(port, token, rng, plan.drop_rate, tally)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(plan.clients)]
    for t in threads:
        t.start()
    _inject_faults(plan, master_pid, database_url, tally)
    for t in threads:
        t.join(timeout=plan.seconds + 120)
        if t.is_alive():
            tally.unexpected.append("a client was still retrying two minutes after the end")


def _cast_until_answered(
    port: int, token: str, rng: random.Random, drop_rate: float, tally: Tally
) -> None:
    """Cast one link's ballot, retrying until a receipt comes back (at most 2 minutes)."""
    body = json.dumps({"token": token, "choices": {"1": rng.choice(["agree", "oppose"])}})
    give_up = time.monotonic() + 120
    dropped = False
    while time.monotonic() < give_up:
        drop = not dropped and rng.random() < drop_rate
        try:
            status, headers, text = _post(port, "/api/v1/cast", body, drop=drop)
        except (OSError, http.client.HTTPException):
            tally.saw("connection lost")
            time.sleep(0.05 + rng.random() * 0.2)
            continue
        if drop:
            dropped = True
            tally.saw("answer thrown away")
            continue
        tally.saw(str(status))
        if status == 201:
            with tally.lock:
                tally.receipts[token] = text
                tally.lost_then_retried += dropped
            return
        if status == 503:
            time.sleep(min(float(headers.get("retry-after", "1") or 1), 2.0) * rng.random())
            continue
        with tally.lock:
            tally.unexpected.append(f"HTTP {status}: {text[:300]}")
        if status >= 500:
            time.sleep(0.2)
            continue
        return
    with tally.lock:
        tally.unexpected.append("no receipt after two minutes of retries")


def _post(port: int, path: str, body: str, *, drop: bool) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        if drop:
            return 0, {}, ""  # the client goes away without reading: the answer is lost
        resp = conn.getresponse()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, headers, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _inject_faults(plan: Plan, master_pid: int, database_url: str, tally: Tally) -> None:
    rng = random.Random(plan.seed)
    events = [("kill", rng.uniform(0.15, 0.8) * plan.seconds) for _ in range(plan.kills)]
    events += [
        ("terminate", rng.uniform(0.15, 0.8) * plan.seconds) for _ in range(plan.terminations)
    ]
    start = time.monotonic()
    for kind, at in sorted(events, key=lambda e: e[1]):
        time.sleep(max(0.0, start + at - time.monotonic()))
        if kind == "kill":
            workers = _children(master_pid)
            if not workers:
                tally.faults.append(f"{at:.1f}s: no worker to kill")
                continue
            victim = rng.choice(workers)
            os.kill(victim, signal.SIGKILL)
            tally.faults.append(f"{at:.1f}s: SIGKILL worker {victim}")
        else:
            # The app's sessions may all be gone (a worker just restarted): wait for some.
            ended, waited = 0, time.monotonic() + 10
            while ended == 0 and time.monotonic() < waited:
                ended = _terminate_sessions(database_url)
                time.sleep(0 if ended else 0.1)
            tally.faults.append(f"{at:.1f}s: pg_terminate_backend x{ended}")
    time.sleep(max(0.0, start + plan.seconds - time.monotonic()))


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def _terminate_sessions(database_url: str) -> int:
    name = database_url.rsplit("/", 1)[1]
    engine = sa.create_engine(f"{pg.SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            ended = conn.scalars(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).all()
        return sum(1 for e in ended if e)
    finally:
        engine.dispose()


def _same_json(text: str) -> str:
    """A receipt as one text whatever the JSON spacing and key order it was sent in."""
    return json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)


def check(database_url: str, tally: Tally) -> list[str]:
    """Every guarantee the run must keep, checked against the database; the failures."""
    from notary.merkle import MemoryTree

    problems = list(tally.unexpected)
    faults = {k: v for k, v in tally.statuses.items() if k.startswith("5") and k != "503"}
    if faults:
        problems.append(f"server faults other than a retryable 503: {faults}")
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            votes = {
                _same_json(row.receipt): row
                for row in conn.execute(sa.text("SELECT receipt FROM cast_ballot"))
            }
            entries = conn.execute(
                sa.text("SELECT idx, leaf_hash, body FROM log_entry WHERE log = :log ORDER BY idx"),
                {"log": CODE},
            ).all()
            head = conn.execute(
                sa.text("SELECT size, root FROM log_head WHERE log = :log"), {"log": CODE}
            ).one()
    finally:
        engine.dispose()
    held = {_same_json(text) for text in tally.receipts.values()}
    missing = held - votes.keys()
    if missing:
        problems.append(f"{len(missing)} receipts held by clients are not stored")
    unheld = votes.keys() - held
    if unheld:
        problems.append(f"{len(unheld)} stored votes have no receipt at any client")
    by_index = {row.idx: row for row in entries}
    for text in held & votes.keys():
        data: dict[str, Any] = json.loads(text)
        entry = by_index.get(data["log"]["index"])
        if entry is None or entry.leaf_hash.hex() != data["log"]["leaf_hash"]:
            problems.append(f"receipt at log index {data['log']['index']} is not that entry")
    casts = [e for e in entries if json.loads(e.body)["type"] == "voting.ballot_cast"]
    if len(casts) != len(votes):
        problems.append(f"{len(casts)} cast entries in the log for {len(votes)} votes")
    if [e.idx for e in entries] != list(range(head.size)):
        problems.append("the log's indices are not 0..size-1")
    tree = MemoryTree()
    for e in entries:
        tree.append(e.body.encode("utf-8"))
    if tree.root() != head.root:
        problems.append("the log's root does not recompute from its entries")
    return problems
