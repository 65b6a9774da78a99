"""Projects, emergency records and draws in the JSON API (``/api/v1/communities/<code>/...``).

The same use cases as the pages (:mod:`fundvote.projects`, ``ledger.api``): a manager or the
committee opens projects (from a passed ``fund_use`` decision or an emergency record),
records emergencies, money received and draws; an authority user (while the authority holds
the fund) or committee members (once the owners' assembly does) approve or reject draws;
every staff user of the community reads. Amounts are integer fen. Refusals are
problem+json with the error's code (``draw-not-covered``, ``self-approval``,
``not-draw-approver``, ``insufficient-funds``...).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ApiBlueprint
from fundvote.api.fields import Count, Fen, Text
from fundvote.auth import communities_for
from fundvote.projects import APPROVER_ROLES, RECORDER_ROLES, approve, project_page, reject
from ledger import api as ledger

blp = ApiBlueprint(
    "api_projects",
    __name__,
    url_prefix=API_PREFIX,
    description="Projects, emergency records, funding and draws (maker-checker)",
)

_DENIED = "Not logged in, or not allowed for this community"
_C = "/communities/<code>"


def _errors(*statuses: int) -> Any:
    descriptions = {
        401: _DENIED,
        403: _DENIED + "; or not this user's to approve (self-approval, not-draw-approver)",
        404: "No such community, project, emergency record or draw",
        409: "Refused by the books' state (draw-not-covered, insufficient-funds, ...)",
        422: "A field is not acceptable",
    }

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ProblemSchema, description=descriptions[status])(
                view
            )
        return view

    return decorate


class ProjectSourcesSchema(Schema):
    subsidy = Fen(load_default=0)
    maintenance_fund = Fen(load_default=0)
    social_capital = Fen(load_default=0)
    public_income = Fen(load_default=0)
    owners_direct = Fen(load_default=0)


class ProjectSchema(Schema):
    ref = fields.String(required=True)
    title = fields.String(required=True)
    origin = fields.String(required=True, metadata={"description": "decision or emergency"})
    ballot = fields.String(allow_none=True)
    question = fields.Integer(allow_none=True)
    emergency = fields.String(allow_none=True)
    is_whole_community = fields.Boolean(required=True)
    budget_fen = fields.Integer(required=True)
    sources = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    units = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "unit code -> area in 0.01 m²"},
    )
    opened_at = fields.DateTime(required=True)


class ProjectInSchema(Schema):
    ballot = Text(load_default=None, allow_none=True, max_length=32)
    question = Count(load_default=None, allow_none=True, minimum=1, maximum=100)
    emergency = Text(load_default=None, allow_none=True, max_length=32)
    title = Text(load_default=None, allow_none=True, max_length=200)
    sources = fields.Nested(ProjectSourcesSchema, load_default=None, allow_none=True)
    public_income_ballot = Text(load_default=None, allow_none=True, max_length=32)
    public_income_question = Count(load_default=None, allow_none=True, minimum=1, maximum=100)


class SourceLineSchema(Schema):
    source = fields.String(required=True)
    plan_fen = fields.Integer(required=True)
    received_fen = fields.Integer(required=True)
    drawn_fen = fields.Integer(required=True)


class UnitLineSchema(Schema):
    unit = fields.String(required=True)
    area_centi = fields.Integer(required=True)
    plan_share_fen = fields.Integer(required=True)
    drawn_fen = fields.Integer(required=True)
    paid_fen = fields.Integer(required=True)
    shortfall_fen = fields.Integer(required=True)


class DrawSchema(Schema):
    ref = fields.String(required=True)
    project = fields.String(required=True)
    stage = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    retention_fen = fields.Integer(required=True)
    value_date = fields.Date(required=True)
    invoices = fields.List(fields.String(), required=True)
    memo = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "recorded, posted, rejected"})
    recorded_by = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    approvals = fields.List(fields.Integer(), required=True)
    approved_via = fields.String(allow_none=True)
    entry = fields.Integer(allow_none=True)
    is_replay = fields.Boolean(required=True)


class ReportSchema(Schema):
    project = fields.Nested(ProjectSchema, required=True)
    sources = fields.List(fields.Nested(SourceLineSchema), required=True)
    units = fields.List(fields.Nested(UnitLineSchema), required=True)
    drawn_fen = fields.Integer(required=True)
    retention_held_fen = fields.Integer(required=True)
    shortfall_fen = fields.Integer(required=True)
    draws = fields.List(fields.Nested(DrawSchema), required=True)
    fund_holder = fields.String(required=True)
    committee_size = fields.Integer(required=True)


class FundingInSchema(Schema):
    source = fields.String(
        required=True,
        validate=validate.OneOf(["subsidy", "social_capital", "public_income", "owners_direct"]),
    )
    amount_fen = Fen(required=True, minimum=1)
    value_date = fields.Date(required=True)
    bank_reference = Text(load_default=None, allow_none=True, max_length=200)
    memo = Text(load_default="", max_length=500)
    idempotency_key = Text(load_default=None, allow_none=True, max_length=128)


class FundingSchema(Schema):
    project = fields.String(required=True)
    source = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    entry = fields.Integer(required=True)
    received_fen = fields.Integer(required=True)
    is_replay = fields.Boolean(required=True)


class DrawInSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(list(ledger.DRAW_STAGES)))
    amount_fen = Fen(load_default=0)
    retention_fen = Fen(load_default=0)
    value_date = fields.Date(required=True)
    invoices = fields.List(Text(max_length=64), load_default=list, validate=validate.Length(max=20))
    memo = Text(load_default="", max_length=500)
    idempotency_key = Text(load_default=None, allow_none=True, max_length=128)


class RejectInSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=500, multiline=True)


class EmergencySchema(Schema):
    ref = fields.String(required=True)
    category = fields.String(required=True)
    evidence_sha256 = fields.String(required=True)
    description = fields.String(required=True)
    scope_kind = fields.String(required=True)
    scope_codes = fields.List(fields.String(), required=True)
    recorded_at = fields.DateTime(required=True)
    publish_deadline = fields.DateTime(required=True)
    published_at = fields.DateTime(allow_none=True)
    is_overdue = fields.Boolean(required=True)
    project = fields.String(allow_none=True)


class EmergencyInSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(ledger.EMERGENCY_CATEGORIES))
    evidence_sha256 = Text(required=True, min_length=64, max_length=64)
    description = Text(required=True, min_length=1, max_length=2000, multiline=True)
    scope_kind = fields.String(
        load_default="community", validate=validate.OneOf(["community", "buildings", "units"])
    )
    scope_codes = fields.List(
        Text(max_length=64), load_default=list, validate=validate.Length(max=5000)
    )


class PendingSchema(Schema):
    community = fields.String(required=True)
    ref = fields.String(required=True)
    project = fields.String(required=True)
    project_title = fields.String(required=True)
    stage = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    approvals = fields.Integer(required=True)


class UnpublishedSchema(Schema):
    community = fields.String(required=True)
    ref = fields.String(required=True)
    category = fields.String(required=True)
    project = fields.String(allow_none=True)
    project_title = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)
    deadline = fields.DateTime(required=True)
    is_overdue = fields.Boolean(required=True)


def project_json(p: ledger.ProjectInfo) -> dict[str, Any]:
    return {
        "ref": p.ref,
        "title": p.title,
        "origin": p.origin,
        "ballot": p.ballot_ref,
        "question": p.question_position,
        "emergency": p.emergency_ref,
        "is_whole_community": p.is_whole_community,
        "budget_fen": p.budget_fen,
        "sources": dict(p.sources),
        "units": dict(p.unit_areas),
        "opened_at": p.opened_at,
    }


def draw_json(d: ledger.DrawInfo) -> dict[str, Any]:
    return {
        "ref": d.ref,
        "project": d.project_ref,
        "stage": d.stage,
        "amount_fen": d.amount_fen,
        "retention_fen": d.retention_fen,
        "value_date": d.value_date,
        "invoices": list(d.invoices),
        "memo": d.memo,
        "status": d.status,
        "recorded_by": d.recorded_by,
        "recorded_at": d.recorded_at,
        "approvals": list(d.approvals),
        "approved_via": d.approved_via,
        "entry": d.entry_number,
        "is_replay": d.is_replay,
    }


def emergency_json(e: ledger.EmergencyInfo, now: Any) -> dict[str, Any]:
    return {
        "ref": e.ref,
        "category": e.category,
        "evidence_sha256": e.evidence_sha256,
        "description": e.description,
        "scope_kind": e.scope_kind,
        "scope_codes": list(e.scope_codes),
        "recorded_at": e.recorded_at,
        "publish_deadline": e.publish_deadline,
        "published_at": e.published_at,
        "is_overdue": e.is_overdue(now),
        "project": e.project_ref,
    }


def report_json(code: str, ref: str) -> dict[str, Any]:
    page = current_runtime().query(project_page, code, ref)
    r = page.report
    return {
        "project": project_json(r.project),
        "sources": [
            {
                "source": s.source,
                "plan_fen": s.plan_fen,
                "received_fen": s.received_fen,
                "drawn_fen": s.drawn_fen,
            }
            for s in r.sources
        ],
        "units": [
            {
                "unit": u.unit_code,
                "area_centi": u.area_centi,
                "plan_share_fen": u.plan_share_fen,
                "drawn_fen": u.drawn_fen,
                "paid_fen": u.paid_fen,
                "shortfall_fen": u.shortfall_fen,
            }
            for u in r.units
        ],
        "drawn_fen": r.drawn_fen,
        "retention_held_fen": r.retention_held_fen,
        "shortfall_fen": r.shortfall_fen,
        "draws": [draw_json(d) for d in page.draws],
        "fund_holder": page.fund_holder,
        "committee_size": page.committee_size,
    }


# --- projects ------------------------------------------------------------------------------


@blp.route(f"{_C}/projects", methods=["GET"])
@blp.response(200, ProjectSchema(many=True))
@_errors(401, 403, 404)
@staff()
def list_projects(code: str) -> list[dict[str, Any]]:
    """The community's projects, newest first."""
    require_community(code)
    return [project_json(p) for p in current_runtime().query(ledger.list_projects, code)]


@blp.route(f"{_C}/projects", methods=["POST"])
@blp.arguments(ProjectInSchema)
@blp.response(201, ProjectSchema)
@_errors(401, 403, 404, 409, 422)
@staff(*RECORDER_ROLES)
def open_project(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Open a project: from question ``question`` of ballot ``ballot`` (a passed ``fund_use``
    decision; its plan, scope and areas), or from emergency record ``emergency`` with a
    ``title`` and ``sources`` (fen per source). A public-income share over part of the
    community names the community-wide decision allowing it (``public_income_ballot``,
    ``public_income_question``)."""
    require_community(code)
    principal = require_staff()
    rt = current_runtime()
    extra = {
        "public_income_ballot_ref": body["public_income_ballot"],
        "public_income_position": body["public_income_question"],
    }
    if body["emergency"]:
        info = rt.run_as(
            principal.user_id,
            ledger.open_project_from_emergency,
            community_code=code,
            emergency_ref=body["emergency"],
            title=body["title"] or "",
            sources=body["sources"] or {},
            **extra,
        )
    else:
        info = rt.run_as(
            principal.user_id,
            ledger.open_project_from_decision,
            community_code=code,
            ballot_ref=body["ballot"] or "",
            position=body["question"] or 1,
            title=body["title"],
            **extra,
        )
    return project_json(info)


@blp.route(f"{_C}/projects/<ref>", methods=["GET"])
@blp.response(200, ReportSchema)
@_errors(401, 403, 404)
@staff()
def get_project(code: str, ref: str) -> dict[str, Any]:
    """A project's cost-sharing report (by source and by unit, cumulative over posted
    draws) and its draws."""
    require_community(code)
    return report_json(code, ref)


@blp.route(f"{_C}/projects/<ref>/funding", methods=["POST"])
@blp.arguments(FundingInSchema)
@blp.response(201, FundingSchema)
@_errors(401, 403, 404, 409, 422)
@staff(*RECORDER_ROLES)
def receive(body: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Record money of one source received for the project (never above the plan's amount;
    the maintenance fund is drawn at payment, not received)."""
    require_community(code)
    info = current_runtime().run_as(
        require_staff().user_id,
        ledger.receive_funding,
        community_code=code,
        project_ref=ref,
        source=body["source"],
        amount_fen=body["amount_fen"],
        value_date=body["value_date"],
        bank_reference=body["bank_reference"],
        memo=body["memo"],
        idempotency_key=body["idempotency_key"],
    )
    return {
        "project": info.project_ref,
        "source": info.source,
        "amount_fen": info.amount_fen,
        "entry": info.entry_number,
        "received_fen": info.received_fen,
        "is_replay": info.is_replay,
    }


# --- draws ---------------------------------------------------------------------------------


@blp.route(f"{_C}/projects/<ref>/draws", methods=["POST"])
@blp.arguments(DrawInSchema)
@blp.response(201, DrawSchema)
@_errors(401, 403, 404, 409, 422)
@staff(*RECORDER_ROLES)
def record(body: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Record a draw (a stage with its retention, or a release of retention) for approval;
    refused when no final decision or emergency record covers it (``draw-not-covered``)."""
    require_community(code)
    info = current_runtime().run_as(
        require_staff().user_id,
        ledger.record_draw,
        community_code=code,
        project_ref=ref,
        stage=body["stage"],
        amount_fen=body["amount_fen"],
        retention_fen=body["retention_fen"],
        value_date=body["value_date"],
        invoices=body["invoices"],
        memo=body["memo"],
        idempotency_key=body["idempotency_key"],
    )
    return draw_json(info)


@blp.route(f"{_C}/draws", methods=["GET"])
@blp.response(200, DrawSchema(many=True))
@_errors(401, 403, 404)
@staff()
def list_draws(code: str) -> list[dict[str, Any]]:
    """The community's draws, newest first."""
    require_community(code)
    return [draw_json(d) for d in current_runtime().query(ledger.list_draws, code)]


@blp.route(f"{_C}/draws/<ref>/approve", methods=["POST"])
@blp.response(200, DrawSchema)
@_errors(401, 403, 404, 409)
@staff(*APPROVER_ROLES)
def approve_one(code: str, ref: str) -> dict[str, Any]:
    """Approve a draw (never one's own): an authority user while the authority holds the
    fund (the draw posts); a committee member once the assembly does (the draw posts when
    more than half the committee's members have approved)."""
    require_community(code)
    return draw_json(approve(current_runtime(), require_staff(), code, ref))


@blp.route(f"{_C}/draws/<ref>/reject", methods=["POST"])
@blp.arguments(RejectInSchema)
@blp.response(200, DrawSchema)
@_errors(401, 403, 404, 409, 422)
@staff(*APPROVER_ROLES)
def reject_one(body: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Reject a draw with a reason (by a user who could approve it)."""
    require_community(code)
    return draw_json(reject(current_runtime(), require_staff(), code, ref, body["reason"]))


@blp.route("/draws/pending", methods=["GET"])
@blp.response(200, PendingSchema(many=True))
@_errors(401)
@staff()
def pending() -> list[dict[str, Any]]:
    """Draws waiting for approval in the caller's communities (every community for an
    admin), oldest first."""
    principal = require_staff()
    rt = current_runtime()
    codes = _codes(principal)
    return [
        {
            "community": p.community_code,
            "ref": p.ref,
            "project": p.project_ref,
            "project_title": p.project_title,
            "stage": p.stage,
            "amount_fen": p.amount_fen,
            "recorded_at": p.recorded_at,
            "approvals": p.approvals,
        }
        for p in rt.query(ledger.pending_draws, codes)
    ]


def _codes(principal: Any) -> list[str]:
    return [c.code for c in current_runtime().query(communities_for, principal)]


# --- emergencies ---------------------------------------------------------------------------


@blp.route(f"{_C}/emergencies", methods=["GET"])
@blp.response(200, EmergencySchema(many=True))
@_errors(401, 403, 404)
@staff()
def list_emergencies(code: str) -> list[dict[str, Any]]:
    """The community's emergency records, newest first, each marked overdue when its costs
    are unpublished past the deadline."""
    require_community(code)
    rt = current_runtime()
    now = rt.clock.now()
    return [emergency_json(e, now) for e in rt.query(ledger.list_emergencies, code)]


@blp.route(f"{_C}/emergencies", methods=["POST"])
@blp.arguments(EmergencyInSchema)
@blp.response(201, EmergencySchema)
@_errors(401, 403, 404, 422)
@staff(*RECORDER_ROLES)
def record_emergency(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Record an emergency (category, evidence SHA-256, description, scope); its costs and
    apportionment must be published within the community's deadline."""
    require_community(code)
    rt = current_runtime()
    info = rt.run_as(require_staff().user_id, ledger.record_emergency, community_code=code, **body)
    return emergency_json(info, rt.clock.now())


@blp.route(f"{_C}/emergencies/<ref>/publish", methods=["POST"])
@blp.response(200, EmergencySchema)
@_errors(401, 403, 404, 409)
@staff(*RECORDER_ROLES)
def publish(code: str, ref: str) -> dict[str, Any]:
    """Record that the emergency's costs and apportionment were published to the owners."""
    require_community(code)
    rt = current_runtime()
    info = rt.run_as(
        require_staff().user_id, ledger.publish_emergency, community_code=code, emergency_ref=ref
    )
    return emergency_json(info, rt.clock.now())


@blp.route("/emergencies/unpublished", methods=["GET"])
@blp.response(200, UnpublishedSchema(many=True))
@_errors(401)
@staff()
def unpublished() -> list[dict[str, Any]]:
    """Emergency records of the caller's communities whose costs are not yet published,
    earliest deadline first, overdue ones marked."""
    principal = require_staff()
    return [
        {
            "community": u.community_code,
            "ref": u.ref,
            "category": u.category,
            "project": u.project_ref,
            "project_title": u.project_title,
            "amount_fen": u.amount_fen,
            "recorded_at": u.recorded_at,
            "deadline": u.deadline,
            "is_overdue": u.is_overdue,
        }
        for u in current_runtime().query(ledger.unpublished_emergencies, _codes(principal))
    ]
