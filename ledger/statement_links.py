"""Owners' standing statement links: a personal, read-only link to one's own units'
sub-account statements, issued and reissued by the committee like ballot links.

A link is ``<base url>/s/<token>`` with a token of 192 random bits from the ballot links'
helpers (``voting.credentials.new_token``); the database keeps only ``SHA-256(token)``
(``token_hash``), so the token exists in clear only in what :func:`issue_statement_link`
returns, once. One live link per owner (a partial unique index): issuing again revokes the
old link in the same transaction, and the old one stops working at once. The log records
each issue by the owner's opaque ``ref``; never a name, a phone or a token.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from estate.models import Community, Owner, Unit, UnitOwner
from ledger.report_errors import N_, OwnerNotFound, StatementLinkInvalid, UnitNotFound
from ledger.report_models import StatementLink
from notary.work import UnitOfWork
from voting.credentials import new_token, token_hash

LINK_PATH = "/s/"
LINK_EVENT = "ledger.statement_link_issued"


@dataclass(frozen=True)
class IssuedStatementLink:
    """A freshly issued link: the token in clear (shown once), the owner's ref and units,
    and whether it replaced an earlier link."""

    token: str
    owner_ref: str
    unit_codes: tuple[str, ...]
    is_reissue: bool

    def url(self, base_url: str) -> str:
        """``<base url>/s/<token>``."""
        return base_url.rstrip("/") + LINK_PATH + self.token


@dataclass(frozen=True)
class UnitOwnerLink:
    """An owner of a unit as the committee's page lists them, and whether they hold a live
    statement link (the name is the register's: callers mask it where needed)."""

    owner_ref: str
    name: str
    kind: str
    has_live_link: bool


@dataclass(frozen=True)
class StatementAccess:
    """What a live link opens: the owner's community and the codes of the owner's units."""

    community_code: str
    community_name: str
    owner_ref: str
    unit_codes: tuple[str, ...]


def _owner_units(uow: UnitOfWork, owner_id: int) -> tuple[str, ...]:
    return tuple(
        uow.session.scalars(
            sa.select(Unit.code)
            .join(UnitOwner, UnitOwner.unit_id == Unit.id)
            .where(UnitOwner.owner_id == owner_id)
            .order_by(Unit.code)
        )
    )


def unit_owner_links(uow: UnitOfWork, community_code: str, unit_code: str) -> list[UnitOwnerLink]:
    """The owners of unit ``unit_code`` in register order, each with whether a live
    statement link exists. ``UnitNotFound`` for a unit the community does not have."""
    s = uow.session
    unit_id = s.scalar(
        sa.select(Unit.id)
        .join(Community, Community.id == Unit.community_id)
        .where(Community.code == community_code, Unit.code == unit_code)
    )
    if unit_id is None:
        raise UnitNotFound(N_("There is no unit %(unit)s in this community."), unit=unit_code)
    live = (
        sa.exists()
        .where(StatementLink.owner_id == Owner.id, StatementLink.revoked_at.is_(None))
        .correlate(Owner)
    )
    return [
        UnitOwnerLink(ref, name, kind, bool(has))
        for ref, name, kind, has in s.execute(
            sa.select(Owner.ref, Owner.name, Owner.kind, live)
            .join(UnitOwner, UnitOwner.owner_id == Owner.id)
            .where(UnitOwner.unit_id == unit_id)
            .order_by(UnitOwner.position, Owner.id)
        )
    ]


def issue_statement_link(
    uow: UnitOfWork, *, community_code: str, owner_ref: str
) -> IssuedStatementLink:
    """Issue owner ``owner_ref`` a new statement link, revoking their live one if any (it
    stops working when this commits), and log it (``ledger.statement_link_issued``: the ref
    and whether it is a reissue). ``OwnerNotFound`` for a ref the community does not have or
    an owner holding no unit. Never commits."""
    s = uow.session
    row = s.execute(
        sa.select(Owner.id, Community.id, Community.code)
        .join(Community, Community.id == Owner.community_id)
        .where(Community.code == community_code, Owner.ref == owner_ref)
    ).one_or_none()
    if row is None:
        raise OwnerNotFound(N_("There is no owner %(ref)s in this community."), ref=owner_ref)
    owner_id, community_id, code = row
    units = _owner_units(uow, owner_id)
    if not units:
        raise OwnerNotFound(N_("Owner %(ref)s holds no unit in this community."), ref=owner_ref)
    now = uow.clock.now()
    revoked = s.execute(
        sa.update(StatementLink)
        .where(StatementLink.owner_id == owner_id, StatementLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(StatementLink.id)
    ).all()
    token = new_token()
    s.execute(
        sa.insert(StatementLink).values(
            community_id=community_id,
            owner_id=owner_id,
            token_hash=token_hash(token),
            issued_at=now,
            issued_by=uow.actor,
        )
    )
    uow.log(code, LINK_EVENT, {"owner": owner_ref, "reissue": bool(revoked)})
    return IssuedStatementLink(token, owner_ref, units, bool(revoked))


def open_statement_link(uow: UnitOfWork, token: str) -> StatementAccess:
    """The owner and units a live link opens. ``StatementLinkInvalid`` for an unknown token
    (or one of the wrong shape) and for a link replaced by a newer one (a different message).
    Reads only."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise StatementLinkInvalid(N_("This link is not valid."))
    row = uow.session.execute(
        sa.select(StatementLink.owner_id, StatementLink.revoked_at, Owner.ref, Community)
        .join(Owner, Owner.id == StatementLink.owner_id)
        .join(Community, Community.id == StatementLink.community_id)
        .where(StatementLink.token_hash == token_hash(token))
    ).one_or_none()
    if row is None:
        raise StatementLinkInvalid(N_("This link is not valid."))
    owner_id, revoked_at, ref, community = row
    if revoked_at is not None:
        raise StatementLinkInvalid(N_("This link was replaced by a new one."))
    return StatementAccess(community.code, community.name, ref, _owner_units(uow, owner_id))
