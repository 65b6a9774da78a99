"""Audit bundles at scale: building and verifying the bundle of a community whose log holds
``bundle_log_entries`` entries (a million in the full run), ``bundle_journal_entries`` of them
journal entries (100,000), on PostgreSQL.

- ``bundle_build`` (seconds): ``fundvote bundle CODE`` in a process of its own, beside the
  floor of any bundle: the same log rows streamed by one bare ``SELECT`` into one deflated zip
  member. ``bundle_build_peak_memory`` (MiB): that process's peak resident memory, beside the
  floor's.
- ``bundle_verify`` (seconds): ``fundvote verify --json`` on that bundle (it must come out
  clean), beside the floor of any verifier: ``log/entries.jsonl`` read from the zip and
  hashed into its Merkle root with plain ``hashlib``. ``bundle_verify_peak_memory`` (MiB):
  the verifier's peak resident memory beside the floor's; the verifier streams the log, so
  its memory is the books and ballots it tracks, not the log's size.

The history is loaded by :mod:`tests.bench.bundle_history` (the rows appending would write,
in bulk).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fundvote.config import load_settings
from fundvote.db import make_engine
from fundvote.runtime import build_runtime
from fundvote.schema import upgrade
from tests.bench import bundle_history, pg
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import Sizes

CODE = "BBUNDLE"
ROOT = Path(__file__).resolve().parents[2]


def _child(env: dict[str, str], *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.bundle_child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bundle step {args[0]} failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``bundle_build``, ``bundle_build_peak_memory``, ``bundle_verify`` and
    ``bundle_verify_peak_memory``."""
    url = pg.create_database("bundle")
    site.stack.callback(pg.drop_database, url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {
        **os.environ,
        "FUNDVOTE_INSTANCE_PATH": str(site.tmp / "bundle-instance"),
        "FUNDVOTE_DATABASE_URL": url,
        "FUNDVOTE_SECRET_KEY": hashlib.sha256(b"bench-bundle").hexdigest(),
    }
    rt = build_runtime(load_settings({k: env[k] for k in env if k.startswith("FUNDVOTE_")}))
    site.stack.callback(rt.engine.dispose)
    started = time.perf_counter()
    history = bundle_history.load(
        rt,
        CODE,
        units=sizes.ledger_units,
        years=sizes.ledger_years,
        journal_entries=sizes.bundle_journal_entries,
        log_entries=sizes.bundle_log_entries,
    )
    print(
        f"  (log: {history.log_entries:,} entries, {history.journal_entries:,} journal entries, "
        f"{history.postings:,} postings, {history.units:,} units; loaded in "
        f"{time.perf_counter() - started:.0f} s)"
    )
    bundle = site.tmp / "bundle.zip"
    floor_zip = site.tmp / "floor.zip"
    built = _child(env, "build", CODE, str(bundle))
    floor = _child(env, "floor-build", url, CODE, str(floor_zip))
    size_mib = bundle.stat().st_size / 2**20
    note = f"{history.log_entries:,} log entries; bundle {size_mib:.0f} MiB"
    results.add("bundle_build", built["seconds"], "s", floor["seconds"], note)  # type: ignore[arg-type]
    results.add("bundle_build_peak_memory", built["peak_mib"], "MiB", floor["peak_mib"])  # type: ignore[arg-type]
    checked = _child(env, "verify", str(bundle))
    floor_v = _child(env, "floor-verify", str(bundle))
    detail = checked["detail"]
    if not isinstance(detail, dict) or not detail.get("clean"):
        results.warn(f"the benchmark's bundle did not verify clean: {detail}")
    results.add("bundle_verify", checked["seconds"], "s", floor_v["seconds"], note)  # type: ignore[arg-type]
    results.add("bundle_verify_peak_memory", checked["peak_mib"], "MiB", floor_v["peak_mib"])  # type: ignore[arg-type]
