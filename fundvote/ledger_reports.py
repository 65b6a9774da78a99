"""The ledger's reports as the pages, the JSON API and the public pages use them: which
report, from which request parameters, who may read and act, and the authority's overview.

Reports are read in one read-only unit of work each (``Runtime.query``); publishing and
issuing an owner's statement link are one write unit of work each, on behalf of the acting
staff user.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fundvote.auth import Principal
from fundvote.runtime import Runtime
from ledger import api as ledger
from ledger.api import (
    CommunityFunds,
    IssuedStatementLink,
    PublicationInfo,
    ReportNotFound,
    ReportPeriodInvalid,
)
from notary.errors import N_
from notary.work import UnitOfWork
from voting import api as voting

READ_ROLES = ("committee", "manager", "authority", "auditor", "admin")
"""Who reads a community's books and reports (the auditor reads everything, read only)."""
PUBLISH_ROLES = ("committee", "admin")
"""Who publishes reports to owners and issues owners' statement links."""
OVERVIEW_ROLES = ("authority", "admin")
"""Who sees the overview across the communities they supervise."""
REPORTS = ("trial-balance", "funds", "disclosure", "public-income", "unit-statement")
"""The reports by their address name."""
PUBLISHABLE = {"disclosure": "fund_disclosure", "public-income": "public_income"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def today(rt: Runtime) -> date:
    """Today's date in Asia/Shanghai by the runtime's clock."""
    return rt.clock.now().astimezone(SHANGHAI).date()


def _date(value: str | None, field: str, default: date) -> date:
    if value is None or not value.strip():
        return default
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ReportPeriodInvalid(
            N_("The start date must be a date such as 2025-01-01.")
            if field == "start date"
            else N_("The end date must be a date such as 2025-12-31.")
            if field == "end date"
            else N_("The date must be a date such as 2025-12-31.")
        ) from None


def _int(value: str | None, field: str, default: int) -> int:
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        raise ReportPeriodInvalid(
            N_("The year must be a whole number such as 2025.")
            if field == "year"
            else N_("The quarter must be 1, 2, 3 or 4.")
        )
    return int(text)


@dataclass(frozen=True)
class ReportRequest:
    """A report and its period as read from request parameters (defaults filled in)."""

    name: str
    as_of: date
    year: int
    quarter: int
    start: date
    end: date
    unit: str

    def params(self) -> dict[str, str]:
        """The parameters that select this report again (for links and forms)."""
        if self.name in ("trial-balance", "funds"):
            return {"as_of": self.as_of.isoformat()}
        if self.name == "disclosure":
            return {"year": str(self.year)}
        if self.name == "public-income":
            return {"year": str(self.year), "quarter": str(self.quarter)}
        return {"unit": self.unit, "start": self.start.isoformat(), "end": self.end.isoformat()}

    @property
    def period(self) -> str:
        """The publication period of a publishable report (``YYYY`` or ``YYYY-Qn``)."""
        return str(self.year) if self.name == "disclosure" else f"{self.year}-Q{self.quarter}"


def report_request(name: str, args: Mapping[str, str], now: date) -> ReportRequest:
    """Read report ``name``'s parameters from ``args``: ``as_of`` (default today), ``year``
    (default last year, or this year's last ended quarter's), ``quarter``, ``unit``, ``start``
    and ``end`` (default this year to today). ``ReportNotFound`` for an unknown report,
    ``ReportPeriodInvalid`` naming the bad field."""
    if name not in REPORTS:
        raise ReportNotFound(N_("There is no report %(kind)s."), kind=str(name)[:40])
    last_quarter_end = date(now.year, 3 * ((now.month - 1) // 3) + 1, 1) - timedelta(days=1)
    default_year = now.year - 1 if name == "disclosure" else last_quarter_end.year
    unit = (args.get("unit") or "").strip()[:64]
    return ReportRequest(
        name=name,
        as_of=_date(args.get("as_of"), "date", now),
        year=_int(args.get("year"), "year", default_year),
        quarter=_int(args.get("quarter"), "quarter", (last_quarter_end.month + 2) // 3),
        start=_date(args.get("start"), "start date", date(now.year, 1, 1)),
        end=_date(args.get("end"), "end date", now),
        unit=unit,
    )


def build(uow: UnitOfWork, community_code: str, request: ReportRequest) -> Any:
    """The report ``request`` names, read from the books (every guarantee and refusal of
    ``ledger.reports``); a unit statement needs a unit (``ReportPeriodInvalid`` otherwise)."""
    name = request.name
    if name == "trial-balance":
        return ledger.trial_balance(uow, community_code, request.as_of)
    if name == "funds":
        return ledger.fund_balances(uow, community_code, request.as_of)
    if name == "disclosure":
        start, end = ledger.year_period(request.year)
        return ledger.fund_disclosure(uow, community_code, start, end)
    if name == "public-income":
        start, end = ledger.quarter_period(request.year, request.quarter)
        return ledger.public_income_statement(uow, community_code, start, end)
    if not request.unit:
        raise ReportPeriodInvalid(N_("Choose a unit."))
    return ledger.unit_statement(uow, community_code, request.unit, request.start, request.end)


def publish(
    rt: Runtime, principal: Principal, community_code: str, report: str, period: str
) -> PublicationInfo:
    """Publish report ``report`` (``disclosure`` or ``public-income``) for ``period`` as
    ``principal`` (see ``ledger.publish_report``); ``ReportNotFound`` for another report."""
    kind = PUBLISHABLE.get(report)
    if kind is None:
        raise ReportNotFound(N_("There is no report %(kind)s to publish."), kind=report[:40])
    return rt.run_as(
        principal.user_id,
        ledger.publish_report,
        community_code=community_code,
        kind=kind,
        period=period,
        today=today(rt),
    )


def issue_link(
    rt: Runtime, principal: Principal, community_code: str, owner_ref: str
) -> IssuedStatementLink:
    """Issue (or reissue) owner ``owner_ref``'s statement link as ``principal``."""
    return rt.run_as(
        principal.user_id,
        ledger.issue_statement_link,
        community_code=community_code,
        owner_ref=owner_ref,
    )


@dataclass(frozen=True)
class OverviewLine:
    """One supervised community on the authority's overview."""

    funds: CommunityFunds
    ballots_open: int
    ballots_published: int
    last_published_at: datetime | None


OPEN_STATUSES = ("open", "closed", "tallied")
PUBLISHED_STATUSES = ("published", "final")


def overview(rt: Runtime, community_ids: Collection[int] | None) -> list[OverviewLine]:
    """Every community in ``community_ids`` (all when None): its funds and projects (one
    aggregate for all of them) and its ballots open (open, closed or being counted) and
    published (published or final), read through voting's public API."""
    lines = []
    for funds in rt.query(ledger.funds_overview, community_ids):
        ballots = rt.query(voting.list_ballots, funds.community_code)
        published = [b for b in ballots if b.status in PUBLISHED_STATUSES]
        lines.append(
            OverviewLine(
                funds=funds,
                ballots_open=sum(1 for b in ballots if b.status in OPEN_STATUSES),
                ballots_published=len(published),
                last_published_at=max(
                    (b.published_at for b in published if b.published_at), default=None
                ),
            )
        )
    return lines


@dataclass(frozen=True)
class Supervision:
    """The authority's overview: each supervised community's funds and ballots, the draws
    waiting for its approval, the draws the committees approved (the authority informed of
    them), and the emergency records not yet published to owners."""

    lines: list[OverviewLine]
    pending_draws: list[ledger.PendingDraw]
    informed_draws: list[ledger.InformedDraw]
    unpublished_emergencies: list[ledger.UnpublishedEmergency]


def supervision(rt: Runtime, community_ids: Collection[int] | None) -> Supervision:
    """Everything the authority's overview shows for ``community_ids`` (all when None)."""
    lines = overview(rt, community_ids)
    codes = [line.funds.community_code for line in lines]
    return Supervision(
        lines=lines,
        pending_draws=rt.query(ledger.pending_draws, codes),
        informed_draws=rt.query(ledger.informed_draws, codes),
        unpublished_emergencies=rt.query(ledger.unpublished_emergencies, codes, rt.clock.now()),
    )
