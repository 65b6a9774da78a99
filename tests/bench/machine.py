"""The machine a run measured on: cores, CPU model, PostgreSQL version and durability."""

from __future__ import annotations

import os
from pathlib import Path

from tests.bench import pg


def cpu_model() -> str:
    """The first ``model name`` of /proc/cpuinfo (``unknown`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def describe() -> str:
    """One line: cores usable (as ``nproc`` counts them), CPU, PostgreSQL facts."""
    facts = pg.server_facts()
    cores = len(os.sched_getaffinity(0))
    return (
        f"machine: {cores} cores (nproc), CPU {cpu_model()}; PostgreSQL {facts['version']}"
        f" (synchronous_commit={facts['synchronous_commit']}, fsync={facts['fsync']},"
        f" wal_sync_method={facts['wal_sync_method']})"
    )
