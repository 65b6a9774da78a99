"""``/healthz``: 200 ``{"status": "ok"}`` when the database answers a trivial query, 503
``{"status": "unavailable"}`` (with ``Retry-After``) otherwise. Public; says nothing else."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from fundvote.access import current_runtime, public
from fundvote.health import database_answers

bp = Blueprint("health", __name__)
log = logging.getLogger("fundvote.web")

RETRY_AFTER_SECONDS = 5


@bp.get("/healthz")
@public
def healthz() -> Response:
    try:
        is_ok = current_runtime().query(database_answers)
    except Exception as exc:  # any failure to answer is "unavailable", never a 500
        log.warning("health check: database unavailable (%s)", type(exc).__name__)
        is_ok = False
    response = jsonify({"status": "ok" if is_ok else "unavailable"})
    if not is_ok:
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
