"""The optional identity check on a personal link (``ballot.identity_check``).

- ``sms_code``: a one-time six-digit code, sent on request through the outbox to the phone on
  record (every phone of the member's owners, or the proxy's phone for a proxy's link), in a
  message that carries no link. Kept only as a keyed HMAC; valid for ten minutes, once, and
  only the newest code of a link counts; at most three codes per link per hour.
- ``id_last4``: the last four characters of an owner's ID number (kept encrypted); through a
  proxy's link the proxy's whole ID number, compared by its keyed HMAC (only that is kept).
- ``phone_last4``: the last four digits of an owner's (or the proxy's) phone. Weak: staff see
  them in masked phones. Kept for the ballots that use it.

Stored values are decrypted in memory only and compared in constant time. Five wrong answers
(codes included) lock the link for fifteen minutes. An owner with nothing on record for the
check (the developer, an organisation) is confirmed by a committee member who checked the
representative's papers in person (:func:`confirm_identity`, logged without personal data).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.errors import UndecryptableData
from estate.id_numbers import normalise_id_number
from estate.personal import DataCipher
from estate.services import id_last4_purpose, id_number_hmac, phone_purpose
from notary.work import UnitOfWork
from voting.errors import (
    N_,
    IdentityCheckFailed,
    IdentityCodeLimit,
    IdentityLocked,
    IdentityOnRecord,
    IllegalTransition,
    NotEligible,
)
from voting.models import IDENTITY_CODE_DIGITS, Ballot, Credential, IdentityCode, Proxy, RollMember
from voting.rows import ballot_by_ref, community_of, log_event, owners_of, units_by_member
from voting.tokens import REISSUE_STATUSES, live_credential

MAX_IDENTITY_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODES_PER_HOUR = 3
CODE_WINDOW = timedelta(hours=1)


def proxy_phone_purpose(proxy_id: int) -> str:
    """Associated data for a proxy's phone: binds the ciphertext to that proxy."""
    return f"proxy.phone:{proxy_id}"


def _code_purpose(credential_id: int) -> str:
    return f"identity_code:{credential_id}"


@dataclass(frozen=True)
class IdentityCodeMessage:
    """A one-time code to send, in clear only here (never stored), with its recipients."""

    code: str
    phones: tuple[str, ...]
    member_key: str
    community_name: str
    ballot_title: str
    expires_at: datetime

    def __repr__(self) -> str:  # keep the code and the phones out of logs and tracebacks
        return f"IdentityCodeMessage(member_key={self.member_key!r})"


def request_identity_code(
    uow: UnitOfWork, *, token: str, cipher: DataCipher
) -> IdentityCodeMessage:
    """Make a one-time code for the link's ``sms_code`` check and return it with the phones
    on record, for the caller to send through the outbox.

    Guarantees: the link is live (``UnknownLink``); the ballot asks for ``sms_code`` and the
    link has not passed it (``IllegalTransition``); the link is not locked
    (``IdentityLocked``); fewer than three codes were made for it in the last hour
    (``IdentityCodeLimit`` with ``until``); a phone is on record (``IdentityCheckFailed``
    with ``reason="no-data"``: the committee checks the papers instead). Only the code's keyed
    HMAC is stored, valid for ten minutes; ``voting.identity_code_sent`` names the member by
    key (and the proxy by id), never the phone or the code.
    """
    s = uow.session
    credential = live_credential(s, token, for_update=True)
    ballot = s.get_one(Ballot, credential.ballot_id)
    if ballot.identity_check != "sms_code" or credential.identity_verified_at is not None:
        raise IllegalTransition(N_("This link needs no code."), status=ballot.status)
    now = uow.clock.now()
    _refuse_if_locked(credential, now)
    recent = list(
        s.scalars(
            sa.select(IdentityCode.sent_at)
            .where(
                IdentityCode.credential_id == credential.id,
                IdentityCode.sent_at > now - CODE_WINDOW,
            )
            .order_by(IdentityCode.sent_at)
        )
    )
    if len(recent) >= MAX_CODES_PER_HOUR:
        raise IdentityCodeLimit(
            N_("Too many codes were asked for. Try again after %(until)s."),
            until=(recent[0] + CODE_WINDOW).isoformat(),
        )
    member = s.get_one(RollMember, credential.member_id)
    phones = _phones(s, credential, member, cipher)
    if not phones:
        raise IdentityCheckFailed(
            N_("No number is on record for this check: ask the owners' committee."),
            reason="no-data",
            remaining=MAX_IDENTITY_FAILURES,
        )
    code = f"{secrets.randbelow(10**IDENTITY_CODE_DIGITS):0{IDENTITY_CODE_DIGITS}d}"
    expires = now + CODE_LIFETIME
    s.add(
        IdentityCode(
            credential_id=credential.id,
            code_hmac=cipher.keyed_hash(code, purpose=_code_purpose(credential.id)),
            sent_at=now,
            expires_at=expires,
        )
    )
    community = community_of(s, ballot)
    log_event(
        s,
        community.code,
        "voting.identity_code_sent",
        uow.clock,
        {"ballot": ballot.ref, "member": member.member_key, "proxy": credential.proxy_id},
        omit_none=True,
    )
    return IdentityCodeMessage(
        code, tuple(phones), member.member_key, community.name, ballot.title, expires
    )


def verify_identity(
    uow: UnitOfWork,
    *,
    token: str,
    digits: str,
    cipher: DataCipher,
) -> None:
    """Check what the link's holder typed against the records for the ballot's check.

    Guarantees: the comparison runs in constant time against every value on record; on a
    match the link is marked verified (once verified, it stays so) and an SMS code is spent;
    on a miss the failure is counted and committed before ``IdentityCheckFailed`` is raised
    (``remaining`` tries left); after five misses ``IdentityLocked`` (``until``) for fifteen
    minutes, during which even the right answer is refused. A ballot without an identity
    check, or a link already verified, passes at once. Not counted:
    ``IdentityCheckFailed`` with ``reason="no-data"`` when nothing is on record for the
    check, and with ``reason="no-code"`` when the link has no unexpired, unused newest code.
    """
    s = uow.session
    credential = live_credential(s, token, for_update=True)
    ballot = s.get_one(Ballot, credential.ballot_id)
    if ballot.identity_check == "none" or credential.identity_verified_at is not None:
        return
    now = uow.clock.now()
    _refuse_if_locked(credential, now)
    member = s.get_one(RollMember, credential.member_id)
    if ballot.identity_check == "sms_code":
        matched = _match_code(s, credential, digits, cipher, now)
    else:
        matched = _match_record(s, credential, member, ballot.identity_check, digits, cipher)
    if matched:
        credential.identity_verified_at = now
        credential.identity_failures = 0
        credential.locked_until = None
        return
    # Both refusals below are ``is_recorded``: the counted failure is committed.
    credential.identity_failures += 1
    if credential.identity_failures >= MAX_IDENTITY_FAILURES:
        credential.identity_failures = 0
        credential.locked_until = now + LOCKOUT
        raise IdentityLocked(
            N_("Too many wrong answers. Try again after %(until)s."),
            until=credential.locked_until.isoformat(),
        )
    raise IdentityCheckFailed(
        N_("The answer does not match. %(remaining)s tries left."),
        reason="mismatch",
        remaining=MAX_IDENTITY_FAILURES - credential.identity_failures,
    )


@dataclass(frozen=True)
class IdentityConfirmation:
    """A link whose identity a committee member confirmed from the representative's papers."""

    member_id: int
    member_key: str
    units: tuple[str, ...]
    confirmed_at: datetime
    confirmed_by: int


def confirm_identity(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    member_id: int,
    checked_by: int,
    cipher: DataCipher,
) -> IdentityConfirmation:
    """Record that committee member ``checked_by`` checked, in person, the papers of the
    representative of a member with nothing on record for the ballot's identity check (the
    developer, an organisation, an owner without phone or ID number), so the member's live
    link passes the check.

    Guarantees, in one transaction: the ballot has a frozen roll and is not settled, and has
    an identity check (``IllegalTransition``); the member is on its roll (``NotEligible``)
    and has a live own link (``IllegalTransition``: issue it first); nothing is on record
    for the check (``IdentityOnRecord``: the owner confirms through the link);
    ``voting.identity_confirmed`` names the member key, the check and the staff id, never
    a name, phone or ID number.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in REISSUE_STATUSES or ballot.identity_check == "none":
        raise IllegalTransition(
            N_("Identities are confirmed while a ballot with an identity check is running."),
            status=ballot.status,
        )
    member = s.get(RollMember, member_id)
    if member is None or member.ballot_id != ballot.id:
        raise NotEligible(N_("The member is not on this ballot's roll."), member=member_id)
    credential = s.scalars(
        sa.select(Credential)
        .where(
            Credential.member_id == member.id,
            Credential.revoked_at.is_(None),
            Credential.proxy_id.is_(None),
        )
        .with_for_update()
    ).one_or_none()
    if credential is None:
        raise IllegalTransition(
            N_("The member has no live link: issue it first."), status=ballot.status
        )
    if _values_on_record(s, credential, member, ballot.identity_check, cipher):
        raise IdentityOnRecord(
            N_(
                "A number is on record for this owner: they confirm who they are through "
                "their link."
            )
        )
    now = uow.clock.now()
    credential.identity_verified_at = now
    credential.identity_verified_by = checked_by
    credential.identity_failures = 0
    credential.locked_until = None
    log_event(
        s,
        community_of(s, ballot).code,
        "voting.identity_confirmed",
        uow.clock,
        {
            "ballot": ballot.ref,
            "member": member.member_key,
            "check": ballot.identity_check,
            "by": checked_by,
        },
    )
    units = units_by_member(s, ballot.id, [member.id])[member.id]
    return IdentityConfirmation(
        member.id, member.member_key, tuple(u.unit_code for u in units), now, checked_by
    )


def identity_confirmations(uow: UnitOfWork, *, ballot_ref: str) -> list[IdentityConfirmation]:
    """The live links of the ballot whose identity a committee member confirmed, by time.
    Reads only."""
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref)
    rows = s.execute(
        sa.select(Credential, RollMember)
        .join(RollMember, RollMember.id == Credential.member_id)
        .where(
            Credential.ballot_id == ballot.id,
            Credential.revoked_at.is_(None),
            Credential.identity_verified_by.is_not(None),
        )
        .order_by(Credential.identity_verified_at, Credential.id)
    ).all()
    units = units_by_member(s, ballot.id, [m.id for _c, m in rows])
    return [
        IdentityConfirmation(
            m.id,
            m.member_key,
            tuple(u.unit_code for u in units[m.id]),
            c.identity_verified_at,
            c.identity_verified_by,
        )
        for c, m in rows
        if c.identity_verified_at is not None and c.identity_verified_by is not None
    ]


# --- internals -----------------------------------------------------------------------------


def _refuse_if_locked(credential: Credential, now: datetime) -> None:
    if credential.locked_until is not None and credential.locked_until > now:
        raise IdentityLocked(
            N_("Too many wrong answers. Try again after %(until)s."),
            until=credential.locked_until.isoformat(),
        )


def _match_code(
    s: Session, credential: Credential, typed: str, cipher: DataCipher, now: datetime
) -> bool:
    code = s.scalars(
        sa.select(IdentityCode)
        .where(IdentityCode.credential_id == credential.id)
        .order_by(IdentityCode.id.desc())
        .limit(1)
        .with_for_update()
    ).one_or_none()
    if code is None or code.used_at is not None or code.expires_at <= now:
        raise IdentityCheckFailed(
            N_("There is no valid code for this link: ask for a new one."),
            reason="no-code",
            remaining=MAX_IDENTITY_FAILURES - credential.identity_failures,
        )
    digits = "".join(ch for ch in typed if ch.isascii() and ch.isdigit())[:IDENTITY_CODE_DIGITS]
    given = cipher.keyed_hash(digits, purpose=_code_purpose(credential.id))
    if hmac.compare_digest(given.encode(), code.code_hmac.encode()):
        code.used_at = now
        return True
    return False


def _match_record(
    s: Session,
    credential: Credential,
    member: RollMember,
    check: str,
    typed: str,
    cipher: DataCipher,
) -> bool:
    proxy = _proxy(s, credential)
    if proxy is not None and check == "id_last4":
        # A proxy's whole ID number, compared by its keyed HMAC (only that is kept).
        if not proxy.proxy_id_hmac:
            raise _no_data()
        number = normalise_id_number(typed[:64]) or ""
        given = id_number_hmac(cipher, number)
        return hmac.compare_digest(given.encode(), proxy.proxy_id_hmac.encode())
    expected = _values_on_record(s, credential, member, check, cipher)
    if not expected:
        raise _no_data()
    given_tail = "".join(ch for ch in typed if ch.isalnum()).upper()[-4:].rjust(4, "#")
    matched = False
    for value in expected:  # compare with every value: the time does not tell which
        tail = "".join(ch for ch in value if ch.isalnum()).upper()[-4:].rjust(4, "*")
        matched |= hmac.compare_digest(tail.encode(), given_tail.encode())
    return matched


def _no_data() -> IdentityCheckFailed:
    return IdentityCheckFailed(
        N_("No number is on record for this check: ask the owners' committee."),
        reason="no-data",
        remaining=MAX_IDENTITY_FAILURES,
    )


def _proxy(s: Session, credential: Credential) -> Proxy | None:
    return None if credential.proxy_id is None else s.get(Proxy, credential.proxy_id)


def _values_on_record(
    s: Session, credential: Credential, member: RollMember, check: str, cipher: DataCipher
) -> list[str]:
    """What the check compares with: phones (``sms_code``, ``phone_last4``) or ID-number
    tails (``id_last4``) of the member's owners, or of the proxy for a proxy's link."""
    proxy = _proxy(s, credential)
    if proxy is not None:
        if check == "id_last4":
            return [proxy.proxy_id_hmac] if proxy.proxy_id_hmac else []
        return _phones(s, credential, member, cipher)
    if check in ("sms_code", "phone_last4"):
        return _phones(s, credential, member, cipher)
    values: list[str] = []
    for owner in owners_of(s, member):
        if owner.id_last4_enc:
            try:
                values.append(
                    cipher.decrypt(owner.id_last4_enc, purpose=id_last4_purpose(owner.ref))
                )
            except UndecryptableData:
                continue
    return values


def _phones(
    s: Session, credential: Credential, member: RollMember, cipher: DataCipher
) -> list[str]:
    """The distinct phones on record for the link: the proxy's for a proxy's link, else
    those of the member's owners (none for the developer)."""
    proxy = _proxy(s, credential)
    encrypted: Sequence[tuple[bytes | None, str]]
    if proxy is not None:
        encrypted = [(proxy.proxy_phone_enc, proxy_phone_purpose(proxy.id))]
    else:
        encrypted = [(o.phone_enc, phone_purpose(o.ref)) for o in owners_of(s, member)]
    phones: list[str] = []
    for token, purpose in encrypted:
        if not token:
            continue
        try:
            phone = cipher.decrypt(token, purpose=purpose)
        except UndecryptableData:
            continue
        if phone not in phones:
            phones.append(phone)
    return phones
