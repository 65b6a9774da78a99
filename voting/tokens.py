"""Link tokens and their resolution to a live credential.

A link is ``<base url>/v/<token>`` with a token of 192 random bits; the database keeps only
``SHA-256(token)``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community
from voting.errors import N_, UnknownLink
from voting.models import Ballot, Credential, RollMember

TOKEN_BYTES = 24  # 192 bits
LINK_PATH = "/v/"
REISSUE_STATUSES = ("open", "closed", "tallied", "published")
"""Statuses in which links may be reissued: the roll is frozen and the ballot is not settled
(once final, annulled or cancelled nothing is left to do with a link but read it)."""
ROLL_STATUSES = (*REISSUE_STATUSES, "final", "cancelled", "annulled")
"""Statuses in which a ballot has a frozen roll, so its links still open (read only once
cancelled or annulled)."""


def new_token() -> str:
    """A fresh link token: 192 random bits, URL-safe base64 (32 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256 hex of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(base_url: str, token: str) -> str:
    """``<base url>/v/<token>`` (one slash between them whatever ``base_url`` ends with)."""
    return base_url.rstrip("/") + LINK_PATH + token


def live_credential(s: Session, token: str, *, for_update: bool = False) -> Credential:
    """The live credential of ``token`` whose ballot has a frozen roll, else ``UnknownLink``."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    query = sa.select(Credential).where(Credential.token_hash == token_hash(token))
    if for_update:
        query = query.with_for_update()
    credential = s.scalars(query).one_or_none()
    if credential is None:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    if credential.revoked_at is not None:
        raise UnknownLink(N_("This link was replaced by a new one."), reason="revoked")
    status = s.scalar(sa.select(Ballot.status).where(Ballot.id == credential.ballot_id))
    if status not in ROLL_STATUSES:
        raise UnknownLink(N_("This link is not valid any more."), reason="unknown")
    return credential


def live_link(s: Session, token: str) -> tuple[Credential, Ballot, RollMember, Community]:
    """The live credential of ``token`` with its ballot, member and community, read in one
    statement; ``UnknownLink`` exactly as :func:`live_credential` decides it."""
    credential, ballot, member, community, _ = live_link_with(s, token, ())
    return credential, ballot, member, community


def live_link_with(
    s: Session, token: str, extra: Sequence[sa.ColumnElement[Any]]
) -> tuple[Credential, Ballot, RollMember, Community, tuple[Any, ...]]:
    """As :func:`live_link`, and the values of ``extra`` (columns or scalar subqueries over
    the same row: e.g. the member's vote) read in the same statement."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    row = s.execute(
        sa.select(Credential, Ballot, RollMember, Community, *extra)
        .join(Ballot, Ballot.id == Credential.ballot_id)
        .join(RollMember, RollMember.id == Credential.member_id)
        .join(Community, Community.id == Ballot.community_id)
        .where(Credential.token_hash == token_hash(token))
    ).one_or_none()
    if row is None:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    credential, ballot, member, community = row[:4]
    if credential.revoked_at is not None:
        raise UnknownLink(N_("This link was replaced by a new one."), reason="revoked")
    if ballot.status not in ROLL_STATUSES:
        raise UnknownLink(N_("This link is not valid any more."), reason="unknown")
    return credential, ballot, member, community, tuple(row[4:])
