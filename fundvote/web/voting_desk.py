"""The committee's voting desk for one ballot: personal links, paper ballots, proxies.

Routes under ``/c/<code>/ballots/<ref>/`` (reading: committee, admin, auditor, authority;
acting: committee and admin, as on the ballot pages):

- ``links``: how many links are live and used, and the ballot's slip jobs; **issue** every
  link once: each member with a phone on record is sent the link through the outbox, and the
  response is a ZIP with ``links-<ref>.csv`` (units, masked owners, link) and ``README.txt``,
  which says where and until when the printable slips can be downloaded: they are rendered
  in the background (``fundvote.web.slip_runner``, pages in ``fundvote.web.slip_pages``), so
  the request stays short whatever the roll's size; **reissue** one member's link (by unit
  code): the new link is shown once.
- ``paper``: key a paper ballot with the scan's SHA-256 (upload the scan or type the hash);
  the list of entries, with mismatches and conflicts to resolve (void an entry).
- ``proxies``: record a proxy (another member, or any natural person with name, phone and ID
  number) with the authorization's SHA-256, issue a natural-person proxy their own link,
  revoke a proxy while unused.
- ``identity``: record that a committee member checked the papers of the representative of
  an owner with no phone or ID number on record, so that owner's link passes the check.

Links exist in clear only in the response that issues them, the outbox, and the slip job,
which keeps them encrypted until it is downloaded and deleted.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import zipfile
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, lazy_gettext
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from estate.api import CommunityInfo
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.auth import staff_names
from fundvote.roles import is_committee_of
from fundvote.urls import public_base_url, public_url
from fundvote.web.ballot_labels import error_text, local_time
from fundvote.web.pdf import qr_data_uri
from fundvote.web.slip_runner import ensure_rendering, slip_store, start_job
from fundvote.web.slip_store import SlipJob
from notary.api import N_, DomainError
from voting import api as voting
from voting.api import (
    REISSUE_STATUSES,
    BallotNotFound,
    DeliveryReport,
    IssuedLink,
    IssuedLinks,
    MissingDocument,
    Outbox,
    ProxyPerson,
    Sender,
    confirm_identity,
    deliver_links,
    enter_paper_ballot,
    identity_confirmations,
    issue_links,
    issue_proxy_link,
    links_csv,
    list_paper_entries,
    list_proxies,
    member_id_for_unit,
    record_proxy,
    reissue_link,
    remind_non_voters,
    revoke_proxy,
    sender_from_env,
    void_paper_entry,
)

bp = Blueprint("voting_desk", __name__, url_prefix="/c/<code>/ballots/<ref>")

READERS = ("committee", "admin", "auditor", "authority")
ACTORS = ("committee", "admin")
MAX_SCAN_BYTES = 20 * 1024 * 1024
SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
log = logging.getLogger(__name__)


def outbox() -> Outbox:
    """The outbox of this application (``app.extensions["fundvote_outbox"]`` if a test or the
    composition root set one, else the sender named by ``FUNDVOTE_OUTBOX``)."""
    sender: Sender | None = current_app.extensions.get("fundvote_outbox")
    if sender is None:
        sender = sender_from_env(os.environ, outbox_dir=current_runtime().settings.outbox_dir)
    return Outbox(sender)


def _context(code: str, ref: str) -> dict[str, Any]:
    community = require_community(code)
    try:
        info = current_runtime().query(voting.ballot_in_community, code, ref)
    except BallotNotFound:
        abort(404)
    return {
        "community": community,
        "ballot": info,
        "may_act": require_staff().role in ACTORS,
    }


def _back(endpoint: str, code: str, ref: str) -> ResponseReturnValue:
    return redirect(url_for(endpoint, code=code, ref=ref), 303)


# -- links ----------------------------------------------------------------------------------


@bp.get("/links")
@staff(*READERS)
def links(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    counts = current_runtime().query(voting.link_counts, ref)
    return render_template(
        "desk/links.html",
        members=counts.members,
        live=counts.live,
        revoked=counts.revoked,
        cast=counts.cast,
        slip_jobs=_slip_jobs(code, ref),
        reissue_statuses=REISSUE_STATUSES,
        now=current_runtime().clock.now(),
        **ctx,
    )


@bp.post("/links/issue")
@staff(*ACTORS)
def issue(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    rt = current_runtime()
    principal = require_staff()
    try:
        issued = rt.run(
            issue_links, ballot_ref=ref, base_url=public_base_url(), actor=principal.user_id
        )
    except DomainError as exc:
        flash(error_text(exc), "error")
        return _back("voting_desk.links", code, ref)
    report = _send(issued) if request.form.get("send", "1") == "1" else None
    csv_bytes = links_csv(
        issued,
        header=(_("units"), _("owners"), _("area (m²)"), _("link")),
        developer_label=_("The developer"),
    )
    job = start_slips(issued, principal.user_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"links-{ref}.csv", csv_bytes)
        archive.writestr("README.txt", _readme(issued, report, ctx["community"], job))
    buffer.seek(0)
    if job is not None:
        flash(_("The links were issued. The slips to print are being prepared."), "ok")
    return send_file(
        buffer,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"links-{ref}.zip",
    )


@bp.post("/links/reissue")
@staff(*ACTORS)
def reissue(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    rt = current_runtime()
    unit = request.form.get("unit", "").strip()[:64]
    try:
        member_id = rt.query(member_id_for_unit, ballot_ref=ref, unit_code=unit)
        issued = rt.run(
            reissue_link,
            ballot_ref=ref,
            member_id=member_id,
            base_url=public_base_url(),
            actor=require_staff().user_id,
        )
    except DomainError as exc:
        flash(error_text(exc), "error")
        return _back("voting_desk.links", code, ref)
    report = _send(issued) if request.form.get("send") == "1" else None
    return _new_link_page(issued, report, ctx)


def _new_link_page(
    issued: IssuedLinks, report: DeliveryReport | None, ctx: dict[str, Any]
) -> ResponseReturnValue:
    """The page that shows a link just issued (reissued or a proxy's), once, with its QR code."""
    link = issued.links[0]
    return render_template(
        "desk/reissued.html", link=link, qr=qr_data_uri(link.url, scale=5), report=report, **ctx
    )


@bp.post("/links/remind")
@staff(*ACTORS)
def remind(code: str, ref: str) -> ResponseReturnValue:
    """Send every member who has not voted a fresh link; their first links stay valid."""
    _context(code, ref)
    try:
        report = send_reminders(ref, require_staff().user_id)
    except DomainError as exc:
        flash(error_text(exc), "error")
    else:
        flash(
            _(
                "Reminders for %(sent)s phone(s) of members who have not voted were written "
                "to the outbox for delivery; %(failed)s could not be written. Their earlier "
                "links still work.",
                sent=report.sent,
                failed=len(report.failed_member_keys),
            ),
            "ok",
        )
    return _back("voting_desk.links", code, ref)


def send_reminders(ref: str, actor: int) -> DeliveryReport:
    """Remind the ballot's non-voters (one unit of work, logged with the count), then hand
    each reminder to the outbox: the use case the page and the JSON API share."""
    rt = current_runtime()
    issued = rt.run(remind_non_voters, ballot_ref=ref, base_url=public_base_url(), actor=actor)
    return rt.query(
        deliver_links, issued=issued, cipher=rt.cipher, outbox=outbox(), compose=compose_reminder
    )


def compose_reminder(issued: IssuedLinks, link: IssuedLink) -> tuple[str, str]:
    """The reminder's text message, in Chinese: a new link, and the old one still works; like
    the first message it names the community, says whether an identity check follows and
    carries the sender's 【signature】 (:func:`compose_message`)."""
    with force_locale("zh_Hans"):
        subject = _(
            "%(community)s: reminder to vote on “%(title)s”",
            community=issued.community_name,
            title=issued.ballot_title,
        )
        body = _(
            "%(community)s owners' vote “%(title)s”: units %(units)s have not voted yet. "
            "Vote with this link: %(url)s (a link you received earlier, or your printed "
            "slip, works too). %(check)s Voting closes at %(closes)s (Beijing time). Do not "
            "forward this link. Nobody will ask you for a password.",
            community=issued.community_name,
            title=issued.ballot_title,
            units=" ".join(link.unit_codes),
            url=link.url,
            check=_identity_sentence(issued),
            closes=local_time(issued.closes_at),
        )
    return subject, _signed(body)


def start_slips(issued: IssuedLinks, actor: int) -> SlipJob | None:
    """Start the slip job of the links just issued; None (and an error logged, without a
    link) if it cannot be stored: the links are in the CSV and the outbox all the same."""
    if not issued.links:
        return None
    try:
        return start_job(issued, created_by=actor)
    except OSError as error:
        log.error("slips for ballot %s could not be stored (%s)", issued.ballot_ref, error.strerror)
        return None


def _slip_jobs(code: str, ref: str) -> list[Any]:
    """The ballot's slip jobs with their progress, resuming any whose renderer died."""
    store = slip_store()
    store.purge_expired(current_runtime().clock.now())
    return [ensure_rendering(store, job) for job in store.for_ballot(code, ref)]


def compose_message(issued: IssuedLinks, link: IssuedLink) -> tuple[str, str]:
    """The text message with a member's link, in Chinese (what owners read): it names the
    community, says whether opening the link asks the owner to confirm who they are, and
    starts with the registered sender's 【signature】 when one is set
    (``FUNDVOTE_SMS_SIGNATURE``)."""
    with force_locale("zh_Hans"):
        subject = _(
            "%(community)s: vote on “%(title)s”",
            community=issued.community_name,
            title=issued.ballot_title,
        )
        body = _(
            "%(community)s owners' vote “%(title)s” for units %(units)s. Open your personal "
            "link to read the proposal and vote: %(url)s . %(check)s Voting closes at "
            "%(closes)s (Beijing time). Do not forward this link. Nobody will ask you for a "
            "password.",
            community=issued.community_name,
            title=issued.ballot_title,
            units=" ".join(link.unit_codes),
            url=link.url,
            check=_identity_sentence(issued),
            closes=local_time(issued.closes_at),
        )
    return subject, _signed(body)


def _identity_sentence(issued: IssuedLinks) -> str:
    """Whether opening the link asks the owner to confirm who they are (in the locale set)."""
    if issued.identity_check == "none":
        return _("No identity check follows: the link opens your ballot.")
    return _(
        "After opening the link you will be asked to confirm who you are before you see your "
        "ballot."
    )


def _signed(body: str) -> str:
    """``body`` after the registered SMS sender's 【signature】, when one is set."""
    signature = current_runtime().settings.sms_signature
    return f"【{signature}】{body}" if signature else body


def _send(issued: IssuedLinks) -> DeliveryReport:
    rt = current_runtime()
    return rt.query(
        deliver_links, issued=issued, cipher=rt.cipher, outbox=outbox(), compose=compose_message
    )


def _readme(
    issued: IssuedLinks,
    report: DeliveryReport | None,
    community: CommunityInfo,
    job: SlipJob | None,
) -> str:
    lines = [
        _(
            "Personal voting links for “%(title)s” (%(community)s).",
            title=issued.ballot_title,
            community=community.name,
        ),
        _(
            "%(count)s links. They are shown only this once: keep this file safe, print the "
            "slips, then delete the file.",
            count=len(issued.links),
        ),
    ]
    if job is not None:
        page = url_for(
            "slip_jobs.job", code=issued.community_code, ref=issued.ballot_ref, job_id=job.id
        )
        lines.append(
            _(
                "The slips to print (PDF) are being prepared. Download them from %(url)s "
                "(log in as a committee member) until %(until)s (Beijing time); they are "
                "deleted then.",
                url=public_url(page),
                until=local_time(job.expires_at),
            )
        )
    else:
        lines.append(
            _(
                "The slips to print could not be prepared: print the links from the CSV file, "
                "or reissue a member's link to show its QR code."
            )
        )
    lines += [
        _(
            "A lost link cannot be shown again: reissue it on the links page (the old one "
            "stops working)."
        ),
    ]
    if report is not None:
        lines.append(
            _(
                "Messages written to the outbox for delivery: %(sent)s; failed: %(failed)s.",
                sent=report.sent,
                failed=len(report.failed_member_keys),
            )
        )
    return "\r\n".join(lines) + "\r\n"


# -- paper ballots --------------------------------------------------------------------------


@bp.get("/paper")
@staff(*READERS)
def paper(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    entries = current_runtime().query(list_paper_entries, ballot_ref=ref)
    to_resolve = [e for e in entries if e.status in ("mismatch", "conflict")]
    principal = require_staff()
    return render_template(
        "desk/paper.html",
        entries=entries,
        to_resolve=to_resolve,
        me=principal.user_id,
        staff_names=current_runtime().query(staff_names, [e.entered_by for e in entries]),
        may_confirm=is_committee_of(principal, ctx["community"].id),
        paper_status_labels=PAPER_STATUS_LABELS,
        **ctx,
    )


@bp.post("/paper")
@staff(*ACTORS)
def paper_enter(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    rt = current_runtime()
    choices = {q.position: request.form.get(f"q{q.position}", "") for q in ctx["ballot"].questions}
    try:
        digest = _document_hash(request.files.get("scan"), request.form.get("scan_sha256", ""))
        member_id = rt.query(
            member_id_for_unit, ballot_ref=ref, unit_code=request.form.get("unit", "")[:64]
        )
        principal = require_staff()
        outcome = rt.run(
            enter_paper_ballot,
            ballot_ref=ref,
            member_id=member_id,
            choices=choices,
            scan_sha256=digest,
            entered_by=principal.user_id,
            is_committee=is_committee_of(principal, ctx["community"].id),
        )
    except DomainError as exc:
        flash(error_text(exc), "error")
        return _back("voting_desk.paper", code, ref)
    flash(
        PAPER_OUTCOMES.get(outcome.status, outcome.status),
        "error" if outcome.status in ("mismatch", "conflict") else "ok",
    )
    return _back("voting_desk.paper", code, ref)


@bp.post("/paper/<int:entry_id>/void")
@staff(*ACTORS)
def paper_void(code: str, ref: str, entry_id: int) -> ResponseReturnValue:
    _context(code, ref)
    rt = current_runtime()
    try:
        rt.run(
            void_paper_entry,
            ballot_ref=ref,
            entry_id=entry_id,
            voided_by=require_staff().user_id,
            note=request.form.get("note", "")[:500],
        )
    except DomainError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("The entry was voided."), "ok")
    return _back("voting_desk.paper", code, ref)


# -- proxies --------------------------------------------------------------------------------


@bp.get("/proxies")
@staff(*READERS)
def proxies(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    items = current_runtime().query(list_proxies, ballot_ref=ref)
    return render_template("desk/proxies.html", proxies=items, **ctx)


@bp.post("/proxies")
@staff(*ACTORS)
def proxy_record(code: str, ref: str) -> ResponseReturnValue:
    _context(code, ref)
    rt = current_runtime()
    form = request.form
    try:
        digest = _document_hash(
            request.files.get("authorization"), form.get("authorization_sha256", "")
        )
        member_id = rt.query(
            member_id_for_unit, ballot_ref=ref, unit_code=form.get("unit", "")[:64]
        )
        acting_id: int | None = None
        person: ProxyPerson | None = None
        if form.get("acting_unit", "").strip():
            acting_id = rt.query(
                member_id_for_unit, ballot_ref=ref, unit_code=form.get("acting_unit", "")[:64]
            )
        else:
            person = ProxyPerson(
                name=form.get("proxy_name", "")[:400],
                phone=form.get("proxy_phone", "")[:40],
                id_number=form.get("proxy_id_number", "")[:64],
            )
        rt.run(
            record_proxy,
            ballot_ref=ref,
            member_id=member_id,
            acting_member_id=acting_id,
            person=person,
            cipher=rt.cipher,
            authorization_sha256=digest,
            recorded_by=require_staff().user_id,
        )
    except DomainError as exc:
        flash(error_text(exc), "error")
    else:
        flash(
            _(
                "The proxy was recorded. The acting owner's link now offers the represented "
                "owner's ballot too."
            ),
            "ok",
        )
    return _back("voting_desk.proxies", code, ref)


@bp.post("/proxies/<int:proxy_id>/revoke")
@staff(*ACTORS)
def proxy_revoke(code: str, ref: str, proxy_id: int) -> ResponseReturnValue:
    _context(code, ref)
    rt = current_runtime()
    try:
        rt.run(revoke_proxy, ballot_ref=ref, proxy_id=proxy_id, revoked_by=require_staff().user_id)
    except DomainError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("The proxy was revoked."), "ok")
    return _back("voting_desk.proxies", code, ref)


@bp.post("/proxies/<int:proxy_id>/link")
@staff(*ACTORS)
def proxy_link(code: str, ref: str, proxy_id: int) -> ResponseReturnValue:
    """Issue (or reissue) a natural-person proxy's own link: shown once, with its QR code."""
    ctx = _context(code, ref)
    rt = current_runtime()
    try:
        issued = rt.run(
            issue_proxy_link,
            ballot_ref=ref,
            proxy_id=proxy_id,
            base_url=public_base_url(),
            actor=require_staff().user_id,
        )
    except DomainError as exc:
        flash(error_text(exc), "error")
        return _back("voting_desk.proxies", code, ref)
    return _new_link_page(issued, None, ctx)


# -- identity confirmed by the committee ------------------------------------------------------


@bp.get("/identity")
@staff(*READERS)
def identity(code: str, ref: str) -> ResponseReturnValue:
    ctx = _context(code, ref)
    items = current_runtime().query(identity_confirmations, ballot_ref=ref)
    return render_template("desk/identity.html", confirmations=items, **ctx)


@bp.post("/identity")
@staff(*ACTORS)
def identity_confirm(code: str, ref: str) -> ResponseReturnValue:
    _context(code, ref)
    rt = current_runtime()
    if request.form.get("papers_checked") != "1":
        flash(_("Tick the box to say that you checked the representative's papers."), "error")
        return _back("voting_desk.identity", code, ref)
    try:
        member_id = rt.query(
            member_id_for_unit, ballot_ref=ref, unit_code=request.form.get("unit", "")[:64]
        )
        rt.run(
            confirm_identity,
            ballot_ref=ref,
            member_id=member_id,
            checked_by=require_staff().user_id,
            cipher=rt.cipher,
        )
    except DomainError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("Recorded: the owner's link now passes the identity check."), "ok")
    return _back("voting_desk.identity", code, ref)


# -- helpers --------------------------------------------------------------------------------


def _document_hash(upload: FileStorage | None, typed: str) -> str:
    """SHA-256 hex of an uploaded file (read, hashed, never stored), else the typed hash."""
    if upload is not None and upload.filename:
        digest = hashlib.sha256()
        size = 0
        while chunk := upload.stream.read(64 * 1024):
            size += len(chunk)
            if size > MAX_SCAN_BYTES:
                abort(413)
            digest.update(chunk)
        return digest.hexdigest()
    typed = typed.strip().lower()
    if not typed:
        raise MissingDocument(N_("Upload the scanned document or type its SHA-256."))
    return typed


PAPER_STATUS_LABELS: Mapping[str, Any] = {
    "pending": lazy_gettext("waiting for the second entry"),
    "counted": lazy_gettext("counted"),
    "mismatch": lazy_gettext("entries differ"),
    "conflict": lazy_gettext("already voted"),
    "void": lazy_gettext("void"),
}
PAPER_OUTCOMES: Mapping[str, Any] = {
    "pending": lazy_gettext(
        "First entry saved. It counts once a different committee member enters the same form."
    ),
    "counted": lazy_gettext("Second entry matches: the paper ballot is counted."),
    "mismatch": lazy_gettext(
        "The entries do not match. Check the paper form and void the wrong entry."
    ),
    "conflict": lazy_gettext(
        "This owner has already voted: the paper form is not counted and is listed as a conflict."
    ),
}
