"""Public results pages under ``/r/<code>``: no login, nothing personal.

- ``/r/<code>/`` the community's ballots that are open or decided (never drafts);
- ``/r/<code>/<ref>/`` one ballot: scope, roll totals, window; once published the figures,
  each test met or not, the outcome, the log checkpoint and the publicity period;
- ``/r/<code>/<ref>/board`` the counted ballots (trackers or unit numbers, by the ballot's
  disclosure mode; in tracker mode a search box finds one's tracker, ``?tracker=``);
  in named mode also the files to recount them (:mod:`fundvote.recount`): ``board.json``,
  ``board-q<N>.csv`` (``unit,choice``) and ``roll.csv`` (the frozen roll);
  ``/participation`` the units that took part, ``/objections`` the
  objections and the committee's answers, ``/notice.pdf`` the printable notice (公告);
- ``/r/<code>/<ref>/documents/<id>`` a ballot's documents once it has opened.

A ballot that is a draft, or belongs to another community, is a 404; results, board and
participation wait for publication (the page says so). Never a name, phone or owner ref.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from estate import api as estate
from estate.api import CommunityInfo
from fundvote.access import current_runtime, public
from fundvote.recount import board_csv, board_document, roll_csv
from fundvote.urls import public_url
from fundvote.web.ballots import send_document
from fundvote.web.log_tiles import notice_consistency
from fundvote.web.notice import notice_pdf
from voting import api as voting
from voting.api import (
    BallotInfo,
    BallotNotFound,
    Board,
    BoardRow,
    RecountRollWithheld,
    ResultsNotPublished,
    RollLine,
    parse_tracker,
)

bp = Blueprint("results", __name__, url_prefix="/r/<code>")

HIDDEN = ("draft",)


def public_community(code: str) -> CommunityInfo:
    """The community ``code``; 404 when there is none."""
    community = current_runtime().query(estate.find_community, code)
    if community is None:
        abort(404)
    return community


def public_ballot(code: str, ref: str) -> BallotInfo:
    """The ballot ``ref`` of community ``code`` as the public may see it: 404 when there is
    none, or it is a draft."""
    try:
        info = current_runtime().query(voting.ballot_in_community, code, ref)
    except BallotNotFound:
        abort(404)
    if info.status in HIDDEN:
        abort(404)
    return info


def _context(code: str, ref: str) -> dict[str, Any]:
    community = public_community(code)
    info = public_ballot(code, ref)
    return {"community": community, "ballot": info}


@bp.get("/")
@public
def index(code: str) -> str:
    community = public_community(code)
    items = [
        b for b in current_runtime().query(voting.list_ballots, code) if b.status not in HIDDEN
    ]
    return render_template("results/index.html", community=community, ballots=items)


@bp.get("/<ref>/")
@public
def ballot(code: str, ref: str) -> str:
    ctx = _context(code, ref)
    info: BallotInfo = ctx["ballot"]
    report = None
    if info.is_results_public:
        report = current_runtime().query(voting.get_tally, info.ref)
    return render_template(
        "results/ballot.html",
        report=report,
        consistency=notice_consistency(code, info.notice_tree_size, info.notice_root),
        now=current_runtime().clock.now(),
        page_url=public_url(url_for("results.ballot", code=code, ref=ref)),
        **ctx,
    )


@bp.get("/<ref>/board")
@public
def board(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    try:
        listing = current_runtime().query(voting.board, ctx["ballot"].ref)
    except ResultsNotPublished:
        listing = None
    searched = request.args.get("tracker", "")[:64]
    found: BoardRow | None = None
    tracker = parse_tracker(searched) if searched.strip() else None
    if listing is not None and tracker is not None:
        found = next((r for r in listing.rows if r.tracker == tracker), None)
    buildings: dict[str, str] = {}
    if listing is not None and listing.mode == "named":
        buildings = dict(current_runtime().query(estate.buildings_of, ctx["community"].id))
    return render_template(
        "results/board.html",
        board=listing,
        searched=searched.strip(),
        tracker=tracker,
        found=found,
        building_names=buildings,
        **ctx,
    ), (422 if listing is not None and searched.strip() and tracker is None else 200)


def _published_board(code: str, ref: str) -> Board:
    info = _context(code, ref)["ballot"]
    try:
        return current_runtime().query(voting.board, info.ref)
    except ResultsNotPublished:
        abort(404)


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def board_file_response(listing: Board, position: int) -> Response:
    """Question ``position``'s ballots as the ``unit,choice`` CSV download, for the page and
    the API alike; 404 when the board lists no units (tracker mode) or has no such question."""
    data = board_csv(listing, position)
    if data is None:
        abort(404)
    return _download(data, "text/csv", f"board-{listing.ballot.ref}-q{position}.csv")


def roll_file_response(ballot_ref: str, lines: Sequence[RollLine]) -> Response:
    """The frozen roll as the roll-format CSV download, for the page and the API alike."""
    return _download(roll_csv(lines), "text/csv", f"roll-{ballot_ref}.csv")


@bp.get("/<ref>/board.json")
@public
def board_json(code: str, ref: str) -> Response:
    """The board as JSON (the API's Board schema, with heads and, in named mode, areas)."""
    return jsonify(board_document(_published_board(code, ref)))


@bp.get("/<ref>/board-q<int:position>.csv")
@public
def board_file(code: str, ref: str, position: int) -> Response:
    """Question ``position``'s ballots as ``unit,choice`` (named mode only)."""
    return board_file_response(_published_board(code, ref), position)


@bp.get("/<ref>/roll.csv")
@public
def roll_file(code: str, ref: str) -> Response:
    """The ballot's frozen roll in the roll format (named mode only; opaque member keys)."""
    info = _context(code, ref)["ballot"]
    try:
        lines = current_runtime().query(voting.recount_roll, info.ref)
    except (ResultsNotPublished, RecountRollWithheld):
        abort(404)
    return roll_file_response(info.ref, lines)


@bp.get("/<ref>/participation")
@public
def participation(code: str, ref: str) -> str:
    ctx = _context(code, ref)
    try:
        units: tuple[str, ...] | None = current_runtime().query(
            voting.participation, ctx["ballot"].ref
        )
    except ResultsNotPublished:
        units = None
    return render_template("results/participation.html", units=units, **ctx)


@bp.get("/<ref>/objections")
@public
def objections(code: str, ref: str) -> str:
    ctx = _context(code, ref)
    items = current_runtime().query(voting.list_objections, ctx["ballot"].ref)
    return render_template("results/objections.html", objections=items, **ctx)


@bp.get("/<ref>/documents/<int:attachment_id>")
@public
def document(code: str, ref: str, attachment_id: int) -> ResponseReturnValue:
    return send_public_document(code, ref, attachment_id)


def send_public_document(code: str, ref: str, attachment_id: int) -> ResponseReturnValue:
    """A ballot's document for anyone, once the ballot has opened (a draft's, or one of a
    ballot cancelled before it opened, is a 404)."""
    info = public_ballot(code, ref)
    if info.status == "cancelled" and info.opened_at is None:
        abort(404)
    return send_document(info.ref, attachment_id)


@bp.get("/<ref>/notice.pdf")
@public
def notice(code: str, ref: str) -> Response:
    ctx = _context(code, ref)
    info: BallotInfo = ctx["ballot"]
    try:
        pdf = notice_pdf(ctx["community"], info)
    except ResultsNotPublished:
        abort(404)
    return notice_response(pdf, info.ref)


def notice_response(pdf: bytes, ref: str) -> Response:
    """The notice PDF as a response, shown in the browser (the page and the API send it
    alike)."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="notice-{ref}.pdf"'
    return response
