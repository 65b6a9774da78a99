"""The home page, and the icon browsers ask for at ``/favicon.ico``."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from fundvote.access import current_runtime, current_staff, public
from fundvote.auth import CommunityRef, communities_for, public_communities
from voting import api as voting

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index() -> str:
    principal = current_staff()
    rt = current_runtime()
    communities: list[CommunityRef] = []
    if principal is not None:
        communities = rt.query(communities_for, principal)
        ids = None if principal.is_admin else principal.community_ids
        overdue = rt.query(voting.overdue_objections, ids)
        return render_template("home.html", communities=communities, overdue=overdue)
    return render_template("home.html", communities=[], public=rt.query(public_communities))


@bp.get("/favicon.ico")
@public
def favicon() -> ResponseReturnValue:
    """Browsers that ask for ``/favicon.ico`` before reading the page's icon link get the
    SVG icon the pages link to (``templates/static/favicon.svg``)."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
