"""schemathesis against the API's own OpenAPI document, in process: for every operation a
bounded number of generated requests (valid and invalid), with a fixed seed, authenticated as
a committee member or an administrator (alternating), path parameters pointing at a real
community and ballot, and owner operations carrying a live link's token. Every response must
be no 5xx, have a documented status and content type, and match its documented schema.

Runs once, on SQLite: the PostgreSQL run skips it (the hostile-input tests in
``test_hostile_input.py`` cover the database-specific refusals on both databases).
"""

from __future__ import annotations

import os
from itertools import count
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, UserFactory
from tests.services.voting.owner_helpers import import_rows, issue_all, open_ballot, token_of

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("FUNDVOTE_TEST_DATABASE_URL")),
    reason="schemathesis runs once per CI run, in the SQLite run",
)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]


class Live:
    """What generated requests point at: the community, an open ballot, a live link, two
    bearer tokens."""

    def __init__(self, runtime: Runtime, make_user: UserFactory) -> None:
        import_rows(runtime, COMMUNITY_CODE)
        info = open_ballot(runtime, code=COMMUNITY_CODE)
        self.ref = info.ref
        self.token = token_of(issue_all(runtime, info.ref).links[0].url)
        self.bearers = [
            runtime.run(issue_token, username=make_user(role).username).secret
            for role in ("committee", "admin")
        ]
        self.turn = count()
        self.calls = 0

    def prepare(self, case: Any) -> dict[str, str]:
        if case.path_parameters is not None:
            if "code" in case.path_parameters:
                case.path_parameters["code"] = COMMUNITY_CODE
            if "ref" in case.path_parameters:
                case.path_parameters["ref"] = self.ref
        if isinstance(case.body, dict) and "token" in case.body and next(self.turn) % 2 == 0:
            case.body["token"] = self.token
        self.calls += 1
        return {"Authorization": f"Bearer {self.bearers[next(self.turn) % 2]}"}


@pytest.fixture
def live(runtime: Runtime, make_user: UserFactory, community: int) -> Live:
    return Live(runtime, make_user)


def has_invalid_requests(operation: Any) -> bool:
    """Whether the document allows an invalid request to the operation at all: one that
    takes only free-text path segments (any non-empty segment is valid) and no body, query
    or header has none, so only valid requests are generated for it."""
    if len(operation.body) or len(operation.query) or len(operation.headers):
        return True
    return any(p.definition["schema"].get("type") != "string" for p in operation.path_parameters)


EXAMPLES = 12
"""Generated requests per operation and mode (valid, invalid): about 800 requests in all."""


def test_api_conforms_to_its_openapi_document(app: Flask, live: Live) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    for operation in operations:
        modes = (
            list(GenerationMode) if has_invalid_requests(operation) else [GenerationMode.POSITIVE]
        )
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,  # a fixed seed: the same requests on every run
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                phases=[Phase.explicit, Phase.generate],
            )
            def run(case: Any) -> None:
                headers = live.prepare(case)
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure
                if mode is GenerationMode.NEGATIVE and "Unable to satisfy assumptions" in str(exc):
                    # No input can break the document (a public GET whose only parameters
                    # are free strings in the path): there is no negative case to send.
                    continue
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
    assert live.calls >= 10 * len(operations)  # the document was really exercised
