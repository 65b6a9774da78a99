"""Every web action has a JSON API twin in the OpenAPI document (issue 9, part 6).

How it works: the test walks the Flask ``url_map`` for every web endpoint (not under
``/api/``, not ``static``) that accepts POST, or that is a download by its address (a GET
whose last path segment is a file name such as ``export.csv`` or ``notice.pdf``, or is
``download``, or a ballot document ``documents/<id>``). Each must be a key of ``TWINS`` (its
API operations) or of ``NO_TWIN`` (with the reason it has none); an endpoint in neither fails
with its name. Every operation in ``TWINS`` must exist in the generated OpenAPI document
(``/api/openapi.json``) with its errors declared as ``application/problem+json``.

Extending it when you add a web action: add one row to ``TWINS``,
``"blueprint.endpoint": (("METHOD", "/api/v1/openapi/path/{param}"), ...)`` with the path
exactly as the OpenAPI document spells it (``{name}`` parameters). An endpoint that performs
several actions (``ballots.step``) lists one operation per action. ``NO_TWIN`` is only for
what manages the browser's own session or writes nothing; each row says why.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from fundvote.app import create_app
from fundvote.lifecycle import STEPS
from fundvote.runtime import Runtime
from tests.http.conftest import TEST_CONFIG

Operation = tuple[str, str]

_BALLOTS = "/api/v1/communities/{code}/ballots"
_BALLOT = _BALLOTS + "/{ref}"
_RESULTS = "/api/v1/results/{code}/ballots/{ref}"
_STAFF = "/api/v1/staff/{username}"
_LEDGER = "/api/v1/communities/{code}/ledger"

TWINS: dict[str, tuple[Operation, ...]] = {
    # staff accounts
    "auth.revoke_own_token": (("DELETE", "/api/v1/me/tokens/{token_id}"),),
    "auth.disable": (("POST", f"{_STAFF}/disable"),),
    "auth.enable": (("POST", f"{_STAFF}/enable"),),
    "auth.unlock": (("POST", f"{_STAFF}/unlock"),),
    "auth.reset_password": (("POST", f"{_STAFF}/password"),),
    "auth.revoke_token": (("DELETE", f"{_STAFF}/tokens/{{token_id}}"),),
    # the register
    "register.roll_import": (("POST", "/api/v1/communities/{code}/roll"),),
    "register.roll_export_csv": (("GET", "/api/v1/communities/{code}/roll"),),
    "register.roll_export_xlsx": (("GET", "/api/v1/communities/{code}/roll"),),
    # the ledger's legacy import
    "ledger_tools.legacy_import": (("POST", "/api/v1/communities/{code}/ledger/legacy-import"),),
    # community settings
    "community_settings.rules": (("PATCH", "/api/v1/communities/{code}/settings"),),
    "community_settings.fund_holder": (("PATCH", "/api/v1/communities/{code}/settings"),),
    # the fund's money in and public income
    "ledger_funds.deposit": (("POST", f"{_LEDGER}/deposits"),),
    "ledger_funds.deposit_import": (("POST", f"{_LEDGER}/deposits/import"),),
    "ledger_funds.interest": (("POST", f"{_LEDGER}/interest"),),
    "ledger_funds.shortfall_payment": (("POST", f"{_LEDGER}/shortfalls"),),
    "ledger_funds.reconciliation": (("POST", f"{_LEDGER}/reconciliation"),),
    "ledger_funds.public_income_record": (("POST", f"{_LEDGER}/public-income"),),
    "ledger_funds.public_income_transfer": (("POST", f"{_LEDGER}/public-income/transfers"),),
    # projects, emergency records, draws
    "projects.open_project": (("POST", "/api/v1/communities/{code}/projects"),),
    "projects.open_emergency_project": (("POST", "/api/v1/communities/{code}/projects"),),
    "projects.record_emergency": (("POST", "/api/v1/communities/{code}/emergencies"),),
    "projects.publish_emergency": (
        ("POST", "/api/v1/communities/{code}/emergencies/{ref}/publish"),
    ),
    "projects.funding": (("POST", "/api/v1/communities/{code}/projects/{ref}/funding"),),
    "projects.record_draw": (("POST", "/api/v1/communities/{code}/projects/{ref}/draws"),),
    "projects.approve_draw": (("POST", "/api/v1/communities/{code}/draws/{ref}/approve"),),
    "projects.reject_draw": (("POST", "/api/v1/communities/{code}/draws/{ref}/reject"),),
    "projects.report_csv": (("GET", "/api/v1/communities/{code}/projects/{ref}"),),
    # ballots: drafts, documents, lifecycle, objections
    "ballots.new": (("POST", _BALLOTS),),
    "ballots.edit": (("PUT", _BALLOT),),
    "ballots.upload": (("POST", f"{_BALLOT}/documents"),),
    "ballots.remove_document": (("DELETE", f"{_BALLOT}/documents/{{attachment_id}}"),),
    "ballots.document": (("GET", f"{_BALLOT}/documents/{{attachment_id}}"),),
    "ballots.step": tuple(("POST", f"{_BALLOT}/{step}") for step in STEPS),
    "ballots.answer": (("POST", f"{_BALLOT}/objections/{{objection_id}}/answer"),),
    "ballots.objections": (("GET", f"{_BALLOT}/objections"),),
    "ballots.results_csv": (("GET", f"{_BALLOT}/tally"),),
    "ballots.results_xlsx": (("GET", f"{_BALLOT}/tally"),),
    # the voting desk: links, slips, paper ballots, proxies
    "voting_desk.issue": (("POST", f"{_BALLOT}/links"),),
    "voting_desk.reissue": (("POST", f"{_BALLOT}/links/reissue"),),
    "voting_desk.remind": (("POST", f"{_BALLOT}/links/remind"),),
    "voting_desk.paper_enter": (("POST", f"{_BALLOT}/paper"),),
    "voting_desk.paper_void": (("POST", f"{_BALLOT}/paper/{{entry_id}}/void"),),
    "voting_desk.proxy_record": (("POST", f"{_BALLOT}/proxies"),),
    "voting_desk.proxy_revoke": (("POST", f"{_BALLOT}/proxies/{{proxy_id}}/revoke"),),
    "voting_desk.proxy_link": (("POST", f"{_BALLOT}/proxies/{{proxy_id}}/link"),),
    "voting_desk.identity_confirm": (("POST", f"{_BALLOT}/identity-confirmations"),),
    "slip_jobs.job": (("GET", f"{_BALLOT}/slips"),),
    "slip_jobs.download": (("GET", f"{_BALLOT}/slips/{{job_id}}/download"),),
    "slip_jobs.delete": (("DELETE", f"{_BALLOT}/slips/{{job_id}}"),),
    # owners' personal links (the token goes in the body)
    "owner.identity": (("POST", "/api/v1/identity"),),
    "owner.identity_code": (("POST", "/api/v1/identity/code"),),
    "owner.cast": (("POST", "/api/v1/cast"),),
    "owner.objection": (("POST", "/api/v1/objections"),),
    "owner.receipt_json": (("POST", "/api/v1/receipt"),),
    "owner.receipt_pdf": (("POST", "/api/v1/receipt/pdf"),),
    "owner.document": (("GET", f"{_RESULTS}/documents/{{attachment_id}}"),),
    # anyone
    "verify.check": (("POST", "/api/v1/receipts/verify"), ("POST", "/api/v1/receipts/verify/pdf")),
    "results.participation": (("GET", f"{_RESULTS}/participation"),),
    "results.objections": (("GET", f"{_RESULTS}/objections"),),
    "results.notice": (("GET", f"{_RESULTS}/notice"),),
    "results.document": (("GET", f"{_RESULTS}/documents/{{attachment_id}}"),),
    "results.board_json": (("GET", f"{_RESULTS}/board"),),
    "results.board_file": (("GET", f"{_RESULTS}/board/q{{position}}"),),
    "results.roll_file": (("GET", f"{_RESULTS}/roll"),),
    # the ledger's reports, publication and owners' statement links
    "ledger.download": (("GET", "/api/v1/communities/{code}/ledger/reports/{report}"),),
    "ledger.publish_report": (("POST", "/api/v1/communities/{code}/ledger/publications"),),
    "ledger.issue_statement_link": (("POST", "/api/v1/communities/{code}/ledger/statement-links"),),
    "ledger_public.published_pdf": (("GET", "/api/v1/results/{code}/ledger/{kind}/{period}"),),
    # audit bundles
    "audit.bundle": (
        ("GET", "/api/v1/communities/{code}/bundle"),
        ("POST", "/api/v1/communities/{code}/bundle"),
    ),
}
"""Web endpoint -> the API operations (method, OpenAPI path) that do what it does."""

NO_TWIN: dict[str, str] = {
    "auth.login": "opens the browser's login session; the API authenticates with bearer "
    "tokens (`fundvote user token`)",
    "auth.logout": "ends the browser's login session; tokens are revoked with "
    "DELETE /api/v1/me/tokens/{token_id}",
    "auth.change_password": "proves the current password and renews the browser's session; "
    "a bearer token alone must not be enough to take over the account's password",
    "owner.confirm": "writes nothing: the summary page the owner reads before casting "
    "(POST /api/v1/cast is the cast)",
    "ledger_owner.statement_download": "writes nothing: the owner's own unit statement by "
    "their statement link, for the offline verifier; staff read the same statement as "
    "GET /api/v1/communities/{code}/ledger/reports/unit-statement",
}
"""Web endpoints that are actions by their method but have no API twin, and why."""

_FILE_SEGMENT = re.compile(r"\.(csv|xlsx|pdf|json|zip)$")


def _is_download(rule: str) -> bool:
    last = rule.rstrip("/").rsplit("/", 1)[-1]
    return (
        bool(_FILE_SEGMENT.search(last))
        or last == "download"
        or rule.endswith("/documents/<int:attachment_id>")
    )


def web_actions(app: Flask) -> dict[str, str]:
    """Every web endpoint that is an action: accepts POST, or is a download (name -> rule)."""
    found: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        methods = rule.methods or set()
        if "POST" in methods or ("GET" in methods and _is_download(rule.rule)):
            found[rule.endpoint] = rule.rule
    return found


def _document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.get_json()
    return doc


def test_every_web_action_has_an_api_twin_or_a_reason(app: Flask) -> None:
    actions = web_actions(app)
    assert {"ballots.step", "owner.cast", "register.roll_export_csv"} <= set(actions)
    unmapped = sorted(name for name in actions if name not in TWINS and name not in NO_TWIN)
    assert not unmapped, f"web actions without an API twin in TWINS: {', '.join(unmapped)}"


def test_the_table_names_only_real_endpoints(app: Flask) -> None:
    stale = sorted((set(TWINS) | set(NO_TWIN)) - set(app.view_functions))
    assert not stale, f"no such web endpoint: {', '.join(stale)}"
    assert not set(TWINS) & set(NO_TWIN)


def test_every_twin_is_in_the_openapi_document_with_problem_errors(app: Flask) -> None:
    paths = _document(app)["paths"]
    missing: list[str] = []
    undeclared: list[str] = []
    for endpoint, operations in sorted(TWINS.items()):
        assert operations, endpoint
        for method, path in operations:
            operation = paths.get(path, {}).get(method.lower())
            if operation is None:
                missing.append(f"{endpoint} -> {method} {path}")
                continue
            errors = {
                status: response
                for status, response in operation["responses"].items()
                if status == "default" or str(status)[0] in "45"
            }
            assert "default" in errors, f"{method} {path}"
            for status, response in errors.items():
                content = response.get("content")
                if content is None and "$ref" in response:
                    continue  # a shared response, rewritten to problem+json as a whole
                if content is None or set(content) != {"application/problem+json"}:
                    undeclared.append(f"{method} {path} {status}")
    assert not missing, "API twins missing from the OpenAPI document:\n" + "\n".join(missing)
    assert not undeclared, "errors not declared as problem+json:\n" + "\n".join(undeclared)


def test_every_lifecycle_step_of_the_page_has_its_operation() -> None:
    from fundvote.web.ballots import STEPS as PAGE_STEPS

    mapped = {path.rsplit("/", 1)[-1] for _method, path in TWINS["ballots.step"]}
    assert set(PAGE_STEPS) == mapped == set(STEPS)


def test_the_walk_fails_an_action_left_out(runtime: Runtime) -> None:
    """The check itself can fail: a POST endpoint added without a row is reported by name.
    (On an app of its own: the route added here must not reach the shared one.)"""
    app = create_app(dict(TEST_CONFIG), runtime=runtime)

    @app.post("/c/<code>/something-new")
    def something_new(code: str) -> str:
        return code

    actions = web_actions(app)
    assert "something_new" in actions
    assert "something_new" not in TWINS and "something_new" not in NO_TWIN
