"""The demo's real bundle verifies clean, pinned and unpinned."""

from __future__ import annotations

from pathlib import Path

from audit.verify import verify_bundle
from tests.services.audit.conftest import DemoBundle


def test_the_demo_bundle_is_clean(demo_bundle: DemoBundle, tmp_path: Path) -> None:
    path = tmp_path / "demo.zip"
    path.write_bytes(demo_bundle.data)
    report = verify_bundle(path, key=demo_bundle.key)
    assert report.findings == [], report.text()
    assert report.counts["ballots"] >= 2 and report.counts["journal_entries"] > 100
