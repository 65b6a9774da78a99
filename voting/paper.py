"""Paper ballots, keyed twice by two different committee members (双人录入).

Each keying is a ``paper_entry`` with the SHA-256 of the scanned form. An entry counts only
when a second, *different* committee member keys the same choices for the same member (the
confirming keying must come from a user with the committee role in the ballot's community,
never an admin or a manager, and never the first keyer: ``ConfirmerNotCommittee``): then
both entries become ``counted`` and a ``cast_vote`` with channel ``paper`` is written, with
its log entry and signed receipt, exactly as an online ballot. Different choices make both
entries ``mismatch``: the committee resolves it by voiding the wrong entry, or by a third
keying that matches one of them. A member already recorded as having voted (online, by proxy
or on paper) cannot be counted again: the entry becomes ``conflict``, listed for the record
(the first valid ballot wins). Every keying is logged (``voting.paper_entered``) with the
staff user's id, never a name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notary.clock import Clock
from notary.work import UnitOfWork
from voting.casting import PollRef, Voter, normalise_choices, record_vote
from voting.errors import (
    N_,
    ConfirmerNotCommittee,
    IllegalTransition,
    NotEligible,
    PaperEntryInvalid,
    PaperEntryNotFound,
)
from voting.models import Ballot, PaperEntry, RollMember, RollUnit, Vote
from voting.receipts import Receipt
from voting.rows import ballot_by_ref, community_of, log_event, member_labels, question_rows

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
PAPER_BALLOT_STATUSES = ("open", "closed")
"""Paper forms are keyed while the ballot is open or after it closed, before the tally."""


@dataclass(frozen=True)
class PaperOutcome:
    """What one keying did: its entry's status, and the receipt when it made a ballot count."""

    entry_id: int
    status: str
    receipt: Receipt | None = None


@dataclass(frozen=True)
class PaperEntryInfo:
    entry_id: int
    member_id: int
    member_key: str
    member_label: str
    unit_codes: tuple[str, ...]
    entered_by: int
    scan_sha256: str
    choices: Mapping[int, str]
    status: str
    note: str
    entered_at: datetime


def enter_paper_ballot(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    member_id: int,
    choices: Mapping[Any, str],
    scan_sha256: str,
    entered_by: int,
    is_committee: bool,
) -> PaperOutcome:
    """Key one paper ballot; count it when a different committee member keyed the same.

    ``is_committee`` says whether ``entered_by`` has the committee role in the ballot's
    community (the composition root knows the staff roles; an admin or a manager does not).

    Guarantees, in one transaction: the ballot is open or closed (``IllegalTransition``); the
    member is on its roll (``NotEligible``); the scan hash is 64 hex digits
    (``PaperEntryInvalid``); every question is answered (``InvalidChoices``). Then exactly
    one of: ``conflict`` (the member already has a ballot), ``counted`` (a pending or
    mismatched entry by someone else has the same choices: both count, a paper ballot with
    receipt is recorded, other open entries of the member are voided; refused with
    ``ConfirmerNotCommittee``, writing nothing, unless this keyer ``is_committee``: so a
    counted paper ballot always has a committee member of the community other than the first
    keyer as its confirmer), ``mismatch`` (entries
    by others disagree: they and this one are marked), or ``pending``. A person's own earlier
    pending entry for the member is replaced. One ``voting.paper_entered`` event per keying.
    """
    digest = scan_sha256.strip().lower()
    if not SHA256_HEX.fullmatch(digest):
        raise PaperEntryInvalid(N_("The scan's SHA-256 must be 64 hexadecimal digits."))
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in PAPER_BALLOT_STATUSES:
        raise IllegalTransition(
            N_("Paper ballots are entered while the ballot is open or closed, before "
               "the tally."),
            status=ballot.status,
        )  # fmt: skip
    member = s.get(RollMember, member_id)
    if member is None or member.ballot_id != ballot.id:
        raise NotEligible(N_("The member is not on this ballot's roll."), member=member_id)
    picked = normalise_choices(choices, [q.position for q in question_rows(s, ballot.id)])
    now = uow.clock.now()
    entry = PaperEntry(
        ballot_id=ballot.id,
        member_id=member.id,
        entered_by=entered_by,
        scan_sha256=digest,
        choices=_dump(picked),
        status="pending",
        entered_at=now,
    )
    s.add(entry)
    s.flush()
    receipt: Receipt | None = None
    cast = s.scalar(sa.select(Vote).where(Vote.ballot_id == ballot.id, Vote.member_id == member.id))
    others = list(
        s.scalars(
            sa.select(PaperEntry)
            .where(
                PaperEntry.ballot_id == ballot.id,
                PaperEntry.member_id == member.id,
                PaperEntry.status.in_(("pending", "mismatch")),
                PaperEntry.id != entry.id,
            )
            .order_by(PaperEntry.id)
            .with_for_update()
        )
    )
    if cast is not None:
        entry.status = "conflict"
        entry.note = f"already voted ({cast.channel})"
    else:
        for own in [o for o in others if o.entered_by == entered_by]:
            own.status = "void"
            own.note = "replaced by a later entry of the same person"
        others = [o for o in others if o.entered_by != entered_by]
        match = next((o for o in others if _load(o.choices) == picked), None)
        if match is not None and not is_committee:
            raise ConfirmerNotCommittee(
                N_(
                    "This entry would confirm another one: the second entry of a paper "
                    "ballot must come from a different member of the owners' committee."
                )
            )
        if match is not None:
            entry.status = match.status = "counted"
            for o in others:
                if o is not match:
                    o.status = "void"
                    o.note = f"superseded by matching entries {match.id} and {entry.id}"
            receipt = record_vote(
                uow,
                poll=PollRef(ballot.id, ballot.ref, community_of(s, ballot).code),
                voter=Voter(member.id, member.member_key, member.heads, member.area_centi),
                choices=picked,
                channel="paper",
                extra={
                    "paper": {
                        "entries": [match.id, entry.id],
                        "entered_by": [match.entered_by, entered_by],
                        "scan_sha256": [match.scan_sha256, digest],
                    }
                },
            )
        elif others:
            entry.status = "mismatch"
            for o in others:
                o.status = "mismatch"
    s.flush()
    _log_entry(s, ballot, member, entry, uow.clock)
    return PaperOutcome(entry.id, entry.status, receipt)


def void_paper_entry(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    entry_id: int,
    voided_by: int,
    note: str = "",
) -> PaperEntryInfo:
    """Void a pending, mismatched or conflicting entry (e.g. the wrongly keyed one of a
    mismatch). The other mismatched entries of the member go back to pending, so one more
    keying can settle it. ``PaperEntryNotFound``; ``PaperEntryInvalid`` for a counted or
    already void entry. Logged as ``voting.paper_voided``."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    entry = s.get(PaperEntry, entry_id)
    if entry is None or entry.ballot_id != ballot.id:
        raise PaperEntryNotFound(N_("There is no such paper entry."), entry=entry_id)
    if entry.status in ("counted", "void"):
        raise PaperEntryInvalid(
            N_("A counted or void entry cannot be voided."), status=entry.status
        )
    entry.status = "void"
    entry.note = (note.strip()[:500] or "voided") + f" (by {voided_by})"
    rest = list(
        s.scalars(
            sa.select(PaperEntry).where(
                PaperEntry.ballot_id == ballot.id,
                PaperEntry.member_id == entry.member_id,
                PaperEntry.status == "mismatch",
                PaperEntry.id != entry.id,
            )
        )
    )
    if len({r.entered_by for r in rest}) <= 1:
        for r in rest:
            r.status = "pending"
    member = s.get_one(RollMember, entry.member_id)
    log_event(
        s,
        community_of(s, ballot).code,
        "voting.paper_voided",
        uow.clock,
        {"ballot": ballot.ref, "entry": entry.id, "member": member.member_key, "by": voided_by},
    )
    s.flush()
    return _infos(s, ballot.id, [entry])[0]


def list_paper_entries(
    uow: UnitOfWork, *, ballot_ref: str, status: str | None = None
) -> list[PaperEntryInfo]:
    """The ballot's paper entries (optionally of one status), newest first. Reads only."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    query = sa.select(PaperEntry).where(PaperEntry.ballot_id == ballot.id)
    if status is not None:
        query = query.where(PaperEntry.status == status)
    return _infos(s, ballot.id, list(s.scalars(query.order_by(PaperEntry.id.desc()))))


def _log_entry(
    s: Session, ballot: Ballot, member: RollMember, entry: PaperEntry, clock: Clock
) -> None:
    log_event(
        s,
        community_of(s, ballot).code,
        "voting.paper_entered",
        clock,
        {
            "ballot": ballot.ref,
            "entry": entry.id,
            "member": member.member_key,
            "scan_sha256": entry.scan_sha256,
            "choices": json.loads(entry.choices),
            "by": entry.entered_by,
            "status": entry.status,
        },
    )


def _dump(choices: Mapping[int, str]) -> str:
    return json.dumps({str(k): v for k, v in sorted(choices.items())}, sort_keys=True)


def _load(text: str) -> dict[int, str]:
    return {int(k): v for k, v in json.loads(text).items()}


def _infos(s: Session, ballot_id: int, entries: list[PaperEntry]) -> list[PaperEntryInfo]:
    if not entries:
        return []
    ids = {e.member_id for e in entries}
    members = {m.id: m for m in s.scalars(sa.select(RollMember).where(RollMember.id.in_(ids)))}
    labels = member_labels(s, list(members.values()))
    units: dict[int, list[str]] = {i: [] for i in ids}
    for member_id, code in s.execute(
        sa.select(RollUnit.member_id, RollUnit.unit_code)
        .where(RollUnit.ballot_id == ballot_id, RollUnit.member_id.in_(ids))
        .order_by(RollUnit.unit_code)
    ):
        units[member_id].append(code)
    return [
        PaperEntryInfo(
            entry_id=e.id,
            member_id=e.member_id,
            member_key=members[e.member_id].member_key,
            member_label=labels[e.member_id],
            unit_codes=tuple(units[e.member_id]),
            entered_by=e.entered_by,
            scan_sha256=e.scan_sha256,
            choices=_load(e.choices),
            status=e.status,
            note=e.note,
            entered_at=e.entered_at,
        )
        for e in entries
    ]
