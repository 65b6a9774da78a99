"""Staff accounts: users, the communities each one may act for, API tokens, login sessions,
failed logins per client address, and the record of what administrators did to accounts.

Owners never have accounts (they use personal links); these tables are for the committee,
the property manager, the housing authority, auditors and administrators.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notary.orm import ID, Base, UTCDateTime

ROLES: tuple[str, ...] = ("admin", "committee", "manager", "authority", "auditor")
"""Every staff role. Only ``admin`` is not scoped to communities."""


_ID = ID


class StaffUser(Base):
    """A person who logs in to run or supervise communities."""

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'committee', 'manager', 'authority', 'auditor')", name="role"
        ),
        CheckConstraint("failed_logins >= 0", name="failed_logins"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # No longer read or written: lockout is per account and client address (LoginFailure).
    # Kept so that a downgrade needs no table rebuild.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    communities: Mapped[list[StaffCommunity]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class StaffCommunity(Base):
    """One community a non-admin user may act for."""

    __tablename__ = "staff_community"
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))

    user: Mapped[StaffUser] = relationship(back_populates="communities")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 hash is stored. It stops working at
    ``expires_at``, when revoked, or when its user is disabled."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffSession(Base):
    """A logged-in browser. The cookie carries a random id; only its SHA-256 hash is stored,
    so a copy of the database cannot be turned into a login. Ending a session deletes its row
    (logout, disabling the user, a new password); an idle or expired one is refused and
    deleted at the user's next login."""

    __tablename__ = "staff_session"
    __table_args__ = (Index("ix_staff_session_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """Consecutive failed logins of one account from one client address, and that pair's lock.

    Locking the pair, not the account, means a stranger guessing passwords shuts out only
    their own address; ``locks`` counts the locks in a row so each lasts longer (bounded)."""

    __tablename__ = "login_failure"
    __table_args__ = (
        UniqueConstraint("user_id", "client"),
        CheckConstraint("failures >= 0", name="failures"),
        CheckConstraint("locks >= 0", name="locks"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    client: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locks: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)


ACCOUNT_ACTIONS: tuple[str, ...] = (
    "disable",
    "enable",
    "reset_password",
    "change_password",
    "unlock",
    "revoke_token",
)
"""What an administrator (or the user, for their own tokens) can do to an account."""


class AccountEvent(Base):
    """Who did what to a staff account, and when (staff accounts are not community business,
    so this is kept here rather than in a community's public log)."""

    __tablename__ = "account_event"
    __table_args__ = (
        CheckConstraint(
            "action IN ('disable', 'enable', 'reset_password', 'change_password', 'unlock', "
            "'revoke_token')",
            name="action",
        ),
        CheckConstraint("via IN ('web', 'api', 'cli')", name="via"),
        Index("ix_account_event_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), nullable=True
    )
    via: Mapped[str] = mapped_column(String(16))  # web, api or cli
    detail: Mapped[str] = mapped_column(String(200), default="")
