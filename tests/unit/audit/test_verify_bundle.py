"""The offline verifier on bundles assembled from the contract: a clean one, and each
content check with its own finding."""

from __future__ import annotations

from pathlib import Path

from audit.verify import verify_bundle
from tests.unit.audit.kit import RING, sample_content, seal, write


def test_clean_bundle(tmp_path: Path) -> None:
    path = write(seal(sample_content()), tmp_path / "b.zip")
    report = verify_bundle(path)
    assert report.findings == [], report.text()
    assert report.clean and not report.key_pinned
    pinned = verify_bundle(path, key=RING.verifier.text)
    assert pinned.clean and pinned.key_pinned, pinned.text()
    assert pinned.counts["ballots"] == 1 and pinned.counts["votes"] == 4
    assert pinned.counts["questions"] == 2 and pinned.counts["documents"] == 1
