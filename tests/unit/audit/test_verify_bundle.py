"""The offline verifier on bundles assembled from the contract: a clean one, and each
content check with its own finding."""

from __future__ import annotations

from pathlib import Path

from audit.verify import verify_bundle
from tests.unit.audit.kit import REF, RING, sample_content, seal, write


def test_clean_bundle(tmp_path: Path) -> None:
    path = write(seal(sample_content()), tmp_path / "b.zip")
    report = verify_bundle(path)
    assert report.findings == [], report.text()
    assert report.clean and not report.key_pinned
    pinned = verify_bundle(path, key=RING.verifier.text)
    assert pinned.clean and pinned.key_pinned, pinned.text()
    assert pinned.counts["ballots"] == 1 and pinned.counts["votes"] == 4
    assert pinned.counts["questions"] == 2 and pinned.counts["documents"] == 1


def test_roll_csv_must_be_roll_json(tmp_path: Path) -> None:
    """The CSV beside the roll is checked row by row against roll.json: a changed area, a
    unit left out, another header, or no CSV at all is a ``roll`` finding naming the file."""
    path = f"ballots/{REF}/roll.csv"
    good = sample_content()
    lines = good[path].decode().split("\r\n")
    unit, building, area, *rest = lines[1].split(",")
    changes: dict[str, dict[str, bytes] | None] = {
        f"{path}:2": {
            path: "\r\n".join(
                [lines[0], f"{unit},{building},9{area}," + ",".join(rest), *lines[2:]]
            ).encode()
        },
        path: {path: "\r\n".join([*lines[:-2], ""]).encode()},  # the last unit left out
        f"{path}:1": {
            path: "\r\n".join(["unit,building,area,owner,developer", *lines[1:]]).encode()
        },
        "missing": None,
    }
    for where, change in changes.items():
        files = dict(good)
        if change is None:
            del files[path]
        else:
            files.update(change)
        report = verify_bundle(write(seal(files), tmp_path / "t.zip"))
        assert report.checks() == {"roll"}, report.text()
        assert [f.where for f in report.findings] == [path if where == "missing" else where]
