"""A community's voting settings in the JSON API: ``/api/v1/communities/<code>/settings``,
and the list of objections overdue: ``/api/v1/objections/overdue``.

The same use case as the settings page and ``fundvote community set``
(:mod:`fundvote.community_settings`): every staff user of the community reads; the committee
(or an admin) changes the deemed-majority clause, the binding result and the publicity
period; an authority user changes who holds the fund, with the transfer document's SHA-256.
Refusals are problem+json: 403 ``setting-change-forbidden``, 422 ``invalid-setting`` or
``no-setting-changed``.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from estate.api import (
    EMERGENCY_PUBLISH_DAYS_MAX,
    EMERGENCY_PUBLISH_DAYS_MIN,
    MAX_BASIS,
    PUBLICITY_DAYS_MAX,
    PUBLICITY_DAYS_MIN,
)
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.fields import Count, Text
from fundvote.community_settings import (
    SettingsPage,
    change_community_settings,
    may_set_holder,
    may_set_rules,
    settings_page,
)
from voting import api as voting

blp = Blueprint(
    "api_community_settings",
    __name__,
    url_prefix=API_PREFIX,
    description="Community settings (deemed majority, binding result, publicity, fund holder)",
)

_DENIED = "Not logged in, or not allowed for this community"


class SettingsSchema(Schema):
    publicity_days = fields.Integer(required=True)
    deemed_majority_enabled = fields.Boolean(required=True)
    binding_result = fields.String(required=True, metadata={"description": "plain or deemed"})
    fund_holder = fields.String(required=True, metadata={"description": "authority or assembly"})
    emergency_publish_days = fields.Integer(
        required=True,
        metadata={"description": "Days within which an emergency draw's costs are published"},
    )


class SettingChangeSchema(Schema):
    changed_at = fields.DateTime(required=True)
    by = fields.String(required=True, metadata={"description": "Who made the change"})
    kind = fields.String(required=True, metadata={"description": "rules or fund_holder"})
    old = fields.Dict(required=True, metadata={"description": "Old values of what changed"})
    new = fields.Dict(required=True, metadata={"description": "New values of what changed"})
    basis = fields.String(required=True, metadata={"description": "The cited rules or decision"})
    document_sha256 = fields.String(required=True, allow_none=True)
    log_index = fields.Integer(required=True)


class SettingsPageSchema(Schema):
    community = fields.String(required=True)
    settings = fields.Nested(SettingsSchema, required=True)
    may_set_rules = fields.Boolean(required=True)
    may_set_fund_holder = fields.Boolean(required=True)
    history = fields.List(fields.Nested(SettingChangeSchema), required=True)


class SettingsChangeInSchema(Schema):
    deemed_majority_enabled = fields.Boolean(load_default=None, allow_none=True)
    binding_result = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["plain", "deemed"])
    )
    publicity_days = Count(
        load_default=None,
        allow_none=True,
        minimum=PUBLICITY_DAYS_MIN,
        maximum=PUBLICITY_DAYS_MAX,
    )
    fund_holder = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["authority", "assembly"])
    )
    emergency_publish_days = Count(
        load_default=None,
        allow_none=True,
        minimum=EMERGENCY_PUBLISH_DAYS_MIN,
        maximum=EMERGENCY_PUBLISH_DAYS_MAX,
    )
    basis = Text(
        required=True,
        min_length=1,
        max_length=MAX_BASIS,
        multiline=True,
        metadata={"description": "The management rules' article or the owners' decision"},
    )
    document_sha256 = Text(
        load_default=None,
        allow_none=True,
        max_length=64,
        metadata={"description": "SHA-256 (hex) of the transfer document; with fund_holder"},
    )


class OverdueSchema(Schema):
    community = fields.String(required=True)
    community_name = fields.String(required=True)
    ballot = fields.String(required=True)
    title = fields.String(required=True)
    publicity_ended_at = fields.DateTime(required=True)
    unanswered = fields.Integer(required=True)
    flagged_at = fields.DateTime(required=True, allow_none=True)


def page_json(page: SettingsPage, community_id: int) -> dict[str, Any]:
    principal = require_staff()
    return {
        "community": page.community_code,
        "settings": page.settings.as_dict(),
        "may_set_rules": may_set_rules(principal, community_id),
        "may_set_fund_holder": may_set_holder(principal, community_id),
        "history": [
            {
                "changed_at": h.changed_at,
                "by": h.actor_name,
                "kind": h.kind,
                "old": h.old,
                "new": h.new,
                "basis": h.basis,
                "document_sha256": h.document_sha256,
                "log_index": h.log_index,
            }
            for h in page.history
        ],
    }


@blp.route("/communities/<code>/settings", methods=["GET"])
@blp.response(200, SettingsPageSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@staff()
def get_settings(code: str) -> dict[str, Any]:
    """The community's voting settings in force and their history, newest first."""
    community = require_community(code)
    return page_json(current_runtime().query(settings_page, code), community.id)


@blp.route("/communities/<code>/settings", methods=["PATCH"])
@blp.arguments(SettingsChangeInSchema)
@blp.response(200, SettingsPageSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(
    403,
    schema=ProblemSchema,
    description="Not allowed: the committee or an admin sets the rules; an authority user "
    "the fund holder (setting-change-forbidden)",
)
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@blp.alt_response(422, schema=ProblemSchema, description="Bad value or basis, or nothing changes")
@staff("committee", "admin", "authority")
def change_settings(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Change some settings (omitted or null: unchanged), citing the basis; answers the
    settings in force afterwards and their history."""
    community = require_community(code)
    rt = current_runtime()
    change_community_settings(
        rt,
        require_staff(),
        code,
        basis=body["basis"],
        deemed_majority_enabled=body["deemed_majority_enabled"],
        binding_result=body["binding_result"],
        publicity_days=body["publicity_days"],
        fund_holder=body["fund_holder"],
        document_sha256=body["document_sha256"],
        emergency_publish_days=body["emergency_publish_days"],
    )
    return page_json(rt.query(settings_page, code), community.id)


@blp.route("/objections/overdue", methods=["GET"])
@blp.response(200, OverdueSchema(many=True))
@blp.alt_response(401, schema=ProblemSchema, description="Missing, wrong or revoked token")
@staff()
def overdue() -> list[dict[str, Any]]:
    """Published ballots of the caller's communities (every community for an admin) whose
    publicity period ended with objections unanswered, oldest first."""
    principal = require_staff()
    ids = None if principal.is_admin else principal.community_ids
    return [
        {
            "community": o.community_code,
            "community_name": o.community_name,
            "ballot": o.ballot_ref,
            "title": o.ballot_title,
            "publicity_ended_at": o.publicity_ended_at,
            "unanswered": o.unanswered,
            "flagged_at": o.flagged_at,
        }
        for o in current_runtime().query(voting.overdue_objections, ids)
    ]
