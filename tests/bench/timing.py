"""Wall-clock timing helpers for the benchmarks (never used by the test suite)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` runs (``repeat >= 1``)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def once_seconds(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall time of one call of ``fn()`` in seconds, and what it returned."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out
