"""Proxies (委托投票): a member represented by another member of the same ballot's roll, or
by any natural person (a relative, a tenant).

A proxy is recorded by the committee from a signed authorization, of which only the SHA-256
is kept. One live proxy per represented member (a database constraint); no chains (an
acting member is not represented, and a represented member does not act for others). It may
be revoked until a ballot has been cast for the represented member. Members are logged by
their opaque keys (``voting.proxy_recorded`` / ``voting.proxy_revoked``).

A natural-person proxy is recorded with the person's name (kept in clear for the committee,
masked everywhere else), phone (encrypted) and a keyed HMAC of their ID number (never the
number, never a plain hash); none of the three enters the log, which says only
``"acting": "person"``. The committee then issues the proxy a personal link of their own for
the represented member (:func:`issue_proxy_link`, reissued the same way); revoking the proxy
revokes that link. While a live proxy holds a member's vote, the member's own link does not
cast (``RepresentedByProxy``, ``voting.casting``): one vote per member stays a database
constraint either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.id_numbers import normalise_id_number
from estate.personal import DataCipher, mask_name
from estate.roll import MAX_NAME_CHARS, normalise_phone
from estate.services import id_number_hmac
from notary import store
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
from voting.identity import proxy_phone_purpose
from voting.links import IssuedLink, IssuedLinks
from voting.models import Credential, Proxy, RollMember, RollUnit, Vote
from voting.rows import ballot_by_ref, community_of, log_event, member_labels
from voting.tokens import REISSUE_STATUSES, link_url, new_token, token_hash

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
PROXY_STATUSES = ("open",)


@dataclass(frozen=True)
class ProxyInfo:
    """A proxy as the committee sees it (masked names). For a natural-person proxy the
    acting member fields are None / empty and ``acting_label`` is the masked name."""

    proxy_id: int
    member_id: int
    member_key: str
    member_label: str
    member_units: tuple[str, ...]
    acting_member_id: int | None
    acting_member_key: str | None
    acting_label: str
    acting_units: tuple[str, ...]
    authorization_sha256: str
    recorded_at: datetime
    revoked_at: datetime | None
    is_used: bool
    is_person: bool = False
    has_phone: bool = False
    has_id_number: bool = False
    has_link: bool = False


_REPRESENTED = N_("This member is already represented on this ballot.")


@dataclass(frozen=True)
class ProxyPerson:
    """A natural person acting as proxy, as the committee typed them (validated by
    :func:`record_proxy`). Kept in memory only until stored: name in clear, phone encrypted,
    ID number as a keyed HMAC."""

    name: str
    phone: str = ""
    id_number: str = ""

    def __repr__(self) -> str:  # keep the person's data out of logs and tracebacks
        return "ProxyPerson(<hidden>)"


def record_proxy(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    member_id: int,
    authorization_sha256: str,
    acting_member_id: int | None = None,
    person: ProxyPerson | None = None,
    cipher: DataCipher | None = None,
    recorded_by: int | None = None,
) -> ProxyInfo:
    """Record that ``acting_member_id`` (a member of the roll) or ``person`` (any natural
    person; ``cipher`` needed) represents ``member_id`` on this ballot.

    Guarantees, in one transaction: exactly one of the two is given, the person's name is
    1-200 characters without control characters, a phone given is a phone number and an ID
    number given is valid (``estate.id_numbers``) (``ProxyInvalid``, never echoing the
    value); the ballot is open (``IllegalTransition``); the members are on its roll and
    differ (``NotEligible`` / ``ProxyInvalid``); the hash is 64 hex digits (``ProxyInvalid``);
    the represented member has not voted (``AlreadyVoted``) and has no live proxy
    (``ProxyExists``, also under a race); no chain forms (``ProxyInvalid``); the person's
    phone is stored encrypted and their ID number only as a keyed HMAC; one
    ``voting.proxy_recorded`` event names the member keys (or ``"acting": "person"``) and the
    authorization's hash, never a name, phone or ID number.
    """
    digest = authorization_sha256.strip().lower()
    if not SHA256_HEX.fullmatch(digest):
        raise ProxyInvalid(N_("The authorization's SHA-256 must be 64 hexadecimal digits."))
    if (acting_member_id is None) == (person is None):
        raise ProxyInvalid(N_("Name either an acting member or a person who acts as proxy."))
    if member_id == acting_member_id:
        raise ProxyInvalid(N_("A member cannot represent themselves."))
    forms = _person_forms(person, cipher) if person is not None else None
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in PROXY_STATUSES:
        raise IllegalTransition(
            N_("Proxies are recorded while the ballot is open."), status=ballot.status
        )
    member = _member(s, ballot.id, member_id)
    acting = _member(s, ballot.id, acting_member_id) if acting_member_id is not None else None
    if has_voted(s, ballot.id, member.id):
        raise AlreadyVoted(N_("This member has already voted: no proxy is needed."))
    live = _live(s, ballot.id)
    if any(p.member_id == member.id for p in live):
        raise ProxyExists(_REPRESENTED)
    if acting is not None and (
        any(p.member_id == acting.id for p in live)
        or any(p.acting_member_id == member.id for p in live)
    ):
        raise ProxyInvalid(
            N_("A represented member cannot act for others, nor be represented by one.")
        )
    proxy = Proxy(
        ballot_id=ballot.id,
        member_id=member.id,
        acting_member_id=acting.id if acting is not None else None,
        proxy_name=forms[0] if forms else "",
        proxy_id_hmac=forms[2] if forms else None,
        authorization_sha256=digest,
        recorded_by=recorded_by,
        recorded_at=uow.clock.now(),
    )
    represented = {"uq_proxy_live_member": lambda: ProxyExists(_REPRESENTED)}
    with uow.constraint_errors(represented):
        s.add(proxy)
    if forms and forms[1] and cipher is not None:  # the purpose binds it to the proxy's id
        proxy.proxy_phone_enc = cipher.encrypt(forms[1], purpose=proxy_phone_purpose(proxy.id))
    data = {
        "ballot": ballot.ref,
        "proxy": proxy.id,
        "member": member.member_key,
        "acting_member": acting.member_key if acting is not None else None,
        "acting": "member" if acting is not None else "person",
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
    """Revoke a live proxy, and the proxy's own link if it has one. ``ProxyNotFound`` for no
    such live proxy on this ballot; ``ProxyUsed`` once a ballot has been cast for the
    represented member (by anyone). Logs ``voting.proxy_revoked`` with the member keys."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    proxy = s.get(Proxy, proxy_id)
    if proxy is None or proxy.ballot_id != ballot.id or proxy.revoked_at is not None:
        raise ProxyNotFound(N_("There is no such live proxy on this ballot."), proxy=proxy_id)
    if has_voted(s, ballot.id, proxy.member_id):
        raise ProxyUsed(N_("A ballot was already cast for the represented member: it is final."))
    now = uow.clock.now()
    proxy.revoked_at = now
    links = s.scalars(
        sa.select(Credential).where(
            Credential.proxy_id == proxy.id, Credential.revoked_at.is_(None)
        )
    ).all()
    for credential in links:  # the proxy's own link stops working with the proxy
        credential.revoked_at = now
    member = s.get_one(RollMember, proxy.member_id)
    acting = (
        s.get_one(RollMember, proxy.acting_member_id)
        if proxy.acting_member_id is not None
        else None
    )
    data = {
        "ballot": ballot.ref,
        "proxy": proxy.id,
        "member": member.member_key,
        "acting_member": acting.member_key if acting is not None else None,
        "links_revoked": len(links),
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


def issue_proxy_link(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    proxy_id: int,
    base_url: str,
    actor: int | None = None,
) -> IssuedLinks:
    """Issue a natural-person proxy their own personal link for the member they represent,
    revoking the proxy's previous link if any (so it also reissues a lost one).

    Guarantees, in one transaction: the ballot takes votes or may still reissue links
    (``IllegalTransition``); the proxy is live, of this ballot and a natural person
    (``ProxyNotFound`` / ``ProxyInvalid``: a member proxy uses their own link); afterwards
    exactly one link of the proxy is live, stored only as its token's SHA-256; it casts the
    member's one vote (channel ``proxy``) and passes the identity check with the proxy's
    phone or ID number, never the owner's. ``voting.proxy_link_issued`` names the proxy id and
    the member key. The returned link is the only copy of the token.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in REISSUE_STATUSES:
        raise IllegalTransition(
            N_("Proxy links are issued while the ballot is running."), status=ballot.status
        )
    proxy = s.get(Proxy, proxy_id)
    if proxy is None or proxy.ballot_id != ballot.id or proxy.revoked_at is not None:
        raise ProxyNotFound(N_("There is no such live proxy on this ballot."), proxy=proxy_id)
    if proxy.acting_member_id is not None:
        raise ProxyInvalid(N_("A member who acts as proxy votes through their own link."))
    now = uow.clock.now()
    old = s.scalars(
        sa.select(Credential)
        .where(Credential.proxy_id == proxy.id, Credential.revoked_at.is_(None))
        .with_for_update()
    ).all()
    for credential in old:
        credential.revoked_at = now
    s.flush()
    community = community_of(s, ballot)
    token = new_token()
    s.add(
        Credential(
            ballot_id=ballot.id,
            member_id=proxy.member_id,
            proxy_id=proxy.id,
            token_hash=token_hash(token),
            issued_at=now,
            log_size_at_issue=store.tree_size(s, community.code),
        )
    )
    s.flush()
    member = s.get_one(RollMember, proxy.member_id)
    log_event(
        s,
        community.code,
        "voting.proxy_link_issued",
        uow.clock,
        {
            "ballot": ballot.ref,
            "proxy": proxy.id,
            "member": member.member_key,
            "revoked": len(old),
            "by": actor,
        },
        omit_none=True,
    )
    units = tuple(
        s.scalars(
            sa.select(RollUnit.unit_code)
            .where(RollUnit.member_id == member.id)
            .order_by(RollUnit.unit_code)
        )
    )
    link = IssuedLink(
        member_id=member.id,
        member_key=member.member_key,
        holder_label=mask_name(proxy.proxy_name),
        is_developer=False,
        unit_codes=units,
        area_centi=member.area_centi,
        url=link_url(base_url, token),
    )
    return IssuedLinks.of(ballot, community, (link,))


def _person_forms(
    person: ProxyPerson, cipher: DataCipher | None
) -> tuple[str, str | None, str | None]:
    """The person's name, normalised phone and ID-number HMAC, checked (``ProxyInvalid``)."""
    if cipher is None:
        raise ValueError("recording a natural-person proxy needs the data cipher")
    name = person.name.strip()
    if not name or len(name) > MAX_NAME_CHARS or _CONTROL.search(name):
        raise ProxyInvalid(
            N_("The proxy's name must be 1 to %(chars)s characters."), chars=MAX_NAME_CHARS
        )
    phone: str | None = None
    if person.phone.strip():
        phone = normalise_phone(person.phone.strip()[:40])
        if phone is None:
            raise ProxyInvalid(N_("The proxy's phone does not look like a phone number."))
    digest: str | None = None
    if person.id_number.strip():
        number = normalise_id_number(person.id_number.strip()[:64])
        if number is None:
            raise ProxyInvalid(
                N_(
                    "The proxy's ID number is not valid (an 18-character resident ID number "
                    "with its check character, or 5-20 letters and digits of another document)."
                )
            )
        digest = id_number_hmac(cipher, number)
    return name, phone, digest


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
    ids = {p.member_id for p in proxies} | {
        p.acting_member_id for p in proxies if p.acting_member_id is not None
    }
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
    linked = set(
        s.scalars(
            sa.select(Credential.proxy_id).where(
                Credential.proxy_id.in_([p.id for p in proxies]), Credential.revoked_at.is_(None)
            )
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
            acting_member_key=(
                members[p.acting_member_id].member_key if p.acting_member_id is not None else None
            ),
            acting_label=(
                labels[p.acting_member_id]
                if p.acting_member_id is not None
                else mask_name(p.proxy_name)
            ),
            acting_units=tuple(units[p.acting_member_id]) if p.acting_member_id is not None else (),
            authorization_sha256=p.authorization_sha256,
            recorded_at=p.recorded_at,
            revoked_at=p.revoked_at,
            is_used=p.member_id in voted,
            is_person=p.acting_member_id is None,
            has_phone=p.proxy_phone_enc is not None,
            has_id_number=p.proxy_id_hmac is not None,
            has_link=p.id in linked,
        )
        for p in proxies
    ]
