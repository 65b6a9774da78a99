"""The desk pages of a slip job: progress, download, delete.

Routes under ``/c/<code>/ballots/<ref>/slips/<job id>`` (the links page lists a ballot's
jobs): the job page (readers: committee, admin, auditor, authority) shows "being prepared: n
of m", refreshing itself with ``<meta http-equiv="refresh">``, then the download button;
looking at it resumes a job whose renderer died. **Download** and **delete** are for the
committee and the administrator, as issuing is: the slips carry the links. A download is one
PDF when the job has one part, else a ZIP of its parts (stored, not compressed), streamed part
by part and decrypted in memory only.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from estate.api import UndecryptableData
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.web.slip_runner import ensure_rendering, slip_store
from fundvote.web.slip_store import JobGone, SlipJob, SlipJobStore
from voting import api as voting
from voting.api import BallotNotFound

bp = Blueprint("slip_jobs", __name__, url_prefix="/c/<code>/ballots/<ref>/slips")

READERS = ("committee", "admin", "auditor", "authority")
ACTORS = ("committee", "admin")
REFRESH_SECONDS = 5


@bp.get("/<job_id>")
@staff(*READERS)
def job(code: str, ref: str, job_id: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    store = slip_store()
    found = slip_job_or_404(store, code, ref, job_id)
    ensure_rendering(store, found)
    progress = store.progress(found)
    return render_template(
        "desk/slips_job.html",
        progress=progress,
        refresh=REFRESH_SECONDS if progress.state in ("waiting", "rendering") else None,
        **ctx,
    )


@bp.get("/<job_id>/download")
@staff(*ACTORS)
def download(code: str, ref: str, job_id: str) -> ResponseReturnValue:
    _context(code, ref)
    store = slip_store()
    found = slip_job_or_404(store, code, ref, job_id)
    if store.progress(found).state != "ready":
        flash(_("The slips are not ready yet."), "error")
        return redirect(url_for("slip_jobs.job", code=code, ref=ref, job_id=found.id), 303)
    try:
        return slips_file(store, found)
    except JobGone:
        abort(404)
    except UndecryptableData:  # altered on disk, or the data key was replaced
        flash(_("The slips could not be read. Delete them and reissue the links."), "error")
        return redirect(url_for("slip_jobs.job", code=code, ref=ref, job_id=found.id), 303)


def slips_file(store: SlipJobStore, job: SlipJob) -> Response:
    """A ready job's slips as a download (the desk page and the JSON API send it alike): one
    PDF when the job has one part, else a ZIP of its parts streamed part by part. Raises
    ``JobGone`` or ``UndecryptableData`` when a one-part job cannot be read."""
    if job.parts == 1:
        return send_file(
            io.BytesIO(store.read_part(job, 0)),
            mimetype="application/pdf",
            as_attachment=True,
            download_name=f"slips-{job.ballot_ref}.pdf",
        )
    response = Response(_zip_stream(store, job), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="slips-{job.ballot_ref}.zip"'
    return response


@bp.post("/<job_id>/delete")
@staff(*ACTORS)
def delete(code: str, ref: str, job_id: str) -> ResponseReturnValue:
    _context(code, ref)
    store = slip_store()
    store.delete(slip_job_or_404(store, code, ref, job_id))
    flash(_("The slips were deleted."), "ok")
    return redirect(url_for("voting_desk.links", code=code, ref=ref), 303)


def _context(code: str, ref: str) -> dict[str, Any]:
    community = require_community(code)
    try:
        info = current_runtime().query(voting.ballot_in_community, code, ref)
    except BallotNotFound:
        abort(404)
    return {"community": community, "ballot": info, "may_act": require_staff().role in ACTORS}


def slip_job_or_404(store: SlipJobStore, code: str, ref: str, job_id: str) -> SlipJob:
    """The job if it exists, has not expired and belongs to this ballot; 404 otherwise."""
    store.purge_expired(current_runtime().clock.now())
    found = store.get(job_id)
    if found is None or found.community_code != code or found.ballot_ref != ref:
        abort(404)
    return found


class _Sink:
    """A write-only stream that hands out what was written so far (for a streamed ZIP)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def _zip_stream(store: SlipJobStore, job: SlipJob) -> Iterator[bytes]:
    """The job's parts as a ZIP, one part in memory at a time. Stops short (a broken file the
    browser reports) if the job is deleted while downloading."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for index in range(job.parts):
            first, last = job.part_range(index)
            try:
                pdf = store.read_part(job, index)
            except (JobGone, UndecryptableData):
                return
            archive.writestr(f"slips-{job.ballot_ref}-{first:05d}-{last:05d}.pdf", pdf)
            del pdf
            yield sink.take()
    yield sink.take()
