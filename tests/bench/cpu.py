"""The CPU a measured run costs, split between the application and PostgreSQL, from
``/proc`` (Linux), so that a figure can say where a request's time goes.

On this shared two-core host a throughput moves with whatever else runs, while the CPU one
request costs barely does: it is the figure that shows what a change saved, and what no change
to the application can save (PostgreSQL's own share). What is counted:

- the application: every process of the server's process group (gunicorn's arbiter and
  workers; the servers are started in sessions of their own), or this process for an
  in-process benchmark;
- PostgreSQL: the backends connected to the run's database (``pg_stat_activity``), not the
  server's background processes (WAL writer, checkpointer), which every side shares.

The kernel counts in clock ticks (10 ms on Linux), so a figure needs a run of some seconds;
divided by a thousand requests its resolution is about 10 µs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from tests.bench import pg

T = TypeVar("T")
_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuUse:
    """CPU milliseconds a run cost: in the application and in its PostgreSQL backends."""

    app_ms: float
    postgres_ms: float

    def per(self, count: int) -> CpuUse:
        """The same per request (or entry): divided by ``count``."""
        return CpuUse(self.app_ms / count, self.postgres_ms / count)

    @property
    def total_ms(self) -> float:
        return self.app_ms + self.postgres_ms

    def describe(self) -> str:
        """``app 5.12 + PostgreSQL 1.63 ms``."""
        return f"app {self.app_ms:.2f} + PostgreSQL {self.postgres_ms:.2f} ms"


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None
    when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def _ticks(pid: int) -> int:
    """User plus system clock ticks the process has used so far (0 when it is gone)."""
    fields = _stat_fields(pid)
    return 0 if fields is None else int(fields[11]) + int(fields[12])


def ticks_ms(pid: int) -> float:
    """The CPU milliseconds process ``pid`` has used so far (0 when it is gone)."""
    return _ticks(pid) * _TICK_MS


def group_pids(pgid: int) -> list[int]:
    """The processes of process group ``pgid``."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            if fields is not None and int(fields[2]) == pgid:
                found.append(int(name))
    return found


def _sum_ticks(before: dict[int, int], pids: Iterable[int]) -> float:
    """Milliseconds used since ``before`` by ``pids`` (a process that appeared since then
    counts from zero; one that ended since then is lost)."""
    return sum(_ticks(p) - before.get(p, 0) for p in set(pids)) * _TICK_MS


def measure(
    app_pids: Callable[[], list[int]], database_url: str, work: Callable[[], T]
) -> tuple[T, CpuUse]:
    """Run ``work`` and return its result with the CPU it cost: the processes
    ``app_pids()`` lists (asked before and after) and the PostgreSQL backends connected to
    the database of ``database_url``."""
    app_before = {p: _ticks(p) for p in app_pids()}
    pg_before = {p: _ticks(p) for p in pg.backend_pids(database_url)}
    result = work()
    app = _sum_ticks(app_before, [*app_before, *app_pids()])
    postgres = _sum_ticks(pg_before, [*pg_before, *pg.backend_pids(database_url)])
    return result, CpuUse(app, postgres)
