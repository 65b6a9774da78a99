"""What is published about a ballot, and the committee's side of objections.

- The **board** lists every counted ballot with its choices so anyone can recount: in
  ``tracker`` mode each row shows the voter's tracker (only the voter knows which is theirs),
  in ``named`` mode the member's unit codes. Never a name, phone or owner ref. Rows are sorted
  by tracker or unit code, never by time, so the order tells nothing about who voted when.
- In ``named`` mode each row also carries the member's heads and area (the weights the
  tally used), and the ballot's **frozen roll** (:func:`recount_roll`: unit, building, area,
  opaque member key, developer flag; never a name, phone or owner ref) is public too, so that
  ``fundvote tally`` recounts the published figures from the board alone. In ``tracker`` mode
  an area would identify a unit: rows carry heads only and the roll stays with the committee
  and the auditor (``RecountRollWithheld``).
- The **participation list** names the units whose member took part, not how they voted.
- **Objections** lodged by owners (``voting.objections``) are answered by the committee here;
  the objection text and the answer are published, never who lodged it, and with every phone
  and ID number in them masked (``estate.personal.mask_numbers``): only the committee of the
  community reads them as written (``original=True``). An answer is given
  once (``ObjectionAnswered``) and logged as ``voting.objection_answered`` with the answer's
  SHA-256 and whether the objection was upheld.

Board and participation are public once the results are published (``published``, ``final``,
``annulled``); before that only the committee sees them (``public=False``), and only from
``tallied`` on (``ResultsNotPublished`` otherwise), so running results never leak.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.personal import mask_numbers
from notary import store
from notary.envelope import make_entry
from notary.work import UnitOfWork
from voting.ballot_info import BallotInfo, ballot_id_for_ref, get_ballot
from voting.errors import (
    N_,
    IllegalTransition,
    InvalidBallot,
    ObjectionAnswered,
    ObjectionNotFound,
    RecountRollWithheld,
    ResultsNotPublished,
)
from voting.models import Objection, RollMember, RollUnit, Vote

COMMITTEE_VISIBLE = ("tallied", "published", "final", "annulled")
PUBLIC_VISIBLE = ("published", "final", "annulled")
ANSWERABLE = ("published",)
MAX_ANSWER = 5000


@dataclass(frozen=True)
class BoardRow:
    """One counted ballot: its tracker (tracker mode) or unit codes (named mode) and the
    choice for each question (position order; ``""`` where the ballot left it blank), with
    the member's weights: ``heads`` always, ``area_centi`` in named mode only (None in
    tracker mode, where an area would identify the unit)."""

    tracker: str | None
    units: tuple[str, ...]
    choices: tuple[str, ...]
    channel: str
    heads: int = 1
    area_centi: int | None = None
    buildings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Board:
    ballot: BallotInfo
    mode: str
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True)
class RollLine:
    """One unit of a ballot's frozen roll as published for the recount: its code, building,
    in-scope area (0.01 m²), the opaque key of its voting member and whether the developer
    holds it. Units of one member share the key, so grouping by owner sets regroups them
    exactly as the roll was frozen."""

    unit: str
    building: str
    area_centi: int
    member_key: str
    is_developer: bool


@dataclass(frozen=True)
class ObjectionInfo:
    id: int
    text: str
    lodged_at: datetime
    answer: str
    is_upheld: bool | None
    answered_at: datetime | None

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


def _visible(info: BallotInfo, public: bool) -> None:
    allowed = PUBLIC_VISIBLE if public else COMMITTEE_VISIBLE
    if info.status not in allowed:
        raise ResultsNotPublished(
            N_("The results of this ballot are not published yet."), ref=info.ref
        )


def board(session: Session, ballot_ref: str, *, public: bool = True) -> Board:
    """The board of counted ballots (see the module docstring for what it shows).

    Guarantees: one row per ``Vote``; tracker mode rows carry no unit, named mode rows
    no tracker; sorted by tracker or first unit code. Raises ``ResultsNotPublished`` before
    the results may be seen.
    """
    info = get_ballot(session, ballot_ref)
    _visible(info, public)
    ballot_id = ballot_id_for_ref(session, ballot_ref)
    positions = [str(q.position) for q in info.questions]
    named = info.disclosure == "named"
    units = _units_by_member(session, ballot_id) if named else {}
    rows = []
    for c in session.execute(
        sa.select(
            Vote.member_id,
            Vote.tracker,
            Vote.choices,
            Vote.channel,
            RollMember.heads,
            RollMember.area_centi,
        )
        .join(RollMember, RollMember.id == Vote.member_id)
        .where(Vote.ballot_id == ballot_id)
    ):
        choices = json.loads(c.choices)
        chosen = tuple(str(choices.get(p) or "") for p in positions)
        if named:
            rows.append(
                BoardRow(
                    None,
                    tuple(code for code, _ in units.get(c.member_id, ())),
                    chosen,
                    c.channel,
                    c.heads,
                    c.area_centi,
                    tuple(sorted({b for _, b in units.get(c.member_id, ())})),
                )
            )
        else:
            rows.append(BoardRow(c.tracker, (), chosen, c.channel, c.heads))
    rows.sort(key=lambda r: r.tracker if r.tracker is not None else (r.units or ("",))[0])
    return Board(info, info.disclosure, tuple(rows))


def recount_roll(session: Session, ballot_ref: str, *, public: bool = True) -> list[RollLine]:
    """The ballot's frozen roll for the public recount, one line per unit in ordinal code
    order (see :class:`RollLine`).

    Guarantees: exactly the units, areas and member grouping the tally counted (the rows
    frozen when the ballot opened), never a name, phone or owner ref; raises
    ``ResultsNotPublished`` before the results may be seen and ``RecountRollWithheld`` for a
    ``tracker`` mode ballot.
    """
    info = get_ballot(session, ballot_ref)
    _visible(info, public)
    if info.disclosure != "named":
        raise RecountRollWithheld(
            N_(
                "This ballot lists trackers, not units: areas would identify the units, so the "
                "roll is not published. The recount by area is the auditor's."
            ),
            ref=info.ref,
        )
    ballot_id = ballot_id_for_ref(session, ballot_ref)
    lines = [
        RollLine(code, building, area, key, bool(developer))
        for code, building, area, key, developer in session.execute(
            sa.select(
                RollUnit.unit_code,
                RollUnit.building_code,
                RollUnit.area_centi,
                RollMember.member_key,
                RollMember.is_developer,
            )
            .join(RollMember, RollMember.id == RollUnit.member_id)
            .where(RollUnit.ballot_id == ballot_id)
        )
    ]
    lines.sort(key=lambda line: line.unit)
    return lines


def participation(session: Session, ballot_ref: str, *, public: bool = True) -> tuple[str, ...]:
    """The unit codes (ordinal order) whose member took part; not how they voted.

    Raises ``ResultsNotPublished`` before the results may be seen."""
    info = get_ballot(session, ballot_ref)
    _visible(info, public)
    ballot_id = ballot_id_for_ref(session, ballot_ref)
    codes = session.scalars(
        sa.select(RollUnit.unit_code)
        .join(Vote, Vote.member_id == RollUnit.member_id)
        .where(RollUnit.ballot_id == ballot_id, Vote.ballot_id == ballot_id)
    )
    return tuple(sorted(codes))


def list_objections(
    session: Session, ballot_ref: str, *, original: bool = False
) -> list[ObjectionInfo]:
    """The objections to a ballot's results with their answers, in the order lodged.

    Guarantees: unless ``original``, every phone and ID number in an objection or an answer
    is masked (``mask_numbers``); ``original`` is for the committee of the ballot's community
    only, which the caller decides."""
    ballot_id = ballot_id_for_ref(session, ballot_ref)
    rows = session.scalars(
        sa.select(Objection).where(Objection.ballot_id == ballot_id).order_by(Objection.id)
    ).all()
    infos = [_objection_info(o) for o in rows]
    if original:
        return infos
    return [
        ObjectionInfo(
            o.id,
            mask_numbers(o.text),
            o.lodged_at,
            mask_numbers(o.answer),
            o.is_upheld,
            o.answered_at,
        )
        for o in infos
    ]


def answer_objection(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    objection_id: int,
    answer: str,
    is_upheld: bool,
    actor: int | None = None,
) -> ObjectionInfo:
    """Record the committee's answer to an objection and log ``voting.objection_answered``.

    Guarantees: the ballot is published (``IllegalTransition`` otherwise: a final or annulled
    ballot's objections are closed); the objection belongs to it (``ObjectionNotFound``); it
    was not answered before (``ObjectionAnswered``, also under a race: the UPDATE is guarded by
    ``answered_at IS NULL``); the answer is not blank (``InvalidBallot``).
    """
    text = (answer or "").strip()
    if not text:
        raise InvalidBallot(N_("Write the committee's answer."))
    if len(text) > MAX_ANSWER:
        raise InvalidBallot(N_("The answer may be at most 5000 characters."))
    s = uow.session
    info = get_ballot(s, ballot_ref)
    if info.status not in ANSWERABLE:
        raise IllegalTransition(
            N_("Objections can be answered only while the results are published."),
            ref=ballot_ref,
            status=info.status,
        )
    ballot_id = ballot_id_for_ref(s, ballot_ref)
    now = uow.clock.now()
    result = s.execute(
        sa.update(Objection)
        .where(
            Objection.id == objection_id,
            Objection.ballot_id == ballot_id,
            Objection.answered_at.is_(None),
        )
        .values(answer=text, is_upheld=is_upheld, answered_by=actor, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        exists = s.scalar(
            sa.select(Objection.id).where(
                Objection.id == objection_id, Objection.ballot_id == ballot_id
            )
        )
        if exists is None:
            raise ObjectionNotFound(N_("There is no such objection."), id=objection_id)
        raise ObjectionAnswered(N_("This objection has already been answered."))
    entry = make_entry(
        "voting.objection_answered",
        now,
        info.community_code,
        {
            "ballot": ballot_ref,
            "objection": objection_id,
            "upheld": is_upheld,
            "answer_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "by": actor,
        },
    )
    store.append(s, info.community_code, entry)
    row = s.get(Objection, objection_id)
    assert row is not None
    s.refresh(row)
    return _objection_info(row)


def _objection_info(o: Objection) -> ObjectionInfo:
    return ObjectionInfo(o.id, o.text, o.lodged_at, o.answer, o.is_upheld, o.answered_at)


def _units_by_member(session: Session, ballot_id: int) -> dict[int, list[tuple[str, str]]]:
    """Each member's (unit code, building code) pairs, by unit code."""
    out: dict[int, list[tuple[str, str]]] = {}
    for member_id, code, building in session.execute(
        sa.select(RollUnit.member_id, RollUnit.unit_code, RollUnit.building_code).where(
            RollUnit.ballot_id == ballot_id
        )
    ):
        out.setdefault(member_id, []).append((code, building))
    for codes in out.values():
        codes.sort()
    return out
