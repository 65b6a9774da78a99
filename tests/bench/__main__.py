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
from datetime import UTC, datetime
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


def main() -> None:
    print(f"{'benchmark':<44} {'size':>18} {'total':>13}  {'per op':>13}")
    for units in (1_300, 50_000):
        bench_rules(units)
    for size in (10_000, 100_000):
        bench_merkle_memory(size)
    bench_log_store(20_000)


if __name__ == "__main__":
    main()
