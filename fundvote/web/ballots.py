"""The committee's ballot pages under ``/c/<code>/ballots``.

Who may do what:

- every staff role of the community (committee, admin, manager, authority, auditor) reads:
  the list, a ballot, its documents, live turnout and the tally;
- the committee and the administrator act: create and edit drafts, attach documents, open,
  close, cancel, tally, publish, finalize, answer objections and annul.

Every action is a CSRF-protected POST that calls one service (one transaction) and redirects
back to the ballot with a message; a refused step shows the domain error in the user's
language. Times in forms are Asia/Shanghai local times; money is entered in yuan and
converted exactly to fen (no float).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from estate import api as estate
from estate.api import BadQuantity, CommunityInfo, format_hundredths, parse_hundredths
from fundvote.access import (
    current_runtime,
    current_staff,
    require_community,
    require_staff,
    staff,
)
from fundvote.drafts import DraftContent, save_draft
from fundvote.errors import status_for
from fundvote.inputs import MAX_FEN, MAX_YEAR, MIN_YEAR, parse_int, year_in_range
from fundvote.lifecycle import advance_ballot
from fundvote.roles import is_committee_of
from fundvote.web.ballot_labels import SHANGHAI, error_text, local_time
from fundvote.web.results_file import results_file
from fundvote.web.step_guide import MARK_LABELS, STEP_LABELS, GuideFacts, step_guide
from notary.api import DomainError
from voting import api as voting
from voting.api import (
    DISCLOSURE_MODES,
    FUNDING_SOURCES,
    IDENTITY_CHECKS,
    MATTER_KEYS,
    BallotInfo,
    BallotNotFound,
    QuestionDraft,
    ResultsNotPublished,
    UsePlan,
)

bp = Blueprint("ballots", __name__, url_prefix="/c/<code>/ballots")

ACTORS = ("committee", "admin")
MAX_UPLOAD = voting.MAX_ATTACHMENT_BYTES
MIN_QUESTION_SLOTS = 2
MAX_QUESTION_SLOTS = voting.MAX_QUESTIONS
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _may_act() -> bool:
    return require_staff().role in ACTORS


def _community(code: str) -> CommunityInfo:
    return require_community(code)


def _ballot(code: str, ref: str) -> BallotInfo:
    try:
        return current_runtime().query(voting.ballot_in_community, code, ref)
    except BallotNotFound:
        abort(404)


def _back(code: str, ref: str) -> ResponseReturnValue:
    return redirect(url_for("ballots.detail", code=code, ref=ref))


# --- list, detail ------------------------------------------------------------------------


@bp.get("/")
@staff()
def index(code: str) -> str:
    community = _community(code)
    items = current_runtime().query(voting.list_ballots, code)
    return render_template(
        "ballots/index.html", community=community, ballots=items, may_act=_may_act()
    )


def guide_facts(info: BallotInfo) -> GuideFacts:
    """The facts the step guide needs beyond the ballot's state: links, votes, paper entries
    to resolve (two aggregate reads; the paper list only while paper ballots are entered)."""
    rt = current_runtime()
    counts = rt.query(voting.link_counts, info.ref)
    to_resolve = 0
    if info.status in ("open", "closed"):
        entries = rt.query(voting.list_paper_entries, ballot_ref=info.ref)
        to_resolve = sum(1 for e in entries if e.status in ("mismatch", "conflict"))
    return GuideFacts(
        links_issued=counts.live + counts.revoked,
        votes_cast=counts.cast,
        members=counts.members,
        paper_to_resolve=to_resolve,
    )


@bp.get("/<ref>")
@staff()
def detail(code: str, ref: str) -> str:
    community = _community(code)
    info = _ballot(code, ref)
    rt = current_runtime()
    now = rt.clock.now()
    facts = guide_facts(info)
    return render_template(
        "ballots/detail.html",
        community=community,
        ballot=info,
        may_act=_may_act(),
        now=now,
        accepts_votes=voting.accepts_votes(info, now),
        guide=step_guide(info, facts, now),
        facts=facts,
        step_labels=STEP_LABELS,
        mark_labels=MARK_LABELS,
    )


# --- the draft form ----------------------------------------------------------------------


@dataclass
class DraftForm:
    """What the form holds, as text, so a refused form comes back as the user typed it."""

    title: str = ""
    description: str = ""
    opens_at: str = ""
    closes_at: str = ""
    scope_kind: str = "community"
    buildings: list[str] = field(default_factory=list)
    units: str = ""
    publicity_days: str = ""
    disclosure: str = "tracker"
    is_consultation: bool = False
    identity_check: str = "none"
    questions: list[dict[str, str]] = field(default_factory=list)


def _form_from_ballot(info: BallotInfo) -> DraftForm:
    qs = []
    for q in info.questions:
        row = {"matter": q.matter, "text": q.text}
        if q.use_plan is not None:
            row.update(
                repair=q.use_plan.repair,
                budget=format_hundredths(q.use_plan.budget_fen),
                emergency=q.use_plan.emergency,
            )
            for key in FUNDING_SOURCES:
                amount = q.use_plan.sources[key]
                row[f"src_{key}"] = format_hundredths(amount) if amount else ""
        qs.append(row)
    return DraftForm(
        title=info.title,
        description=info.description,
        opens_at=local_time(info.opens_at, LOCAL_FORMAT),
        closes_at=local_time(info.closes_at, LOCAL_FORMAT),
        scope_kind=info.scope_kind,
        buildings=list(info.scope_codes) if info.scope_kind == "buildings" else [],
        units=" ".join(info.scope_codes) if info.scope_kind == "units" else "",
        publicity_days=str(info.publicity_days) if info.has_own_publicity_days else "",
        disclosure=info.disclosure,
        is_consultation=info.is_consultation,
        identity_check=info.identity_check,
        questions=qs,
    )


def _form_from_request() -> DraftForm:
    f = request.form
    slots = parse_int(f.get("slots"), lo=0, hi=50) or 0
    questions = []
    for i in range(1, max(slots, 1) + 1):
        row = {"matter": f.get(f"q{i}_matter", "").strip(), "text": f.get(f"q{i}_text", "")}
        for name in ("repair", "budget", "emergency", *(f"src_{k}" for k in FUNDING_SOURCES)):
            row[name] = f.get(f"q{i}_{name}", "")
        questions.append(row)
    return DraftForm(
        title=f.get("title", "")[:400],
        description=f.get("description", "")[:20000],
        opens_at=f.get("opens_at", ""),
        closes_at=f.get("closes_at", ""),
        scope_kind=f.get("scope_kind", "community"),
        buildings=f.getlist("buildings"),
        units=f.get("units", "")[:5000],
        publicity_days=f.get("publicity_days", "").strip(),
        disclosure=f.get("disclosure", "tracker"),
        is_consultation=f.get("is_consultation") == "1",
        identity_check=f.get("identity_check", "none"),
        questions=questions,
    )


class FormProblem(Exception):
    """A field that could not be read; the message is already translated."""


def _local(text: str, label: str) -> datetime:
    try:
        naive = datetime.strptime(text.strip(), LOCAL_FORMAT) if text.isascii() else None
    except ValueError:
        naive = None
    if naive is None:
        raise FormProblem(_("%(field)s: enter a date and time.", field=label))
    if not year_in_range(naive):
        raise FormProblem(
            _(
                "%(field)s: enter a date in the years %(first)s to %(last)s.",
                field=label,
                first=MIN_YEAR,
                last=MAX_YEAR,
            )
        )
    return naive.replace(tzinfo=SHANGHAI)


def _fen(text: str, label: str, *, blank_is_zero: bool) -> int:
    cleaned = text.strip().replace("，", ",")  # a full-width comma is a thousands separator too
    if not cleaned and blank_is_zero:
        return 0
    try:
        fen = parse_hundredths(cleaned, grouping=True) if len(cleaned) <= 40 else None
    except BadQuantity:
        fen = None
    if fen is None:
        raise FormProblem(
            _("%(field)s: enter an amount in yuan with at most two decimals.", field=label)
        )
    if fen > MAX_FEN:
        raise FormProblem(
            _("%(field)s: at most %(limit)s yuan.", field=label, limit=format_hundredths(MAX_FEN))
        )
    return fen


class FieldProblems(dict[str, str]):
    """Every problem found in the draft form, by the id of the field it belongs to (in the
    form's order), each message already translated: the page shows them all at once."""

    def check(self, name: str, read: Callable[[], Any]) -> Any:
        """``read()``, or None after noting its ``FormProblem`` under field ``name``."""
        try:
            return read()
        except FormProblem as exc:
            self.setdefault(name, str(exc))
            return None


def _question_drafts(form: DraftForm, problems: FieldProblems) -> list[QuestionDraft]:
    out = []
    rows = [(i, r) for i, r in enumerate(form.questions, 1) if r["matter"] or r["text"].strip()]
    if not rows:
        problems.setdefault("q1_matter", _("A ballot needs at least one question."))
    for slot, row in rows:
        if row["matter"] not in MATTER_KEYS:
            problems[f"q{slot}_matter"] = _("Question %(n)s: choose its matter.", n=slot)
            continue
        if not row["text"].strip():
            problems[f"q{slot}_text"] = _("Question %(n)s: write the question.", n=slot)
        plan = None
        if row["matter"] == "fund_use":
            plan = _use_plan(slot, row, problems)
            if plan is None:
                continue
        out.append(QuestionDraft(row["matter"], row["text"], plan))
    return out


def _use_plan(slot: int, row: Mapping[str, str], problems: FieldProblems) -> UsePlan | None:
    """The question's use plan, or None after noting every problem at its field."""
    before = len(problems)
    label = _("Question %(n)s, funding source", n=slot)
    sources = {
        key: problems.check(
            f"q{slot}_src_{key}",
            partial(_fen, row.get(f"src_{key}", ""), label, blank_is_zero=True),
        )
        for key in FUNDING_SOURCES
    }
    budget = problems.check(
        f"q{slot}_budget",
        lambda: _fen(
            row.get("budget", ""), _("Question %(n)s, budget", n=slot), blank_is_zero=False
        ),
    )
    if not row.get("repair", "").strip():
        problems[f"q{slot}_repair"] = _(
            "Question %(n)s: say what repair the plan pays for.", n=slot
        )
    if len(problems) > before:
        return None
    clean = {k: v for k, v in sources.items() if v is not None}
    found = voting.use_plan_problems(row.get("repair", ""), budget, clean)
    if found:
        message, params = found[0]
        problems[f"q{slot}_budget"] = _(
            "Question %(n)s: %(problem)s", n=slot, problem=_(message, **params)
        )
        return None
    return UsePlan(
        repair=row.get("repair", ""),
        budget_fen=budget,
        sources=clean,
        emergency=row.get("emergency", ""),
    )


def _service_args(form: DraftForm) -> tuple[dict[str, Any], FieldProblems]:
    """The service's arguments read from the form, with every problem found in it (the
    service's own checks run only on a form without problems)."""
    problems = FieldProblems()
    if not form.title.strip():
        problems["title"] = _("Give the ballot a title.")
    opens_at = problems.check("opens_at", lambda: _local(form.opens_at, _("Voting opens")))
    closes_at = problems.check("closes_at", lambda: _local(form.closes_at, _("Voting closes")))
    if opens_at and closes_at and closes_at <= opens_at:
        problems["closes_at"] = _("Voting must close after it opens.")
    if form.scope_kind == "buildings":
        codes: list[str] = form.buildings
        if not codes:
            problems["scope"] = _("Choose at least one building for the scope.")
    elif form.scope_kind == "units":
        codes = form.units.replace(",", " ").replace("，", " ").replace("、", " ").split()
        if not codes:
            problems["units"] = _("Enter at least one unit code for the scope.")
    else:
        codes = []
    days = form.publicity_days
    publicity_days = parse_int(days, lo=0, hi=9999) if days else None
    if days and publicity_days is None:
        problems["publicity_days"] = _("Publicity period: enter a whole number of days.")
    questions = _question_drafts(form, problems)
    return {
        "title": form.title,
        "description": form.description,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "questions": questions,
        "scope_kind": form.scope_kind,
        "scope_codes": codes,
        "publicity_days": publicity_days,
        "disclosure": form.disclosure,
        "is_consultation": form.is_consultation,
        "identity_check": form.identity_check,
    }, problems


def _render_form(
    community: CommunityInfo,
    form: DraftForm,
    *,
    ballot: BallotInfo | None,
    error: str | None = None,
    problems: Mapping[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    buildings = current_runtime().query(estate.buildings_of, community.id)
    slots = min(max(len(form.questions) + 1, MIN_QUESTION_SLOTS), MAX_QUESTION_SLOTS)
    if request.form.get("more"):
        slots = min(slots + 2, MAX_QUESTION_SLOTS)
    while len(form.questions) < slots:
        form.questions.append({})
    html = render_template(
        "ballots/form.html",
        community=community,
        ballot=ballot,
        form=form,
        error=error,
        problems=problems or {},
        buildings=buildings,
        matters=MATTER_KEYS,
        sources=FUNDING_SOURCES,
        disclosures=DISCLOSURE_MODES,
        identity_checks=IDENTITY_CHECKS,
        default_days=community.publicity_days,
    )
    return html, status


def _save(
    community: CommunityInfo, ballot: BallotInfo | None, form: DraftForm
) -> ResponseReturnValue:
    if request.form.get("more"):
        return _render_form(community, form, ballot=ballot)
    rt = current_runtime()
    actor = require_staff().user_id
    args, problems = _service_args(form)
    if problems:
        return _render_form(community, form, ballot=ballot, problems=problems, status=422)
    try:
        info = save_draft(
            rt,
            community=community,
            ballot_ref=None if ballot is None else ballot.ref,
            content=DraftContent(**args),
            actor=actor,
        )
        if ballot is None:
            flash(_("The draft is saved. Check it, attach the documents, then open it."), "ok")
        else:
            flash(_("The draft is saved."), "ok")
    except DomainError as exc:
        return _render_form(
            community, form, ballot=ballot, error=error_text(exc), status=status_for(exc)
        )
    return _back(community.code, info.ref)


@bp.route("/new", methods=["GET", "POST"])
@staff(*ACTORS)
def new(code: str) -> ResponseReturnValue:
    community = _community(code)
    if request.method == "POST":
        return _save(community, None, _form_from_request())
    now = current_runtime().clock.now().astimezone(SHANGHAI)
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    form = DraftForm(
        opens_at=start.strftime(LOCAL_FORMAT),
        closes_at=(start + timedelta(days=14)).strftime(LOCAL_FORMAT),
    )
    return _render_form(community, form, ballot=None)


@bp.route("/<ref>/edit", methods=["GET", "POST"])
@staff(*ACTORS)
def edit(code: str, ref: str) -> ResponseReturnValue:
    community = _community(code)
    info = _ballot(code, ref)
    if info.status != "draft":
        flash(_("Only a draft can be changed. This ballot has opened."), "error")
        return _back(code, ref)
    if request.method == "POST":
        return _save(community, info, _form_from_request())
    return _render_form(community, _form_from_ballot(info), ballot=info)


# --- documents ---------------------------------------------------------------------------


@bp.post("/<ref>/documents")
@staff(*ACTORS)
def upload(code: str, ref: str) -> ResponseReturnValue:
    _community(code)
    info = _ballot(code, ref)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a file first."), "error")
        return _back(code, ref)
    data = file.stream.read(MAX_UPLOAD + 1)
    rt = current_runtime()
    try:
        rt.run(
            voting.add_attachment,
            ballot_ref=info.ref,
            filename=file.filename,
            content_type=file.mimetype or "application/octet-stream",
            data=data,
            actor=require_staff().user_id,
        )
        flash(_("The document is attached."), "ok")
    except DomainError as exc:
        flash(error_text(exc), "error")
    return _back(code, ref)


@bp.post("/<ref>/documents/<int:attachment_id>/delete")
@staff(*ACTORS)
def remove_document(code: str, ref: str, attachment_id: int) -> ResponseReturnValue:
    _community(code)
    info = _ballot(code, ref)
    rt = current_runtime()
    try:
        rt.run(
            voting.remove_attachment,
            ballot_ref=info.ref,
            attachment_id=attachment_id,
            actor=require_staff().user_id,
        )
        flash(_("The document is removed."), "ok")
    except DomainError as exc:
        flash(error_text(exc), "error")
    return _back(code, ref)


@bp.get("/<ref>/documents/<int:attachment_id>")
@staff()
def document(code: str, ref: str, attachment_id: int) -> ResponseReturnValue:
    _community(code)
    info = _ballot(code, ref)
    return send_document(info.ref, attachment_id)


def send_document(ref: str, attachment_id: int) -> ResponseReturnValue:
    """Send a ballot document as a download (never rendered inline: it is uploaded data)."""
    meta, data = current_runtime().query(voting.get_attachment, ref, attachment_id)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=meta.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Document-SHA256"] = meta.sha256
    return response


# --- lifecycle steps ---------------------------------------------------------------------


def _step_open(ref: str, actor: int) -> str:
    advance_ballot(current_runtime(), "open", ballot_ref=ref, actor=actor)
    return _("The ballot is open. The roll is frozen and its commitment is in the log.")


def _step_close(ref: str, actor: int) -> str:
    advance_ballot(current_runtime(), "close", ballot_ref=ref, actor=actor)
    return _("The ballot is closed. No more votes are accepted.")


def _step_cancel(ref: str, actor: int) -> str:
    reason = request.form.get("reason", "")[:2000]
    advance_ballot(current_runtime(), "cancel", ballot_ref=ref, actor=actor, reason=reason)
    return _("The ballot is cancelled.")


def _step_tally(ref: str, actor: int) -> str:
    advance_ballot(current_runtime(), "tally", ballot_ref=ref, actor=actor)
    return _("The votes are counted and the decisions are recorded in the log.")


def _step_publish(ref: str, actor: int) -> str:
    advance_ballot(current_runtime(), "publish", ballot_ref=ref, actor=actor)
    return _("The results are published. Print the notice and post it where owners see it.")


def _step_finalize(ref: str, actor: int) -> str:
    advance_ballot(current_runtime(), "finalize", ballot_ref=ref, actor=actor)
    return _("The result is final.")


def _step_annul(ref: str, actor: int) -> str:
    advance_ballot(
        current_runtime(),
        "annul",
        ballot_ref=ref,
        reason=request.form.get("reason", "")[:5000],
        actor=actor,
    )
    return _("The ballot is annulled. The reasons are published with the results.")


CONFIRMED_STEPS = ("open", "publish", "cancel")
"""Steps that cannot be undone and are asked for twice: the button leads to a confirmation
page (no JavaScript needed), whose form posts the step with ``confirmed=1``."""

CONFIRMABLE_FROM: Mapping[str, tuple[str, ...]] = {
    "open": ("draft",),
    "publish": ("tallied",),
    "cancel": ("draft", "open"),
}

STEPS: Mapping[str, Callable[[str, int], str]] = {
    "open": _step_open,
    "close": _step_close,
    "cancel": _step_cancel,
    "tally": _step_tally,
    "publish": _step_publish,
    "finalize": _step_finalize,
    "annul": _step_annul,
}


@bp.post("/<ref>/steps/<step>")
@staff(*ACTORS)
def step(code: str, ref: str, step: str) -> ResponseReturnValue:
    _community(code)
    info = _ballot(code, ref)
    action = STEPS.get(step)
    if action is None:
        abort(404)
    if step in CONFIRMED_STEPS and request.form.get("confirmed") != "1":
        return redirect(url_for("ballots.confirm", code=code, ref=ref, step=step), 303)
    try:
        flash(action(info.ref, require_staff().user_id), "ok")
    except DomainError as exc:
        flash(error_text(exc), "error")
    if step == "tally":
        return redirect(url_for("ballots.tally", code=code, ref=ref))
    return _back(code, ref)


@bp.get("/<ref>/confirm/<step>")
@staff(*ACTORS)
def confirm(code: str, ref: str, step: str) -> ResponseReturnValue:
    """The confirmation page of an irreversible step: what it does, and one button."""
    community = _community(code)
    info = _ballot(code, ref)
    if step not in CONFIRMED_STEPS:
        abort(404)
    if info.status not in CONFIRMABLE_FROM[step]:
        flash(_("This step is not possible in the ballot's present state."), "error")
        return _back(code, ref)
    return render_template(
        "ballots/confirm.html",
        community=community,
        ballot=info,
        step=step,
        facts=guide_facts(info),
    )


# --- turnout, tally, objections ----------------------------------------------------------


@bp.get("/<ref>/turnout")
@staff()
def turnout(code: str, ref: str) -> str:
    community = _community(code)
    info = _ballot(code, ref)
    figures = current_runtime().query(voting.turnout, info.ref)
    return render_template(
        "ballots/turnout.html",
        community=community,
        ballot=info,
        turnout=figures,
        now=current_runtime().clock.now(),
    )


@bp.get("/<ref>/tally")
@staff()
def tally(code: str, ref: str) -> str:
    community = _community(code)
    info = _ballot(code, ref)
    rt = current_runtime()
    report = rt.query(voting.get_tally, info.ref)
    try:
        board = rt.query(voting.board, info.ref, public=False)
    except ResultsNotPublished:
        board = None
    return render_template(
        "ballots/tally.html",
        community=community,
        ballot=info,
        report=report,
        board=board,
        may_act=_may_act(),
    )


@bp.get("/<ref>/results.csv")
@staff()
def results_csv(code: str, ref: str) -> ResponseReturnValue:
    """The recorded tally as a CSV file for the committee (404 before counting)."""
    return _results_download(code, ref, "csv")


@bp.get("/<ref>/results.xlsx")
@staff()
def results_xlsx(code: str, ref: str) -> ResponseReturnValue:
    """The recorded tally as an XLSX workbook for the committee (404 before counting)."""
    return _results_download(code, ref, "xlsx")


def _results_download(code: str, ref: str, fmt: str) -> ResponseReturnValue:
    _community(code)
    info = _ballot(code, ref)
    report = current_runtime().query(voting.get_tally, info.ref)
    if report is None:
        abort(404)
    mimetype = (
        "text/csv"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return send_file(
        io.BytesIO(results_file(report, fmt)),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"results-{info.ref}.{fmt}",
    )


@bp.get("/<ref>/objections")
@staff()
def objections(code: str, ref: str) -> str:
    community = _community(code)
    info = _ballot(code, ref)
    # Owners write phone and ID numbers in objections: only the community's committee reads
    # them as written; admins, managers, auditors and the authority see them masked.
    is_committee = is_committee_of(current_staff(), community.id)
    items = current_runtime().query(voting.list_objections, info.ref, original=is_committee)
    return render_template(
        "ballots/objections.html",
        is_original=is_committee,
        community=community,
        ballot=info,
        objections=items,
        may_act=_may_act(),
        now=current_runtime().clock.now(),
    )


@bp.post("/<ref>/objections/<int:objection_id>/answer")
@staff(*ACTORS)
def answer(code: str, ref: str, objection_id: int) -> ResponseReturnValue:
    _community(code)
    info = _ballot(code, ref)
    upheld = request.form.get("upheld")
    rt = current_runtime()
    if upheld not in ("yes", "no"):
        flash(_("Say whether the objection is upheld."), "error")
    else:
        try:
            rt.run(
                voting.answer_objection,
                ballot_ref=info.ref,
                objection_id=objection_id,
                answer=request.form.get("answer", "")[:6000],
                is_upheld=upheld == "yes",
                actor=require_staff().user_id,
            )
            flash(_("The answer is recorded and published."), "ok")
        except DomainError as exc:
            flash(error_text(exc), "error")
    return redirect(url_for("ballots.objections", code=code, ref=ref))
