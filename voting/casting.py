"""Casting a ballot through a personal link (and recording paper and proxy ballots).

One ballot per member per ballot, final once cast. The cast ballot, its ``voting.ballot_cast``
log entry and its signed receipt are written in one transaction: all or nothing. The
database's unique constraint on ``cast_ballot(ballot_id, member_id)`` is what guarantees one
ballot per member under concurrency; its ``IntegrityError`` becomes ``AlreadyVoted`` and
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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from estate.quantities import format_hundredths
from notary.checkpoint import log_origin
from notary.clock import Clock
from notary.envelope import format_time
from notary.keys import KeyRing
from voting.errors import (
    N_,
    AlreadyVoted,
    BallotClosed,
    IdentityCheckRequired,
    InvalidChoices,
    NotEligible,
)
from voting.models import CHOICES, Ballot, CastBallot, Proxy, RollMember
from voting.receipts import CAST_EVENT, Receipt, build_receipt
from voting.rows import community_of, is_accepting, log_event, question_rows
from voting.tokens import live_credential

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


def cast_ballot(
    session_factory: sessionmaker[Session],
    *,
    token: str,
    choices: Mapping[Any, str],
    clock: Clock,
    keyring: KeyRing,
    channel: str = "online",
    client_entropy: str | None = None,
    for_member: int | None = None,
) -> Receipt:
    """Cast the link's member's ballot (or, with ``for_member``, that of a member the link's
    member represents by a live proxy: channel ``proxy``) and return the signed receipt.

    Guarantees, in one transaction: the link is live (``UnknownLink``); the ballot is open and
    ``opens_at <= now < closes_at`` (``BallotClosed``); the identity check passed if the
    ballot asks for one (``IdentityCheckRequired``); ``for_member`` is represented by this
    member through a live proxy (``NotEligible``); every question is answered with agree,
    oppose or abstain (``InvalidChoices``); the member has not voted (``AlreadyVoted``, also
    when a concurrent cast wins the race). The ballot, its log entry and its receipt commit
    together.
    """
    if channel not in ("online", "proxy"):
        raise ValueError("a link casts online (or, for a represented member, by proxy)")
    try:
        with session_factory.begin() as s:
            credential = live_credential(s, token)
            ballot = s.get_one(Ballot, credential.ballot_id)
            now = clock.now()
            if not is_accepting(ballot, now):
                raise BallotClosed(N_("This ballot is not taking votes now."), status=ballot.status)
            if ballot.identity_check != "none" and credential.identity_verified_at is None:
                raise IdentityCheckRequired(N_("Please confirm who you are first."))
            acting = s.get_one(RollMember, credential.member_id)
            proxy: Proxy | None = None
            member = acting
            if for_member is not None and for_member != acting.id:
                proxy = s.scalars(
                    sa.select(Proxy).where(
                        Proxy.ballot_id == ballot.id,
                        Proxy.member_id == for_member,
                        Proxy.acting_member_id == acting.id,
                        Proxy.revoked_at.is_(None),
                    )
                ).one_or_none()
                if proxy is None:
                    raise NotEligible(
                        N_("You do not represent this member for this ballot."), member=for_member
                    )
                member = s.get_one(RollMember, for_member)
                channel = "proxy"
            positions = [q.position for q in question_rows(s, ballot.id)]
            picked = normalise_choices(choices, positions)
            if has_voted(s, ballot.id, member.id):
                raise AlreadyVoted(N_("This ballot has already been cast. A cast ballot is final."))
            extra: dict[str, Any] = {}
            if proxy is not None:
                extra["proxy"] = {
                    "acting_member": acting.member_key,
                    "authorization_sha256": proxy.authorization_sha256,
                }
            return record_cast(
                s,
                ballot=ballot,
                member=member,
                choices=picked,
                channel=channel,
                clock=clock,
                keyring=keyring,
                client_entropy=client_entropy,
                proxy_id=proxy.id if proxy is not None else None,
                extra=extra,
            )
    except IntegrityError:
        raise AlreadyVoted(
            N_("This ballot has already been cast. A cast ballot is final.")
        ) from None


def has_voted(s: Session, ballot_id: int, member_id: int) -> bool:
    """Whether a ballot of this member is recorded (as this transaction sees it)."""
    return (
        s.scalar(
            sa.select(CastBallot.id).where(
                CastBallot.ballot_id == ballot_id, CastBallot.member_id == member_id
            )
        )
        is not None
    )


def record_cast(
    s: Session,
    *,
    ballot: Ballot,
    member: RollMember,
    choices: Mapping[int, str],
    channel: str,
    clock: Clock,
    keyring: KeyRing,
    client_entropy: str | None = None,
    proxy_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Receipt:
    """Write a checked ballot inside the caller's transaction: the log entry, the signed
    receipt and the ``cast_ballot`` row (flushed, so a duplicate raises ``IntegrityError``
    here). Callers have checked the ballot, the member and the choices."""
    community = community_of(s, ballot)
    now = clock.now()
    tracker = new_tracker(client_entropy)
    choice_map = {str(p): c for p, c in sorted(choices.items())}
    data: dict[str, Any] = {
        "ballot": ballot.ref,
        "member": member.member_key,
        "choices": choice_map,
        "weights": {"heads": member.heads, "area_centi": member.area_centi},
        "channel": channel,
        "tracker": tracker,
        **(extra or {}),
    }
    appended = log_event(s, community.code, CAST_EVENT, clock, data)
    receipt = build_receipt(
        community=community.code,
        ballot=ballot.ref,
        choices=dict(choices),
        tracker=tracker,
        area=format_hundredths(member.area_centi),
        cast_at=format_time(now),
        channel=channel,
        origin=log_origin(keyring.name, community.code),
        index=appended.index,
        leaf_hash_hex=appended.leaf_hash.hex(),
        keyring=keyring,
    )
    s.add(
        CastBallot(
            ballot_id=ballot.id,
            member_id=member.id,
            channel=channel,
            choices=json.dumps(choice_map, sort_keys=True),
            tracker=tracker,
            proxy_id=proxy_id,
            cast_at=now,
            log_index=appended.index,
            leaf_hash=appended.leaf_hash.hex(),
            receipt=receipt.text,
        )
    )
    s.flush()
    return receipt


def receipt_for_link(
    session_factory: sessionmaker[Session], *, token: str, for_member: int | None = None
) -> Receipt | None:
    """The stored receipt of the link's member (or of a member it represents), if cast.

    ``UnknownLink`` for a link that is not live; ``NotEligible`` for a ``for_member`` this
    member does not represent.
    """
    with session_factory() as s:
        credential = live_credential(s, token)
        member_id = credential.member_id
        if for_member is not None and for_member != member_id:
            proxy = s.scalar(
                sa.select(Proxy.id).where(
                    Proxy.ballot_id == credential.ballot_id,
                    Proxy.member_id == for_member,
                    Proxy.acting_member_id == member_id,
                    Proxy.revoked_at.is_(None),
                )
            )
            if proxy is None:
                raise NotEligible(
                    N_("You do not represent this member for this ballot."), member=for_member
                )
            member_id = for_member
        text = s.scalar(
            sa.select(CastBallot.receipt).where(
                CastBallot.ballot_id == credential.ballot_id, CastBallot.member_id == member_id
            )
        )
        return Receipt.from_text(text) if text is not None else None
