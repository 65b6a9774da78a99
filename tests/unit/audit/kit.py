"""Audit bundles assembled in tests straight from docs/audit-bundle.md: a small log with one
ballot (online and paper votes, decisions computed by voting's rules) and a document, sealed
(checkpoint, keys, manifest, manifest.sig) by a key ring, written as a zip.

A bundle is a dict ``path -> bytes``; :func:`seal` adds the signed members, so a test can
change a member and either keep the old seal (a naive tamper) or re-seal it with its own key
(an attacker who recomputes every hash and signature).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.bundle import roll_csv
from notary.canonical import canonical_bytes
from notary.checkpoint import Checkpoint, sign_checkpoint
from notary.documents import document_bytes, document_ref
from notary.envelope import format_time
from notary.keys import KeyRing
from notary.merkle import root_of
from notary.note import sign_note
from voting.decision_rules import decision_record, matter_of
from voting.tally import Ballot as TallyBallot
from voting.tally import tally

RING = KeyRing("fundvote.test", Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))
ATTACKER = KeyRing("fundvote.test", Ed25519PrivateKey.from_private_bytes(b"\x09" * 32))
COMMUNITY = "demo"
ORIGIN = f"fundvote.test/{COMMUNITY}"
REF = "B-2026-001"
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AREAS = {"A-101": 9_000, "A-102": 8_550, "A-201": 12_000, "B-101": 7_525, "B-102": 10_000}
QUESTIONS = [(1, "fund_use"), (2, "other")]


class Log:
    """Entries appended in order, with a clock ticking a minute per entry."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.documents: dict[str, bytes] = {}

    def add(self, kind: str, data: dict[str, Any], *, v2: bool = True) -> int:
        at = format_time(START + timedelta(minutes=len(self.lines)))
        entry: dict[str, Any] = {"v": 1, "type": kind, "at": at, "community": COMMUNITY}
        if v2:
            salt = hashlib.sha256(f"salt{len(self.lines)}".encode()).hexdigest()[:32]
            entry = {**entry, "v": 2, "salt": salt}
        entry["data"] = data
        self.lines.append(canonical_bytes(entry))
        return len(self.lines) - 1

    def document(self, value: Any) -> dict[str, str]:
        sha, body = document_bytes(value)
        self.documents[sha] = body
        return document_ref(sha)


def member_key(unit: str) -> str:
    return "m" + hashlib.sha256(f"{REF}:{unit}".encode()).hexdigest()[:32]


def roll_doc() -> dict[str, Any]:
    members = [
        {
            "key": member_key(unit),
            "developer": False,
            "owners": [f"o_{n}"],
            "area_centi": area,
            "units": [{"unit": unit, "building": unit[0], "area_centi": area}],
        }
        for n, (unit, area) in enumerate(sorted(AREAS.items()), start=1)
    ]
    return {
        "ballot": REF,
        "community": COMMUNITY,
        "scope": {"kind": "community", "codes": []},
        "heads": len(members),
        "area_centi": sum(AREAS.values()),
        "members": members,
    }


def sample_content() -> dict[str, bytes]:
    """The unsealed members of a bundle: its log, a document, and one tallied ballot."""
    log = Log()
    log.add("test.bulk", {"items": log.document([{"u": u} for u in AREAS])})
    log.add("voting.ballot_created", {"ballot": REF, "status": "draft", "by": 1}, v2=False)
    roll = roll_doc()
    commitment = hashlib.sha256(canonical_bytes(roll)).hexdigest()
    content = {
        "title": "Repair the lift",
        "questions": [{"position": p, "matter": m, "text": f"Q{p}"} for p, m in QUESTIONS],
    }
    opened = log.add(
        "voting.ballot_opened",
        {
            "ballot": REF,
            "status": "draft",
            "by": 1,
            "roll": {"commitment": commitment, "heads": 5, "area_centi": sum(AREAS.values())},
            "content": content,
            "consultation": False,
            "deemed_majority_enabled": False,
            "binding": "plain",
        },
    )
    votes = {"A-101": "agree", "A-102": "agree", "A-201": "oppose", "B-101": "abstain"}
    board: list[dict[str, Any]] = []
    for n, (unit, choice) in enumerate(votes.items()):
        key = member_key(unit)
        extra: dict[str, Any] = {}
        channel = "online"
        if unit == "B-101":
            channel = "paper"
            for entry_id, by in ((7, 3), (8, 4)):
                log.add(
                    "voting.paper_entered",
                    {
                        "ballot": REF,
                        "entry": entry_id,
                        "member": key,
                        "by": by,
                        "status": "pending",
                        "scan_sha256": "0" * 64,
                        "choices": {"1": choice, "2": "agree"},
                    },
                )
            extra = {
                "paper": {"entries": [7, 8], "entered_by": [3, 4], "scan_sha256": ["0" * 64] * 2}
            }
        choices = {"1": choice, "2": "agree"}
        index = log.add(
            "voting.ballot_cast",
            {
                "ballot": REF,
                "member": key,
                "choices": choices,
                "channel": channel,
                "weights": {"heads": 1, "area_centi": AREAS[unit]},
                "tracker": f"T{n}",
                **extra,
            },
        )
        board.append({"member": key, "choices": choices, "channel": channel, "log_index": index})
    log.add("test.note", {"n": 1})
    closed = log.add("voting.ballot_closed", {"ballot": REF, "status": "open", "by": 1, "cast": 4})
    members = [_M(m["key"], 1, m["area_centi"]) for m in roll["members"]]
    tally_items = []
    for position, matter in QUESTIONS:
        cast = [TallyBallot(b["member"], b["choices"][str(position)]) for b in board]
        result = tally(members, cast, matter_of(False, matter), deemed_majority=False)
        record = decision_record(REF, position, matter, result, "plain")
        index = log.add("voting.decision_recorded", record)
        tally_items.append({"question": position, "log_index": index, "data": record})
    published = log.add("voting.ballot_published", {"ballot": REF, "status": "tallied", "by": 1})
    events = [
        {"type": "voting.ballot_created", "log_index": 1},
        {"type": "voting.ballot_opened", "log_index": opened},
        {"type": "voting.ballot_closed", "log_index": closed},
        *({"type": "voting.decision_recorded", "log_index": t["log_index"]} for t in tally_items),
        {"type": "voting.ballot_published", "log_index": published},
    ]
    files = {
        "log/entries.jsonl": b"".join(line + b"\n" for line in log.lines),
        **{f"log/documents/{sha}.json": body for sha, body in log.documents.items()},
        "ballots/index.json": _j(
            {"ballots": [{"ballot": REF, "opened_index": opened, "status": "published"}]}
        ),
        f"ballots/{REF}/ballot.json": _j(
            {"ballot": REF, "title": content["title"], "status": "published", "events": events}
        ),
        f"ballots/{REF}/roll.json": _j(roll),
        f"ballots/{REF}/roll.csv": roll_csv(roll),
        f"ballots/{REF}/board.json": _j({"ballot": REF, "ballots": board}),
        f"ballots/{REF}/tally.json": _j({"ballot": REF, "questions": tally_items}),
        f"ballots/{REF}/notice.pdf": b"%PDF-1.4 notice\n",
        "ledger/trial_balance.csv": b"code,debit_fen,credit_fen,balance_fen\r\n",
    }
    return files


class _M:
    def __init__(self, key: str, heads: int, area_centi: int) -> None:
        self.key, self.heads, self.area_centi = key, heads, area_centi


def _j(value: Any) -> bytes:
    return canonical_bytes(value)


def lines_of(files: dict[str, bytes]) -> list[bytes]:
    return files["log/entries.jsonl"].splitlines()


def seal(
    content: dict[str, bytes],
    ring: KeyRing = RING,
    *,
    checkpoint: Checkpoint | None = None,
    keys: list[KeyRing] | None = None,
) -> dict[str, bytes]:
    """``content`` with checkpoint.txt (over its log unless given), keys/, manifest.json and
    manifest.sig, all signed by ``ring``."""
    files = {k: v for k, v in content.items() if not k.startswith("keys/")}
    for p in ("checkpoint.txt", "manifest.json", "manifest.sig"):
        files.pop(p, None)
    lines = lines_of(files)
    cp = checkpoint or Checkpoint(ORIGIN, len(lines), root_of(lines))
    files["checkpoint.txt"] = sign_checkpoint(cp, ring).encode()
    for r in keys or [ring]:
        files[f"keys/{r.verifier.key_id_hex}.vkey"] = (r.verifier.text + "\n").encode()
    manifest = {
        "version": 1,
        "community": COMMUNITY,
        "period": {"from": None, "to": None},
        "checkpoint": {
            "origin": cp.origin,
            "size": cp.size,
            "root": base64.b64encode(cp.root).decode(),
        },
        "files": [
            {"path": p, "size": len(files[p]), "sha256": hashlib.sha256(files[p]).hexdigest()}
            for p in sorted(files)
        ],
    }
    body = canonical_bytes(manifest)
    files["manifest.json"] = body
    sig = f"fundvote manifest v1\n{hashlib.sha256(body).hexdigest()}\n"
    files["manifest.sig"] = sign_note(sig, ring).encode()
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[path])
    return out.getvalue()


def write(files: dict[str, bytes], path: Path) -> Path:
    path.write_bytes(zip_bytes(files))
    return path


def jl(files: dict[str, bytes], path: str) -> Any:
    return json.loads(files[path])
