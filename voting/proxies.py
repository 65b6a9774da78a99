"""Proxies (委托投票): a member represented by another member of the same ballot's roll.

A proxy is recorded by the committee from a signed authorization, of which only the SHA-256
is kept. One live proxy per represented member (a database constraint); no chains (an
acting member is not represented, and a represented member does not act for others). It may
be revoked until a ballot has been cast for the represented member. Both members are logged by
their opaque keys (``voting.proxy_recorded`` / ``voting.proxy_revoked``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notary.work import UnitOfWork
from voting.casting import has_voted
from voting.errors import (
    N_,
    AlreadyVoted,
    IllegalTransition,
    NotEligible,
    ProxyExists,
    ProxyInvalid,
    ProxyNotFound,
    ProxyUsed,
)
from voting.models import Proxy, RollMember, RollUnit, Vote
from voting.rows import ballot_by_ref, community_of, log_event, member_labels

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
PROXY_STATUSES = ("open",)


@dataclass(frozen=True)
class ProxyInfo:
    """A proxy as the committee sees it (masked names)."""

    proxy_id: int
    member_id: int
    member_key: str
    member_label: str
    member_units: tuple[str, ...]
    acting_member_id: int
    acting_member_key: str
    acting_label: str
    acting_units: tuple[str, ...]
    authorization_sha256: str
    recorded_at: datetime
    revoked_at: datetime | None
    is_used: bool


_REPRESENTED = N_("This member is already represented on this ballot.")


def record_proxy(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    member_id: int,
    acting_member_id: int,
    authorization_sha256: str,
    recorded_by: int | None = None,
) -> ProxyInfo:
    """Record that ``acting_member_id`` represents ``member_id`` on this ballot.

    Guarantees, in one transaction: the ballot is open (``IllegalTransition``); both members
    are on its roll and differ (``NotEligible`` / ``ProxyInvalid``); the hash is 64 hex digits
    (``ProxyInvalid``); the represented member has not voted (``AlreadyVoted``) and has no live
    proxy (``ProxyExists``, also under a race); no chain forms (``ProxyInvalid``); one
    ``voting.proxy_recorded`` event names both member keys and the authorization's hash.
    """
    digest = authorization_sha256.strip().lower()
    if not SHA256_HEX.fullmatch(digest):
        raise ProxyInvalid(N_("The authorization's SHA-256 must be 64 hexadecimal digits."))
    if member_id == acting_member_id:
        raise ProxyInvalid(N_("A member cannot represent themselves."))
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in PROXY_STATUSES:
        raise IllegalTransition(
            N_("Proxies are recorded while the ballot is open."), status=ballot.status
        )
    member = _member(s, ballot.id, member_id)
    acting = _member(s, ballot.id, acting_member_id)
    if has_voted(s, ballot.id, member.id):
        raise AlreadyVoted(N_("This member has already voted: no proxy is needed."))
    live = _live(s, ballot.id)
    if any(p.member_id == member.id for p in live):
        raise ProxyExists(_REPRESENTED)
    if any(p.member_id == acting.id for p in live) or any(
        p.acting_member_id == member.id for p in live
    ):
        raise ProxyInvalid(
            N_("A represented member cannot act for others, nor be represented by one.")
        )
    proxy = Proxy(
        ballot_id=ballot.id,
        member_id=member.id,
        acting_member_id=acting.id,
        authorization_sha256=digest,
        recorded_by=recorded_by,
        recorded_at=uow.clock.now(),
    )
    represented = {"uq_proxy_live_member": lambda: ProxyExists(_REPRESENTED)}
    with uow.constraint_errors(represented):
        s.add(proxy)
    data = {
        "ballot": ballot.ref,
        "proxy": proxy.id,
        "member": member.member_key,
        "acting_member": acting.member_key,
        "authorization_sha256": digest,
        "by": recorded_by,
    }
    log_event(
        s,
        community_of(s, ballot).code,
        "voting.proxy_recorded",
        uow.clock,
        data,
        omit_none=True,
    )
    return _infos(s, [proxy])[0]


def revoke_proxy(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    proxy_id: int,
    revoked_by: int | None = None,
) -> ProxyInfo:
    """Revoke a live proxy. ``ProxyNotFound`` for no such live proxy on this ballot;
    ``ProxyUsed`` once a ballot has been cast for the represented member (by anyone). Logs
    ``voting.proxy_revoked`` with both member keys."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    proxy = s.get(Proxy, proxy_id)
    if proxy is None or proxy.ballot_id != ballot.id or proxy.revoked_at is not None:
        raise ProxyNotFound(N_("There is no such live proxy on this ballot."), proxy=proxy_id)
    if has_voted(s, ballot.id, proxy.member_id):
        raise ProxyUsed(N_("A ballot was already cast for the represented member: it is final."))
    proxy.revoked_at = uow.clock.now()
    member = s.get_one(RollMember, proxy.member_id)
    acting = s.get_one(RollMember, proxy.acting_member_id)
    data = {
        "ballot": ballot.ref,
        "proxy": proxy.id,
        "member": member.member_key,
        "acting_member": acting.member_key,
        "by": revoked_by,
    }
    log_event(
        s,
        community_of(s, ballot).code,
        "voting.proxy_revoked",
        uow.clock,
        data,
        omit_none=True,
    )
    s.flush()
    return _infos(s, [proxy])[0]


def list_proxies(uow: UnitOfWork, *, ballot_ref: str) -> list[ProxyInfo]:
    """Every proxy of the ballot, live and revoked, in the order recorded. Reads only."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    proxies = list(
        s.scalars(sa.select(Proxy).where(Proxy.ballot_id == ballot.id).order_by(Proxy.id))
    )
    return _infos(s, proxies)


def member_for_unit(s: Session, ballot_id: int, unit_code: str) -> RollMember:
    """The roll member holding ``unit_code`` on this ballot; ``NotEligible`` otherwise."""
    member_id = s.scalar(
        sa.select(RollUnit.member_id).where(
            RollUnit.ballot_id == ballot_id, RollUnit.unit_code == unit_code.strip()
        )
    )
    if member_id is None:
        raise NotEligible(N_("Unit %(unit)s is not on this ballot's roll."), unit=unit_code.strip())
    return s.get_one(RollMember, member_id)


def member_id_for_unit(uow: UnitOfWork, *, ballot_ref: str, unit_code: str) -> int:
    """The id of the roll member holding ``unit_code`` (``NotEligible`` if none). Reads only."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    return member_for_unit(s, ballot.id, unit_code).id


def _member(s: Session, ballot_id: int, member_id: int) -> RollMember:
    member = s.get(RollMember, member_id)
    if member is None or member.ballot_id != ballot_id:
        raise NotEligible(N_("The member is not on this ballot's roll."), member=member_id)
    return member


def _live(s: Session, ballot_id: int) -> list[Proxy]:
    return list(
        s.scalars(
            sa.select(Proxy)
            .where(Proxy.ballot_id == ballot_id, Proxy.revoked_at.is_(None))
            .with_for_update()
        )
    )


def _infos(s: Session, proxies: list[Proxy]) -> list[ProxyInfo]:
    if not proxies:
        return []
    ids = {p.member_id for p in proxies} | {p.acting_member_id for p in proxies}
    members = {m.id: m for m in s.scalars(sa.select(RollMember).where(RollMember.id.in_(ids)))}
    labels = member_labels(s, list(members.values()))
    units: dict[int, list[str]] = {i: [] for i in ids}
    for member_id, code in s.execute(
        sa.select(RollUnit.member_id, RollUnit.unit_code)
        .where(RollUnit.member_id.in_(ids))
        .order_by(RollUnit.unit_code)
    ):
        units[member_id].append(code)
    ballot_id = proxies[0].ballot_id
    voted = set(
        s.scalars(
            sa.select(Vote.member_id).where(Vote.ballot_id == ballot_id, Vote.member_id.in_(ids))
        )
    )
    return [
        ProxyInfo(
            proxy_id=p.id,
            member_id=p.member_id,
            member_key=members[p.member_id].member_key,
            member_label=labels[p.member_id],
            member_units=tuple(units[p.member_id]),
            acting_member_id=p.acting_member_id,
            acting_member_key=members[p.acting_member_id].member_key,
            acting_label=labels[p.acting_member_id],
            acting_units=tuple(units[p.acting_member_id]),
            authorization_sha256=p.authorization_sha256,
            recorded_at=p.recorded_at,
            revoked_at=p.revoked_at,
            is_used=p.member_id in voted,
        )
        for p in proxies
    ]
