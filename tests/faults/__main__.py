"""``python -m tests.faults [--clients N] [--seconds S] [--kills K] [--terminations T]
[--members M] [--seed SEED]``: the benchmark-sized fault run (200 clients by default) on the
PostgreSQL server of ``BENCH_POSTGRES`` (default 127.0.0.1:5432); exit status 1 when a check
fails. Needs no test framework; prints what clients saw and every failed check."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.faults.chaos import Plan, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--terminations", type=int, default=2)
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=Plan.seed)
    args = parser.parse_args()
    plan = Plan(
        clients=args.clients,
        seconds=args.seconds,
        kills=args.kills,
        terminations=args.terminations,
        members=args.members,
        seed=args.seed,
    )
    with tempfile.TemporaryDirectory(prefix="fundvote-faults-") as tmp:
        report = run(plan, Path(tmp))
    print(report.summary())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
