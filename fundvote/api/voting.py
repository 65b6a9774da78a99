"""Voting in the JSON API: owners' links, casting, receipts, paper ballots and proxies.

Staff operations live under ``/api/v1/communities/<code>/ballots/<ref>/...`` (bearer token;
reading: committee, admin, auditor, authority; acting: committee, admin). Owners' operations
are public and take the personal link's token in the request *body* (never in the URL, so it
stays out of logs): ``POST /api/v1/cast``, ``POST /api/v1/receipt``; anyone may check a
receipt with ``POST /api/v1/receipts/verify``.

Issuing returns the links in clear once; they are not stored and cannot be fetched again.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from estate.api import format_hundredths
from fundvote.access import current_runtime, public, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ACTORS, AREA, ApiBlueprint, ballot_or_404
from fundvote.api.fields import Id, Text
from fundvote.casting import cast_once
from fundvote.edge import embedded_json_problem
from fundvote.errors import refuse
from fundvote.roles import is_committee_of
from fundvote.urls import public_base_url
from fundvote.web.identity_code import send_identity_code
from fundvote.web.verify import pending_text
from fundvote.web.voting_desk import compose_message, outbox, send_reminders, start_slips
from voting.api import (
    CHOICES,
    MAX_RECEIPT_PDF_BYTES,
    PROBLEMS,
    IssuedLinks,
    PaperEntryInfo,
    ProxyPerson,
    Receipt,
    ReceiptCheck,
    check_receipt,
    confirm_identity,
    deliver_links,
    enter_paper_ballot,
    identity_confirmations,
    issue_links,
    issue_proxy_link,
    link_receipt,
    list_paper_entries,
    list_proxies,
    member_id_for_unit,
    receipt_from_pdf,
    record_proxy,
    reissue_link,
    revoke_proxy,
    verify_identity,
    void_paper_entry,
)

READERS = ("committee", "admin", "auditor", "authority")
SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hexadecimal digits")

blp = ApiBlueprint(
    "api_voting", __name__, url_prefix=API_PREFIX, description="Voting: links, casting, receipts"
)


# -- schemas --------------------------------------------------------------------------------


class LinkSchema(Schema):
    member_id = fields.Integer(required=True)
    member_key = fields.String(required=True)
    units = fields.List(fields.String(), required=True)
    holder = fields.String(required=True, metadata={"description": "Masked names (张*明)"})
    is_developer = fields.Boolean(required=True)
    area = fields.String(required=True, metadata=AREA)
    url = fields.String(required=True, metadata={"description": "The personal link, once"})


class DeliverySchema(Schema):
    sent = fields.Integer(required=True)
    failed_member_keys = fields.List(fields.String(), required=True)


class IssuedSchema(Schema):
    ballot = fields.String(required=True)
    links = fields.List(fields.Nested(LinkSchema), required=True)
    delivery = fields.Nested(DeliverySchema, allow_none=True)
    slip_job = fields.String(
        allow_none=True,
        metadata={"description": "The slip job printing these links (with slips: true)"},
    )


class RemindedSchema(Schema):
    ballot = fields.String(required=True)
    sent = fields.Integer(required=True, metadata={"description": "Messages handed to the outbox"})
    failed_member_keys = fields.List(
        fields.String(), required=True, metadata={"description": "Members not reached"}
    )


class IssueRequestSchema(Schema):
    members = fields.List(
        Id(),
        load_default=None,
        validate=validate.Length(max=100_000),
        metadata={"description": "Roll member ids; all members when absent"},
    )
    base_url = fields.Url(
        load_default=None,
        require_tld=False,
        validate=validate.Length(max=200),
        metadata={"description": "Where links point"},
    )
    send = fields.Boolean(
        load_default=False, metadata={"description": "Also send through the outbox"}
    )
    slips = fields.Boolean(
        load_default=False,
        metadata={"description": "Also start a job rendering printable slips (see .../slips)"},
    )


class ReissueRequestSchema(Schema):
    member_id = Id(load_default=None)
    unit = Text(
        load_default=None, max_length=64, metadata={"description": "Or a unit of the member"}
    )
    base_url = fields.Url(load_default=None, require_tld=False, validate=validate.Length(max=200))
    send = fields.Boolean(load_default=False)

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kw: Any) -> None:
        if (data.get("member_id") is None) == (not data.get("unit")):
            raise ValidationError("Give member_id or unit.", "member_id")


def _choices_field() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,2}$")),
        values=fields.String(validate=validate.OneOf(CHOICES)),
        required=True,
        metadata={"description": 'Question position -> choice, e.g. {"1": "agree"}'},
    )


class CastRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)
    choices = _choices_field()
    client_entropy = Text(load_default=None, max_length=512)
    for_member = Id(
        load_default=None, metadata={"description": "A member this link's member represents"}
    )


class ReceiptRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)
    for_member = Id(load_default=None)


class ReceiptQuestionSchema(Schema):
    position = fields.Integer(required=True)
    choice = fields.String(required=True)


class WeightsSchema(Schema):
    heads = fields.Integer(required=True)
    area = fields.String(required=True, metadata=AREA)


class ReceiptLogSchema(Schema):
    origin = fields.String(required=True)
    index = fields.Integer(required=True)
    leaf_hash = fields.String(required=True, metadata={"description": "hex"})


class SignatureSchema(Schema):
    key_id = fields.String(required=True)
    alg = fields.String(required=True)
    sig = fields.String(required=True, metadata={"description": "base64 Ed25519 signature"})


class ReceiptSchema(Schema):
    """A signed receipt; the signature covers the canonical JSON (RFC 8785) of every field
    but ``signature``."""

    v = fields.Integer(required=True)
    type = fields.String(required=True)
    community = fields.String(required=True)
    ballot = fields.String(required=True)
    questions = fields.List(fields.Nested(ReceiptQuestionSchema), required=True)
    tracker = fields.String(required=True)
    weights = fields.Nested(WeightsSchema, required=True)
    cast_at = fields.String(required=True)
    channel = fields.String(required=True)
    log = fields.Nested(ReceiptLogSchema, required=True)
    signature = fields.Nested(SignatureSchema, required=True)


class VerifyRequestSchema(Schema):
    receipt = fields.Raw(
        required=True, metadata={"description": "The receipt, as an object or as its JSON text"}
    )


class ReceiptPdfUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The receipt PDF"})


class CheckSchema(Schema):
    is_valid = fields.Boolean(required=True)
    is_signature_valid = fields.Boolean(required=True)
    is_entry_found = fields.Boolean(required=True)
    is_included = fields.Boolean(required=True)
    is_matching = fields.Boolean(required=True)
    problems = fields.List(fields.String(), required=True)
    messages = fields.List(fields.String(), required=True)
    community = fields.String(required=True)
    ballot = fields.String(required=True)
    tracker = fields.String(required=True)
    log_index = fields.Integer(required=True)
    checkpoint_size = fields.Integer(allow_none=True)
    checkpoint_root = fields.String(allow_none=True)
    checkpoint = fields.String(allow_none=True, metadata={"description": "Signed note"})
    inclusion_proof = fields.List(fields.String(), required=True)
    is_pending = fields.Boolean(
        required=True,
        metadata={"description": "Recorded in the log, not yet covered by a signed checkpoint"},
    )
    covered_by = fields.DateTime(
        allow_none=True, metadata={"description": "When the covering checkpoint is due (UTC)"}
    )
    notice = fields.String(required=True, metadata={"description": "Pending notice, or empty"})


class PaperRequestSchema(Schema):
    member_id = Id(load_default=None)
    unit = Text(load_default=None, max_length=64)
    choices = _choices_field()
    scan_sha256 = fields.String(required=True, validate=SHA256)

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kw: Any) -> None:
        if (data.get("member_id") is None) == (not data.get("unit")):
            raise ValidationError("Give member_id or unit.", "member_id")


class PaperOutcomeSchema(Schema):
    entry_id = fields.Integer(required=True)
    status = fields.String(required=True)
    receipt = fields.Nested(ReceiptSchema, allow_none=True)


class PaperEntrySchema(Schema):
    entry_id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    member_key = fields.String(required=True)
    units = fields.List(fields.String(), required=True)
    entered_by = fields.Integer(required=True)
    scan_sha256 = fields.String(required=True)
    choices = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    status = fields.String(required=True)
    note = fields.String(required=True)
    entered_at = fields.DateTime(required=True)


class VoidRequestSchema(Schema):
    note = Text(load_default="", max_length=500, multiline=True)


class ProxyRequestSchema(Schema):
    member_id = Id(load_default=None)
    unit = Text(load_default=None, max_length=64)
    acting_member_id = Id(load_default=None)
    acting_unit = Text(load_default=None, max_length=64)
    proxy_name = Text(
        load_default=None,
        max_length=200,
        metadata={"description": "Any natural person acting as proxy (instead of a member)"},
    )
    proxy_phone = Text(
        load_default=None, max_length=40, metadata={"description": "Stored encrypted"}
    )
    proxy_id_number = Text(
        load_default=None,
        max_length=64,
        metadata={"description": "Only its HMAC keyed with the data key is kept"},
    )
    authorization_sha256 = fields.String(required=True, validate=SHA256)

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kw: Any) -> None:
        if (data.get("member_id") is None) == (not data.get("unit")):
            raise ValidationError("Give member_id or unit.", "member_id")
        acting = data.get("acting_member_id") is not None or bool(data.get("acting_unit"))
        if acting == bool(data.get("proxy_name")):
            raise ValidationError(
                "Give acting_member_id, acting_unit or proxy_name (one).", "acting_member_id"
            )
        if data.get("acting_member_id") is not None and data.get("acting_unit"):
            raise ValidationError("Give acting_member_id or acting_unit.", "acting_member_id")


class ProxySchema(Schema):
    proxy_id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    member_key = fields.String(required=True)
    units = fields.List(fields.String(), required=True)
    acting_member_id = fields.Integer(required=True, allow_none=True)
    acting_member_key = fields.String(required=True, allow_none=True)
    acting_units = fields.List(fields.String(), required=True)
    acting_label = fields.String(
        required=True, metadata={"description": "Masked names of the proxy (张*明)"}
    )
    is_person = fields.Boolean(
        required=True, metadata={"description": "A natural person, not a member of the roll"}
    )
    has_phone = fields.Boolean(required=True)
    has_id_number = fields.Boolean(required=True)
    has_link = fields.Boolean(required=True, metadata={"description": "A live link of its own"})
    authorization_sha256 = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)
    is_used = fields.Boolean(required=True)


class ProxyLinkRequestSchema(Schema):
    base_url = fields.Url(load_default=None, require_tld=False, validate=validate.Length(max=200))


class IdentityCodeRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)


class IdentityCodeSentSchema(Schema):
    written = fields.Integer(
        required=True, metadata={"description": "Messages written to the outbox"}
    )


class IdentityRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)
    answer = Text(
        required=True,
        max_length=64,
        metadata={"description": "The SMS code, the last four characters, or a proxy's ID number"},
    )


class IdentityVerifiedSchema(Schema):
    is_verified = fields.Boolean(required=True)


class ConfirmationRequestSchema(Schema):
    member_id = Id(load_default=None)
    unit = Text(load_default=None, max_length=64)
    papers_checked = fields.Boolean(
        required=True,
        validate=validate.Equal(True),
        metadata={"description": "The caller checked the representative's papers in person"},
    )

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_kw: Any) -> None:
        if (data.get("member_id") is None) == (not data.get("unit")):
            raise ValidationError("Give member_id or unit.", "member_id")


class ConfirmationSchema(Schema):
    member_id = fields.Integer(required=True)
    member_key = fields.String(required=True)
    units = fields.List(fields.String(), required=True)
    confirmed_at = fields.DateTime(required=True)
    confirmed_by = fields.Integer(required=True)


# -- helpers --------------------------------------------------------------------------------


def _base_url(given: str | None) -> str:
    return (given or public_base_url()).rstrip("/")


def _issued_response(issued: IssuedLinks, send: bool, *, slip_job: str | None = None) -> Response:
    """The issued links as a 201 JSON response.

    ``_issued`` builds the body in ``IssuedSchema``'s shape from plain strings, integers and
    booleans, which the schema would dump unchanged (tests/http/test_voting_api.py checks it),
    so the body skips the marshmallow dump: for 48,000 links that dump cost more than issuing
    them. The schema still documents the response.
    """
    response = jsonify({**_issued(issued, send), "slip_job": slip_job})
    response.status_code = 201
    return response


def _issued(issued: IssuedLinks, send: bool) -> dict[str, Any]:
    delivery = None
    if send:
        rt = current_runtime()
        report = rt.query(
            deliver_links, issued=issued, cipher=rt.cipher, outbox=outbox(), compose=compose_message
        )
        delivery = {"sent": report.sent, "failed_member_keys": list(report.failed_member_keys)}
    return {
        "ballot": issued.ballot_ref,
        "links": [
            {
                "member_id": link.member_id,
                "member_key": link.member_key,
                "units": list(link.unit_codes),
                "holder": link.holder_label,
                "is_developer": link.is_developer,
                "area": format_hundredths(link.area_centi),
                "url": link.url,
            }
            for link in issued.links
        ],
        "delivery": delivery,
    }


def _member(ref: str, member_id: int | None, unit: str | None) -> int:
    if member_id is not None:
        return member_id
    return current_runtime().query(member_id_for_unit, ballot_ref=ref, unit_code=str(unit))


# -- staff: links ---------------------------------------------------------------------------


@blp.route("/communities/<code>/ballots/<ref>/links", methods=["POST"])
@blp.arguments(IssueRequestSchema)
@blp.response(201, IssuedSchema)
@blp.alt_response(409, schema=ProblemSchema, description="A member already has a live link")
@staff(*ACTORS)
def issue(args: dict[str, Any], code: str, ref: str) -> Response:
    """Issue one personal link per roll member (or per listed member), returned only now."""
    ballot_or_404(code, ref)
    rt = current_runtime()
    issued = rt.run(
        issue_links,
        ballot_ref=ref,
        base_url=_base_url(args["base_url"]),
        members=args["members"],
        actor=require_staff().user_id,
    )
    job = start_slips(issued, require_staff().user_id) if args["slips"] else None
    return _issued_response(issued, args["send"], slip_job=None if job is None else job.id)


@blp.route("/communities/<code>/ballots/<ref>/links/reissue", methods=["POST"])
@blp.arguments(ReissueRequestSchema)
@blp.response(201, IssuedSchema)
@blp.alt_response(409, schema=ProblemSchema, description="The ballot is final or annulled")
@staff(*ACTORS)
def reissue(args: dict[str, Any], code: str, ref: str) -> Response:
    """Revoke a member's link and issue a new one (returned only now). Not once the ballot
    is final, annulled or cancelled; a link reissued after the member voted shows only that
    the member voted."""
    ballot_or_404(code, ref)
    rt = current_runtime()
    issued = rt.run(
        reissue_link,
        ballot_ref=ref,
        member_id=_member(ref, args["member_id"], args["unit"]),
        base_url=_base_url(args["base_url"]),
        actor=require_staff().user_id,
    )
    return _issued_response(issued, args["send"])


@blp.route("/communities/<code>/ballots/<ref>/links/remind", methods=["POST"])
@blp.response(200, RemindedSchema)
@blp.alt_response(409, schema=ProblemSchema, description="The ballot does not take votes now")
@staff(*ACTORS)
def remind(code: str, ref: str) -> dict[str, Any]:
    """Send every member who has not voted (and has a phone on record) a new link through the
    outbox. The links already handed out stay valid until the member votes; the member's
    previous reminder link stops working. The links are not returned; the log records the
    count only."""
    ballot_or_404(code, ref)
    report = send_reminders(ref, require_staff().user_id)
    return {
        "ballot": ref,
        "sent": report.sent,
        "failed_member_keys": list(report.failed_member_keys),
    }


# -- owners: cast and receipt (public; the token is in the body) ------------------------------


@blp.route("/cast", methods=["POST"])
@blp.arguments(CastRequestSchema)
@blp.response(201, ReceiptSchema)
@blp.alt_response(409, schema=ProblemSchema, description="Already voted, or voting closed")
@blp.doc(security=[])
@public
def cast(args: dict[str, Any]) -> dict[str, Any]:
    """Cast the ballot of the personal link's member; returns the signed receipt. The same
    cast sent again (same link and choices, e.g. after a lost answer) returns the same
    receipt."""
    receipt = cast_once(
        current_runtime(),
        token=args["token"],
        choices=args["choices"],
        client_entropy=args["client_entropy"],
        for_member=args["for_member"],
    )
    return dict(receipt.data)


@blp.route("/receipt", methods=["POST"])
@blp.arguments(ReceiptRequestSchema)
@blp.response(200, ReceiptSchema)
@blp.alt_response(404, schema=ProblemSchema, description="Unknown link, or no ballot cast")
@blp.alt_response(
    403,
    schema=ProblemSchema,
    description="Identity check pending, or the link was issued after the vote was recorded",
)
@blp.doc(security=[])
@public
def receipt(args: dict[str, Any]) -> dict[str, Any]:
    """The signed receipt of the link's member (or of a member it represents), once the
    ballot's identity check (if any) passed; never through a link issued after the vote was
    recorded (``receipt-withheld``)."""
    found = current_runtime().query(
        link_receipt, token=args["token"], for_member=args["for_member"]
    )
    if found is None:
        abort(404)
    return dict(found.data)


@blp.route("/receipts/verify", methods=["POST"])
@blp.arguments(VerifyRequestSchema)
@blp.response(200, CheckSchema)
@blp.alt_response(422, schema=ProblemSchema, description="Not a receipt at all")
@blp.alt_response(404, schema=ProblemSchema, description="The receipt names no known community")
@blp.doc(security=[])
@public
def verify(args: dict[str, Any]) -> Any:
    """Check a receipt: signature, log entry, inclusion proof against a signed checkpoint,
    and that the log records the same ballot. Reads only: a receipt newer than the latest
    signed checkpoint is ``is_pending`` with the time that checkpoint is due."""
    rt = current_runtime()
    raw = args["receipt"]
    if not isinstance(raw, dict | str):
        abort(422)
    if isinstance(raw, str):
        problem = embedded_json_problem(raw)
        if problem is not None:
            return refuse(422, problem, errors={"json": {"receipt": [problem]}})
    return _check_json(rt.query(check_receipt, receipt_json=raw))


@blp.route("/receipts/verify/pdf", methods=["POST"])
@blp.arguments(ReceiptPdfUploadSchema, location="files")
@blp.response(200, CheckSchema)
@blp.alt_response(413, schema=ProblemSchema, description="Larger than a receipt PDF can be")
@blp.alt_response(
    422, schema=ProblemSchema, description="Not a PDF, or a PDF that holds no fundvote receipt"
)
@blp.alt_response(404, schema=ProblemSchema, description="The receipt names no known community")
@blp.doc(security=[])
@public
def verify_pdf(files: dict[str, Any]) -> Any:
    """Check the receipt carried by a receipt PDF (multipart field ``file``), as the verify
    page does with an uploaded PDF: the receipt is read from the file attached inside it, within
    bounded sizes, then checked like ``POST /receipts/verify``. Reads only."""
    upload = files["file"]
    data = upload.stream.read(MAX_RECEIPT_PDF_BYTES + 1)
    if len(data) > MAX_RECEIPT_PDF_BYTES:
        abort(413)
    text = receipt_from_pdf(data)  # MalformedReceipt (422) for anything but a receipt PDF
    problem = embedded_json_problem(text)
    if problem is not None:
        return refuse(422, problem, errors={"files": {"file": [problem]}})
    return _check_json(current_runtime().query(check_receipt, receipt_json=text))


def _check_json(result: ReceiptCheck) -> dict[str, Any]:
    return {
        "is_valid": result.is_valid,
        "is_signature_valid": result.is_signature_valid,
        "is_entry_found": result.is_entry_found,
        "is_included": result.is_included,
        "is_matching": result.is_matching,
        "problems": list(result.problems),
        "messages": [PROBLEMS[p] for p in result.problems],
        "community": result.community,
        "ballot": result.ballot,
        "tracker": result.tracker,
        "log_index": result.log_index,
        "checkpoint_size": result.checkpoint_size,
        "checkpoint_root": result.checkpoint_root,
        "checkpoint": result.checkpoint_note,
        "inclusion_proof": list(result.proof),
        "is_pending": result.is_pending,
        "covered_by": result.covered_by,
        "notice": pending_text(result),
    }


# -- staff: paper ballots -------------------------------------------------------------------


def _paper_entry_dict(e: PaperEntryInfo) -> dict[str, Any]:
    return {
        "entry_id": e.entry_id,
        "member_id": e.member_id,
        "member_key": e.member_key,
        "units": list(e.unit_codes),
        "entered_by": e.entered_by,
        "scan_sha256": e.scan_sha256,
        "choices": {str(k): v for k, v in e.choices.items()},
        "status": e.status,
        "note": e.note,
        "entered_at": e.entered_at,
    }


@blp.route("/communities/<code>/ballots/<ref>/paper", methods=["GET"])
@blp.response(200, PaperEntrySchema(many=True))
@staff(*READERS)
def paper_entries(code: str, ref: str) -> list[dict[str, Any]]:
    """Every paper-ballot entry of the ballot, newest first."""
    ballot_or_404(code, ref)
    return [
        _paper_entry_dict(e) for e in current_runtime().query(list_paper_entries, ballot_ref=ref)
    ]


@blp.route("/communities/<code>/ballots/<ref>/paper", methods=["POST"])
@blp.arguments(PaperRequestSchema)
@blp.response(201, PaperOutcomeSchema)
@blp.alt_response(
    403, schema=ProblemSchema, description="A confirming entry by someone not on the committee"
)
@staff(*ACTORS)
def paper_enter(args: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Key one paper ballot; it counts when a different committee member of the community
    keys the same (a confirming entry by anyone else is refused with 403)."""
    ballot_or_404(code, ref)
    community = require_community(code)
    rt = current_runtime()
    principal = require_staff()
    outcome = rt.run(
        enter_paper_ballot,
        ballot_ref=ref,
        member_id=_member(ref, args["member_id"], args["unit"]),
        choices=args["choices"],
        scan_sha256=args["scan_sha256"],
        entered_by=principal.user_id,
        is_committee=is_committee_of(principal, community.id),
    )
    found: Receipt | None = outcome.receipt
    return {
        "entry_id": outcome.entry_id,
        "status": outcome.status,
        "receipt": dict(found.data) if found is not None else None,
    }


@blp.route("/communities/<code>/ballots/<ref>/paper/<int:entry_id>/void", methods=["POST"])
@blp.arguments(VoidRequestSchema)
@blp.response(200, PaperEntrySchema)
@staff(*ACTORS)
def paper_void(args: dict[str, Any], code: str, ref: str, entry_id: int) -> dict[str, Any]:
    """Void a pending, mismatched or conflicting entry."""
    ballot_or_404(code, ref)
    rt = current_runtime()
    e = rt.run(
        void_paper_entry,
        ballot_ref=ref,
        entry_id=entry_id,
        voided_by=require_staff().user_id,
        note=args["note"],
    )
    return _paper_entry_dict(e)


# -- staff: proxies -------------------------------------------------------------------------


def _proxy_dict(p: Any) -> dict[str, Any]:
    return {
        "proxy_id": p.proxy_id,
        "member_id": p.member_id,
        "member_key": p.member_key,
        "units": list(p.member_units),
        "acting_member_id": p.acting_member_id,
        "acting_member_key": p.acting_member_key,
        "acting_units": list(p.acting_units),
        "acting_label": p.acting_label,
        "is_person": p.is_person,
        "has_phone": p.has_phone,
        "has_id_number": p.has_id_number,
        "has_link": p.has_link,
        "authorization_sha256": p.authorization_sha256,
        "recorded_at": p.recorded_at,
        "revoked_at": p.revoked_at,
        "is_used": p.is_used,
    }


@blp.route("/communities/<code>/ballots/<ref>/proxies", methods=["GET"])
@blp.response(200, ProxySchema(many=True))
@staff(*READERS)
def proxies(code: str, ref: str) -> list[dict[str, Any]]:
    """Every proxy of the ballot, live and revoked."""
    ballot_or_404(code, ref)
    return [_proxy_dict(p) for p in current_runtime().query(list_proxies, ballot_ref=ref)]


@blp.route("/communities/<code>/ballots/<ref>/proxies", methods=["POST"])
@blp.arguments(ProxyRequestSchema)
@blp.response(201, ProxySchema)
@staff(*ACTORS)
def proxy_record(args: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Record that a member of the roll, or any natural person (``proxy_name``, with phone and
    ID number), represents a member on this ballot."""
    ballot_or_404(code, ref)
    rt = current_runtime()
    is_person = bool(args["proxy_name"])
    info = rt.run(
        record_proxy,
        ballot_ref=ref,
        member_id=_member(ref, args["member_id"], args["unit"]),
        acting_member_id=(
            None if is_person else _member(ref, args["acting_member_id"], args["acting_unit"])
        ),
        person=(
            ProxyPerson(
                name=args["proxy_name"],
                phone=args["proxy_phone"] or "",
                id_number=args["proxy_id_number"] or "",
            )
            if is_person
            else None
        ),
        cipher=rt.cipher,
        authorization_sha256=args["authorization_sha256"],
        recorded_by=require_staff().user_id,
    )
    return _proxy_dict(info)


@blp.route("/communities/<code>/ballots/<ref>/proxies/<int:proxy_id>/link", methods=["POST"])
@blp.arguments(ProxyLinkRequestSchema)
@blp.response(201, IssuedSchema)
@blp.alt_response(404, schema=ProblemSchema, description="No such live proxy")
@blp.alt_response(422, schema=ProblemSchema, description="A member proxy uses their own link")
@staff(*ACTORS)
def proxy_link(args: dict[str, Any], code: str, ref: str, proxy_id: int) -> Response:
    """Issue (or reissue) a natural-person proxy's own link for the member it represents,
    returned only now."""
    ballot_or_404(code, ref)
    issued = current_runtime().run(
        issue_proxy_link,
        ballot_ref=ref,
        proxy_id=proxy_id,
        base_url=_base_url(args["base_url"]),
        actor=require_staff().user_id,
    )
    return _issued_response(issued, False)


# -- identity -------------------------------------------------------------------------------


@blp.route("/identity/code", methods=["POST"])
@blp.arguments(IdentityCodeRequestSchema)
@blp.response(202, IdentityCodeSentSchema)
@blp.alt_response(429, schema=ProblemSchema, description="Too many codes, or the link is locked")
@blp.alt_response(422, schema=ProblemSchema, description="No phone on record")
@blp.doc(security=[])
@public
def identity_code(args: dict[str, Any]) -> dict[str, Any]:
    """Send the link's one-time code (``sms_code`` ballots) to the phone on record; the
    message carries no link. At most three codes per link per hour."""
    report = send_identity_code(args["token"])
    return {"written": report.sent}


@blp.route("/identity", methods=["POST"])
@blp.arguments(IdentityRequestSchema)
@blp.response(200, IdentityVerifiedSchema)
@blp.alt_response(404, schema=ProblemSchema, description="Unknown or replaced link")
@blp.alt_response(422, schema=ProblemSchema, description="The answer does not match")
@blp.alt_response(429, schema=ProblemSchema, description="Locked after five wrong answers")
@blp.doc(security=[])
@public
def identity(args: dict[str, Any]) -> dict[str, Any]:
    """Pass the ballot's identity check for the link (the token is in the body)."""
    rt = current_runtime()
    rt.run(verify_identity, token=args["token"], digits=args["answer"], cipher=rt.cipher)
    return {"is_verified": True}


@blp.route("/communities/<code>/ballots/<ref>/identity-confirmations", methods=["GET"])
@blp.response(200, ConfirmationSchema(many=True))
@staff(*READERS)
def identity_confirmation_list(code: str, ref: str) -> list[dict[str, Any]]:
    """The links whose identity a committee member confirmed from the papers."""
    ballot_or_404(code, ref)
    return [
        _confirmation_dict(c)
        for c in current_runtime().query(identity_confirmations, ballot_ref=ref)
    ]


@blp.route("/communities/<code>/ballots/<ref>/identity-confirmations", methods=["POST"])
@blp.arguments(ConfirmationRequestSchema)
@blp.response(201, ConfirmationSchema)
@blp.alt_response(409, schema=ProblemSchema, description="A number is on record, or no live link")
@staff(*ACTORS)
def identity_confirmation(args: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Record that the caller checked, in person, the papers of the representative of a
    member with no phone or ID number on record; the member's live link then passes."""
    ballot_or_404(code, ref)
    rt = current_runtime()
    done = rt.run(
        confirm_identity,
        ballot_ref=ref,
        member_id=_member(ref, args["member_id"], args["unit"]),
        checked_by=require_staff().user_id,
        cipher=rt.cipher,
    )
    return _confirmation_dict(done)


def _confirmation_dict(c: Any) -> dict[str, Any]:
    return {
        "member_id": c.member_id,
        "member_key": c.member_key,
        "units": list(c.units),
        "confirmed_at": c.confirmed_at,
        "confirmed_by": c.confirmed_by,
    }


@blp.route("/communities/<code>/ballots/<ref>/proxies/<int:proxy_id>/revoke", methods=["POST"])
@blp.response(200, ProxySchema)
@staff(*ACTORS)
def proxy_revoke(code: str, ref: str, proxy_id: int) -> dict[str, Any]:
    """Revoke a live proxy that has not been used."""
    ballot_or_404(code, ref)
    rt = current_runtime()
    info = rt.run(
        revoke_proxy, ballot_ref=ref, proxy_id=proxy_id, revoked_by=require_staff().user_id
    )
    return _proxy_dict(info)
