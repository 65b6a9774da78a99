"""What the JSON API modules share: field metadata, the acting roles, and the ballot lookup
every ballot route starts with."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_smorest import Blueprint

from fundvote.access import current_runtime, require_community
from voting import api as voting
from voting.api import BallotInfo, BallotNotFound

ACTORS = ("committee", "admin")
"""Staff roles that may change things (the others only read)."""
AREA = {"description": "m² with exactly two decimals, as a string", "example": "89.37"}
"""OpenAPI metadata of an area field: a string such as ``"89.37"``, never a float."""


def ballot_or_404(code: str, ref: str) -> BallotInfo:
    """The ballot ``ref`` of community ``code``, after ``require_community(code)`` has
    checked the caller's access; 404 when the community has no such ballot (a ref from
    another community is not disclosed)."""
    require_community(code)
    try:
        return current_runtime().query(voting.ballot_in_community, code, ref)
    except BallotNotFound:
        abort(404)


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint, except that an argument schema given as a class is
    instantiated once, where the route is declared: webargs would build a new instance on
    every request (a measurable part of a cast's cost)."""

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)
