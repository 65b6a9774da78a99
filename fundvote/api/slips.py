"""A ballot's printable slips in the JSON API: ``/api/v1/communities/<code>/ballots/<ref>/slips``.

As on the desk pages (:mod:`fundvote.web.slip_pages`): a slip job is started when links are
issued (the page always; the API's issue with ``"slips": true``) and rendered in the
background; readers (committee, admin, auditor, authority) list the jobs and their progress;
the committee and the administrator download a ready job (one PDF, or a ZIP of its parts) and
delete it. The slips carry the links, so download and delete are for those who issue them.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from marshmallow import Schema, fields

from estate.api import UndecryptableData
from fundvote.access import current_runtime, staff
from fundvote.api import API_PREFIX, ProblemSchema, file_download
from fundvote.api.common import ACTORS, ApiBlueprint, ballot_or_404
from fundvote.errors import refuse
from fundvote.web.slip_pages import READERS, slip_job_or_404, slips_file
from fundvote.web.slip_runner import ensure_rendering, slip_store
from fundvote.web.slip_store import JobGone, JobProgress

blp = ApiBlueprint(
    "api_slips",
    __name__,
    url_prefix=f"{API_PREFIX}/communities/<code>/ballots/<ref>/slips",
    description="Printable slips of issued links: progress, download, delete",
)

_DENIED = "Not logged in, or not allowed for this community"
_MISSING = "No such ballot, or no such slip job (expired or deleted)"


class SlipJobSchema(Schema):
    id = fields.String(required=True)
    state = fields.String(
        required=True, metadata={"description": "waiting, rendering, ready or failed"}
    )
    total = fields.Integer(required=True, metadata={"description": "Slips in the job"})
    done = fields.Integer(required=True, metadata={"description": "Slips rendered so far"})
    parts = fields.Integer(required=True, metadata={"description": "PDF files in the download"})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)


def _job_json(progress: JobProgress) -> dict[str, Any]:
    job = progress.job
    return {
        "id": job.id,
        "state": progress.state,
        "total": job.total,
        "done": progress.done,
        "parts": job.parts,
        "created_at": job.created_at,
        "expires_at": job.expires_at,
    }


@blp.route("", methods=["GET"])
@blp.response(200, SlipJobSchema(many=True))
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description=_MISSING)
@staff(*READERS)
def list_jobs(code: str, ref: str) -> list[dict[str, Any]]:
    """The ballot's slip jobs, oldest first, with their progress (a job whose renderer
    stopped is resumed, as looking at it on the desk does)."""
    info = ballot_or_404(code, ref)
    store = slip_store()
    store.purge_expired(current_runtime().clock.now())
    jobs = store.for_ballot(code, info.ref)
    return [_job_json(ensure_rendering(store, job)) for job in jobs]


@blp.route("/<job_id>/download", methods=["GET"])
@blp.response(200, description="The slips")
@blp.doc(
    responses=file_download(
        "application/pdf", "application/zip", description="One PDF, or a ZIP of PDF parts"
    )
)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description=_MISSING)
@blp.alt_response(409, schema=ProblemSchema, description="Not ready yet, or unreadable")
@staff(*ACTORS)
def download(code: str, ref: str, job_id: str) -> ResponseReturnValue:
    """Download a ready job's slips."""
    info = ballot_or_404(code, ref)
    store = slip_store()
    found = slip_job_or_404(store, code, info.ref, job_id)
    if store.progress(found).state != "ready":
        return refuse(409, gettext("The slips are not ready yet."))
    try:
        return slips_file(store, found)
    except JobGone:
        abort(404)
    except UndecryptableData:
        return refuse(
            409, gettext("The slips could not be read. Delete them and reissue the links.")
        )


@blp.route("/<job_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description=_MISSING)
@staff(*ACTORS)
def delete(code: str, ref: str, job_id: str) -> None:
    """Delete a slip job and its files (the links stay valid)."""
    info = ballot_or_404(code, ref)
    store = slip_store()
    store.delete(slip_job_or_404(store, code, info.ref, job_id))
