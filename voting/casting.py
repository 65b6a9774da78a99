"""Casting a vote through a personal link (and recording paper and proxy votes).

Words: the *ballot* is the poll (``Ballot``, 表决); a *vote* is one member's answer to it
(``Vote``). One vote per member per ballot, final once cast. The vote, its
``voting.ballot_cast`` log entry and its signed receipt are written in one unit of work: all or
nothing. The database's unique constraint on ``cast_ballot(ballot_id, member_id)`` is what
guarantees one vote per member under concurrency; its violation becomes ``AlreadyVoted`` and
rolls back the log entry with everything else, so the log never holds a refused vote.

The tracker is a random code shown to the voter and, in tracker disclosure mode, on the public
list of ballots: 100 bits from the server's CSPRNG, mixed (SHA-256) with whatever randomness
the voter's browser added (``client_entropy``), so neither side alone chooses it. It is
written in Crockford's base32 in groups of four (``7K3M-Q9XD-...``).

The log entry names the member by opaque key only and records the choices, the member's
weights (heads 1 and area), the channel and the tracker; for a proxy ballot also the acting
member's key and the authorization's hash; for a paper ballot the scan hashes and the staff
ids of the two committee members who keyed it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community
from estate.quantities import format_hundredths
from notary.envelope import format_time
from notary.store import Appended, RowWrite
from notary.work import UnitOfWork
from voting.errors import (
    N_,
    AlreadyVoted,
    BallotClosed,
    IdentityCheckRequired,
    InvalidChoices,
    NotEligible,
    RepresentedByProxy,
    UnknownLink,
)
from voting.log_events import CAST_EVENT
from voting.models import CHOICES, Ballot, Credential, Proxy, Question, RollMember, Vote
from voting.receipts import Receipt, ReceiptDraft
from voting.rows import question_rows
from voting.tokens import ROLL_STATUSES, token_hash

TRACKER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
TRACKER_CHARS = 20  # 100 bits
MAX_ENTROPY_CHARS = 512


def new_tracker(client_entropy: str | None = None) -> str:
    """A tracker: 100 bits of SHA-256(server randomness || client entropy), grouped by four.

    The server's 32 random bytes alone already make it unpredictable; the browser's entropy
    (any text, at most 512 characters) is mixed in so the voter contributes too.
    """
    material = secrets.token_bytes(32)
    if client_entropy:
        material += hashlib.sha256(client_entropy[:MAX_ENTROPY_CHARS].encode("utf-8")).digest()
    number = int.from_bytes(hashlib.sha256(material).digest(), "big") >> (256 - 5 * TRACKER_CHARS)
    chars = []
    for _ in range(TRACKER_CHARS):
        number, digit = divmod(number, 32)
        chars.append(TRACKER_ALPHABET[digit])
    code = "".join(reversed(chars))
    return "-".join(code[i : i + 4] for i in range(0, TRACKER_CHARS, 4))


def parse_tracker(text: str) -> str | None:
    """The tracker typed by a person, in its printed form (``7K3M-...``), or None if it
    cannot be one.

    Guarantees: spaces, dashes and case do not matter, and Crockford's look-alikes are read
    as the digits they stand for (O as 0, I and L as 1); anything else that is not exactly
    20 characters of the tracker alphabet gives None. Reads at most 64 characters.
    """
    cleaned = "".join(text[:64].split()).replace("-", "").upper()
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != TRACKER_CHARS or any(c not in TRACKER_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, TRACKER_CHARS, 4))


def normalise_choices(choices: Mapping[Any, Any], positions: Sequence[int]) -> dict[int, str]:
    """``choices`` keyed by question position (int or its text) checked against the ballot.

    Guarantees: the result answers exactly the ballot's questions, each with ``agree``,
    ``oppose`` or ``abstain``; raises ``InvalidChoices`` otherwise (naming what is wrong).
    """
    result: dict[int, str] = {}
    for key, value in choices.items():
        try:
            position = int(key)
        except (TypeError, ValueError):
            raise InvalidChoices(N_("A choice names no question."), question=str(key)) from None
        if position not in positions:
            raise InvalidChoices(N_("The ballot has no question %(question)s."), question=position)
        if value not in CHOICES:
            raise InvalidChoices(
                N_("Question %(question)s needs agree, oppose or abstain."), question=position
            )
        result[position] = str(value)
    missing = [p for p in positions if p not in result]
    if missing:
        raise InvalidChoices(
            N_("Please answer question %(question)s."), question=missing[0], missing=missing
        )
    return dict(sorted(result.items()))


@dataclass(frozen=True)
class Voter:
    """What a vote records about the member it counts for (their weights and opaque key)."""

    member_id: int
    member_key: str
    heads: int
    area_centi: int


@dataclass(frozen=True)
class PollRef:
    """The ballot (the poll) a vote is recorded on, as the vote needs it."""

    ballot_id: int
    ballot_ref: str
    community_code: str


_CRED_T = cast(sa.Table, Credential.__table__)
_BALLOT_T = cast(sa.Table, Ballot.__table__)
_MEMBER_T = cast(sa.Table, RollMember.__table__)
_QUESTION_T = cast(sa.Table, Question.__table__)
_VOTE_T = cast(sa.Table, Vote.__table__)
_COMMUNITY_T = cast(sa.Table, Community.__table__)
_CRED, _BALLOT, _MEMBER = _CRED_T.c, _BALLOT_T.c, _MEMBER_T.c
_QUESTION, _VOTE, _COMMUNITY = _QUESTION_T.c, _VOTE_T.c, _COMMUNITY_T.c

# What a repeated cast is compared with (``_is_retry``): the member's stored vote.
_STORED_VOTE_COLUMNS = (
    _VOTE.log_index.label("voted_index"),
    _VOTE.channel.label("voted_channel"),
    _VOTE.choices.label("voted_choices"),
    _VOTE.receipt.label("voted_receipt"),
)

# Everything a cast checks, in one statement: the link, its ballot's state and window, the
# member's weights, the community's code, whether the member has voted, and the questions
# (their count and highest position: positions are 1..n, checked below).
_CAST_CONTEXT = (
    sa.select(
        _CRED.ballot_id,
        _CRED.member_id,
        _CRED.revoked_at,
        _CRED.identity_verified_at,
        _CRED.log_size_at_issue,
        _CRED.proxy_id,
        _BALLOT.ref,
        _BALLOT.status,
        _BALLOT.opens_at,
        _BALLOT.closes_at,
        _BALLOT.identity_check,
        _COMMUNITY.code,
        _MEMBER.member_key,
        _MEMBER.heads,
        _MEMBER.area_centi,
        _VOTE.id.label("vote_id"),
        _VOTE.proxy_id.label("voted_proxy_id"),
        *_STORED_VOTE_COLUMNS,
        sa.select(sa.func.count())
        .where(_QUESTION.ballot_id == _CRED.ballot_id)
        .scalar_subquery()
        .label("questions"),
        sa.select(sa.func.max(_QUESTION.position))
        .where(_QUESTION.ballot_id == _CRED.ballot_id)
        .scalar_subquery()
        .label("last_position"),
        sa.exists()
        .where(
            Proxy.ballot_id == _CRED.ballot_id,
            Proxy.member_id == _CRED.member_id,
            Proxy.revoked_at.is_(None),
        )
        .label("is_represented"),
    )
    .select_from(Credential.__table__)
    .join(Ballot.__table__, _BALLOT.id == _CRED.ballot_id)
    .join(Community.__table__, _COMMUNITY.id == _BALLOT.community_id)
    .join(RollMember.__table__, _MEMBER.id == _CRED.member_id)
    .outerjoin(
        Vote.__table__,
        sa.and_(_VOTE.ballot_id == _CRED.ballot_id, _VOTE.member_id == _CRED.member_id),
    )
    .where(_CRED.token_hash == sa.bindparam("token_hash"))
)

_ALREADY_VOTED = N_("This ballot has already been cast. A cast ballot is final.")
_ONE_VOTE = {"uq_cast_ballot_ballot_id_member_id": lambda: AlreadyVoted(_ALREADY_VOTED)}


def cast_vote(
    uow: UnitOfWork,
    *,
    token: str,
    choices: Mapping[Any, str],
    client_entropy: str | None = None,
    for_member: int | None = None,
) -> Receipt:
    """Cast the link's member's vote (or, with ``for_member``, that of a member the link's
    member represents by a live proxy: channel ``proxy``) and return the signed receipt.

    Guarantees, in the caller's unit of work: the link is live (``UnknownLink``); the ballot is
    open and ``opens_at <= now < closes_at`` (``BallotClosed``); the identity check passed if
    the ballot asks for one (``IdentityCheckRequired``); ``for_member`` is represented by this
    member through a live proxy (``NotEligible``); every question is answered with agree,
    oppose or abstain (``InvalidChoices``); the member has not voted (``AlreadyVoted``, also
    when a concurrent cast wins the race: the database's unique constraint decides), except
    that the same request repeated through the same link (same choices, after the answer to
    the first was lost) returns the stored receipt and writes nothing. The vote,
    its log entry and its receipt commit together. One statement reads everything checked; the
    log's lock is taken last (see :func:`record_vote`).
    """
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    s = uow.session
    row = s.execute(_CAST_CONTEXT, {"token_hash": token_hash(token)}).one_or_none()
    if row is None:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    if row.revoked_at is not None:
        raise UnknownLink(N_("This link was replaced by a new one."), reason="revoked")
    if row.status not in ROLL_STATUSES:
        raise UnknownLink(N_("This link is not valid any more."), reason="unknown")
    now = uow.clock.now()
    if not (row.status == "open" and row.opens_at <= now < row.closes_at):
        raise BallotClosed(N_("This ballot is not taking votes now."), status=row.status)
    if row.identity_check != "none" and row.identity_verified_at is None:
        raise IdentityCheckRequired(N_("Please confirm who you are first."))
    poll = PollRef(row.ballot_id, row.ref, row.code)
    if row.questions == row.last_position:
        positions = list(range(1, row.questions + 1))
    else:  # positions are always 1..n; read them if that ever stops being true
        positions = [q.position for q in question_rows(s, row.ballot_id)]
    picked = normalise_choices(choices, positions)
    if row.proxy_id is not None:  # a natural-person proxy's own link
        if for_member is not None and for_member != row.member_id:
            raise NotEligible(
                N_("You do not represent this member for this ballot."), member=for_member
            )
        return _cast_by_person(uow, poll, row, picked)
    if for_member is not None and for_member != row.member_id:
        return _cast_by_proxy(
            uow, poll, row.member_id, row.member_key, row.log_size_at_issue, for_member, picked
        )
    if row.vote_id is not None:
        if _is_retry(row, row.log_size_at_issue, "online", picked):
            return Receipt.from_text(row.voted_receipt)
        raise AlreadyVoted(_ALREADY_VOTED)
    if row.is_represented:
        raise RepresentedByProxy(
            N_(
                "A proxy is recorded to vote for you. To vote yourself, ask the owners' "
                "committee to revoke the proxy first."
            )
        )
    voter = Voter(row.member_id, row.member_key, row.heads, row.area_centi)
    return record_vote(
        uow,
        poll=poll,
        voter=voter,
        choices=picked,
        channel="online",
        client_entropy=client_entropy,
        is_last_write=True,
    )


def _cast_by_proxy(
    uow: UnitOfWork,
    poll: PollRef,
    acting_id: int,
    acting_key: str,
    issued_at_size: int,
    member_id: int,
    choices: Mapping[int, str],
) -> Receipt:
    s = uow.session
    proxy = _live_proxy(s, poll.ballot_id, member_id, acting_id)
    if proxy is None:
        raise NotEligible(N_("You do not represent this member for this ballot."), member=member_id)
    member = s.get_one(RollMember, member_id)
    stored = _stored_vote(s, poll.ballot_id, member.id)
    if stored is not None:
        if _is_proxy_retry(stored, proxy, issued_at_size, choices):
            return Receipt.from_text(stored.voted_receipt)
        raise AlreadyVoted(_ALREADY_VOTED)
    return record_vote(
        uow,
        poll=poll,
        voter=Voter(member.id, member.member_key, member.heads, member.area_centi),
        choices=choices,
        channel="proxy",
        proxy_id=proxy.id,
        is_last_write=True,
        extra={
            "proxy": {
                "acting_member": acting_key,
                "authorization_sha256": proxy.authorization_sha256,
            }
        },
    )


def _cast_by_person(
    uow: UnitOfWork, poll: PollRef, row: Any, choices: Mapping[int, str]
) -> Receipt:
    """Cast through a natural-person proxy's own link (its proxy is live: revoking a proxy
    revokes its link)."""
    proxy = uow.session.get_one(Proxy, row.proxy_id)
    if row.vote_id is not None:
        if _is_proxy_retry(row, proxy, row.log_size_at_issue, choices):
            return Receipt.from_text(row.voted_receipt)
        raise AlreadyVoted(_ALREADY_VOTED)
    return record_vote(
        uow,
        poll=poll,
        voter=Voter(row.member_id, row.member_key, row.heads, row.area_centi),
        choices=choices,
        channel="proxy",
        proxy_id=proxy.id,
        is_last_write=True,
        extra={"proxy": {"acting": "person", "authorization_sha256": proxy.authorization_sha256}},
    )


def repeated_cast(
    uow: UnitOfWork,
    *,
    token: str,
    choices: Mapping[Any, str],
    for_member: int | None = None,
) -> Receipt | None:
    """The stored receipt when the vote recorded for the link's member (or the member it
    represents) is this very cast repeated: same link, channel and choices; else None.

    For a cast refused as ``AlreadyVoted`` because a concurrent copy of the same request won
    the race (a client retried while its first attempt was still being answered): the copy
    then gets the receipt the first attempt stored. Reads only; it reveals nothing that the
    link's holder could not already read on its page.
    """
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    s = uow.session
    row = s.execute(_CAST_CONTEXT, {"token_hash": token_hash(token)}).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    picked = normalise_choices(choices, [q.position for q in question_rows(s, row.ballot_id)])
    if row.proxy_id is not None:
        person_proxy = s.get_one(Proxy, row.proxy_id)
        if row.vote_id is not None and _is_proxy_retry(
            row, person_proxy, row.log_size_at_issue, picked
        ):
            return Receipt.from_text(row.voted_receipt)
        return None
    if for_member is None or for_member == row.member_id:
        if row.vote_id is not None and _is_retry(row, row.log_size_at_issue, "online", picked):
            return Receipt.from_text(row.voted_receipt)
        return None
    proxy = _live_proxy(s, row.ballot_id, for_member, row.member_id)
    stored = _stored_vote(s, row.ballot_id, for_member)
    if (
        proxy is None
        or stored is None
        or not _is_proxy_retry(stored, proxy, row.log_size_at_issue, picked)
    ):
        return None
    return Receipt.from_text(stored.voted_receipt)


def _live_proxy(s: Session, ballot_id: int, member_id: int, acting_id: int) -> Proxy | None:
    return s.scalars(
        sa.select(Proxy).where(
            Proxy.ballot_id == ballot_id,
            Proxy.member_id == member_id,
            Proxy.acting_member_id == acting_id,
            Proxy.revoked_at.is_(None),
        )
    ).one_or_none()


_STORED_VOTE = sa.select(*_STORED_VOTE_COLUMNS, _VOTE.proxy_id.label("voted_proxy_id"))


def _stored_vote(s: Session, ballot_id: int, member_id: int) -> Any:
    return s.execute(
        _STORED_VOTE.where(_VOTE.ballot_id == ballot_id, _VOTE.member_id == member_id)
    ).one_or_none()


def _is_proxy_retry(
    stored: Any, proxy: Proxy, issued_at_size: int, choices: Mapping[int, str]
) -> bool:
    return bool(
        stored.voted_proxy_id == proxy.id and _is_retry(stored, issued_at_size, "proxy", choices)
    )


def _is_retry(stored: Any, issued_at_size: int, channel: str, choices: Mapping[int, str]) -> bool:
    """Whether a stored vote is this very request repeated: same channel and choices, recorded
    through this link (its log entry is not older than the link: ``log_size_at_issue``, the
    rule by which a link shows a receipt at all, ``voting.link_view``). A client whose answer
    was lost tries again and gets the stored receipt. A vote recorded before this link was
    issued, or with other choices, is refused as already voted, so a new link never reveals
    the choices made."""
    return (
        stored.voted_channel == channel
        and stored.voted_index >= issued_at_size
        and json.loads(stored.voted_choices) == {str(p): c for p, c in choices.items()}
    )


def has_voted(s: Session, ballot_id: int, member_id: int) -> bool:
    """Whether a vote of this member is recorded (as this transaction sees it)."""
    return (
        s.scalar(sa.select(Vote.id).where(Vote.ballot_id == ballot_id, Vote.member_id == member_id))
        is not None
    )


def record_vote(
    uow: UnitOfWork,
    *,
    poll: PollRef,
    voter: Voter,
    choices: Mapping[int, str],
    channel: str,
    client_entropy: str | None = None,
    proxy_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
    is_last_write: bool = False,
) -> Receipt:
    """Write a checked vote in the caller's unit of work: its ``voting.ballot_cast`` log entry,
    the signed receipt that points at that entry, and the vote row. Callers have checked the
    ballot, the member and the choices.

    The log append comes first among the writes only because the receipt needs its index; it
    takes the community's log lock, so nothing slow follows it: signing the receipt and one
    INSERT. A second vote of the member is refused by the database's unique constraint
    (``AlreadyVoted``), which rolls back the log entry with everything else. With
    ``is_last_write`` (the use case writes nothing after it) that INSERT may travel with the
    COMMIT (:meth:`notary.work.UnitOfWork.append`).
    """
    now = uow.clock.now()
    tracker = new_tracker(client_entropy)
    choice_map = {str(p): c for p, c in sorted(choices.items())}
    data: dict[str, Any] = {
        "ballot": poll.ballot_ref,
        "member": voter.member_key,
        "choices": choice_map,
        "weights": {"heads": voter.heads, "area_centi": voter.area_centi},
        "channel": channel,
        "tracker": tracker,
        **(extra or {}),
    }
    entry = uow.prepare_entry(poll.community_code, CAST_EVENT, data)
    draft = ReceiptDraft(
        community=poll.community_code,
        ballot=poll.ballot_ref,
        choices=dict(choices),
        tracker=tracker,
        area=format_hundredths(voter.area_centi),
        cast_at=format_time(now),
        channel=channel,
        origin=uow.log_origin(poll.community_code),
        leaf_hash_hex=entry.leaf_hash.hex(),
        key_id=uow.keyring.active_key_id,
    )
    signed: list[Receipt] = []

    def vote_row(appended: Appended) -> RowWrite:
        receipt = draft.sign(appended.index, uow.keyring)
        signed.append(receipt)
        return RowWrite(
            _VOTE_T,
            {
                "ballot_id": poll.ballot_id,
                "member_id": voter.member_id,
                "channel": channel,
                "choices": json.dumps(choice_map, sort_keys=True),
                "tracker": tracker,
                "proxy_id": proxy_id,
                "cast_at": now,
                "log_index": appended.index,
                "leaf_hash": appended.leaf_hash.hex(),
                "receipt": receipt.text,
            },
        )

    with uow.constraint_errors(_ONE_VOTE):
        uow.append(entry, together=vote_row, is_last_write=is_last_write)
    receipt = signed[0]
    return receipt
