"""Draws: payments to a project's contractor, recorded by one user, posted only when approved
by someone else (maker-checker, DOMAIN.md §4.4), each split by the one rounding rule and
held to the gate (services).

**Recording** (:func:`record_draw`, a manager or the committee): a stage (advance, progress,
final) with its amount and the retention held back of it, or a release of retention held by
earlier stages. It is checked against the project (budget, retention held, the gate) and
logged (``ledger.draw_recorded``), but posts nothing.

**Approval** (:func:`approve_draw`): while the housing authority holds the community's fund,
one authority user overseeing the community approves and the draw posts; once the owners'
assembly holds it, committee members approve and the draw posts when MORE THAN HALF of the
committee's members have (the count of members is a fact the caller passes), after which the
authority is informed (:func:`informed_draws`, its overview). The recorder never approves
their own draw. :func:`reject_draw` refuses it (by a user who could approve it). Each step is
logged: ``ledger.draw_approved``, ``ledger.draw_rejected``, ``ledger.draw_posted``.

**The gate** (checked at recording and again when posting): a draw of a project opened from a
decision needs that ``fund_use`` decision FINAL, its binding result passed, its scope EQUAL to
the project's, and its plan's maintenance-fund amount covering the project's cumulative
maintenance-fund charges; a project whose plan spends public income over less than the whole
community needs its community-wide decision final and passed too. A project opened from an
emergency record is covered by the record (its costs must then be published:
``ledger.projects.publish_emergency``). Anything else is refused with ``DrawNotCovered``.

**Posting** locks the project row, then every unit sub-account in scope (``lock_balances``,
id order), so concurrent draws queue and each computes its shares from balances that stay
true until it commits: a sub-account is never overdrawn, a unit that cannot cover its share
pays what it holds and the rest is owed (``ledger.draw_rules``). The entry's idempotency key
is the draw's ref, so a draw posts at most once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community
from estate.quantities import Fen
from ledger.chart import UNIT_RECEIVABLE, UNIT_SUBACCOUNT, open_unit_account, unit_account_code
from ledger.draw_rules import (
    DrawSplit,
    draw_lines,
    release_lines,
    split_draw,
    split_release,
    split_retention,
)
from ledger.errors import (
    N_,
    AlreadyApproved,
    DrawExceedsBudget,
    DrawNotCovered,
    DrawNotFound,
    DrawNotPending,
    FundingNotReceived,
    IdempotencyConflict,
    InvalidDraw,
    NotDrawApprover,
    SelfApproval,
)
from ledger.journal import community_row, lock_balances, post_entry
from ledger.models import LedgerAccount
from ledger.posting_rules import EARLIEST_DATE, LATEST_DATE, MAX_MEMO, PostingLine
from ledger.project_models import (
    DRAW_STAGES,
    Draw,
    DrawApproval,
    DrawShare,
    EmergencyRecord,
    Project,
    ProjectUnit,
)
from ledger.projects import (
    charged_so_far,
    new_ref,
    plan_of,
    project_row,
    received_by_source,
)
from ledger.rounding import largest_remainder
from notary.work import UnitOfWork
from voting.api import fund_use_decision

MAX_INVOICES = 20
MAX_INVOICE_CHARS = 64
MAX_REASON = 500
_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True)
class DrawInfo:
    """A draw as staff see it: what was recorded, who approved it so far, how many approvals
    it needs (1 with the authority, a majority of the committee with the assembly) and, once
    posted, its entry."""

    ref: str
    community_code: str
    project_ref: str
    project_title: str
    stage: str
    amount_fen: int
    retention_fen: int
    value_date: date
    memo: str
    invoices: tuple[str, ...]
    status: str
    recorded_by: int
    recorded_at: datetime
    approvals: tuple[int, ...]
    approved_via: str | None
    committee_size: int | None
    decided_at: datetime | None
    decided_by: int | None
    reject_reason: str
    entry_number: int | None
    log_index: int
    is_replay: bool = False

    @property
    def paid_now_fen(self) -> int:
        """What this draw moves towards the contractor now: a stage's amount less the
        retention held back, or a release's retention."""
        if self.stage == "retention_release":
            return self.retention_fen
        return self.amount_fen - self.retention_fen


@dataclass(frozen=True)
class PendingDraw:
    """A draw waiting for approval (the authority's overview, the committee's list)."""

    community_code: str
    ref: str
    project_ref: str
    project_title: str
    stage: str
    amount_fen: int
    recorded_at: datetime
    approvals: int


@dataclass(frozen=True)
class InformedDraw:
    """A draw the committee approved and posted, of which the authority is informed."""

    community_code: str
    ref: str
    project_ref: str
    project_title: str
    stage: str
    amount_fen: int
    posted_at: datetime
    committee_size: int
    approvals: int


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _draw_row(s: Session, community: Community, draw_ref: str, *, for_update: bool = False) -> Draw:
    query = sa.select(Draw).where(Draw.community_id == community.id, Draw.ref == str(draw_ref)[:32])
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = s.scalar(query)
    if row is None:
        raise DrawNotFound(N_("There is no draw %(ref)s."), ref=str(draw_ref)[:32])
    return row


def draw_info(s: Session, row: Draw, community_code: str, *, is_replay: bool = False) -> DrawInfo:
    """The :class:`DrawInfo` of a loaded row."""
    ref, title = s.execute(
        sa.select(Project.ref, Project.title).where(Project.id == row.project_id)
    ).one()
    approvals = tuple(
        s.scalars(
            sa.select(DrawApproval.user_id)
            .where(DrawApproval.draw_id == row.id)
            .order_by(DrawApproval.id)
        )
    )
    return DrawInfo(
        ref=row.ref,
        community_code=community_code,
        project_ref=ref,
        project_title=title,
        stage=row.stage,
        amount_fen=row.amount_fen,
        retention_fen=row.retention_fen,
        value_date=row.value_date,
        memo=row.memo,
        invoices=tuple(json.loads(row.invoices)),
        status=row.status,
        recorded_by=row.recorded_by,
        recorded_at=_utc(row.recorded_at),
        approvals=approvals,
        approved_via=row.approved_via,
        committee_size=row.committee_size,
        decided_at=None if row.decided_at is None else _utc(row.decided_at),
        decided_by=row.decided_by,
        reject_reason=row.reject_reason,
        entry_number=row.entry_id,
        log_index=row.log_index,
        is_replay=is_replay,
    )


# --- the gate ------------------------------------------------------------------------------


def check_gate(uow: UnitOfWork, project: Project, community_code: str, fund_after: int) -> None:
    """Refuse (``DrawNotCovered``) a draw of ``project`` that no final decision or emergency
    record covers, ``fund_after`` being the project's cumulative maintenance-fund charges
    once the draw posts (see the module docstring)."""
    if project.origin == "emergency":
        if project.emergency_id is None:  # the database refuses this; be explicit anyway
            raise DrawNotCovered(N_("The project names no emergency record."))
    else:
        assert project.ballot_ref is not None and project.question_position is not None
        decision = fund_use_decision(
            uow, community_code, project.ballot_ref, project.question_position
        )
        if decision is None:
            raise DrawNotCovered(
                N_("No decision covers this draw: ballot %(ref)s has no such question."),
                ref=project.ballot_ref,
            )
        if not decision.is_final:
            raise DrawNotCovered(
                N_(
                    "No final decision covers this draw: ballot %(ref)s is %(status)s, not "
                    "final (its publicity period must end with no objection pending or "
                    "upheld)."
                ),
                ref=decision.ballot_ref,
                status=decision.status,
            )
        if not decision.is_passed:
            raise DrawNotCovered(
                N_("No passed decision covers this draw: ballot %(ref)s did not pass."),
                ref=decision.ballot_ref,
            )
        units = set(
            uow.session.scalars(
                sa.select(ProjectUnit.unit_code).where(ProjectUnit.project_id == project.id)
            )
        )
        if decision.scope != units:
            raise DrawNotCovered(
                N_(
                    "The scope of ballot %(ref)s (%(decided)s units) is not the project's "
                    "(%(project)s units): the decision does not cover this draw."
                ),
                ref=decision.ballot_ref,
                decided=len(decision.scope),
                project=len(units),
            )
        if fund_after > decision.use_plan.maintenance_fund_fen:
            raise DrawNotCovered(
                N_(
                    "The maintenance-fund charges would reach %(total)s yuan, more than the "
                    "%(plan)s yuan ballot %(ref)s allows."
                ),
                total=Fen(fund_after),
                plan=Fen(decision.use_plan.maintenance_fund_fen),
                ref=decision.ballot_ref,
            )
    if project.public_income_ballot_ref is not None:
        assert project.public_income_position is not None
        allowing = fund_use_decision(
            uow, community_code, project.public_income_ballot_ref, project.public_income_position
        )
        if allowing is None or not allowing.is_final or not allowing.is_passed:
            raise DrawNotCovered(
                N_(
                    "The community-wide decision %(ref)s that lets this project spend public "
                    "income is not final and passed."
                ),
                ref=project.public_income_ballot_ref,
            )


# --- recording -----------------------------------------------------------------------------


def _check_fields(
    stage: Any, amount_fen: Any, retention_fen: Any, value_date: Any, memo: Any, invoices: Any
) -> tuple[str, ...]:
    if stage not in DRAW_STAGES:
        raise InvalidDraw(N_("The stage is advance, progress, final or retention_release."))
    for value in (amount_fen, retention_fen):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**15:
            raise InvalidDraw(N_("The amount and the retention are whole fen, from 0 to 10^15."))
    if stage == "retention_release":
        if amount_fen != 0 or retention_fen <= 0:
            raise InvalidDraw(
                N_("A release of retention pays a positive retention and charges no amount.")
            )
    else:
        if amount_fen <= 0:
            raise InvalidDraw(N_("A payment must be a positive amount."))
        if retention_fen > amount_fen:
            raise InvalidDraw(N_("The retention cannot exceed the payment."))
    if (
        not isinstance(value_date, date)
        or isinstance(value_date, datetime)
        or not EARLIEST_DATE <= value_date <= LATEST_DATE
    ):
        raise InvalidDraw(N_("The value date is not a date from 1990 to 2100."))
    if not isinstance(memo, str) or len(memo) > MAX_MEMO or _CONTROL.search(memo):
        raise InvalidDraw(N_("The memo must be text of at most %(max)s characters."), max=MAX_MEMO)
    if not isinstance(invoices, (list, tuple)) or len(invoices) > MAX_INVOICES:
        raise InvalidDraw(N_("Give at most %(max)s invoice numbers."), max=MAX_INVOICES)
    cleaned = []
    for position, number in enumerate(invoices, start=1):
        text = number.strip() if isinstance(number, str) else ""
        if not text or len(text) > MAX_INVOICE_CHARS or _CONTROL.search(text):
            raise InvalidDraw(
                N_("Invoice number %(position)s is not acceptable."), position=position
            )
        cleaned.append(text)
    return tuple(cleaned)


def _posted(s: Session, project_id: int) -> list[Draw]:
    return list(
        s.scalars(
            sa.select(Draw)
            .where(Draw.project_id == project_id, Draw.status == "posted")
            .order_by(Draw.id)
        )
    )


def _retention_held(posted: Sequence[Draw]) -> tuple[int, int]:
    fund = project = 0
    for d in posted:
        sign = -1 if d.stage == "retention_release" else 1
        fund += sign * d.fund_bank_retention_fen
        project += sign * d.project_bank_retention_fen
    return fund, project


def _check_against_project(
    uow: UnitOfWork, community: Community, project: Project, stage: str, amount: int, release: int
) -> None:
    """The checks that need the project's state: budget, retention held, the gate (run at
    recording and again at posting)."""
    s = uow.session
    posted = _posted(s, project.id)
    drawn = sum(d.amount_fen for d in posted)
    plan = plan_of(project)
    if stage == "retention_release":
        held = sum(_retention_held(posted))
        if release > held:
            raise DrawExceedsBudget(
                N_("The release of %(amount)s yuan exceeds the %(held)s yuan of retention held."),
                amount=Fen(release),
                held=Fen(held),
            )
        fund_after = sum(
            v for k, v in charged_so_far(s, project.id)[0].items() if k == "maintenance_fund"
        )
    else:
        if drawn + amount > project.budget_fen:
            raise DrawExceedsBudget(
                N_(
                    "The project's payments would reach %(total)s yuan, more than its budget "
                    "of %(budget)s yuan."
                ),
                total=Fen(drawn + amount),
                budget=Fen(project.budget_fen),
            )
        fund_after = largest_remainder(drawn + amount, list(plan.items()))["maintenance_fund"]
    check_gate(uow, project, community.code, fund_after)


def _idempotency_lock(s: Session, community_id: int, key: str) -> None:
    if s.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"ledger-draw:{community_id}:{key}".encode()).digest()
    s.execute(
        sa.text("SELECT pg_advisory_xact_lock(:k)"),
        {"k": int.from_bytes(digest[:8], "big", signed=True)},
    )


def record_draw(
    uow: UnitOfWork,
    *,
    community_code: str,
    project_ref: str,
    stage: str,
    amount_fen: int = 0,
    retention_fen: int = 0,
    value_date: date,
    invoices: Sequence[str] = (),
    memo: str = "",
    idempotency_key: str | None = None,
) -> DrawInfo:
    """Record a draw by ``uow.actor`` (who may then never approve it); nothing posts yet.

    Guarantees: the fields are acceptable (``InvalidDraw`` naming the field); the project's
    payments stay within its budget and a release within the retention held
    (``DrawExceedsBudget``); the gate holds now (``DrawNotCovered``); with an idempotency key
    a retry with the same content returns the first draw (``is_replay``), with other content
    it is refused (``IdempotencyConflict``); concurrent retries queue on an advisory lock on
    PostgreSQL so one records. Logs ``ledger.draw_recorded``."""
    s = uow.session
    if uow.actor is None:
        raise InvalidDraw(N_("A draw is recorded by a signed-in staff user."))
    cleaned = _check_fields(stage, amount_fen, retention_fen, value_date, memo, list(invoices))
    if idempotency_key is not None and not (
        isinstance(idempotency_key, str) and _KEY.fullmatch(idempotency_key)
    ):
        raise InvalidDraw(N_("The idempotency key must be 1 to 128 letters, digits or . _ : -"))
    community = community_row(s, community_code)
    project = project_row(s, community, project_ref)
    content = {
        "project": project.ref,
        "stage": stage,
        "amount_fen": amount_fen,
        "retention_fen": retention_fen,
        "value_date": value_date.isoformat(),
        "invoices": list(cleaned),
        "memo": memo,
    }
    if idempotency_key is not None:
        _idempotency_lock(s, community.id, idempotency_key)
        earlier = s.scalar(
            sa.select(Draw).where(
                Draw.community_id == community.id, Draw.idempotency_key == idempotency_key
            )
        )
        if earlier is not None:
            if _content_of(s, earlier) != content:
                raise IdempotencyConflict(
                    N_("The idempotency key %(key)s was used for a different draw (%(ref)s)."),
                    key=idempotency_key,
                    ref=earlier.ref,
                )
            return draw_info(s, earlier, community.code, is_replay=True)
    _check_against_project(uow, community, project, stage, amount_fen, retention_fen)
    ref = new_ref("d")
    appended = uow.log(
        community.code,
        "ledger.draw_recorded",
        {"draw": ref, **content, "by": uow.actor, "idempotency_key": idempotency_key},
    )
    row = Draw(
        community_id=community.id,
        project_id=project.id,
        ref=ref,
        stage=stage,
        amount_fen=amount_fen,
        retention_fen=retention_fen,
        value_date=value_date,
        memo=memo,
        invoices=json.dumps(list(cleaned), ensure_ascii=False),
        idempotency_key=idempotency_key,
        status="recorded",
        recorded_by=uow.actor,
        recorded_at=uow.clock.now(),
        log_index=appended.index,
    )
    s.add(row)
    s.flush()
    return draw_info(s, row, community.code)


def _content_of(s: Session, row: Draw) -> dict[str, Any]:
    project_ref = s.scalar(sa.select(Project.ref).where(Project.id == row.project_id))
    return {
        "project": project_ref,
        "stage": row.stage,
        "amount_fen": row.amount_fen,
        "retention_fen": row.retention_fen,
        "value_date": row.value_date.isoformat(),
        "invoices": json.loads(row.invoices),
        "memo": row.memo,
    }


# --- approval ------------------------------------------------------------------------------


def approve_draw(
    uow: UnitOfWork,
    *,
    community_code: str,
    draw_ref: str,
    is_authority: bool,
    is_committee_member: bool,
    committee_size: int,
) -> DrawInfo:
    """Approve draw ``draw_ref`` as ``uow.actor``, posting it once approved enough.

    The caller passes facts about the actor (an authority user overseeing the community, a
    committee member of it) and the committee's member count. Guarantees: the draw is still
    recorded (``DrawNotPending``); the approver is not its recorder (``SelfApproval``); while
    the authority holds the fund only an authority user approves, and one approval posts;
    while the assembly holds it only committee members approve, each once
    (``AlreadyApproved``), and the draw posts when approvals exceed half the committee
    (``NotDrawApprover`` otherwise, also for a committee of no members). Posting re-checks
    the budget and the gate and posts the split entry (see the module docstring), in the same
    unit of work as the approval. Logs ``ledger.draw_approved`` and ``ledger.draw_posted``."""
    s = uow.session
    actor = uow.actor
    if actor is None:
        raise NotDrawApprover(N_("A draw is approved by a signed-in staff user."))
    community = community_row(s, community_code)
    row = _draw_row(s, community, draw_ref, for_update=True)
    if row.status != "recorded":
        raise DrawNotPending(
            N_("Draw %(ref)s was approved and posted already.")
            if row.status == "posted"
            else N_("Draw %(ref)s was rejected already."),
            ref=row.ref,
        )
    if row.recorded_by == actor:
        raise SelfApproval(
            N_("You recorded draw %(ref)s: someone else must approve it."), ref=row.ref
        )
    holder = community.fund_holder
    role = _approver_role(holder, is_authority, is_committee_member, committee_size)
    earlier = set(
        s.scalars(
            sa.select(DrawApproval.user_id).where(
                DrawApproval.draw_id == row.id, DrawApproval.role == role
            )
        )
    )
    if actor in earlier:
        raise AlreadyApproved(N_("You approved draw %(ref)s already."), ref=row.ref)
    count = len(earlier) + 1
    needed = 1 if role == "authority" else committee_size // 2 + 1
    appended = uow.log(
        community.code,
        "ledger.draw_approved",
        {
            "draw": row.ref,
            "by": actor,
            "role": role,
            "fund_holder": holder,
            "approvals": count,
            "needed": needed,
            "committee_size": committee_size if role == "committee" else None,
        },
    )
    s.add(
        DrawApproval(
            draw_id=row.id,
            user_id=actor,
            role=role,
            approved_at=uow.clock.now(),
            log_index=appended.index,
        )
    )
    s.flush()
    if count >= needed:
        _post(uow, community, row, via=role, committee_size=committee_size, approvals=count)
    return draw_info(s, row, community.code)


def _approver_role(
    holder: str, is_authority: bool, is_committee_member: bool, committee_size: int
) -> str:
    if holder == "authority":
        if not is_authority:
            raise NotDrawApprover(
                N_(
                    "While the housing authority holds the fund, an authority user overseeing "
                    "the community approves its draws."
                )
            )
        return "authority"
    if not is_committee_member:
        raise NotDrawApprover(
            N_(
                "Once the owners' assembly holds the fund, the committee approves draws by a "
                "majority of its members; the authority is informed."
            )
        )
    if (
        isinstance(committee_size, bool)
        or not isinstance(committee_size, int)
        or committee_size < 1
    ):
        raise NotDrawApprover(N_("The community has no committee members on record."))
    return "committee"


def reject_draw(
    uow: UnitOfWork,
    *,
    community_code: str,
    draw_ref: str,
    reason: str,
    is_authority: bool,
    is_committee_member: bool,
    committee_size: int,
) -> DrawInfo:
    """Reject a recorded draw, as a user who could approve it (same refusals as
    :func:`approve_draw`), giving a reason (1..500 characters; kept in the table, its SHA-256
    logged in ``ledger.draw_rejected``). Nothing posts; the draw is closed."""
    s = uow.session
    actor = uow.actor
    if actor is None:
        raise NotDrawApprover(N_("A draw is rejected by a signed-in staff user."))
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON or _CONTROL.search(text.replace("\n", " ")):
        raise InvalidDraw(
            N_("Give a reason of 1 to %(max)s characters for the rejection."), max=MAX_REASON
        )
    community = community_row(s, community_code)
    row = _draw_row(s, community, draw_ref, for_update=True)
    if row.status != "recorded":
        raise DrawNotPending(
            N_("Draw %(ref)s was approved and posted already.")
            if row.status == "posted"
            else N_("Draw %(ref)s was rejected already."),
            ref=row.ref,
        )
    if row.recorded_by == actor:
        raise SelfApproval(
            N_("You recorded draw %(ref)s: someone else must decide on it."), ref=row.ref
        )
    role = _approver_role(community.fund_holder, is_authority, is_committee_member, committee_size)
    appended = uow.log(
        community.code,
        "ledger.draw_rejected",
        {
            "draw": row.ref,
            "by": actor,
            "role": role,
            "reason_sha256": hashlib.sha256(text.encode()).hexdigest(),
        },
    )
    row.status = "rejected"
    row.decided_at = uow.clock.now()
    row.decided_by = actor
    row.reject_reason = text
    row.decided_log_index = appended.index
    s.flush()
    return draw_info(s, row, community.code)


# --- posting -------------------------------------------------------------------------------


def _post(
    uow: UnitOfWork,
    community: Community,
    row: Draw,
    *,
    via: str,
    committee_size: int,
    approvals: int,
) -> None:
    s = uow.session
    project = project_row(
        s,
        community,
        s.scalar(sa.select(Project.ref).where(Project.id == row.project_id)) or "",
        for_update=True,
    )
    _check_against_project(uow, community, project, row.stage, row.amount_fen, row.retention_fen)
    posted = _posted(s, project.id)
    documents: dict[str, Any] = {"project": project.ref, "draw": row.ref}
    invoices = json.loads(row.invoices)
    if invoices:
        documents["invoices"] = invoices
    if project.ballot_ref is not None:
        documents["decision"] = f"{project.ballot_ref}#{project.question_position}"
    if project.emergency_id is not None:
        documents["emergency"] = (
            s.scalar(
                sa.select(EmergencyRecord.ref).where(EmergencyRecord.id == project.emergency_id)
            )
            or ""
        )
    shares: list[dict[str, Any]] = []
    if row.stage == "retention_release":
        held_fund, held_project = _retention_held(posted)
        fund_part, project_part = split_release(row.retention_fen, held_fund, held_project)
        lines = release_lines(fund_part, project_part)
        kind = "retention_release"
    else:
        split = _split(uow, community, project, row, posted)
        fund_part, project_part = split_retention(
            row.retention_fen,
            split.paid_from_subaccounts_fen,
            split.other_sources_fen,
        )
        subaccounts = {
            u.unit_code: unit_account_code(UNIT_SUBACCOUNT, u.unit_code) for u in split.units
        }
        receivables = {}
        for u in split.units:
            if u.shortfall_fen:
                open_unit_account(uow, community.id, u.unit_code, UNIT_RECEIVABLE.kind)
                receivables[u.unit_code] = unit_account_code(UNIT_RECEIVABLE, u.unit_code)
        lines = draw_lines(split, (fund_part, project_part), subaccounts, receivables)
        kind = "draw"
        shares = [
            {"key_kind": "source", "key": k, "share_fen": v, "paid_fen": v, "shortfall_fen": 0}
            for k, v in split.sources.items()
            if v
        ] + [
            {
                "key_kind": "unit",
                "key": u.unit_code,
                "share_fen": u.share_fen,
                "paid_fen": u.paid_fen,
                "shortfall_fen": u.shortfall_fen,
            }
            for u in split.units
        ]
    entry = post_entry(
        uow,
        community_code=community.code,
        kind=kind,
        value_date=row.value_date,
        lines=[PostingLine(code, amount) for code, amount in lines],
        memo=row.memo,
        documents=documents,
        idempotency_key=f"draw:{row.ref}",
    )
    if shares:
        s.execute(
            sa.insert(DrawShare),
            [{"draw_id": row.id, "project_id": project.id, **share} for share in shares],
        )
    now = uow.clock.now()
    appended = uow.log(
        community.code,
        "ledger.draw_posted",
        {
            "draw": row.ref,
            "project": project.ref,
            "entry": entry.number,
            "via": via,
            "approvals": approvals,
            "committee_size": committee_size if via == "committee" else None,
            "fund_bank_retention_fen": fund_part,
            "project_bank_retention_fen": project_part,
            "shortfall_fen": sum(sh["shortfall_fen"] for sh in shares),
        },
    )
    row.status = "posted"
    row.approved_via = via
    row.committee_size = committee_size if via == "committee" else None
    row.decided_at = now
    row.decided_by = uow.actor
    row.entry_id = entry.number
    row.fund_bank_retention_fen = fund_part
    row.project_bank_retention_fen = project_part
    row.decided_log_index = appended.index
    s.flush()


def _split(
    uow: UnitOfWork, community: Community, project: Project, row: Draw, posted: Sequence[Draw]
) -> DrawSplit:
    """Lock the sub-accounts in scope and split the stage (``ledger.draw_rules.split_draw``);
    refuse (``FundingNotReceived``) a charge to a source beyond the money received for it."""
    s = uow.session
    unit_areas = {
        code: int(area)
        for code, area in s.execute(
            sa.select(ProjectUnit.unit_code, ProjectUnit.area_centi).where(
                ProjectUnit.project_id == project.id
            )
        )
    }
    sources_before, units_charged = charged_so_far(s, project.id)
    plan = plan_of(project)
    holdings: dict[str, int] = {}
    if plan["maintenance_fund"] and unit_areas:
        codes = [unit_account_code(UNIT_SUBACCOUNT, c) for c in sorted(unit_areas)]
        accounts = {
            code: (account_id, unit)
            for account_id, code, unit in _subaccounts(s, community.id, codes)
        }
        balances = lock_balances(uow, [account_id for account_id, _ in accounts.values()])
        for unit_code in unit_areas:
            found = accounts.get(unit_account_code(UNIT_SUBACCOUNT, unit_code))
            holdings[unit_code] = 0 if found is None else -balances.get(found[0], 0)
        missing = [u for u in unit_areas if unit_account_code(UNIT_SUBACCOUNT, u) not in accounts]
        for unit_code in missing:
            open_unit_account(uow, community.id, unit_code, UNIT_SUBACCOUNT.kind)
    split = split_draw(
        plan=plan,
        unit_areas=unit_areas,
        drawn_before_fen=sum(d.amount_fen for d in posted),
        amount_fen=row.amount_fen,
        sources_before=sources_before,
        units_before={code: v[0] for code, v in units_charged.items()},
        holdings=holdings,
    )
    received = received_by_source(s, project.id)
    for source, share in split.sources.items():
        if source == "maintenance_fund":
            continue
        available = received.get(source, 0) - sources_before.get(source, 0)
        if share > available:
            raise FundingNotReceived(
                N_(
                    "This payment charges %(share)s yuan to %(source)s, but only %(available)s "
                    "yuan of it has been received for the project and not yet spent."
                ),
                share=Fen(share),
                source=source,
                available=Fen(available),
            )
    return split


def _subaccounts(s: Session, community_id: int, codes: Sequence[str]) -> list[tuple[int, str, Any]]:
    wanted = set(codes)
    query = sa.select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.unit_id).where(
        LedgerAccount.community_id == community_id,
        LedgerAccount.kind == UNIT_SUBACCOUNT.kind,
    )
    if len(wanted) <= 500:
        query = query.where(LedgerAccount.code.in_(sorted(wanted)))
    return [(i, c, u) for i, c, u in s.execute(query) if c in wanted]


# --- reading -------------------------------------------------------------------------------


def get_draw(uow: UnitOfWork, community_code: str, draw_ref: str) -> DrawInfo:
    """One draw (``DrawNotFound`` otherwise)."""
    s = uow.session
    community = community_row(s, community_code)
    return draw_info(s, _draw_row(s, community, draw_ref), community.code)


def list_draws(
    uow: UnitOfWork,
    community_code: str,
    *,
    project_ref: str | None = None,
    status: str | None = None,
) -> list[DrawInfo]:
    """The community's draws (of one project, of one status), newest first."""
    s = uow.session
    community = community_row(s, community_code)
    query = sa.select(Draw).where(Draw.community_id == community.id)
    if project_ref is not None:
        query = query.where(Draw.project_id == project_row(s, community, project_ref).id)
    if status is not None:
        query = query.where(Draw.status == status)
    rows = s.scalars(query.order_by(Draw.recorded_at.desc(), Draw.id.desc())).all()
    return [draw_info(s, r, community.code) for r in rows]


def pending_draws(uow: UnitOfWork, community_codes: Collection[str]) -> list[PendingDraw]:
    """Draws of these communities waiting for approval, oldest first (the authority's
    overview; the committee's list)."""
    s = uow.session
    codes = sorted({str(c) for c in community_codes})
    if not codes:
        return []
    approvals = (
        sa.select(sa.func.count(DrawApproval.id))
        .where(DrawApproval.draw_id == Draw.id)
        .scalar_subquery()
    )
    rows = s.execute(
        sa.select(Draw, Community.code, Project.ref, Project.title, approvals)
        .join(Community, Community.id == Draw.community_id)
        .join(Project, Project.id == Draw.project_id)
        .where(Community.code.in_(codes), Draw.status == "recorded")
        .order_by(Draw.recorded_at, Draw.id)
    ).all()
    return [
        PendingDraw(
            community_code=code,
            ref=d.ref,
            project_ref=pref,
            project_title=title,
            stage=d.stage,
            amount_fen=d.amount_fen if d.stage != "retention_release" else d.retention_fen,
            recorded_at=_utc(d.recorded_at),
            approvals=int(n),
        )
        for d, code, pref, title, n in rows
    ]


def informed_draws(
    uow: UnitOfWork, community_codes: Collection[str], *, limit: int = 50
) -> list[InformedDraw]:
    """Draws of these communities the committee approved and posted (the owners' assembly
    holding the fund), newest first: what the authority is informed of on its overview."""
    s = uow.session
    codes = sorted({str(c) for c in community_codes})
    if not codes:
        return []
    approvals = (
        sa.select(sa.func.count(DrawApproval.id))
        .where(DrawApproval.draw_id == Draw.id)
        .scalar_subquery()
    )
    rows = s.execute(
        sa.select(Draw, Community.code, Project.ref, Project.title, approvals)
        .join(Community, Community.id == Draw.community_id)
        .join(Project, Project.id == Draw.project_id)
        .where(Community.code.in_(codes), Draw.status == "posted", Draw.approved_via == "committee")
        .order_by(Draw.decided_at.desc(), Draw.id.desc())
        .limit(max(1, min(int(limit), 500)))
    ).all()
    return [
        InformedDraw(
            community_code=code,
            ref=d.ref,
            project_ref=pref,
            project_title=title,
            stage=d.stage,
            amount_fen=d.amount_fen if d.stage != "retention_release" else d.retention_fen,
            posted_at=_utc(d.decided_at),
            committee_size=int(d.committee_size or 0),
            approvals=int(n),
        )
        for d, code, pref, title, n in rows
    ]
