"""Ballots in the JSON API: ``/api/v1/communities/<code>/ballots``.

Roles as on the pages (:mod:`fundvote.web.ballots`): every staff role of the community
reads; the committee and the administrator create drafts and move ballots through their
lifecycle. Money is integer fen; areas are strings with exactly two decimals (``"89.37"``);
times are ISO 8601 with a zone (input must carry one). Refused steps are problem+json with
``type`` ``urn:fundvote:problem:<code>`` (``illegal-transition``, ``window-not-over``, ...).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from marshmallow import Schema, fields, validate

from estate.api import format_hundredths
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ACTORS, AREA, ApiBlueprint, ballot_or_404
from fundvote.api.fields import Count, Fen, Text, When
from fundvote.drafts import DraftContent, save_draft
from fundvote.lifecycle import advance_ballot
from fundvote.recount import board_document
from voting import api as voting
from voting.api import (
    DISCLOSURE_MODES,
    FUNDING_SOURCES,
    IDENTITY_CHECKS,
    MATTER_KEYS,
    SCOPE_KINDS,
    BallotInfo,
    Figure,
    QuestionDraft,
    TallyReport,
    TallyResult,
    Turnout,
    TurnoutLine,
    UsePlan,
    result_dict,
)
from voting.api import turnout as turnout_of

blp = ApiBlueprint(
    "api_ballots",
    __name__,
    url_prefix=f"{API_PREFIX}/communities/<code>/ballots",
    description="Ballots: drafts, lifecycle, turnout, tally, publication, board",
)


# --- schemas -----------------------------------------------------------------------------


class SourcesSchema(Schema):
    subsidy = Fen(load_default=0)
    maintenance_fund = Fen(load_default=0)
    social_capital = Fen(load_default=0)
    public_income = Fen(load_default=0)
    owners_direct = Fen(load_default=0)


class UsePlanSchema(Schema):
    repair = Text(required=True, max_length=2_000, multiline=True)
    budget_fen = Fen(required=True, minimum=1)
    sources = fields.Nested(
        SourcesSchema, required=True, metadata={"description": "fen; must add up to the budget"}
    )
    emergency = Text(load_default="", max_length=2_000, multiline=True)


class QuestionInSchema(Schema):
    matter = fields.String(required=True, validate=validate.OneOf(MATTER_KEYS))
    text = Text(required=True, max_length=2_000, multiline=True)
    use_plan = fields.Nested(UsePlanSchema, load_default=None, allow_none=True)


class QuestionSchema(QuestionInSchema):
    position = fields.Integer(required=True)


class BallotInSchema(Schema):
    title = Text(required=True, min_length=1, max_length=200)
    description = Text(load_default="", max_length=20_000, multiline=True)
    opens_at = When(required=True)
    closes_at = When(required=True)
    questions = fields.List(
        fields.Nested(QuestionInSchema), required=True, validate=validate.Length(min=1, max=20)
    )
    scope_kind = fields.String(load_default="community", validate=validate.OneOf(SCOPE_KINDS))
    scope_codes = fields.List(
        Text(max_length=64), load_default=list, validate=validate.Length(max=100_000)
    )
    publicity_days = Count(load_default=None, allow_none=True, maximum=365)
    disclosure = fields.String(load_default="tracker", validate=validate.OneOf(DISCLOSURE_MODES))
    is_consultation = fields.Boolean(load_default=False)
    identity_check = fields.String(load_default="none", validate=validate.OneOf(IDENTITY_CHECKS))


class ReasonSchema(Schema):
    reason = Text(load_default="", max_length=5_000, multiline=True)


class ScopeSchema(Schema):
    kind = fields.String(required=True)
    codes = fields.List(fields.String(), required=True)


class RollSchema(Schema):
    heads = fields.Integer(required=True)
    area = fields.String(required=True, metadata=AREA)
    commitment = fields.String(
        required=True, allow_none=True, metadata={"description": "SHA-256 of the frozen roll"}
    )


class NoticeSchema(Schema):
    tree_size = fields.Integer(required=True)
    root = fields.String(required=True)
    key_id = fields.String(required=True)


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)


class BallotSchema(Schema):
    ref = fields.String(required=True)
    community = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True)
    scope = fields.Nested(ScopeSchema, required=True)
    opens_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True)
    publicity_days = fields.Integer(required=True)
    publicity_ends_at = fields.DateTime(required=True, allow_none=True)
    disclosure = fields.String(required=True)
    is_consultation = fields.Boolean(required=True)
    identity_check = fields.String(required=True)
    deemed_majority_enabled = fields.Boolean(required=True)
    binding = fields.String(required=True, metadata={"description": "plain or deemed_majority"})
    roll = fields.Nested(RollSchema, required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    notice = fields.Nested(NoticeSchema, required=True, allow_none=True)
    annul_reason = fields.String(required=True)
    fund_holder = fields.String(
        required=True, metadata={"description": "authority or assembly: who holds the fund"}
    )
    settings_frozen = fields.Boolean(
        required=True,
        metadata={
            "description": "True once opened: the community settings above are frozen into the "
            "ballot; a draft follows the community's current settings"
        },
    )
    recorded_status = fields.String(
        required=True,
        metadata={
            "description": "The stored status: 'published' while status already reads 'final' "
            "(the publicity period ended, every objection answered, none upheld) until "
            "`fundvote tick` records it"
        },
    )
    final_at = fields.DateTime(required=True, allow_none=True)
    overdue_objections = fields.Integer(
        required=True,
        metadata={"description": "Objections still unanswered after the publicity period"},
    )


class FigureSchema(Schema):
    heads = fields.Integer(required=True)
    area = fields.String(required=True, metadata=AREA)


class ResultSchema(Schema):
    matter = fields.String(required=True)
    roll = fields.Nested(FigureSchema, required=True)
    participated = fields.Nested(FigureSchema, required=True)
    agree = fields.Nested(FigureSchema, required=True)
    oppose = fields.Nested(FigureSchema, required=True)
    abstain = fields.Nested(FigureSchema, required=True)
    quorum_area_met = fields.Boolean(required=True, allow_none=True)
    quorum_heads_met = fields.Boolean(required=True, allow_none=True)
    approval_area_met = fields.Boolean(required=True, allow_none=True)
    approval_heads_met = fields.Boolean(required=True, allow_none=True)
    quorum_met = fields.Boolean(required=True, allow_none=True)
    approved = fields.Boolean(required=True, allow_none=True)
    passed = fields.Boolean(required=True, allow_none=True)
    non_voters_counted_as = fields.String(required=True, allow_none=True)


class QuestionTallySchema(Schema):
    position = fields.Integer(required=True)
    matter = fields.String(required=True)
    text = fields.String(required=True)
    binding = fields.String(required=True)
    log_index = fields.Integer(required=True)
    plain = fields.Nested(ResultSchema, required=True)
    deemed_majority = fields.Nested(ResultSchema, required=True, allow_none=True)


class TallySchema(Schema):
    ballot = fields.String(required=True)
    status = fields.String(required=True)
    questions = fields.List(fields.Nested(QuestionTallySchema), required=True)


class TurnoutLineSchema(Schema):
    building = fields.String(required=True, allow_none=True)
    roll = fields.Nested(FigureSchema, required=True)
    participated = fields.Nested(FigureSchema, required=True)
    heads_met = fields.Boolean(required=True, metadata={"description": ">= 2/3 of heads"})
    area_met = fields.Boolean(required=True, metadata={"description": ">= 2/3 of area"})


class TurnoutSchema(Schema):
    ballot = fields.String(required=True)
    status = fields.String(required=True)
    cast = fields.Integer(required=True)
    overall = fields.Nested(TurnoutLineSchema, required=True)
    buildings = fields.List(fields.Nested(TurnoutLineSchema), required=True)


class BoardRowSchema(Schema):
    tracker = fields.String(required=True, allow_none=True)
    units = fields.List(fields.String(), required=True)
    choices = fields.List(
        fields.String(), required=True, metadata={"description": "per question; '' if blank"}
    )
    heads = fields.Integer(required=True, metadata={"description": "the member's heads (1)"})
    area = fields.String(
        required=True,
        allow_none=True,
        metadata={**AREA, "description": AREA["description"] + "; null in tracker mode"},
    )


class BoardSchema(Schema):
    ballot = fields.String(required=True)
    mode = fields.String(required=True, metadata={"description": "tracker or named"})
    rows = fields.List(fields.Nested(BoardRowSchema), required=True)


# --- shaping -----------------------------------------------------------------------------


def _plan(p: UsePlan | None) -> dict[str, Any] | None:
    return None if p is None else p.as_dict()


def ballot_json(b: BallotInfo) -> dict[str, Any]:
    notice = None
    if b.notice_tree_size is not None:
        notice = {"tree_size": b.notice_tree_size, "root": b.notice_root, "key_id": b.notice_key_id}
    return {
        "ref": b.ref,
        "community": b.community_code,
        "title": b.title,
        "description": b.description,
        "status": b.status,
        "scope": {"kind": b.scope_kind, "codes": list(b.scope_codes)},
        "opens_at": b.opens_at,
        "closes_at": b.closes_at,
        "publicity_days": b.publicity_days,
        "publicity_ends_at": b.publicity_ends_at,
        "disclosure": b.disclosure,
        "is_consultation": b.is_consultation,
        "identity_check": b.identity_check,
        "deemed_majority_enabled": b.deemed_majority_enabled,
        "binding": b.binding,
        "fund_holder": b.fund_holder,
        "settings_frozen": b.settings_frozen,
        "recorded_status": b.recorded_status,
        "final_at": b.final_at,
        "overdue_objections": b.overdue_objections,
        "roll": {
            "heads": b.roll_heads,
            "area": format_hundredths(b.roll_area_centi),
            "commitment": b.roll_commitment,
        },
        "questions": [
            {
                "position": q.position,
                "matter": q.matter,
                "text": q.text,
                "use_plan": _plan(q.use_plan),
            }
            for q in b.questions
        ],
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "sha256": a.sha256,
                "size": a.size,
            }
            for a in b.attachments
        ],
        "notice": notice,
        "annul_reason": b.annul_reason,
    }


def _fig(f: Figure) -> dict[str, Any]:
    return {"heads": f.heads, "area": format_hundredths(f.area_centi)}


def result_json(r: TallyResult) -> dict[str, Any]:
    return {"matter": r.matter, **result_dict(r, fig=_fig)}


def tally_json(report: TallyReport) -> dict[str, Any]:
    return {
        "ballot": report.ballot.ref,
        "status": report.ballot.status,
        "questions": [
            {
                "position": q.position,
                "matter": q.matter,
                "text": q.text,
                "binding": q.binding,
                "log_index": q.log_index,
                "plain": result_json(q.plain),
                "deemed_majority": (
                    None if q.deemed_majority is None else result_json(q.deemed_majority)
                ),
            }
            for q in report.questions
        ],
    }


def _line(line: TurnoutLine) -> dict[str, Any]:
    return {
        "building": line.label or None,
        "roll": _fig(line.roll),
        "participated": _fig(line.participated),
        "heads_met": line.heads_met,
        "area_met": line.area_met,
    }


def turnout_json(t: Turnout) -> dict[str, Any]:
    return {
        "ballot": t.ballot_ref,
        "status": t.status,
        "cast": t.cast,
        "overall": _line(t.overall),
        "buildings": [_line(b) for b in t.buildings],
    }


def _drafts(questions: list[dict[str, Any]]) -> list[QuestionDraft]:
    out = []
    for q in questions:
        plan = q.get("use_plan")
        use_plan = (
            None
            if plan is None
            else UsePlan(
                repair=plan["repair"],
                budget_fen=plan["budget_fen"],
                sources={k: int(plan["sources"].get(k, 0)) for k in FUNDING_SOURCES},
                emergency=plan.get("emergency", ""),
            )
        )
        out.append(QuestionDraft(q["matter"], q["text"], use_plan))
    return out


# --- routes ------------------------------------------------------------------------------

_DENIED = "Not logged in, or not allowed for this community"
_REFUSED = "The ballot's state does not allow this step (problem type names the state)"


@blp.route("", methods=["GET"])
@blp.response(200, BallotSchema(many=True))
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@staff()
def list_ballots(code: str) -> list[dict[str, Any]]:
    """The community's ballots, newest first."""
    require_community(code)
    return [ballot_json(b) for b in current_runtime().query(voting.list_ballots, code)]


@blp.route("", methods=["POST"])
@blp.arguments(BallotInSchema)
@blp.response(201, BallotSchema)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(422, schema=ProblemSchema, description="Invalid draft (scope, plan, window)")
@staff(*ACTORS)
def create(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Create a draft ballot (a publicity period left out is the community's)."""
    community = require_community(code)
    info = save_draft(
        current_runtime(),
        community=community,
        ballot_ref=None,
        content=_content(body),
        actor=require_staff().user_id,
    )
    return ballot_json(info)


def _content(body: dict[str, Any]) -> DraftContent:
    return DraftContent(
        title=body["title"],
        description=body["description"],
        opens_at=body["opens_at"],
        closes_at=body["closes_at"],
        questions=_drafts(body["questions"]),
        scope_kind=body["scope_kind"],
        scope_codes=body["scope_codes"],
        publicity_days=body["publicity_days"],
        disclosure=body["disclosure"],
        is_consultation=body["is_consultation"],
        identity_check=body["identity_check"],
    )


@blp.route("/<ref>", methods=["PUT"])
@blp.arguments(BallotInSchema)
@blp.response(200, BallotSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such ballot in this community")
@blp.alt_response(409, schema=ProblemSchema, description="The ballot has opened (ballot-frozen)")
@blp.alt_response(422, schema=ProblemSchema, description="Invalid draft (scope, plan, window)")
@staff(*ACTORS)
def edit(body: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Replace a draft's content as a whole (every field, all questions), as the draft form
    does; a publicity period left out is the community's. Only while it is a draft."""
    info = ballot_or_404(code, ref)
    done = save_draft(
        current_runtime(),
        community=require_community(code),
        ballot_ref=info.ref,
        content=_content(body),
        actor=require_staff().user_id,
    )
    return ballot_json(done)


@blp.route("/<ref>", methods=["GET"])
@blp.response(200, BallotSchema)
@blp.alt_response(404, schema=ProblemSchema, description="No such ballot in this community")
@staff()
def get(code: str, ref: str) -> dict[str, Any]:
    """One ballot."""
    return ballot_json(ballot_or_404(code, ref))


def _step(code: str, ref: str, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    info = ballot_or_404(code, ref)
    rt = current_runtime()
    actor = require_staff().user_id
    reason = str((body or {}).get("reason", ""))
    done = advance_ballot(rt, name, ballot_ref=info.ref, actor=actor, reason=reason)
    assert done is not None  # every step routed here returns the ballot
    return ballot_json(done)


@blp.route("/<ref>/open", methods=["POST"])
@blp.response(200, BallotSchema)
@blp.alt_response(409, schema=ProblemSchema, description=_REFUSED)
@staff(*ACTORS)
def open_(code: str, ref: str) -> dict[str, Any]:
    """Open a draft: freeze the roll and log its commitment."""
    return _step(code, ref, "open")


@blp.route("/<ref>/close", methods=["POST"])
@blp.response(200, BallotSchema)
@blp.alt_response(409, schema=ProblemSchema, description=_REFUSED)
@staff(*ACTORS)
def close(code: str, ref: str) -> dict[str, Any]:
    """Close an open ballot once its window has ended."""
    return _step(code, ref, "close")


@blp.route("/<ref>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, BallotSchema)
@blp.alt_response(409, schema=ProblemSchema, description=_REFUSED)
@staff(*ACTORS)
def cancel(body: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Cancel a draft or open ballot."""
    return _step(code, ref, "cancel", body)


@blp.route("/<ref>/tally", methods=["POST"])
@blp.response(200, TallySchema)
@blp.alt_response(409, schema=ProblemSchema, description=_REFUSED)
@staff(*ACTORS)
def tally(code: str, ref: str) -> dict[str, Any]:
    """Count a closed ballot and record one logged decision per question."""
    info = ballot_or_404(code, ref)
    rt = current_runtime()
    report = rt.run(voting.tally_ballot, ballot_ref=info.ref, actor=require_staff().user_id)
    return tally_json(report)


@blp.route("/<ref>/tally", methods=["GET"])
@blp.response(200, TallySchema)
@blp.alt_response(404, schema=ProblemSchema, description="Not counted yet, or no such ballot")
@staff()
def get_tally(code: str, ref: str) -> dict[str, Any]:
    """The recorded decisions of a counted ballot."""
    info = ballot_or_404(code, ref)
    report = current_runtime().query(voting.get_tally, info.ref)
    if report is None:
        abort(404)
    return tally_json(report)


@blp.route("/<ref>/publish", methods=["POST"])
@blp.response(200, BallotSchema)
@blp.alt_response(409, schema=ProblemSchema, description=_REFUSED)
@staff(*ACTORS)
def publish(code: str, ref: str) -> dict[str, Any]:
    """Publish a counted ballot; a signed log checkpoint is stored on it (``notice``)."""
    return _step(code, ref, "publish")


@blp.route("/<ref>/finalize", methods=["POST"])
@blp.response(200, BallotSchema)
@blp.alt_response(409, schema=ProblemSchema, description=_REFUSED)
@staff(*ACTORS)
def finalize(code: str, ref: str) -> dict[str, Any]:
    """Make a published result final once the publicity period is over."""
    return _step(code, ref, "finalize")


@blp.route("/<ref>/annul", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, BallotSchema)
@blp.alt_response(409, schema=ProblemSchema, description=_REFUSED)
@staff(*ACTORS)
def annul(body: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Annul a published ballot on an upheld objection, with reasons."""
    return _step(code, ref, "annul", body)


@blp.route("/<ref>/turnout", methods=["GET"])
@blp.response(200, TurnoutSchema)
@staff()
def turnout(code: str, ref: str) -> dict[str, Any]:
    """Participation so far, overall and per building, against the 2/3 lines."""
    info = ballot_or_404(code, ref)
    return turnout_json(current_runtime().query(turnout_of, info.ref))


@blp.route("/<ref>/board", methods=["GET"])
@blp.response(200, BoardSchema)
@blp.alt_response(409, schema=ProblemSchema, description="Not counted yet")
@staff()
def board(code: str, ref: str) -> dict[str, Any]:
    """The counted ballots (trackers or unit numbers by the ballot's disclosure mode)."""
    info = ballot_or_404(code, ref)
    return board_document(current_runtime().query(voting.board, info.ref, public=False))
