"""Publishing reports to owners: the annual maintenance-fund disclosure (DOMAIN.md §5) and
the quarterly public-income statement (§6).

Publishing freezes a report: it stores the SHA-256 of the report's canonical content
(:func:`ledger.reports.content_sha256`), appends ``ledger.report_published`` (kind, period,
dates, hash) to the community's log and signs a checkpoint over it, so an owner can prove
later what was published and when. The public page re-renders the report from the ledger as
of the period's end and compares its hash with the stored one. A report is published once
per period, after the period has ended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from estate.models import Community
from ledger.errors import BooksNotOpen
from ledger.report_errors import N_, ReportAlreadyPublished, ReportNotFound, ReportPeriodInvalid
from ledger.report_models import PUBLICATION_KINDS, Publication
from ledger.reports import (
    FundDisclosure,
    PublicIncomeStatement,
    content_sha256,
    fund_disclosure,
    public_income_statement,
    quarter_period,
    year_period,
)
from notary.work import UnitOfWork

PUBLISH_EVENT = "ledger.report_published"
_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


@dataclass(frozen=True)
class PublicationInfo:
    """A published report: what, which period, its content hash, and the log entry and
    signed checkpoint that anchor it."""

    community_code: str
    kind: str
    period: str
    start: date
    end: date
    content_sha256: str
    log_index: int
    checkpoint_size: int
    checkpoint_root: str
    checkpoint_note: str
    published_at: datetime


def period_dates(kind: str, period: str) -> tuple[date, date]:
    """The first and last day of ``period``: ``YYYY`` for the fund disclosure, ``YYYY-Qn``
    for the public-income statement. ``ReportNotFound`` for an unknown kind,
    ``ReportPeriodInvalid`` for a period of the wrong shape."""
    if kind not in PUBLICATION_KINDS:
        raise ReportNotFound(N_("There is no report %(kind)s to publish."), kind=str(kind)[:40])
    text = period if isinstance(period, str) else ""
    if kind == "fund_disclosure":
        match = _YEAR.fullmatch(text)
        if match is None:
            raise ReportPeriodInvalid(N_("The period must be a year such as 2025."))
        return year_period(int(match.group(1)))
    match = _QUARTER.fullmatch(text)
    if match is None:
        raise ReportPeriodInvalid(N_("The period must be a quarter such as 2025-Q3."))
    return quarter_period(int(match.group(1)), int(match.group(2)))


def build_report(
    uow: UnitOfWork, community_code: str, kind: str, period: str
) -> FundDisclosure | PublicIncomeStatement:
    """The report ``kind`` for ``period`` as the ledger reads now (see :func:`period_dates`)."""
    start, end = period_dates(kind, period)
    if kind == "fund_disclosure":
        return fund_disclosure(uow, community_code, start, end)
    return public_income_statement(uow, community_code, start, end)


def _info(community_code: str, row: Publication) -> PublicationInfo:
    return PublicationInfo(
        community_code=community_code,
        kind=row.kind,
        period=row.period,
        start=row.period_start,
        end=row.period_end,
        content_sha256=row.content_sha256,
        log_index=row.log_index,
        checkpoint_size=row.checkpoint_size,
        checkpoint_root=row.checkpoint_root,
        checkpoint_note=row.checkpoint_note,
        published_at=row.published_at,
    )


def publish_report(
    uow: UnitOfWork, *, community_code: str, kind: str, period: str, today: date
) -> PublicationInfo:
    """Publish report ``kind`` for ``period`` to the community's owners: its content hash is
    stored and logged (``ledger.report_published``) and a checkpoint is signed, last.
    ``ReportPeriodInvalid`` while the period has not ended (``today`` is on or before its last
    day), ``ReportAlreadyPublished`` the second time, ``BooksNotOpen`` for an unknown
    community. Never commits."""
    s = uow.session
    start, end = period_dates(kind, period)
    if end >= today:
        raise ReportPeriodInvalid(
            N_("The period %(period)s has not ended yet: publish it after %(end)s."),
            period=period,
            end=end.isoformat(),
        )
    community = s.scalar(sa.select(Community).where(Community.code == community_code))
    if community is None:
        raise BooksNotOpen(N_("There is no community %(code)s."), code=community_code)
    exists = s.scalar(
        sa.select(Publication.id).where(
            Publication.community_id == community.id,
            Publication.kind == kind,
            Publication.period == period,
        )
    )
    if exists is not None:
        raise ReportAlreadyPublished(
            N_("This report for %(period)s was published already."), period=period
        )
    digest = content_sha256(build_report(uow, community_code, kind, period))
    appended = uow.log(
        community.code,
        PUBLISH_EVENT,
        {
            "kind": kind,
            "period": period,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "content_sha256": digest,
        },
    )
    signed = uow.checkpoint(community.code)
    with uow.constraint_errors(
        {
            "uq_ledger_publication_community_id_kind_period": lambda: ReportAlreadyPublished(
                N_("This report for %(period)s was published already."), period=period
            )
        }
    ):
        row = Publication(
            community_id=community.id,
            kind=kind,
            period=period,
            period_start=start,
            period_end=end,
            content_sha256=digest,
            log_index=appended.index,
            checkpoint_size=signed.size,
            checkpoint_root=signed.root.hex(),
            checkpoint_note=signed.note,
            published_at=uow.clock.now(),
            published_by=uow.actor,
        )
        s.add(row)
    return _info(community.code, row)


def list_publications(uow: UnitOfWork, community_code: str) -> list[PublicationInfo]:
    """The community's published reports, newest period first (empty for an unknown
    community)."""
    rows = uow.session.scalars(
        sa.select(Publication)
        .join(Community, Community.id == Publication.community_id)
        .where(Community.code == community_code)
        .order_by(Publication.period_end.desc(), Publication.kind)
    ).all()
    return [_info(community_code, row) for row in rows]


def get_publication(
    uow: UnitOfWork, community_code: str, kind: str, period: str
) -> PublicationInfo:
    """The published report ``kind`` for ``period``; ``ReportNotFound`` when it was not
    published."""
    row = uow.session.scalar(
        sa.select(Publication)
        .join(Community, Community.id == Publication.community_id)
        .where(
            Community.code == community_code,
            Publication.kind == kind,
            Publication.period == period,
        )
    )
    if row is None:
        raise ReportNotFound(N_("That report was not published."))
    return _info(community_code, row)
