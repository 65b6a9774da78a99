"""``documents/index.csv`` against the log: each row's file hash is named by the log entry at
its index (the files themselves are not in the bundle, so their hash in the log is what an
auditor checks a file against)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from audit.findings import BundleFiles, Finding

INDEX = "documents/index.csv"
HEADER = ["kind", "ref", "file", "sha256", "log_index"]
KINDS = {"attachment", "scan", "evidence", "statement", "legacy"}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class DocumentIndexCheck:
    """A ``StreamCheck``: reads the index first (:meth:`load`), keeps the entries it names,
    then compares each row with its entry."""

    def __init__(self) -> None:
        self._rows: list[tuple[int, dict[str, str]]] = []
        self._wanted: set[int] = set()
        self._seen: dict[int, str] = {}
        self._findings: list[Finding] = []

    def load(self, files: BundleFiles) -> None:
        """Read ``documents/index.csv`` (if any) before the log streams past."""
        raw = files.read(INDEX)
        if raw is None:
            return
        try:
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
        except (UnicodeDecodeError, csv.Error):
            self._add(INDEX, "not a UTF-8 CSV file")
            return
        if not rows or rows[0] != HEADER:
            self._add(INDEX, "its header is not " + ",".join(HEADER))
            return
        for n, row in enumerate(rows[1:], start=2):
            where = f"{INDEX}:{n}"
            if len(row) != len(HEADER):
                self._add(where, "not a row of five fields")
                continue
            record = dict(zip(HEADER, row, strict=True))
            if record["kind"] not in KINDS or not _HEX64.fullmatch(record["sha256"]):
                self._add(where, "an unknown kind or a malformed SHA-256")
                continue
            if not record["log_index"].isdigit():
                self._add(where, "its log index is not a number")
                continue
            index = int(record["log_index"])
            self._rows.append((n, record))
            self._wanted.add(index)

    @property
    def rows(self) -> int:
        """How many rows were read."""
        return len(self._rows)

    def entry(self, index: int, entry: dict[str, Any]) -> None:
        """Keep the text of the entries the index names (documents inlined)."""
        if index in self._wanted:
            self._seen[index] = json.dumps(entry, ensure_ascii=False)

    def finish(self, files: BundleFiles) -> None:
        """Each row's hash must appear in its entry; rows must be in log order."""
        last = -1
        for n, record in self._rows:
            where = f"{INDEX}:{n}"
            index = int(record["log_index"])
            if index < last:
                self._add(where, "rows are not in log order")
            last = index
            text = self._seen.get(index)
            if text is None:
                self._add(where, f"log index {index} is not in the log")
            elif record["sha256"] not in text:
                self._add(where, f"the log entry at index {index} does not name this file's hash")

    def findings(self) -> list[Finding]:
        """What is wrong with the index."""
        return list(self._findings)

    def pending(self) -> list[Finding]:
        """Nothing is ever pending here."""
        return []

    def notes(self) -> list[Finding]:
        """Nothing to note."""
        return []

    def _add(self, where: str, what: str) -> None:
        self._findings.append(Finding("document", where, what))
