"""The optional identity check on a personal link (``ballot.identity_check``).

``id_last4`` or ``phone_last4`` asks for the last four digits of an owner of the member; the
stored values are decrypted in memory only and compared in constant time. Five wrong
answers lock the link for fifteen minutes.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy.orm import Session

from estate.errors import UndecryptableData
from estate.personal import DataCipher
from estate.services import id_number_purpose, phone_purpose
from notary.work import UnitOfWork
from voting.errors import N_, IdentityCheckFailed, IdentityLocked
from voting.models import Ballot, RollMember
from voting.rows import owners_of
from voting.tokens import live_credential

MAX_IDENTITY_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def verify_identity(
    uow: UnitOfWork,
    *,
    token: str,
    digits: str,
    cipher: DataCipher,
) -> None:
    """Check the last four digits an owner typed against the member's owners' records.

    Guarantees: the comparison runs in constant time against every owner of the member; on a
    match the link is marked verified (once verified, it stays so); on a miss the failure is
    counted and committed before ``IdentityCheckFailed`` is raised (``remaining`` tries left);
    after five misses ``IdentityLocked`` (``until``) for fifteen minutes, during which even the
    right digits are refused. A ballot without an identity check, or a link already verified,
    passes at once. ``IdentityCheckFailed`` with ``reason="no-data"`` (not counted) when no
    owner of the member has the value on record.
    """
    s = uow.session
    credential = live_credential(s, token, for_update=True)
    ballot = s.get_one(Ballot, credential.ballot_id)
    if ballot.identity_check == "none" or credential.identity_verified_at is not None:
        return
    now = uow.clock.now()
    if credential.locked_until is not None and credential.locked_until > now:
        raise IdentityLocked(
            N_("Too many wrong answers. Try again after %(until)s."),
            until=credential.locked_until.isoformat(),
        )
    member = s.get_one(RollMember, credential.member_id)
    expected = _identity_values(s, member, ballot.identity_check, cipher)
    if not expected:
        raise IdentityCheckFailed(
            N_("No number is on record for this check: ask the owners' committee."),
            reason="no-data",
            remaining=MAX_IDENTITY_FAILURES,
        )
    given = "".join(ch for ch in digits if ch.isalnum()).upper()[-4:].rjust(4, "#")
    matched = False
    for value in expected:  # compare with every owner: the time does not tell which
        tail = "".join(ch for ch in value if ch.isalnum()).upper()[-4:].rjust(4, "*")
        matched |= hmac.compare_digest(tail.encode(), given.encode())
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
        N_("The digits do not match. %(remaining)s tries left."),
        reason="mismatch",
        remaining=MAX_IDENTITY_FAILURES - credential.identity_failures,
    )


def _identity_values(s: Session, member: RollMember, check: str, cipher: DataCipher) -> list[str]:
    values: list[str] = []
    for owner in owners_of(s, member):
        try:
            if check == "id_last4" and owner.id_number_enc:
                values.append(
                    cipher.decrypt(owner.id_number_enc, purpose=id_number_purpose(owner.ref))
                )
            elif check == "phone_last4" and owner.phone_enc:
                values.append(cipher.decrypt(owner.phone_enc, purpose=phone_purpose(owner.ref)))
        except UndecryptableData:
            continue
    return values
