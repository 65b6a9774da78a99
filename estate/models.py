"""Tables of the property register: community, building, unit, owner, unit_owner.

Uniqueness and value checks are database constraints, so a race or a bug cannot store a
duplicate unit code or a zero area. Areas are integer 0.01 m². Owners' phone and ID numbers
are stored encrypted (``estate.personal.DataCipher``, purpose ``owner.<field>:<ref>``); names
are in clear so the committee can search them. ``owner.ref`` is a random opaque id used
wherever an owner must be named outside the register (the Merkle log, application logs).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notary.orm import ID, Base, UTCDateTime

UNIT_KINDS = ("flat", "shop", "parking")
OWNER_KINDS = ("person", "organisation")
BINDING_RESULTS = ("plain", "deemed")
FUND_HOLDERS = ("authority", "assembly")
EMERGENCY_PUBLISH_DAYS_DEFAULT = 30
"""Days within which an emergency draw's costs are published, unless the community says."""

# 64-bit ids on PostgreSQL; SQLite only auto-increments a plain INTEGER primary key.


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Community(Base):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    publicity_days: Mapped[int] = mapped_column(default=7, server_default="7")
    deemed_majority_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    binding_result: Mapped[str] = mapped_column(
        sa.String(16), default="plain", server_default="plain"
    )
    fund_holder: Mapped[str] = mapped_column(
        sa.String(16), default="authority", server_default="authority"
    )
    # Days after an emergency draw's record within which its costs and apportionment must be
    # published to the owners (DOMAIN.md §4.6).
    emergency_publish_days: Mapped[int] = mapped_column(
        default=EMERGENCY_PUBLISH_DAYS_DEFAULT, server_default=str(EMERGENCY_PUBLISH_DAYS_DEFAULT)
    )

    __table_args__ = (
        sa.CheckConstraint("publicity_days >= 0", name="publicity_days_non_negative"),
        sa.CheckConstraint("emergency_publish_days >= 1", name="emergency_publish_days_positive"),
        sa.CheckConstraint(_in("binding_result", BINDING_RESULTS), name="binding_result"),
        sa.CheckConstraint(_in("fund_holder", FUND_HOLDERS), name="fund_holder"),
    )


SETTING_KINDS = ("rules", "fund_holder")


class CommunitySettingChange(Base):
    """One change of a community's voting settings: who (staff user id), when, what (the old
    and new values, JSON) and why (the cited rules or decision, and for a transfer of the fund
    the SHA-256 of its document). Appended, never updated; ``log_index`` is the position of
    its ``estate.settings_changed`` entry in the community's log."""

    __tablename__ = "community_setting_change"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(sa.String(16))
    old_values: Mapped[str] = mapped_column(sa.Text)  # canonical JSON {setting: value}
    new_values: Mapped[str] = mapped_column(sa.Text)
    basis: Mapped[str] = mapped_column(sa.Text)
    document_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.CheckConstraint(_in("kind", SETTING_KINDS), name="kind"),
        sa.CheckConstraint("basis <> ''", name="basis_not_empty"),
    )


class Building(Base):
    __tablename__ = "building"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (sa.UniqueConstraint("community_id", "code"),)


class Unit(Base):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    building_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("building.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    area_centi: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[str] = mapped_column(sa.String(16), default="flat", server_default="flat")
    is_developer_held: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    building: Mapped[Building] = relationship(lazy="joined", innerjoin=True)
    owner_links: Mapped[list[UnitOwner]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnitOwner.position"
    )

    __table_args__ = (
        sa.UniqueConstraint("community_id", "code"),
        sa.CheckConstraint("area_centi > 0", name="area_positive"),
        sa.CheckConstraint(_in("kind", UNIT_KINDS), name="kind"),
    )


class Owner(Base):
    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(128))
    ref: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="person", server_default="person")
    name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # Of an ID number only its last four characters (encrypted) and a keyed HMAC of the whole
    # normalised number are kept (estate.id_numbers): never the number itself.
    id_last4_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    id_hmac: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("community_id", "key"),
        sa.CheckConstraint(_in("kind", OWNER_KINDS), name="kind"),
        sa.CheckConstraint("key <> ''", name="key_not_empty"),
    )


class UnitOwner(Base):
    __tablename__ = "unit_owner"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("unit.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("owner.id"), index=True)
    # The owner's place in the roll's owners cell, so exports keep the committee's order.
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    unit: Mapped[Unit] = relationship(back_populates="owner_links")
    owner: Mapped[Owner] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.UniqueConstraint("unit_id", "owner_id"),)
