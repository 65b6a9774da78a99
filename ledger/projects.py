"""Repair projects, emergency records and the money each source brings (services).

- :func:`record_emergency`: an emergency (DOMAIN.md §4.6) that allows maintenance-fund draws
  without a vote; its costs and apportionment must be published to the owners within the
  community's ``emergency_publish_days`` (:func:`publish_emergency`,
  :func:`unpublished_emergencies`).
- :func:`open_project_from_decision` / :func:`open_project_from_emergency`: a project with its
  budget, the five sources' amounts and the units its maintenance-fund part is apportioned
  over (with their areas, frozen then). Public income belongs to all owners (Civil Code
  art. 282): a plan scoped to less than the whole community may spend it only with a
  community-wide decision that allows it.
- :func:`receive_funding`: a source's money as it arrives (never more than the plan's amount);
  the maintenance fund is never received, it is drawn from the sub-accounts at payment.
- :func:`project_report`: the cost-sharing report, by source and by unit, cumulative.

Every write appends its event to the community's log in the same unit of work; none commits.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Building, Community, Unit
from estate.quantities import Fen
from ledger.draw_rules import SOURCES, funding_lines, unit_order
from ledger.errors import (
    N_,
    DecisionNotUsable,
    EmergencyNotFound,
    EmergencyPublished,
    FundingExceedsPlan,
    InvalidEmergency,
    InvalidFunding,
    InvalidProject,
    ProjectExists,
    ProjectNotFound,
    PublicIncomeNeedsCommunityDecision,
)
from ledger.funds import take_public_income
from ledger.journal import community_row, entry_under_key, post_entry
from ledger.posting_rules import PostingLine
from ledger.project_models import (
    EMERGENCY_CATEGORIES,
    SCOPE_KINDS,
    Draw,
    DrawShare,
    EmergencyRecord,
    Project,
    ProjectFunding,
    ProjectUnit,
)
from ledger.rounding import largest_remainder
from notary import store
from notary.errors import DomainError
from notary.work import UnitOfWork
from voting.api import FundUseDecision, UsePlan, fund_use_decision

MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_SCOPE_CODES = 5000
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SOURCE_COLUMNS = {
    "subsidy": "subsidy_fen",
    "maintenance_fund": "maintenance_fund_fen",
    "social_capital": "social_capital_fen",
    "public_income": "public_income_fen",
    "owners_direct": "owners_direct_fen",
}


# --- values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmergencyInfo:
    """An emergency record as staff see it (no personal data: a category, a hash, a text the
    recorder wrote about the defect, unit codes)."""

    ref: str
    community_code: str
    category: str
    evidence_sha256: str
    description: str
    scope_kind: str
    scope_codes: tuple[str, ...]
    recorded_at: datetime
    recorded_by: int | None
    publish_deadline: datetime
    published_at: datetime | None
    log_index: int
    project_ref: str | None = None

    def is_overdue(self, now: datetime) -> bool:
        """Unpublished past its deadline."""
        return self.published_at is None and now > self.publish_deadline


@dataclass(frozen=True)
class ProjectInfo:
    """A project: its origin, plan (budget and each source's amount, ``SOURCES`` order) and
    the units it is apportioned over (code -> area, code order)."""

    ref: str
    community_code: str
    title: str
    origin: str
    ballot_ref: str | None
    question_position: int | None
    emergency_ref: str | None
    public_income_ballot_ref: str | None
    public_income_position: int | None
    is_whole_community: bool
    budget_fen: int
    sources: Mapping[str, int]
    unit_areas: Mapping[str, int]
    opened_at: datetime
    opened_by: int | None
    log_index: int


@dataclass(frozen=True)
class SourceLine:
    """One source in a project report: plan amount, received so far (0 and not applicable
    for the maintenance fund), charged by posted draws so far."""

    source: str
    plan_fen: int
    received_fen: int
    drawn_fen: int


@dataclass(frozen=True)
class UnitLine:
    """One unit in a project report: its area, its share of the plan's maintenance-fund
    amount, what posted draws charged it so far, paid from its sub-account and owed."""

    unit_code: str
    area_centi: int
    plan_share_fen: int
    drawn_fen: int
    paid_fen: int
    shortfall_fen: int


@dataclass(frozen=True)
class DrawLine:
    """One draw in a project report."""

    ref: str
    stage: str
    amount_fen: int
    retention_fen: int
    value_date: date
    status: str
    entry_number: int | None


@dataclass(frozen=True)
class ProjectReport:
    """A project's cost-sharing report (by source and by unit, cumulative over posted draws):
    every figure is integer fen and the columns add up (units' drawn = the maintenance fund's
    drawn; sources' drawn = the project's drawn)."""

    project: ProjectInfo
    sources: tuple[SourceLine, ...]
    units: tuple[UnitLine, ...]
    draws: tuple[DrawLine, ...]
    drawn_fen: int
    retention_held_fen: int

    @property
    def shortfall_fen(self) -> int:
        return sum(u.shortfall_fen for u in self.units)


# --- helpers -----------------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _text(value: Any, *, max_chars: int, error: type[DomainError], blank: str, bad: str) -> str:
    """The stripped text, or ``error`` with ``blank`` (nothing given) or ``bad`` (too long,
    or a character that cannot be stored; ``%(max)s`` is the limit)."""
    if not isinstance(value, str) or not value.strip():
        raise error(blank)
    text = value.strip()
    if len(text) > max_chars or _CONTROL.search(text):
        raise error(bad, max=max_chars)
    return text


def _scope_units(
    s: Session, community: Community, scope_kind: str, codes: Sequence[str]
) -> dict[str, int]:
    """Unit code -> area for a scope of the community's register (``InvalidEmergency``
    naming an unknown code)."""
    if scope_kind not in SCOPE_KINDS:
        raise InvalidEmergency(
            N_("The scope is the whole community, some buildings or some units.")
        )
    if not isinstance(codes, (list, tuple)) or len(codes) > MAX_SCOPE_CODES:
        raise InvalidEmergency(N_("The scope names too many codes."))
    wanted = sorted({str(c).strip() for c in codes if str(c).strip()})
    query = sa.select(Unit.code, Unit.area_centi).where(Unit.community_id == community.id)
    if scope_kind == "community":
        rows = s.execute(query).all()
        if not rows:
            raise InvalidEmergency(N_("The community has no units."))
        return {code: int(area) for code, area in rows}
    if not wanted:
        raise InvalidEmergency(N_("Name the buildings or units the emergency concerns."))
    if scope_kind == "buildings":
        known = set(
            s.scalars(
                sa.select(Building.code).where(
                    Building.community_id == community.id, Building.code.in_(wanted)
                )
            )
        )
        for code in wanted:
            if code not in known:
                raise InvalidEmergency(N_("There is no building %(code)s."), code=code[:64])
        query = query.join(Building, Building.id == Unit.building_id).where(
            Building.code.in_(wanted)
        )
    else:
        query = query.where(Unit.code.in_(wanted))
    found = {code: int(area) for code, area in s.execute(query)}
    if scope_kind == "units":
        for code in wanted:
            if code not in found:
                raise InvalidEmergency(N_("There is no unit %(code)s."), code=code[:64])
    if not found:
        raise InvalidEmergency(N_("The buildings named have no units."))
    return found


def new_ref(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


def emergency_info(s: Session, row: EmergencyRecord, community_code: str) -> EmergencyInfo:
    """The :class:`EmergencyInfo` of a loaded row."""
    project_ref = s.scalar(sa.select(Project.ref).where(Project.emergency_id == row.id))
    return EmergencyInfo(
        ref=row.ref,
        community_code=community_code,
        category=row.category,
        evidence_sha256=row.evidence_sha256,
        description=row.description,
        scope_kind=row.scope_kind,
        scope_codes=tuple(json.loads(row.scope_codes)),
        recorded_at=_utc(row.recorded_at),
        recorded_by=row.recorded_by,
        publish_deadline=_utc(row.publish_deadline),
        published_at=None if row.published_at is None else _utc(row.published_at),
        log_index=row.log_index,
        project_ref=project_ref,
    )


def project_info(s: Session, row: Project, community_code: str) -> ProjectInfo:
    """The :class:`ProjectInfo` of a loaded row."""
    units = {
        code: int(area)
        for code, area in s.execute(
            sa.select(ProjectUnit.unit_code, ProjectUnit.area_centi).where(
                ProjectUnit.project_id == row.id
            )
        )
    }
    emergency_ref = (
        None
        if row.emergency_id is None
        else s.scalar(sa.select(EmergencyRecord.ref).where(EmergencyRecord.id == row.emergency_id))
    )
    return ProjectInfo(
        ref=row.ref,
        community_code=community_code,
        title=row.title,
        origin=row.origin,
        ballot_ref=row.ballot_ref,
        question_position=row.question_position,
        emergency_ref=emergency_ref,
        public_income_ballot_ref=row.public_income_ballot_ref,
        public_income_position=row.public_income_position,
        is_whole_community=row.is_whole_community,
        budget_fen=row.budget_fen,
        sources=plan_of(row),
        unit_areas=dict(unit_order(units)),
        opened_at=_utc(row.opened_at),
        opened_by=row.opened_by,
        log_index=row.log_index,
    )


def plan_of(row: Project) -> dict[str, int]:
    """The project's source amounts in ``SOURCES`` order."""
    return {source: int(getattr(row, _SOURCE_COLUMNS[source])) for source in SOURCES}


def project_row(
    s: Session, community: Community, project_ref: str, *, for_update: bool = False
) -> Project:
    """The project with that ref in the community (``ProjectNotFound`` otherwise)."""
    query = sa.select(Project).where(
        Project.community_id == community.id, Project.ref == str(project_ref)[:32]
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = s.scalar(query)
    if row is None:
        raise ProjectNotFound(N_("There is no project %(ref)s."), ref=str(project_ref)[:32])
    return row


def _emergency_row(
    s: Session, community: Community, ref: str, *, for_update: bool = False
) -> EmergencyRecord:
    query = sa.select(EmergencyRecord).where(
        EmergencyRecord.community_id == community.id, EmergencyRecord.ref == str(ref)[:32]
    )
    if for_update:
        query = query.with_for_update()
    row = s.scalar(query)
    if row is None:
        raise EmergencyNotFound(N_("There is no emergency record %(ref)s."), ref=str(ref)[:32])
    return row


def _title(title: Any) -> str:
    return _text(
        title,
        max_chars=MAX_TITLE,
        error=InvalidProject,
        blank=N_("Give the project a title."),
        bad=N_("The title may be at most %(max)s characters, without control characters."),
    )


# --- emergencies ---------------------------------------------------------------------------


def record_emergency(
    uow: UnitOfWork,
    *,
    community_code: str,
    category: str,
    evidence_sha256: str,
    description: str,
    scope_kind: str = "community",
    scope_codes: Sequence[str] = (),
) -> EmergencyInfo:
    """Record an emergency (DOMAIN.md §4.6) by ``uow.actor``.

    Guarantees: the category is one of :data:`EMERGENCY_CATEGORIES`, the evidence is a
    SHA-256 (64 hex digits), the description 1..2000 characters, the scope names existing
    buildings or units (``InvalidEmergency`` otherwise, nothing written); the publication
    deadline is the record's time plus the community's ``emergency_publish_days``; the
    ``ledger.emergency_recorded`` log entry (category, evidence, scope, deadline; the
    description's text stays in the table) is written in the same unit of work."""
    s = uow.session
    if category not in EMERGENCY_CATEGORIES:
        raise InvalidEmergency(
            N_("Unknown emergency category %(category)s."), category=str(category)[:40]
        )
    evidence = evidence_sha256.strip().lower() if isinstance(evidence_sha256, str) else ""
    if not _SHA256.fullmatch(evidence):
        raise InvalidEmergency(N_("The evidence's SHA-256 must be 64 hexadecimal digits."))
    text = _text(
        description,
        max_chars=MAX_DESCRIPTION,
        error=InvalidEmergency,
        blank=N_("Describe the emergency: what is wrong and why it cannot wait."),
        bad=N_("The description may be at most %(max)s characters, without control characters."),
    )
    community = community_row(s, community_code)
    units = _scope_units(s, community, scope_kind, list(scope_codes))
    codes = [] if scope_kind == "community" else sorted({str(c).strip() for c in scope_codes})
    now = uow.clock.now()
    deadline = now + timedelta(days=community.emergency_publish_days)
    ref = new_ref("e")
    appended = uow.log(
        community.code,
        "ledger.emergency_recorded",
        {
            "emergency": ref,
            "category": category,
            "evidence_sha256": evidence,
            "scope_kind": scope_kind,
            "scope_codes": codes,
            "units": len(units),
            "publish_deadline": deadline.astimezone(UTC).isoformat(),
            "by": uow.actor,
        },
        bulk=("scope_codes",),
    )
    row = EmergencyRecord(
        community_id=community.id,
        ref=ref,
        category=category,
        evidence_sha256=evidence,
        description=text,
        scope_kind=scope_kind,
        scope_codes=json.dumps(codes),
        recorded_at=now,
        recorded_by=uow.actor,
        publish_deadline=deadline,
        log_index=appended.index,
    )
    s.add(row)
    s.flush()
    return emergency_info(s, row, community.code)


def publish_emergency(uow: UnitOfWork, *, community_code: str, emergency_ref: str) -> EmergencyInfo:
    """Record that the emergency's costs and apportionment were published to the owners, by
    ``uow.actor``: logs ``ledger.emergency_published`` with the project's cost-sharing report
    as it stands (sources and each unit's charges, unit codes and fen only) and signs a
    checkpoint of the log that includes it (the community's public ledger page shows both).
    ``EmergencyPublished`` when published before; ``EmergencyNotFound`` for an unknown ref."""
    s = uow.session
    community = community_row(s, community_code)
    row = _emergency_row(s, community, emergency_ref, for_update=True)
    if row.published_at is not None:
        raise EmergencyPublished(
            N_("The costs of emergency %(ref)s were published already."), ref=row.ref
        )
    project = s.scalar(sa.select(Project).where(Project.emergency_id == row.id))
    report = None if project is None else _report(s, community, project)
    now = uow.clock.now()
    data: dict[str, Any] = {
        "emergency": row.ref,
        "project": None if project is None else project.ref,
        "by": uow.actor,
        "is_late": now > _utc(row.publish_deadline),
    }
    if report is not None:
        data["drawn_fen"] = report.drawn_fen
        data["sources"] = {line.source: line.drawn_fen for line in report.sources}
        data["units"] = {u.unit_code: [u.drawn_fen, u.shortfall_fen] for u in report.units}
    appended = uow.log(community.code, "ledger.emergency_published", data, bulk=("units",))
    uow.checkpoint(community.code)  # anchors the publication: owners can check it later
    row.published_at = now
    row.published_by = uow.actor
    row.published_log_index = appended.index
    s.flush()
    return emergency_info(s, row, community.code)


def list_emergencies(uow: UnitOfWork, community_code: str) -> list[EmergencyInfo]:
    """The community's emergency records, newest first."""
    s = uow.session
    community = community_row(s, community_code)
    rows = s.scalars(
        sa.select(EmergencyRecord)
        .where(EmergencyRecord.community_id == community.id)
        .order_by(EmergencyRecord.recorded_at.desc(), EmergencyRecord.id.desc())
    ).all()
    return [emergency_info(s, r, community.code) for r in rows]


def get_emergency(uow: UnitOfWork, community_code: str, emergency_ref: str) -> EmergencyInfo:
    """One emergency record (``EmergencyNotFound`` otherwise)."""
    s = uow.session
    community = community_row(s, community_code)
    return emergency_info(s, _emergency_row(s, community, emergency_ref), community.code)


@dataclass(frozen=True)
class UnpublishedEmergency:
    """An emergency record whose costs are not yet published to the owners."""

    community_code: str
    ref: str
    category: str
    project_ref: str | None
    project_title: str
    amount_fen: int
    recorded_at: datetime
    deadline: datetime
    is_overdue: bool


def unpublished_emergencies(
    uow: UnitOfWork, community_codes: Collection[str], now: datetime | None = None
) -> list[UnpublishedEmergency]:
    """Emergency records of these communities not yet published, earliest deadline first,
    with what their project's posted draws charged so far (``amount_fen``) and whether the
    deadline has passed at ``now`` (the unit of work's clock when omitted)."""
    s = uow.session
    codes = sorted({str(c) for c in community_codes})
    if not codes:
        return []
    at = uow.clock.now() if now is None else now
    rows = s.execute(
        sa.select(EmergencyRecord, Community.code, Project.ref, Project.title, Project.id)
        .join(Community, Community.id == EmergencyRecord.community_id)
        .outerjoin(Project, Project.emergency_id == EmergencyRecord.id)
        .where(Community.code.in_(codes), EmergencyRecord.published_at.is_(None))
        .order_by(EmergencyRecord.publish_deadline, EmergencyRecord.id)
    ).all()
    drawn = _drawn_by_project(s, [r[4] for r in rows if r[4] is not None])
    return [
        UnpublishedEmergency(
            community_code=code,
            ref=row.ref,
            category=row.category,
            project_ref=project_ref,
            project_title=title or "",
            amount_fen=drawn.get(project_id, 0) if project_id is not None else 0,
            recorded_at=_utc(row.recorded_at),
            deadline=_utc(row.publish_deadline),
            is_overdue=at > _utc(row.publish_deadline),
        )
        for row, code, project_ref, title, project_id in rows
    ]


def _drawn_by_project(s: Session, project_ids: Sequence[int]) -> dict[int, int]:
    if not project_ids:
        return {}
    return {
        pid: int(total)
        for pid, total in s.execute(
            sa.select(Draw.project_id, sa.func.sum(Draw.amount_fen))
            .where(Draw.project_id.in_(list(project_ids)), Draw.status == "posted")
            .group_by(Draw.project_id)
        )
    }


# --- projects ------------------------------------------------------------------------------


def _public_income_decision(
    uow: UnitOfWork,
    community_code: str,
    ballot_ref: str | None,
    position: int | None,
    public_income_fen: int,
) -> FundUseDecision:
    """The community-wide decision that lets a narrower plan spend public income."""
    if ballot_ref is None or position is None:
        raise PublicIncomeNeedsCommunityDecision(
            N_(
                "Public income belongs to all owners: a plan for part of the community may "
                "spend it only with a community-wide decision that allows it. Name that "
                "decision."
            )
        )
    decision = fund_use_decision(uow, community_code, ballot_ref, position)
    if (
        decision is None
        or not decision.is_whole_community
        or not decision.is_passed
        or decision.use_plan.sources["public_income"] < public_income_fen
    ):
        raise PublicIncomeNeedsCommunityDecision(
            N_(
                "Ballot %(ref)s question %(position)s is not a passed community-wide decision "
                "allowing %(amount)s yuan of public income."
            ),
            ref=str(ballot_ref)[:32],
            position=position,
            amount=Fen(public_income_fen),
        )
    return decision


def _insert_project(
    uow: UnitOfWork,
    community: Community,
    *,
    title: str,
    origin: str,
    plan: UsePlan,
    unit_areas: Mapping[str, int],
    is_whole_community: bool,
    log_data: dict[str, Any],
    **refs: Any,
) -> ProjectInfo:
    s = uow.session
    ref = new_ref("p")
    appended = uow.log(
        community.code,
        "ledger.project_opened",
        {
            "project": ref,
            "origin": origin,
            **log_data,
            "budget_fen": plan.budget_fen,
            "sources": dict(plan.sources),
            "is_whole_community": is_whole_community,
            "units": dict(unit_order(unit_areas)),
            "by": uow.actor,
        },
        bulk=("units",),
    )
    row = Project(
        community_id=community.id,
        ref=ref,
        title=title,
        origin=origin,
        is_whole_community=is_whole_community,
        budget_fen=plan.budget_fen,
        opened_at=uow.clock.now(),
        opened_by=uow.actor,
        log_index=appended.index,
        **{_SOURCE_COLUMNS[k]: int(plan.sources[k]) for k in SOURCES},
        **refs,
    )
    s.add(row)
    with uow.constraint_errors(_PROJECT_ERRORS):
        s.flush()
    s.execute(
        sa.insert(ProjectUnit),
        [
            {"project_id": row.id, "unit_code": code, "area_centi": area}
            for code, area in unit_order(unit_areas)
        ],
    )
    return project_info(s, row, community.code)


_PROJECT_ERRORS = {
    "uq_ledger_project_community_id_ballot_ref_question_position": lambda: ProjectExists(
        N_("A project was opened from that decision already.")
    ),
    "uq_ledger_project_emergency_id": lambda: ProjectExists(
        N_("A project was opened from that emergency record already.")
    ),
}


def open_project_from_decision(
    uow: UnitOfWork,
    *,
    community_code: str,
    ballot_ref: str,
    position: int,
    title: str | None = None,
    public_income_ballot_ref: str | None = None,
    public_income_position: int | None = None,
) -> ProjectInfo:
    """Open a project from question ``position`` of ballot ``ballot_ref``: a ``fund_use``
    question whose binding result passed (tallied, published or final; never annulled).

    Guarantees: the project's budget and sources are the use plan's, its units and areas
    the decision's frozen roll (its scope); one project per decision (``ProjectExists``); a
    plan with a public-income share and a scope narrower than the community needs a passed
    community-wide decision allowing at least that share
    (``PublicIncomeNeedsCommunityDecision``). ``DecisionNotUsable`` otherwise. Logs
    ``ledger.project_opened``. Draws are gated again when they post (``ledger.draws``)."""
    s = uow.session
    community = community_row(s, community_code)
    decision = fund_use_decision(uow, community.code, str(ballot_ref)[:32], position)
    if decision is None:
        raise DecisionNotUsable(
            N_("Ballot %(ref)s has no use-of-fund question %(position)s in this community."),
            ref=str(ballot_ref)[:32],
            position=position,
        )
    if decision.status not in ("tallied", "published", "final") or not decision.is_passed:
        raise DecisionNotUsable(
            N_(
                "Ballot %(ref)s question %(position)s did not pass (or was annulled): "
                "no project can be opened from it."
            ),
            ref=decision.ballot_ref,
            position=position,
        )
    if not decision.unit_areas:
        raise DecisionNotUsable(N_("The decision's roll has no units."))
    plan = decision.use_plan
    refs: dict[str, Any] = {}
    if plan.sources["public_income"] > 0 and not decision.is_whole_community:
        other = _public_income_decision(
            uow,
            community.code,
            public_income_ballot_ref,
            public_income_position,
            plan.sources["public_income"],
        )
        refs = {
            "public_income_ballot_ref": other.ballot_ref,
            "public_income_position": other.position,
        }
    name = plan.repair if title is None or not str(title).strip() else _title(title)
    return _insert_project(
        uow,
        community,
        title=name[:MAX_TITLE],
        origin="decision",
        plan=plan,
        unit_areas=decision.unit_areas,
        is_whole_community=decision.is_whole_community,
        log_data={"ballot": decision.ballot_ref, "question": position, **refs},
        ballot_ref=decision.ballot_ref,
        question_position=position,
        **refs,
    )


def open_project_from_emergency(
    uow: UnitOfWork,
    *,
    community_code: str,
    emergency_ref: str,
    title: str,
    sources: Mapping[str, int],
    public_income_ballot_ref: str | None = None,
    public_income_position: int | None = None,
) -> ProjectInfo:
    """Open the project of an emergency record: ``sources`` (amount per funding source, fen)
    make its budget; its units are the record's scope with their register areas now.

    Guarantees: the plan is valid (``InvalidUsePlan`` naming the problem: a negative or
    unknown source, a zero budget); one project per record (``ProjectExists``); a public-
    income share with a scope narrower than the community needs a passed community-wide
    decision (``PublicIncomeNeedsCommunityDecision``). Logs ``ledger.project_opened``."""
    s = uow.session
    community = community_row(s, community_code)
    record = _emergency_row(s, community, emergency_ref)
    name = _title(title)
    if not isinstance(sources, Mapping):
        raise InvalidProject(N_("Give each funding source's amount."))
    budget = sources.values()
    if any(isinstance(v, bool) or not isinstance(v, int) for v in budget):
        raise InvalidProject(N_("Each funding source's amount must be whole fen."))
    plan = UsePlan(repair=name, budget_fen=sum(budget), sources=dict(sources))
    units = _scope_units(s, community, record.scope_kind, json.loads(record.scope_codes))
    is_whole = record.scope_kind == "community"
    refs: dict[str, Any] = {}
    if plan.sources["public_income"] > 0 and not is_whole:
        other = _public_income_decision(
            uow,
            community.code,
            public_income_ballot_ref,
            public_income_position,
            plan.sources["public_income"],
        )
        refs = {
            "public_income_ballot_ref": other.ballot_ref,
            "public_income_position": other.position,
        }
    return _insert_project(
        uow,
        community,
        title=name,
        origin="emergency",
        plan=plan,
        unit_areas=units,
        is_whole_community=is_whole,
        log_data={"emergency": record.ref, **refs},
        emergency_id=record.id,
        **refs,
    )


def list_projects(uow: UnitOfWork, community_code: str) -> list[ProjectInfo]:
    """The community's projects, newest first."""
    s = uow.session
    community = community_row(s, community_code)
    rows = s.scalars(
        sa.select(Project)
        .where(Project.community_id == community.id)
        .order_by(Project.opened_at.desc(), Project.id.desc())
    ).all()
    return [project_info(s, r, community.code) for r in rows]


def get_project(uow: UnitOfWork, community_code: str, project_ref: str) -> ProjectInfo:
    """One project (``ProjectNotFound`` otherwise)."""
    s = uow.session
    community = community_row(s, community_code)
    return project_info(s, project_row(s, community, project_ref), community.code)


# --- funding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingInfo:
    """Money of one source received for a project, and the entry that posted it."""

    project_ref: str
    source: str
    amount_fen: int
    entry_number: int
    received_fen: int  # of this source for this project so far, this receipt included
    is_replay: bool = False


def receive_funding(
    uow: UnitOfWork,
    *,
    community_code: str,
    project_ref: str,
    source: str,
    amount_fen: int,
    value_date: date,
    bank_reference: str | None = None,
    memo: str = "",
    idempotency_key: str | None = None,
) -> FundingInfo:
    """Post ``amount_fen`` of ``source`` received for the project (``ledger.draw_rules.
    funding_lines``: into the project bank against the source's received account; public
    income moves from its own bank account and balance).

    Guarantees: the source is subsidy, social capital, public income or owners direct (the
    maintenance fund is drawn at payment, never received: ``InvalidFunding``); the amount is
    positive whole fen; the source's receipts never exceed its plan amount
    (``FundingExceedsPlan``, the project row is locked so concurrent receipts queue); the
    public-income bank never overdraws (``InsufficientFunds``); a retry with the same
    idempotency key returns the first receipt; public income never takes more than the owners'
    public-income balance holds (``PublicIncomeShort``, under its bank account's lock)."""
    s = uow.session
    if source not in SOURCES or source == "maintenance_fund":
        raise InvalidFunding(
            N_(
                "Money received for a project comes from subsidy, social capital, public "
                "income or the owners directly; the maintenance fund is drawn at payment."
            )
        )
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidFunding(N_("The amount received must be a positive amount."))
    community = community_row(s, community_code)
    project = project_row(s, community, project_ref, for_update=True)
    documents: dict[str, Any] = {"project": project.ref}
    if bank_reference:
        documents["bank_reference"] = bank_reference
    received = received_by_source(s, project.id).get(source, 0)
    plan_amount = plan_of(project)[source]
    lines = [PostingLine(code, amount) for code, amount in funding_lines(source, amount_fen)]
    is_retry = idempotency_key is not None and (
        entry_under_key(s, community.id, idempotency_key) is not None
    )
    if not is_retry and source == "public_income":
        take_public_income(uow, community.id, amount_fen)
    if not is_retry and received + amount_fen > plan_amount:
        raise FundingExceedsPlan(
            N_(
                "%(source)s would bring %(total)s yuan to the project, more than the plan's "
                "%(plan)s yuan."
            ),
            source=source,
            total=Fen(received + amount_fen),
            plan=Fen(plan_amount),
        )
    entry = post_entry(
        uow,
        community_code=community.code,
        kind="project_funding",
        value_date=value_date,
        lines=lines,
        memo=memo,
        documents=documents,
        idempotency_key=idempotency_key,
    )
    if entry.is_replay:
        return FundingInfo(project.ref, source, amount_fen, entry.number, received, True)
    s.add(
        ProjectFunding(
            project_id=project.id,
            source=source,
            amount_fen=amount_fen,
            entry_id=entry.number,
            received_at=uow.clock.now(),
        )
    )
    s.flush()
    return FundingInfo(project.ref, source, amount_fen, entry.number, received + amount_fen)


def received_by_source(s: Session, project_id: int) -> dict[str, int]:
    return {
        source: int(total)
        for source, total in s.execute(
            sa.select(ProjectFunding.source, sa.func.sum(ProjectFunding.amount_fen))
            .where(ProjectFunding.project_id == project_id)
            .group_by(ProjectFunding.source)
        )
    }


# --- report --------------------------------------------------------------------------------


def charged_so_far(s: Session, project_id: int) -> tuple[dict[str, int], dict[str, list[int]]]:
    """What posted draws charged so far: by source (fen) and by unit ``[share, paid,
    shortfall]``."""
    sources: dict[str, int] = {}
    units: dict[str, list[int]] = {}
    for kind, key, share, paid, shortfall in s.execute(
        sa.select(
            DrawShare.key_kind,
            DrawShare.key,
            sa.func.sum(DrawShare.share_fen),
            sa.func.sum(DrawShare.paid_fen),
            sa.func.sum(DrawShare.shortfall_fen),
        )
        .where(DrawShare.project_id == project_id)
        .group_by(DrawShare.key_kind, DrawShare.key)
    ):
        if kind == "source":
            sources[key] = int(share)
        else:
            units[key] = [int(share), int(paid), int(shortfall)]
    return sources, units


def _report(s: Session, community: Community, project: Project) -> ProjectReport:
    info = project_info(s, project, community.code)
    received = received_by_source(s, project.id)
    by_source, by_unit = charged_so_far(s, project.id)
    plan_shares = (
        largest_remainder(info.sources["maintenance_fund"], list(info.unit_areas.items()))
        if info.unit_areas
        else {}
    )
    draws = s.scalars(
        sa.select(Draw).where(Draw.project_id == project.id).order_by(Draw.recorded_at, Draw.id)
    ).all()
    posted = [d for d in draws if d.status == "posted"]
    held = sum(
        (d.fund_bank_retention_fen + d.project_bank_retention_fen)
        * (-1 if d.stage == "retention_release" else 1)
        for d in posted
    )
    return ProjectReport(
        project=info,
        sources=tuple(
            SourceLine(
                source=k,
                plan_fen=info.sources[k],
                received_fen=received.get(k, 0),
                drawn_fen=by_source.get(k, 0),
            )
            for k in SOURCES
        ),
        units=tuple(
            UnitLine(
                unit_code=code,
                area_centi=area,
                plan_share_fen=plan_shares.get(code, 0),
                drawn_fen=by_unit.get(code, [0, 0, 0])[0],
                paid_fen=by_unit.get(code, [0, 0, 0])[1],
                shortfall_fen=by_unit.get(code, [0, 0, 0])[2],
            )
            for code, area in info.unit_areas.items()
        ),
        draws=tuple(
            DrawLine(
                ref=d.ref,
                stage=d.stage,
                amount_fen=d.amount_fen,
                retention_fen=d.retention_fen,
                value_date=d.value_date,
                status=d.status,
                entry_number=d.entry_id,
            )
            for d in draws
        ),
        drawn_fen=sum(d.amount_fen for d in posted),
        retention_held_fen=held,
    )


def project_report(uow: UnitOfWork, community_code: str, project_ref: str) -> ProjectReport:
    """The project's cost-sharing report: each source's plan amount, money received and
    charges so far; each unit's area, share of the plan's maintenance-fund amount (largest
    remainder by area, ties by unit code), charges so far, paid from its sub-account and
    owed as shortfall; every draw; the retention still held. Reads only."""
    s = uow.session
    community = community_row(s, community_code)
    return _report(s, community, project_row(s, community, project_ref))


REPORT_HEADER = (
    "section",
    "key",
    "area_m2",
    "plan_yuan",
    "received_yuan",
    "drawn_yuan",
    "paid_from_subaccount_yuan",
    "shortfall_yuan",
)


def report_rows(report: ProjectReport, fmt: Any) -> list[list[str]]:
    """The report as table rows under :data:`REPORT_HEADER` (amounts through ``fmt``, the
    one hundredths formatter): one row per source, then one per unit."""
    rows = [
        [
            "source",
            line.source,
            "",
            fmt(line.plan_fen),
            fmt(line.received_fen) if line.source != "maintenance_fund" else "",
            fmt(line.drawn_fen),
            "",
            "",
        ]
        for line in report.sources
    ]
    rows += [
        [
            "unit",
            u.unit_code,
            fmt(u.area_centi),
            fmt(u.plan_share_fen),
            "",
            fmt(u.drawn_fen),
            fmt(u.paid_fen),
            fmt(u.shortfall_fen),
        ]
        for u in report.units
    ]
    return rows


@dataclass(frozen=True)
class PublishedEmergency:
    """An emergency record as published to the owners: what the publication logged (the
    costs by source, each unit's charge and shortfall, in fen) and the signed checkpoint of
    the log that includes that entry."""

    info: EmergencyInfo
    drawn_fen: int
    sources: dict[str, int]
    units: dict[str, tuple[int, int]]
    log_index: int
    checkpoint_size: int | None
    checkpoint_root_hex: str | None
    checkpoint_note: str | None


def published_emergencies(uow: UnitOfWork, community_code: str) -> list[PublishedEmergency]:
    """The community's emergency records published to owners, newest first, each with the
    figures exactly as its ``ledger.emergency_published`` entry logged them and the checkpoint
    signed with it (None for a publication no checkpoint was signed at)."""
    s = uow.session
    community = community_row(s, community_code)
    rows = s.scalars(
        sa.select(EmergencyRecord)
        .where(
            EmergencyRecord.community_id == community.id,
            EmergencyRecord.published_log_index.is_not(None),
        )
        .order_by(EmergencyRecord.published_at.desc(), EmergencyRecord.id.desc())
    ).all()
    published: list[PublishedEmergency] = []
    for row in rows:
        index = int(row.published_log_index or 0)
        data = store.entry(s, community.code, index).data["data"]
        signed = store.checkpoint_at(s, community.code, index + 1)
        published.append(
            PublishedEmergency(
                info=emergency_info(s, row, community.code),
                drawn_fen=int(data.get("drawn_fen", 0)),
                sources={k: int(v) for k, v in data.get("sources", {}).items() if v},
                units={k: (int(v[0]), int(v[1])) for k, v in data.get("units", {}).items()},
                log_index=index,
                checkpoint_size=None if signed is None else signed.checkpoint.size,
                checkpoint_root_hex=None if signed is None else signed.checkpoint.root.hex(),
                checkpoint_note=None if signed is None else signed.note,
            )
        )
    return published
