"""Benchmarks that print figures: ``make bench`` (``python -m tests.bench``).

Sizes follow the product's limits: a community of up to ~50,000 units and a log that grows
for decades. Each line prints what was measured, the size, and the time per operation.
Nothing here asserts a time; the figures are for people to read and compare.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from estate.apportion import apportion
from notary.merkle import MemoryTree
from voting.members import UnitHolding, group_members


def _time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``fn`` in seconds over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _report(what: str, size: str, seconds: float, per: int = 1) -> None:
    per_op = seconds / per
    print(f"{what:<44} {size:>18} {seconds * 1000:10.1f} ms  {per_op * 1e6:10.1f} µs/op")


def bench_rules(units: int) -> None:
    rng = random.Random(7)
    areas = {f"{i // 600:02d}-{i % 600:04d}": rng.randint(4500, 18000) for i in range(units)}
    _report(
        "apportion (largest remainder)",
        f"{units} units",
        _time(lambda: apportion(123_456_789, areas)),
        units,
    )
    owners = [f"O{i}" for i in range(units)]
    holdings = [
        UnitHolding(code, area, frozenset({owners[rng.randrange(units)]}), i % 37 == 0)
        for i, (code, area) in enumerate(areas.items())
    ]
    _report("group_members", f"{units} units", _time(lambda: group_members(holdings)), units)


def bench_merkle_memory(size: int) -> None:
    leaves = [f"entry {i}".encode() for i in range(size)]

    def build() -> MemoryTree:
        tree = MemoryTree()
        for leaf in leaves:
            tree.append(leaf)
        return tree

    _report("merkle append (memory)", f"{size} leaves", _time(build, 3), size)
    tree = build()
    _report("merkle root (memory)", f"{size} leaves", _time(lambda: tree.root(size), 5))
    indices = random.Random(3).sample(range(size), 200)
    _report(
        "merkle inclusion proof (memory)",
        f"{size} leaves",
        _time(lambda: [tree.inclusion_proof(i, size) for i in indices], 3),
        len(indices),
    )


def bench_log_store(size: int) -> None:
    """Appends, roots and proofs against the real store on an SQLite file."""
    from fundvote.config import load_settings
    from fundvote.runtime import build_runtime
    from fundvote.schema import upgrade
    from notary import store
    from notary.envelope import make_entry

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"FUNDVOTE_INSTANCE_PATH": str(Path(tmp))})
        rt = build_runtime(settings)
        upgrade(rt.engine)
        at = datetime(2026, 11, 22, tzinfo=UTC)
        batch = 500

        def append_batches() -> None:
            for start in range(0, size, batch):
                with rt.session_factory.begin() as s:
                    for i in range(start, min(size, start + batch)):
                        store.append(s, "bench", make_entry("bench.event", at, "bench", {"i": i}))

        start = time.perf_counter()
        append_batches()
        _report(
            "log append (SQLite, 500 per transaction)",
            f"{size} entries",
            time.perf_counter() - start,
            size,
        )
        with rt.session_factory() as s:
            _report("log root (SQLite)", f"{size} entries", _time(lambda: store.root(s, "bench")))
            idx = random.Random(5).sample(range(size), 100)
            _report(
                "log inclusion proof (SQLite)",
                f"{size} entries",
                _time(lambda: [store.inclusion_proof(s, "bench", i, size) for i in idx], 3),
                len(idx),
            )
            _report(
                "log consistency proof (SQLite)",
                f"{size} entries",
                _time(lambda: store.consistency_proof(s, "bench", size // 3, size), 5),
            )
        rt.engine.dispose()


def bench_voting(units: int, casts: int) -> None:
    """Import a roll, open a community-wide ballot (freezing the roll), issue every link,
    cast ballots and tally, on an SQLite file: the costs that grow with a community."""
    from estate.quantities import format_hundredths
    from estate.services import create_community, import_roll_file
    from fundvote.config import load_settings
    from fundvote.runtime import build_runtime
    from fundvote.schema import upgrade
    from notary.clock import FixedClock
    from voting import ballots, casting, credentials
    from voting.ballots import QuestionDraft

    rng = random.Random(11)
    lines = ["unit,building,area,owners,developer"]
    for i in range(units):
        owner = f"o{rng.randrange(units * 9 // 10)}"
        area = rng.randint(4500, 18000)
        code = f"{i // 500:02d}-{i % 500:04d}"
        lines.append(f"{code},{i // 500:02d},{format_hundredths(area)},{owner},")
    roll = ("\n".join(lines) + "\n").encode()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(datetime(2026, 11, 1, tzinfo=UTC))
        rt = build_runtime(load_settings({"FUNDVOTE_INSTANCE_PATH": tmp}), clock=clock)
        upgrade(rt.engine)
        rt.run(create_community, code="bench", name="bench")
        start = time.perf_counter()
        rt.run(
            import_roll_file,
            community_code="bench",
            data=roll,
            filename="bench.csv",
            cipher=rt.cipher,
        )
        _report("roll import", f"{units} units", time.perf_counter() - start, units)
        info = rt.run(
            ballots.create_ballot,
            community_code="bench",
            title="bench",
            description="",
            opens_at=clock.now(),
            closes_at=clock.now() + timedelta(days=7),
            questions=[QuestionDraft(matter="other", text="?")],
        )
        start = time.perf_counter()
        rt.run(ballots.open_ballot, ballot_ref=info.ref)
        _report("open ballot (freeze roll)", f"{units} units", time.perf_counter() - start)
        start = time.perf_counter()
        issued = rt.run(credentials.issue_links, ballot_ref=info.ref, base_url="http://b")
        _report(
            "issue links",
            f"{len(issued.links)} members",
            time.perf_counter() - start,
            len(issued.links),
        )
        clock.advance(minutes=1)
        start = time.perf_counter()
        for link in issued.links[:casts]:
            rt.run(casting.cast_vote, token=link.url.rsplit("/", 1)[1], choices={1: "agree"})
        _report(
            "cast ballot (signed receipt, logged)",
            f"{casts} casts",
            time.perf_counter() - start,
            casts,
        )
        clock.advance(days=8)
        rt.run(ballots.close_ballot, ballot_ref=info.ref)
        start = time.perf_counter()
        rt.run(ballots.tally_ballot, ballot_ref=info.ref)
        _report("tally", f"{len(issued.links)} members", time.perf_counter() - start)
        rt.engine.dispose()


def main() -> None:
    print(f"{'benchmark':<44} {'size':>18} {'total':>13}  {'per op':>13}")
    for units in (1_300, 50_000):
        bench_rules(units)
    for size in (10_000, 100_000):
        bench_merkle_memory(size)
    bench_log_store(20_000)
    bench_voting(10_000, 300)


if __name__ == "__main__":
    main()
