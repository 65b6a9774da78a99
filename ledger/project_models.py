"""Tables of projects, emergency records and draws (``ledger.projects``, ``ledger.draws``).

- ``ledger_emergency``: an emergency record (DOMAIN.md §4.6): category, evidence hash,
  description, scope, the deadline by which its costs and apportionment must be published to
  the owners, and when they were.
- ``ledger_project``: a repair project opened from a ``fund_use`` decision's use plan or from
  an emergency record, with its budget and each funding source's amount (they add up to the
  budget); ``ledger_project_unit`` holds the units it is apportioned over with their areas,
  frozen at opening so every stage apportions over the same weights.
- ``ledger_project_funding``: each source's money received for the project (and its entry).
- ``ledger_draw``: one payment to the contractor (or a release of retention), recorded by one
  user and posted only when approved by someone else; ``ledger_draw_approval`` the approvals;
  ``ledger_draw_share`` what a posted draw charged each source and each unit (what the unit's
  sub-account paid and the shortfall it owes), so the next stage posts the difference from
  the cumulative apportionment.

Money is integer fen. Recorded facts (approvals, shares, funding) are never changed; a draw's
status moves once from ``recorded`` to ``posted`` or ``rejected``.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notary.orm import ID, Base, UTCDateTime

EMERGENCY_CATEGORIES: tuple[str, ...] = (
    "roof_leak",
    "lift_failure",
    "water_pump_failure",
    "facade_risk",
    "drains_failure",
    "fire_safety_failure",
)
"""Emergency categories (建办房〔2015〕52号 and local rules; DOMAIN.md §4.6): roof leaking into
homes, lift failure endangering people, water-pump failure cutting supply to high-rise homes,
facade at risk of falling, drains collapsed or burst, fire-safety failure with a fire-brigade
order."""
PROJECT_ORIGINS = ("decision", "emergency")
DRAW_STAGES: tuple[str, ...] = ("advance", "progress", "final", "retention_release")
"""Payment stages; ``retention_release`` pays out warranty retention held by earlier stages."""
DRAW_STATUSES = ("recorded", "posted", "rejected")
SCOPE_KINDS = ("community", "buildings", "units")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class EmergencyRecord(Base):
    """An emergency that allows maintenance-fund draws without a vote (art. 24)."""

    __tablename__ = "ledger_emergency"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(32), unique=True)
    category: Mapped[str] = mapped_column(sa.String(32))
    evidence_sha256: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.String(2000))
    scope_kind: Mapped[str] = mapped_column(sa.String(16))
    scope_codes: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list of codes
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    publish_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    log_index: Mapped[int] = mapped_column(sa.BigInteger)
    published_log_index: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)

    __table_args__ = (
        sa.CheckConstraint(_in("category", EMERGENCY_CATEGORIES), name="category"),
        sa.CheckConstraint(_in("scope_kind", SCOPE_KINDS), name="scope_kind"),
        sa.CheckConstraint("length(evidence_sha256) = 64", name="evidence_sha256"),
    )


class Project(Base):
    """A repair project and its funding plan (budget = the sum of the five sources)."""

    __tablename__ = "ledger_project"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    origin: Mapped[str] = mapped_column(sa.String(16))
    ballot_ref: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    question_position: Mapped[int | None] = mapped_column(nullable=True)
    emergency_id: Mapped[int | None] = mapped_column(
        ID, sa.ForeignKey("ledger_emergency.id"), nullable=True
    )
    # A community-wide decision allowing public income to pay for a narrower scope.
    public_income_ballot_ref: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    public_income_position: Mapped[int | None] = mapped_column(nullable=True)
    is_whole_community: Mapped[bool] = mapped_column(default=False)
    budget_fen: Mapped[int] = mapped_column(sa.BigInteger)
    subsidy_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    maintenance_fund_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    social_capital_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    public_income_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    owners_direct_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.UniqueConstraint("community_id", "ballot_ref", "question_position"),
        sa.UniqueConstraint("emergency_id"),
        sa.CheckConstraint(_in("origin", PROJECT_ORIGINS), name="origin"),
        sa.CheckConstraint(
            "(origin = 'decision' AND ballot_ref IS NOT NULL AND question_position IS NOT NULL"
            " AND emergency_id IS NULL)"
            " OR (origin = 'emergency' AND emergency_id IS NOT NULL AND ballot_ref IS NULL)",
            name="origin_reference",
        ),
        sa.CheckConstraint("budget_fen > 0", name="budget_positive"),
        sa.CheckConstraint(
            "subsidy_fen >= 0 AND maintenance_fund_fen >= 0 AND social_capital_fen >= 0"
            " AND public_income_fen >= 0 AND owners_direct_fen >= 0",
            name="sources_not_negative",
        ),
        sa.CheckConstraint(
            "subsidy_fen + maintenance_fund_fen + social_capital_fen + public_income_fen"
            " + owners_direct_fen = budget_fen",
            name="sources_add_up",
        ),
    )


class ProjectUnit(Base):
    """A unit a project's maintenance-fund part is apportioned over, with its area."""

    __tablename__ = "ledger_project_unit"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ledger_project.id"), index=True)
    unit_code: Mapped[str] = mapped_column(sa.String(64))
    area_centi: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.UniqueConstraint("project_id", "unit_code"),
        sa.CheckConstraint("area_centi > 0", name="area_positive"),
    )


class ProjectFunding(Base):
    """Money of one source received for a project (the maintenance fund is never received:
    it is drawn from the sub-accounts at payment)."""

    __tablename__ = "ledger_project_funding"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    project_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ledger_project.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(24))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    entry_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("journal_entry.id"), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(
            "source IN ('subsidy', 'social_capital', 'public_income', 'owners_direct')",
            name="source",
        ),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )


class Draw(Base):
    """One payment to the contractor for a project stage (or a release of retention)."""

    __tablename__ = "ledger_draw"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    project_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ledger_project.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(32), unique=True)
    stage: Mapped[str] = mapped_column(sa.String(24))
    # The cost this stage charges to the sources (0 for a release of retention).
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    # Of amount_fen, what is held back as warranty retention (2202); for a release, the
    # retention paid out.
    retention_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    value_date: Mapped[date] = mapped_column(sa.Date)
    memo: Mapped[str] = mapped_column(sa.String(500), default="")
    invoices: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list of numbers
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="recorded")
    recorded_by: Mapped[int] = mapped_column(ID)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    log_index: Mapped[int] = mapped_column(sa.BigInteger)
    # Set once, when the draw is posted or rejected.
    approved_via: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    committee_size: Mapped[int | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    reject_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    entry_id: Mapped[int | None] = mapped_column(
        ID, sa.ForeignKey("journal_entry.id"), nullable=True
    )
    # Where the retention held (or released) by this draw sits: the maintenance fund's bank
    # account (1001) or the project bank account (1003).
    fund_bank_retention_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    project_bank_retention_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    decided_log_index: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("community_id", "idempotency_key"),
        sa.Index("ix_ledger_draw_status", "status", "community_id"),
        sa.CheckConstraint(_in("stage", DRAW_STAGES), name="stage"),
        sa.CheckConstraint(_in("status", DRAW_STATUSES), name="status"),
        sa.CheckConstraint(
            "(stage = 'retention_release' AND amount_fen = 0 AND retention_fen > 0)"
            " OR (stage <> 'retention_release' AND amount_fen > 0 AND retention_fen >= 0"
            " AND retention_fen <= amount_fen)",
            name="amounts",
        ),
        sa.CheckConstraint(
            "fund_bank_retention_fen >= 0 AND project_bank_retention_fen >= 0",
            name="retention_not_negative",
        ),
        sa.CheckConstraint("status <> 'posted' OR entry_id IS NOT NULL", name="posted_has_entry"),
    )


class DrawApproval(Base):
    """One approval of a draw by a user other than its recorder."""

    __tablename__ = "ledger_draw_approval"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ledger_draw.id"), index=True)
    user_id: Mapped[int] = mapped_column(ID)
    role: Mapped[str] = mapped_column(sa.String(16))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (sa.UniqueConstraint("draw_id", "user_id"),)


class DrawShare(Base):
    """What a posted draw charged one source or one unit. For a unit, ``share_fen`` is
    ``paid_fen`` (from its sub-account) plus ``shortfall_fen`` (owed by its owner)."""

    __tablename__ = "ledger_draw_share"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ledger_draw.id"), index=True)
    project_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ledger_project.id"), index=True)
    key_kind: Mapped[str] = mapped_column(sa.String(8))
    key: Mapped[str] = mapped_column(sa.String(64))
    share_fen: Mapped[int] = mapped_column(sa.BigInteger)
    paid_fen: Mapped[int] = mapped_column(sa.BigInteger)
    shortfall_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (
        sa.UniqueConstraint("draw_id", "key_kind", "key"),
        sa.CheckConstraint(_in("key_kind", ("source", "unit")), name="key_kind"),
        sa.CheckConstraint("shortfall_fen >= 0", name="shortfall_not_negative"),
        sa.CheckConstraint("share_fen = paid_fen + shortfall_fen", name="share_adds_up"),
    )
