"""The JSON API: flask-smorest under ``/api/v1``, its OpenAPI document at ``/api/openapi.json``.

Every operation authenticates with ``Authorization: Bearer <token>`` (see
:mod:`fundvote.access`); the session cookie is ignored under ``/api`` so the API needs no CSRF
token. Errors are ``application/problem+json`` (:mod:`fundvote.errors`).

Adding endpoints: make a ``flask_smorest.Blueprint``, declare access under the route
decorator as for HTML views, and register it in :func:`init_api`::

    @blp.route("/things", methods=["GET"])
    @blp.response(200, ThingSchema(many=True))
    @staff("committee")
    def things() -> list[dict[str, object]]: ...
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

from fundvote.access import PUBLIC, current_runtime, declare, require_staff, staff
from fundvote.auth import UnknownToken, communities_for, list_tokens, revoke_token

API_PREFIX = "/api/v1"
BEARER = "bearerAuth"


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "Field errors of invalid input"})
    reference = fields.String(
        metadata={"description": "Server faults only: quote it to the administrator"}
    )


class CommunitySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class MeSchema(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True)
    is_admin = fields.Boolean(
        required=True, metadata={"description": "Admins may act for every community"}
    )
    communities = fields.List(fields.Nested(CommunitySchema), required=True)


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True, required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True, required=True)
    is_valid = fields.Boolean(
        required=True, metadata={"description": "Neither revoked nor expired"}
    )


blp = Blueprint("api_v1", __name__, url_prefix=API_PREFIX, description="Staff API, version 1")


def _communities() -> list[dict[str, str]]:
    rt = current_runtime()
    return [{"code": c.code, "name": c.name} for c in rt.query(communities_for, require_staff())]


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@blp.alt_response(401, schema=ProblemSchema, description="Missing, wrong or revoked token")
@staff()
def me() -> dict[str, Any]:
    """Who the token belongs to, and the communities they may act for."""
    principal = require_staff()
    return {
        "username": principal.username,
        "display_name": principal.display_name,
        "role": principal.role,
        "is_admin": principal.is_admin,
        "communities": _communities(),
    }


@blp.route("/me/tokens", methods=["GET"])
@blp.response(200, TokenSchema(many=True))
@blp.alt_response(401, schema=ProblemSchema, description="Missing, wrong or revoked token")
@staff()
def my_tokens() -> list[Any]:
    """The caller's API tokens, newest first (never their secrets)."""
    return current_runtime().query(list_tokens, username=require_staff().username)


@blp.route("/me/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(401, schema=ProblemSchema, description="Missing, wrong or revoked token")
@blp.alt_response(404, schema=ProblemSchema, description="No such token of the caller")
@staff()
def revoke_my_token(token_id: int) -> None:
    """Revoke one of the caller's API tokens (also the one making this call)."""
    principal = require_staff()
    try:
        current_runtime().run_as(
            principal.user_id,
            revoke_token,
            token_id=token_id,
            username=principal.username,
            via="api",
        )
    except UnknownToken:
        abort(404)


@blp.route("/communities", methods=["GET"])
@blp.response(200, CommunitySchema(many=True))
@blp.alt_response(401, schema=ProblemSchema, description="Missing, wrong or revoked token")
@staff()
def communities() -> list[dict[str, str]]:
    """The communities the caller may act for (every community for an admin)."""
    return _communities()


def init_api(app: Flask) -> Api:
    """Mount the API and its OpenAPI document (no Swagger UI: it would load from a CDN)."""
    app.config.update(
        API_TITLE="fundvote",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(
        app,
        spec_kwargs={
            "info": {"description": "Owner decisions and maintenance-fund ledgers."},
            "security": [{BEARER: []}],
        },
    )
    api.spec.components.security_scheme(
        BEARER,
        {"type": "http", "scheme": "bearer", "description": "From `fundvote user token`."},
    )
    api.register_blueprint(blp)
    from fundvote.api.register import blp as register_blp

    api.register_blueprint(register_blp)
    from fundvote.api.ballots import blp as ballots_blp

    api.register_blueprint(ballots_blp)
    from fundvote.api.voting import blp as voting_blp

    api.register_blueprint(voting_blp)
    from fundvote.api.documents import blp as documents_blp

    api.register_blueprint(documents_blp)
    from fundvote.api.objections import blp as objections_blp

    api.register_blueprint(objections_blp)
    from fundvote.api.owner_link import blp as owner_link_blp

    api.register_blueprint(owner_link_blp)
    from fundvote.api.results import blp as results_blp

    api.register_blueprint(results_blp)
    from fundvote.api.staff import blp as staff_blp

    api.register_blueprint(staff_blp)
    from fundvote.api.slips import blp as slips_blp

    api.register_blueprint(slips_blp)
    from fundvote.api.community_settings import blp as settings_blp

    api.register_blueprint(settings_blp)
    from fundvote.api.ledger import blp as ledger_blp

    api.register_blueprint(ledger_blp)
    from fundvote.api.ledger_funds import blp as ledger_funds_blp

    api.register_blueprint(ledger_funds_blp)
    from fundvote.api.projects import blp as projects_blp

    api.register_blueprint(projects_blp)
    from fundvote.api.ledger_tools import blp as ledger_tools_blp

    api.register_blueprint(ledger_tools_blp)
    from fundvote.api.audit import blp as audit_blp

    api.register_blueprint(audit_blp)
    for endpoint in list(app.view_functions):
        if endpoint.startswith("api-docs."):
            declare(app, endpoint, PUBLIC)
    _document_problems(api)
    return api


PROBLEM_JSON = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_download(*content_types: str, description: str) -> dict[str, Any]:
    """The OpenAPI ``responses`` entry of an operation that answers 200 with a file, for
    ``@blp.doc(responses=file_download(...))`` below ``@blp.response(200, ...)``."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"200": {"description": description, "content": dict.fromkeys(content_types, binary)}}


def _document_problems(api: Api) -> None:
    """Make the OpenAPI document say what the API sends: every error (4xx, 5xx and the
    ``default`` response every operation has) is ``application/problem+json`` with the
    ``Problem`` schema (or its extension, e.g. ``RollRejected``); the roll export is CSV or
    XLSX."""
    spec = api.spec
    problem = {"$ref": "#/components/schemas/Problem"}
    for table in (spec.components.responses, spec.components.responses_lazy):
        for response in table.values():
            if isinstance(response, dict) and "content" in response:
                response["content"] = {PROBLEM_JSON: {"schema": problem}}
    for path, operations in spec._paths.items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if not isinstance(response, dict) or "$ref" in response:
                    continue
                content = response.get("content")
                is_file = method == "get" and str(status) == "200"
                if is_file and path.startswith(f"{API_PREFIX}/results/"):
                    if path.endswith(("/roll", "/board/q{position}")):
                        response["content"] = {"text/csv": {"schema": {"type": "string"}}}
                elif is_file and path.endswith("/roll"):
                    response["content"] = {
                        "text/csv": {"schema": {"type": "string"}},
                        XLSX: {"schema": {"type": "string", "format": "binary"}},
                    }
                elif content and (status == "default" or str(status)[0] in "45"):
                    schema = next(iter(content.values())).get("schema", problem)
                    response["content"] = {PROBLEM_JSON: {"schema": schema}}
