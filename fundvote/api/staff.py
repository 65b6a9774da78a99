"""Staff accounts in the JSON API, for the administrator: ``/api/v1/staff/<username>/...``.

The same steps as the administrator's pages (:mod:`fundvote.web.auth`), each recorded in the
account's history with the acting administrator and the channel ``api``: disable and
re-enable an account, lift its login locks, reset its password, revoke one of its API tokens.
An administrator cannot disable their own account. Accounts are created with
``fundvote user add``.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from marshmallow import Schema, fields

from fundvote import auth
from fundvote.access import current_runtime, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ApiBlueprint
from fundvote.api.fields import Text

blp = ApiBlueprint(
    "api_staff",
    __name__,
    url_prefix=f"{API_PREFIX}/staff/<username>",
    description="Staff accounts (administrator): disable, enable, unlock, password, tokens",
)

_DENIED = "Not logged in, or not an administrator"
_MISSING = "No such account"


class PasswordRequestSchema(Schema):
    password = Text(
        load_default=None,
        allow_none=True,
        max_length=1024,
        metadata={"description": "The new password (>= 10 characters); generated when absent"},
    )


class PasswordSchema(Schema):
    password = fields.String(
        required=True, allow_none=True, metadata={"description": "The generated one, once"}
    )


class UnlockSchema(Schema):
    locked = fields.Integer(
        required=True, metadata={"description": "Client addresses that were locked out"}
    )


def _username(username: str) -> str:
    """The account's username, normalised; 404 for one that cannot exist or does not."""
    name = username.strip().lower()
    if not auth.is_username(name):
        abort(404)
    return current_runtime().query(auth.user_detail, name).user.username


def _act(step: Any, **kwargs: Any) -> Any:
    return current_runtime().run_as(require_staff().user_id, step, via="api", **kwargs)


def _account_op(view: Any) -> Any:
    for status, text in ((401, _DENIED), (403, _DENIED), (404, _MISSING)):
        view = blp.alt_response(status, schema=ProblemSchema, description=text)(view)
    return view


@blp.route("/disable", methods=["POST"])
@blp.response(204)
@blp.alt_response(409, schema=ProblemSchema, description="One's own account (own-account)")
@_account_op
@staff("admin")
def disable(username: str) -> None:
    """Disable an account: its logins and API tokens stop working at once."""
    _act(auth.set_user_active, username=_username(username), is_active=False)


@blp.route("/enable", methods=["POST"])
@blp.response(204)
@_account_op
@staff("admin")
def enable(username: str) -> None:
    """Enable a disabled account again (its unrevoked, unexpired tokens work again)."""
    _act(auth.set_user_active, username=_username(username), is_active=True)


@blp.route("/unlock", methods=["POST"])
@blp.response(200, UnlockSchema)
@_account_op
@staff("admin")
def unlock(username: str) -> dict[str, int]:
    """Lift every login lock and failure count of the account."""
    return {"locked": _act(auth.unlock_user, username=_username(username))}


@blp.route("/password", methods=["POST"])
@blp.arguments(PasswordRequestSchema)
@blp.response(200, PasswordSchema)
@blp.alt_response(422, schema=ProblemSchema, description="Too weak a password")
@_account_op
@staff("admin")
def reset_password(args: dict[str, Any], username: str) -> dict[str, Any]:
    """Set a new password (or generate one, returned only in this answer); the account's
    login sessions end and its locks are lifted."""
    given = args["password"] or None
    new = _act(auth.reset_password, username=_username(username), password=given)
    return {"password": None if given else new}


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@_account_op
@staff("admin")
def revoke_token(username: str, token_id: int) -> None:
    """Revoke one of the account's API tokens (404 for a token of another account)."""
    _act(auth.revoke_token, token_id=token_id, username=_username(username))
