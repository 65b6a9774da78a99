"""Benchmarks that print figures beside baselines measured in the same run.

``make bench`` (``python -m tests.bench``) runs them all; ``python -m tests.bench cast merkle``
runs a subset; ``--quick`` uses tiny sizes (a smoke run: its figures mean nothing). Every
figure is written to ``bench/results.json`` as ``{"name": {"value", "unit", "baseline"}}``;
docs/benchmarks.md says what each one measures. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from tests.bench import (
    bench_bundle,
    bench_cast,
    bench_import,
    bench_ledger,
    bench_merkle,
    bench_pages,
    bench_slips,
    bench_tally,
    machine,
)
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import FULL, QUICK, Sizes

Bench = Callable[[Site, Sizes, Results], None]

# In this order: the tally waits for the big ballot's window, so it comes last.
BENCHES: dict[str, Bench] = {
    "import": bench_import.run,
    "pages": bench_pages.run,
    "cast": bench_cast.run,
    "merkle": bench_merkle.run,
    "slips": bench_slips.run,
    "ledger-post": bench_ledger.run_post,
    "ledger-balances": bench_ledger.run_balances,
    "beancount": bench_ledger.run_beancount,
    "bundle": bench_bundle.run,
    "tally": bench_tally.run,
}
DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "bench" / "results.json"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {', '.join(BENCHES)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke runs")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    return args


def _stop_on_term(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; return 0, or 1 when some figure came with failures."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    sizes = QUICK if args.quick else FULL
    chosen = [n for n in BENCHES if not args.names or n in args.names]
    signal.signal(signal.SIGTERM, _stop_on_term)
    results = Results()
    started = time.perf_counter()
    print(machine.describe())
    print(f"sizes: {'quick' if args.quick else 'full'}; benchmarks: {' '.join(chosen)}")
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fundvote-bench-")))
        site = Site(stack, tmp, args.quick)
        for name in chosen:
            print(f"[{name}]")
            BENCHES[name](site, sizes, results)
            results.write(args.output)  # keep what was measured if a later bench fails
    results.write(args.output)
    print(f"wrote {args.output} ({len(results.figures)} figures) in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    if results.warnings:
        print("!!! THIS RUN HAD ERRORS; its figures are suspect:")
        for warning in results.warnings:
            print(f"!!!   {warning}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
