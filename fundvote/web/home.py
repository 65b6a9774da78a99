"""The home page."""

from __future__ import annotations

from flask import Blueprint, render_template

from fundvote.access import current_runtime, current_staff, public
from fundvote.auth import CommunityRef, communities_for, public_communities

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index() -> str:
    principal = current_staff()
    rt = current_runtime()
    communities: list[CommunityRef] = []
    if principal is not None:
        communities = rt.query(communities_for, principal)
        return render_template("home.html", communities=communities)
    return render_template("home.html", communities=[], public=rt.query(public_communities))
