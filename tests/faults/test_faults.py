"""The short fault run (PostgreSQL): about 40 owners casting for 15 s through ``fundvote serve``
while two workers are killed and the app's database sessions are terminated once; every
guarantee of :func:`tests.faults.chaos.check` must hold. Fixed seed."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import requires_postgres
from tests.faults.chaos import Plan, run


@requires_postgres
def test_casts_survive_killed_workers_and_cut_connections(tmp_path: Path) -> None:
    report = run(Plan(clients=40, seconds=15, kills=2, terminations=1, members=4000), tmp_path)
    print(report.summary())
    assert report.problems == [], report.summary()
    assert report.casts > 100, report.summary()
    assert report.lost_then_retried > 0, report.summary()
    kinds = " ".join(report.faults)
    assert kinds.count("SIGKILL") == 2, report.summary()
    assert re.search(r"pg_terminate_backend x[1-9]", kinds), report.summary()
