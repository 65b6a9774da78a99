"""Building a community's signed audit bundle (docs/audit-bundle.md is the layout).

:func:`build_bundle` reads, in one read-only unit of work and one snapshot of the database,
the community's latest *stored* signed checkpoint and everything up to it, and writes a
reproducible zip. It never appends to the log and never signs a checkpoint: the bundle ends
at the checkpoint that exists (run ``fundvote tick`` for a fresher one). The only signature
it makes is ``manifest.sig``, with the key that signed that checkpoint.

What the bundle presents comes from the log itself wherever the log holds it (ballots'
states, votes and decisions; journal entries; balances), so the bundle and its
``log/entries.jsonl`` cannot disagree; what the log holds only as a commitment comes from the
tables through the packages' public APIs (a ballot's frozen roll, the chart of accounts,
published reports), and printed documents (notices, reports, the cover) from the renderers
the composition root passes in, so that this package needs no web framework.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from io import StringIO
from typing import IO, Any, Protocol

from audit.bundle_log import SHANGHAI, BallotFacts, LogReader, Period
from audit.bundle_previous import previous_checkpoint, previous_note
from audit.bundle_zip import Members, members
from audit.errors import (
    N_,
    BundlePeriodInvalid,
    CheckpointSignerRetired,
    NoCheckpoint,
    PreviousBundleRejected,
)
from estate import api as estate
from ledger import api as ledger
from ledger.api import PublicationInfo
from notary import store
from notary.canonical import canonical_bytes
from notary.keys import VerifierKey
from notary.logcheck import entries_from
from notary.merkle import verify_consistency
from notary.note import sign_note, split_note
from notary.work import UnitOfWork
from voting import api as voting

MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
COVER = "cover.pdf"
NOT_IN_MANIFEST = (MANIFEST, MANIFEST_SIG, COVER)
"""The members the manifest does not list: itself, its signature, and the cover, which
prints the manifest's fingerprint (so the manifest cannot list it)."""
MANIFEST_NOTE = "fundvote manifest v1\n{sha256}\n"


@dataclass(frozen=True)
class Cover:
    """What the cover page summarises."""

    community_code: str
    community_name: str
    period: Period
    origin: str
    size: int
    root_b64: str
    manifest_sha256: str
    key_ids: tuple[str, ...]
    previous_size: int | None
    counts: Mapping[str, int]


class Renderers(Protocol):
    """The printed documents, rendered by the composition root (WeasyPrint templates)."""

    def notice_pdf(self, community: estate.CommunityInfo, ballot_ref: str) -> bytes | None:
        """The ballot's results notice, or None when its results are not public."""

    def report_files(
        self, community: estate.CommunityInfo, publication: PublicationInfo
    ) -> tuple[bytes, bytes]:
        """A published report as PDF and CSV bytes."""

    def cover_pdf(self, cover: Cover) -> bytes:
        """The bundle's one-page cover."""


@dataclass(frozen=True)
class BundleSummary:
    """What was built: the checkpoint it ends at, the manifest's SHA-256 (the bundle's
    fingerprint) and how many of each thing it presents."""

    community: str
    period: Period
    size: int
    root_b64: str
    manifest_sha256: str
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BundleEnd:
    """Where a bundle built now would end: the latest stored checkpoint, when it was signed,
    by which key, and whether that key is still the active one (else no bundle can be built
    until a fresh checkpoint is signed)."""

    size: int
    signed_at: datetime
    key_ids: tuple[str, ...]
    is_signer_active: bool


def bundle_end(uow: UnitOfWork, community: str) -> BundleEnd | None:
    """The checkpoint a bundle of ``community`` built now would end at, or None when its log
    has no signed checkpoint. Reads only."""
    signed = store.latest_checkpoint(uow.session, community)
    if signed is None:
        return None
    _, signatures = split_note(signed.note)
    active = uow.keyring.verifier
    return BundleEnd(
        size=signed.size,
        signed_at=signed.created_at,
        key_ids=tuple(sig.key_id.hex() for sig in signatures),
        is_signer_active=_is_signed_by(signed.note, active),
    )


def check_period(start: date | None, end: date | None) -> Period:
    """The period from ``start`` to ``end`` (either may be open); ``BundlePeriodInvalid``
    when it ends before it starts."""
    if start is not None and end is not None and end < start:
        raise BundlePeriodInvalid(
            N_("The period ends (%(end)s) before it starts (%(start)s)."),
            start=start.isoformat(),
            end=end.isoformat(),
        )
    return Period(start, end)


def build_bundle(
    uow: UnitOfWork,
    out: IO[bytes],
    *,
    community: str,
    period: Period,
    renderers: Renderers,
    previous: bytes | IO[bytes] | None = None,
) -> BundleSummary:
    """Write the audit bundle of ``community`` for ``period`` to ``out`` (seekable).

    Guarantees: the bundle ends at the latest stored signed checkpoint (``NoCheckpoint`` when
    there is none) and holds every log entry below it exactly as stored; nothing is written
    to the database (the log's size and its checkpoints are unchanged); ``manifest.sig`` is
    signed by the key that signed the checkpoint (``CheckpointSignerRetired`` when that key
    was retired since); with ``previous`` (an earlier bundle or its ``checkpoint.txt``) the
    bundle carries a consistency proof from that checkpoint, refused with
    ``PreviousBundleUnreadable``/``PreviousBundleRejected`` when it is not one of this log's
    or not on the same history. The same data gives the same bytes. No file holds a name,
    phone or ID number: members and owners appear only by opaque key and ref.
    """
    s = uow.session
    if s.get_bind().dialect.name == "postgresql":  # one snapshot for every read below
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    info = estate.find_community(uow, community)
    if info is None:
        raise estate.CommunityNotFound(N_("There is no community %(code)s."), code=community)
    signed = store.latest_checkpoint(s, community)
    if signed is None:
        raise NoCheckpoint(
            N_(
                "The log of %(code)s has no signed checkpoint yet: run 'fundvote tick', then "
                "build the bundle again."
            ),
            code=community,
        )
    keyring = uow.keyring
    _check_signer(signed.note, keyring.verifier, community)
    proof = None if previous is None else _consistency(uow, community, signed, previous)
    with members() as files:
        counts = _write_log(uow, files, info, signed.size, period, renderers)
        for key in keyring.verifiers():
            files.add(f"keys/{key.key_id_hex}.vkey", (key.text + "\n").encode())
        files.add("checkpoint.txt", signed.note.encode())
        counts["reports"] = _write_reports(uow, files, info, signed.size, period, renderers)
        if proof is not None:
            files.add("proofs/consistency.json", canonical_bytes(proof))
        manifest = canonical_bytes(
            {
                "version": 1,
                "community": community,
                "period": _period_json(period),
                "checkpoint": {
                    "origin": signed.origin,
                    "size": signed.size,
                    "root": base64.b64encode(signed.root).decode(),
                },
                "files": [
                    {"path": m.path, "size": m.size, "sha256": m.sha256}
                    for m in files.infos()
                    if m.path not in NOT_IN_MANIFEST
                ],
            }
        )
        fingerprint = hashlib.sha256(manifest).hexdigest()
        files.add(MANIFEST, manifest)
        files.add(
            MANIFEST_SIG, sign_note(MANIFEST_NOTE.format(sha256=fingerprint), keyring).encode()
        )
        root_b64 = base64.b64encode(signed.root).decode()
        cover = Cover(
            community_code=community,
            community_name=info.name,
            period=period,
            origin=signed.origin,
            size=signed.size,
            root_b64=root_b64,
            manifest_sha256=fingerprint,
            key_ids=tuple(k.key_id_hex for k in keyring.verifiers()),
            previous_size=None if proof is None else proof["old"]["size"],
            counts=dict(counts),
        )
        files.add(COVER, renderers.cover_pdf(cover))
        files.write_zip(out)
    return BundleSummary(community, period, signed.size, root_b64, fingerprint, dict(counts))


def _period_json(period: Period) -> dict[str, str | None]:
    return {
        "from": None if period.start is None else period.start.isoformat(),
        "to": None if period.end is None else period.end.isoformat(),
    }


def _is_signed_by(note: str, key: VerifierKey) -> bool:
    _, signatures = split_note(note)
    return any(sig.name == key.name and sig.key_id == key.key_id for sig in signatures)


def _check_signer(note: str, active: VerifierKey, community: str) -> None:
    if not _is_signed_by(note, active):
        raise CheckpointSignerRetired(
            N_(
                "The latest checkpoint of %(code)s was signed by a key retired since, and a "
                "bundle's manifest must be signed by the checkpoint's key. Run 'fundvote "
                "tick' once the log has a new entry, so that the active key signs a fresh "
                "checkpoint, then build the bundle again."
            ),
            code=community,
        )


def _consistency(
    uow: UnitOfWork, community: str, signed: store.SignedCheckpoint, previous: bytes | IO[bytes]
) -> dict[str, Any]:
    note = previous_note(previous)
    old = previous_checkpoint(note, uow.keyring.verifiers(), origin=signed.origin, size=signed.size)
    proof = store.consistency_proof(uow.session, community, old.size, signed.size)
    if not verify_consistency(old.size, signed.size, old.root, signed.root, proof):
        raise PreviousBundleRejected(
            N_(
                "The previous bundle's checkpoint is not on this log's history: the log was "
                "rewritten since, or the bundle is of another instance."
            )
        )
    b64 = base64.b64encode
    return {
        "old": {"size": old.size, "root": b64(old.root).decode()},
        "new": {"size": signed.size, "root": b64(signed.root).decode()},
        "proof": [b64(h).decode() for h in proof],
        "previous_checkpoint": note,
    }


def _write_log(
    uow: UnitOfWork,
    files: Members,
    info: estate.CommunityInfo,
    size: int,
    period: Period,
    renderers: Renderers,
) -> dict[str, int]:
    """``log/``, ``ballots/``, ``ledger/`` (but its reports) and ``documents/``: one pass over
    the log, then what the log holds only as a commitment."""
    s = uow.session
    code = info.code

    written: set[str] = set()
    with files.open("log/entries.jsonl") as log_out, files.open("ledger/entries.jsonl") as led:
        reader = LogReader(period, voting.BALLOT_STATE_EVENTS, led.write)
        expected = 0
        for entry in entries_from(s, code, 0, size):
            if entry.index != expected:
                raise store.LogCorrupt(N_("The log has a gap."), log=code)
            log_out.write(entry.body_bytes + b"\n")
            fetch = _documents_of(entry, code)
            for sha256 in entry.references:
                if sha256 not in written:
                    written.add(sha256)
                    files.add(f"log/documents/{sha256}.json", fetch(sha256))
            reader.add(entry.index, entry.body_bytes, fetch)
            expected += 1
        if expected != size:
            raise store.LogCorrupt(N_("The log has a gap."), log=code)
    ballots = sorted(reader.ballots.values(), key=lambda b: b.opened_index)
    files.add(
        "ballots/index.json",
        canonical_bytes(
            {
                "ballots": [
                    {"ballot": b.ref, "opened_index": b.opened_index, "status": b.status}
                    for b in ballots
                ]
            }
        ),
    )
    for ballot in ballots:
        _write_ballot(uow, files, info, ballot, renderers)
    _write_books(uow, files, code, reader, period)
    index = [
        [row.kind, row.ref, row.file, row.sha256, str(row.log_index)]
        for row in reader.indexed_files()
    ]
    files.add(
        "documents/index.csv",
        estate.write_table(
            ["kind", "ref", "file", "sha256", "log_index"], index, "csv", numeric={4}
        ),
    )
    return {
        "entries": size,
        "ballots": len(ballots),
        "votes": sum(len(b.votes) for b in ballots),
        "journal_entries": reader.journal_entries,
        "documents": len(written),
        "files": len(index),
    }


def _documents_of(entry: store.StoredEntry, code: str) -> Callable[[str], bytes]:
    """The stored bytes of a document ``entry`` references (``LogCorrupt`` if missing)."""

    def fetch(sha256: str) -> bytes:
        found = entry.documents.get(sha256)
        if found is None:
            raise store.LogCorrupt(N_("A document the log refers to is missing."), log=code)
        return found

    return fetch


def _write_ballot(
    uow: UnitOfWork,
    files: Members,
    info: estate.CommunityInfo,
    ballot: BallotFacts,
    renderers: Renderers,
) -> None:
    ref = ballot.ref
    base = f"ballots/{ref}"
    files.add(
        f"{base}/ballot.json",
        canonical_bytes(
            {
                "ballot": ref,
                "title": ballot.title,
                "status": ballot.status,
                "events": [{"type": t, "log_index": i} for t, i in ballot.events],
            }
        ),
    )
    roll = voting.frozen_roll(uow, ref)
    if roll is not None:
        files.add(f"{base}/roll.json", canonical_bytes(roll))
        files.add(f"{base}/roll.csv", roll_csv(roll))
    files.add(f"{base}/board.json", canonical_bytes({"ballot": ref, "ballots": ballot.votes}))
    questions = [
        {"question": d["question"], "log_index": d["log_index"], "data": d["data"]}
        for d in ballot.decisions
    ]
    files.add(f"{base}/tally.json", canonical_bytes({"ballot": ref, "questions": questions}))
    if ballot.is_published:
        notice = renderers.notice_pdf(info, ref)
        if notice is not None:
            files.add(f"{base}/notice.pdf", notice)


def roll_csv(roll: Mapping[str, Any]) -> bytes:
    """A frozen roll document in the roll file format (``estate.roll``): one row per unit in
    code order, the member's opaque key as its owner, ``1`` for the developer's units."""
    rows = []
    for member in roll["members"]:
        for unit in member["units"]:
            rows.append(
                [
                    unit["unit"],
                    unit["building"],
                    estate.format_hundredths(unit["area_centi"]),
                    member["key"],
                    "1" if member["developer"] else "",
                ]
            )
    rows.sort(key=lambda row: row[0])
    return estate.write_table(list(estate.ROLL_COLUMNS), rows, "csv", numeric={2})


def _write_books(
    uow: UnitOfWork, files: Members, code: str, reader: LogReader, period: Period
) -> None:
    accounts = ledger.balances(uow, code)
    files.add(
        "ledger/accounts.csv",
        estate.write_table(
            ["code", "type", "fund", "unit", "name_zh", "name_en"],
            [[a.code, a.type, a.fund, a.unit_code or "", a.name_zh, a.name_en] for a in accounts],
            "csv",
        ),
    )
    codes = sorted({a.code for a in accounts} | set(reader.balances))
    rows = []
    for account in codes:
        balance = reader.balances.get(account, 0)
        rows.append([account, str(max(balance, 0)), str(max(-balance, 0)), str(balance)])
    files.add(
        "ledger/trial_balance.csv",
        estate.write_table(
            ["code", "debit_fen", "credit_fen", "balance_fen"], rows, "csv", numeric={1, 2, 3}
        ),
    )
    text = StringIO()
    ledger.write_beancount(uow, code, text, to=period.end)
    files.add("ledger/books.beancount", text.getvalue().encode("utf-8"))


def _write_reports(
    uow: UnitOfWork,
    files: Members,
    info: estate.CommunityInfo,
    size: int,
    period: Period,
    renderers: Renderers,
) -> int:
    count = 0
    for publication in sorted(
        ledger.list_publications(uow, info.code), key=lambda p: (p.log_index, p.kind)
    ):
        day = publication.published_at.astimezone(SHANGHAI).date()
        if publication.log_index >= size or not period.holds(day):
            continue
        pdf, csv = renderers.report_files(info, publication)
        name = f"ledger/reports/{publication.kind}-{publication.period}"
        files.add(f"{name}.pdf", pdf)
        files.add(f"{name}.csv", csv)
        count += 1
    return count
