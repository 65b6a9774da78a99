"""Tables of voting: ballots and their questions, the frozen roll, credentials, cast ballots,
paper entries, proxies, decisions and objections.

What must be unique is a database constraint: one cast ballot per member per ballot, one live
credential per member, one live proxy per represented member, one decision per question.
Owners appear here by member id and owner *refs* (``estate.models.Owner.ref``); names, phone and
ID numbers stay in the register. Times are aware UTC. Money is integer fen, area integer
0.01 m².

Lifecycle (``ballot.status``)::

    draft -> open -> closed -> tallied -> published -> final
    draft|open -> cancelled            published -> annulled (objection upheld)
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notary.orm import ID, Base, UTCDateTime

BALLOT_STATUSES = (
    "draft",
    "open",
    "closed",
    "tallied",
    "published",
    "final",
    "cancelled",
    "annulled",
)
SCOPE_KINDS = ("community", "buildings", "units")
DISCLOSURE_MODES = ("tracker", "named")
IDENTITY_CHECKS = ("none", "sms_code", "id_last4", "phone_last4")
"""``phone_last4`` is weak (staff see the last four digits of masked phones): the ballot form
labels it so; it stays for ballots that use it."""
CHANNELS = ("online", "paper", "proxy")
CHOICES = ("agree", "oppose", "abstain")
PAPER_STATUSES = ("pending", "counted", "mismatch", "conflict", "void")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Ballot(Base):
    """One ballot (表决): a set of questions put to the members of a scope in a window."""

    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(32), unique=True)  # public id used in URLs
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    scope_kind: Mapped[str] = mapped_column(sa.String(16), default="community")
    scope_codes: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list of codes
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # NULL in a draft that follows the community's setting; frozen when the ballot opens.
    publicity_days: Mapped[int | None] = mapped_column(nullable=True)
    disclosure: Mapped[str] = mapped_column(sa.String(16), default="tracker")
    is_consultation: Mapped[bool] = mapped_column(default=False)
    identity_check: Mapped[str] = mapped_column(sa.String(16), default="none")
    # Copied from the community when the ballot opens, so later changes cannot move a result
    # (a draft shows the community's current settings: ``voting.ballot_info.info_of``).
    deemed_majority_enabled: Mapped[bool] = mapped_column(default=False)
    binding_result: Mapped[str] = mapped_column(sa.String(16), default="plain")
    fund_holder: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    # When ``fundvote tick`` logged that objections were left unanswered past the publicity
    # period (``voting.objections_overdue``, logged once).
    objections_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The frozen roll: totals and the SHA-256 commitment logged when the ballot opened.
    roll_commitment: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # The frozen roll per building, JSON {"<building code>": [heads, area_centi]}: written once
    # when the roll is frozen, read by every turnout view.
    roll_by_building: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    roll_heads: Mapped[int] = mapped_column(default=0)
    roll_area_centi: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The index of the voting.ballot_opened entry in the community's log (set when opened;
    # NULL for ballots opened before it was kept): the ballot's integrity check reads from it.
    opened_log_index: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    # The checkpoint printed on the results notice (set when published).
    notice_tree_size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    notice_root: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    notice_key_id: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    annul_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    annulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        sa.CheckConstraint(_in("status", BALLOT_STATUSES), name="status"),
        sa.CheckConstraint(_in("scope_kind", SCOPE_KINDS), name="scope_kind"),
        sa.CheckConstraint(_in("disclosure", DISCLOSURE_MODES), name="disclosure"),
        sa.CheckConstraint(_in("identity_check", IDENTITY_CHECKS), name="identity_check"),
        sa.CheckConstraint("publicity_days >= 0", name="publicity_days"),
        sa.CheckConstraint("closes_at > opens_at", name="window"),
    )


class Question(Base):
    """One agree/oppose/abstain question; ``matter`` sets its thresholds (voting.matters).

    A ``fund_use`` question carries its use plan as canonical JSON:
    ``{"repair": str, "budget_fen": int, "sources": {"subsidy": int, "maintenance_fund": int,
    "social_capital": int, "public_income": int, "owners_direct": int}, "emergency": str}``
    with the sources adding up to the budget.
    """

    __tablename__ = "ballot_question"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    position: Mapped[int] = mapped_column()  # 1, 2, ... in the order shown
    matter: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    use_plan: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "position"),
        sa.CheckConstraint("position >= 1", name="position"),
    )


class Attachment(Base):
    """A document of a ballot (the use plan PDF, quotes), stored with its SHA-256."""

    __tablename__ = "ballot_attachment"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("ballot_id", "sha256"),)


class RollMember(Base):
    """A voting member of a ballot's frozen roll (snapshot taken when the ballot opens)."""

    __tablename__ = "roll_member"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    position: Mapped[int] = mapped_column()  # order of voting.members.group_members
    member_key: Mapped[str] = mapped_column(sa.String(64))  # opaque: "m" + sha256 prefix
    is_developer: Mapped[bool] = mapped_column(default=False)
    heads: Mapped[int] = mapped_column(default=1)
    area_centi: Mapped[int] = mapped_column(sa.BigInteger)
    owner_refs: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list of Owner.ref

    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "member_key"),
        sa.UniqueConstraint("ballot_id", "position"),
        sa.UniqueConstraint("ballot_id", "id"),  # the key votes refer to
        sa.CheckConstraint("area_centi > 0", name="area_positive"),
        sa.CheckConstraint("heads = 1", name="one_head"),
    )


class RollUnit(Base):
    """A unit of a frozen roll member, with its in-scope area at opening."""

    __tablename__ = "roll_unit"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    member_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("roll_member.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.String(64))
    building_code: Mapped[str] = mapped_column(sa.String(64))
    area_centi: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "unit_code"),
        sa.CheckConstraint("area_centi > 0", name="area_positive"),
    )


class RollShare(Base):
    """A member's share (fen) of the maintenance-fund part of a ``fund_use`` question.

    Computed once when the ballot opens (the roll is frozen then) by apportioning the fund part
    over every unit of the roll by area (``estate.apportion``) and summing each member's
    units, so owner pages and casts read it instead of apportioning the whole roll again.
    """

    __tablename__ = "roll_share"

    member_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("roll_member.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    share_fen: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (sa.CheckConstraint("share_fen >= 0", name="share_not_negative"),)


class Credential(Base):
    """A member's personal link for one ballot, stored only as the SHA-256 of its token."""

    __tablename__ = "credential"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    member_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("roll_member.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    identity_failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    identity_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The size of the community's log when this link was issued: a vote whose log entry comes
    # before it was recorded before the link existed, so the link never shows that vote's
    # choices or receipt (a link reissued after the member voted shows only that they voted).
    log_size_at_issue: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # A proxy's own link for the member it represents (None: the member's own link).
    proxy_id: Mapped[int | None] = mapped_column(ID, sa.ForeignKey("proxy.id"), nullable=True)
    # The staff user who checked the representative's papers in person (an owner with no
    # phone or ID number on record, such as the developer); None when the owner passed the
    # check through the link.
    identity_verified_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    # A reminder link was sent to a member who had not voted, beside their first link (which
    # stays valid: it may be on a printed slip); a newer reminder revokes the older one.
    is_reminder: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        # At most one live own link and one live reminder link per member (reissuing revokes
        # both first; a reminder revokes the member's previous reminder), and one live link
        # per proxy.
        sa.Index(
            "uq_credential_live_member",
            "member_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND proxy_id IS NULL AND NOT is_reminder"),
            postgresql_where=sa.text("revoked_at IS NULL AND proxy_id IS NULL AND NOT is_reminder"),
        ),
        sa.Index(
            "uq_credential_live_proxy",
            "proxy_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND proxy_id IS NOT NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND proxy_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_credential_live_reminder",
            "member_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND is_reminder"),
            postgresql_where=sa.text("revoked_at IS NULL AND is_reminder"),
        ),
    )


IDENTITY_CODE_DIGITS = 6


class IdentityCode(Base):
    """A one-time code sent by SMS for a link's ``sms_code`` identity check, kept only as a
    keyed HMAC (``DataCipher.keyed_hash``); spent once used, dead once expired or superseded
    by a newer code of the same link."""

    __tablename__ = "identity_code"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    credential_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("credential.id"), index=True)
    code_hmac: Mapped[str] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (sa.CheckConstraint("expires_at > sent_at", name="expiry"),)


class Proxy(Base):
    """A member represented for one ballot (委托投票) by another member of its roll
    (``acting_member_id``) or by any natural person (``proxy_name``, with the person's phone
    encrypted and a keyed HMAC of their ID number: never the number, never a plain hash)."""

    __tablename__ = "proxy"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    member_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("roll_member.id"))  # represented
    acting_member_id: Mapped[int | None] = mapped_column(
        ID, sa.ForeignKey("roll_member.id"), nullable=True
    )
    proxy_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    proxy_phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    proxy_id_hmac: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    authorization_sha256: Mapped[str] = mapped_column(sa.String(64))
    recorded_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        sa.Index(
            "uq_proxy_live_member",
            "member_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
        sa.CheckConstraint("member_id <> acting_member_id", name="not_self"),
        sa.CheckConstraint("(acting_member_id IS NULL) <> (proxy_name = '')", name="one_proxy"),
    )


class Vote(Base):
    """One member's counted vote on a ballot (the poll): one per member per ballot, final once
    cast. The table keeps its first name, ``cast_ballot``."""

    __tablename__ = "cast_ballot"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    # One key to the frozen roll: the member must be on this ballot's roll. A per-row check
    # only (the roll member's row), so concurrent casts share no locked parent row.
    ballot_id: Mapped[int] = mapped_column(ID)
    member_id: Mapped[int] = mapped_column(ID)
    channel: Mapped[str] = mapped_column(sa.String(16))
    choices: Mapped[str] = mapped_column(sa.Text)  # JSON {"1": "agree", "2": "abstain"}
    tracker: Mapped[str] = mapped_column(sa.String(64), unique=True)
    proxy_id: Mapped[int | None] = mapped_column(ID, sa.ForeignKey("proxy.id"), nullable=True)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime)
    log_index: Mapped[int] = mapped_column(sa.BigInteger)
    leaf_hash: Mapped[str] = mapped_column(sa.String(64))
    receipt: Mapped[str] = mapped_column(sa.Text)  # the signed receipt, canonical JSON

    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "member_id"),
        sa.ForeignKeyConstraint(
            ["ballot_id", "member_id"], ["roll_member.ballot_id", "roll_member.id"]
        ),
        sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
    )


class PaperEntry(Base):
    """One committee member's keying of a paper ballot; counts once a second, different
    committee member keys the same choices for the same member."""

    __tablename__ = "paper_entry"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    member_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("roll_member.id"), index=True)
    entered_by: Mapped[int] = mapped_column(ID)  # staff_user.id
    scan_sha256: Mapped[str] = mapped_column(sa.String(64))
    choices: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint(_in("status", PAPER_STATUSES), name="status"),)


class Decision(Base):
    """The tally of one question: figures, each threshold met or not, the outcome (JSON)."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    question_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot_question.id"), unique=True)
    record: Mapped[str] = mapped_column(sa.Text)  # canonical JSON of the decision record
    log_index: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


MAX_OBJECTIONS_PER_LINK = 3


class Objection(Base):
    """An owner's objection during the publicity period, and the committee's answer.

    ``text`` is kept as the owner wrote it, for the committee; everyone else reads it through
    ``estate.personal.mask_numbers``. ``sequence`` numbers the objections lodged through one
    link (credential) 1..3: the database refuses a fourth (objections lodged before migration
    0005 have neither)."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ballot.id"), index=True)
    member_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("roll_member.id"))
    credential_id: Mapped[int | None] = mapped_column(
        ID, sa.ForeignKey("credential.id"), nullable=True
    )
    sequence: Mapped[int | None] = mapped_column(nullable=True)
    text: Mapped[str] = mapped_column(sa.Text)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    is_upheld: Mapped[bool | None] = mapped_column(nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("credential_id", "sequence"),
        sa.CheckConstraint(f"sequence BETWEEN 1 AND {MAX_OBJECTIONS_PER_LINK}", name="sequence"),
        sa.CheckConstraint(
            "(credential_id IS NULL) = (sequence IS NULL)", name="sequence_with_credential"
        ),
    )
