"""Hostile input at every route: no value in a path, a query, a form or a JSON body gives a
5xx. Runs on both databases (PostgreSQL refuses NUL bytes and over-long values that SQLite
stores, so both must be covered).

Each route of the application is called with hostile values (Unicode digits, integers beyond
2^63 and 2^53, NUL bytes, over-long strings, extreme dates, deep JSON, lone surrogates) in each
place a value can arrive; one value is replaced at a time in an otherwise valid request, so the
value reaches the code that reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from fundvote.auth import issue_token
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, PASSWORD, UserFactory, csrf_token
from tests.services.voting.owner_helpers import import_rows, issue_all, open_ballot, token_of

HUGE = str(2**63)
HUGER = "9" * 40
SCALARS: tuple[str, ...] = (
    "²",
    "١٢",
    HUGE,
    HUGER,
    str(2**53 + 1),
    "1e400",
    "a\x00b",
    "x" * 5000,
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "\r\nX-Injected: 1",
    "‮",
)
PATH_VALUES: tuple[str, ...] = ("²", "١", HUGE, "a%00b", "x" * 600, "%0d%0a")

FORM_FIELDS = [
    "title",
    "description",
    "opens_at",
    "closes_at",
    "scope_kind",
    "buildings",
    "units",
    "publicity_days",
    "disclosure",
    "is_consultation",
    "identity_check",
    "slots",
    "q1_matter",
    "q1_text",
    "q1_repair",
    "q1_budget",
    "q1_emergency",
    "q1_src_maintenance_fund",
    "q1_src_subsidy",
    "more",
    "reason",
    "upheld",
    "answer",
    "for",
    "digits",
    "client_entropy",
    "text",
    "receipt",
    "send",
    "unit",
    "acting_unit",
    "note",
    "scan_sha256",
    "authorization_sha256",
    "q1",
    "q2",
    "username",
    "password",
    "next",
    "page",
    "per_page",
    "q",
    "building",
    "developer",
    "format",
    "lang",
]


def _valid_draft() -> dict[str, str]:
    return {
        "title": "电梯",
        "description": "d",
        "opens_at": "2026-11-02T10:00",
        "closes_at": "2026-11-09T10:00",
        "scope_kind": "community",
        "publicity_days": "7",
        "disclosure": "tracker",
        "identity_check": "none",
        "slots": "1",
        "q1_matter": "fund_use",
        "q1_text": "同意?",
        "q1_repair": "电梯",
        "q1_budget": "100.00",
        "q1_src_maintenance_fund": "100.00",
    }


class World:
    """One community with a roll, an open ballot with live links, staff users and tokens."""

    def __init__(self, app: Flask, runtime: Runtime, make_user: UserFactory) -> None:
        import_rows(runtime, COMMUNITY_CODE)
        info = open_ballot(runtime, code=COMMUNITY_CODE)
        self.ref = info.ref
        self.token = token_of(issue_all(runtime, info.ref).links[0].url)
        committee = make_user("committee")
        admin = make_user("admin")
        self.bearer = {
            "committee": runtime.run(issue_token, username=committee.username).secret,
            "admin": runtime.run(issue_token, username=admin.username).secret,
        }
        self.client = app.test_client()
        self.client.set_cookie("lang", "en")
        response = self.client.post(
            "/login",
            data={
                "username": committee.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(self.client),
            },
        )
        assert response.status_code == 302
        self.csrf = csrf_token(self.client)
        self.app = app

    def params(self) -> dict[str, str]:
        return {
            "code": COMMUNITY_CODE,
            "ref": self.ref,
            "token": self.token,
            "unit_code": "1-101",
            "attachment_id": "1",
            "position": "1",
            "objection_id": "1",
            "entry_id": "1",
            "proxy_id": "1",
            "job_id": "abc",
            "token_id": "1",
            "username": "nobody",
            "step": "close",
            "filename": "fundvote.css",
            "number": "1",
            "report": "trial-balance",
            "kind": "fund_disclosure",
            "period": "2025",
            "fmt": "csv",
            "n": "1",
            "keyid": "00000000",
        }

    def rules(self) -> Iterator[tuple[str, str, list[str]]]:
        for rule in self.app.url_map.iter_rules():
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule.rule, method, list(rule.arguments)

    def url(self, rule: str, **override: str) -> str:
        values = {**self.params(), **override}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1).split(":")[-1]
            return values[name]

        return re.sub(r"<([^>]+)>", fill, rule)

    def call(self, method: str, url: str, **kwargs: Any) -> int:
        headers = dict(kwargs.pop("headers", {}) or {})
        if url.startswith("/api/"):
            headers.setdefault("Authorization", f"Bearer {self.bearer['committee']}")
        elif method == "POST" and "data" in kwargs and isinstance(kwargs["data"], dict):
            kwargs["data"].setdefault("csrf_token", self.csrf)
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        response.close()
        return response.status_code


@pytest.fixture
def world(app: Flask, runtime: Runtime, make_user: UserFactory, community: int) -> World:
    return World(app, runtime, make_user)


def _failures(results: list[tuple[int, str]]) -> list[str]:
    return [f"{status} {what}" for status, what in results if status >= 500]


def test_hostile_path_segments(world: World) -> None:
    results = []
    for rule, method, args in world.rules():
        for arg in args:
            for value in PATH_VALUES:
                url = world.url(rule, **{arg: value})
                data = {} if method == "POST" else None
                status = world.call(method, url, data=data)
                results.append((status, f"{method} {url[:120]}"))
    assert _failures(results) == []


def test_hostile_query_and_form_values(world: World) -> None:
    results = []
    for rule, method, _args in world.rules():
        url = world.url(rule)
        for value in SCALARS:
            if method == "GET":
                query = "&".join(f"{name}={quote(value)}" for name in FORM_FIELDS)
                status = world.call("GET", f"{url}?{query}")
                results.append((status, f"GET {url}?*={value[:20]!r}"))
                continue
            if url.startswith("/api/"):
                continue
            if url.endswith(("/new", "/edit")):
                # The draft form: one hostile field at a time in an otherwise valid draft.
                for name in FORM_FIELDS:
                    status = world.call("POST", url, data={**_valid_draft(), name: value})
                    results.append((status, f"POST {url} {name}={value[:20]!r}"))
            else:
                form = dict.fromkeys(FORM_FIELDS, value)
                status = world.call("POST", url, data=form)
                results.append((status, f"POST {url} *={value[:20]!r}"))
    assert _failures(results) == []


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _json_bodies() -> Iterator[tuple[str, Any]]:
    """Raw JSON texts: hostile in shape (deep, surrogates) or in one field's value."""
    yield "deep list", _deep(10_000)
    yield "deep object", '{"a":' * 10_000 + "1" + "}" * 10_000
    yield "lone surrogate", '{"token": "\\ud800", "title": "\\udfff"}'
    yield "not json", "{"
    yield "nan", '{"receipt": NaN}'
    yield "huge number", '{"members": [1' + "0" * 400 + "]}"
    yield "float exponent", '{"member_id": 1e400}'


FIELD_VALUES: tuple[Any, ...] = (
    2**63,
    2**64 + 7,
    -(2**63) - 1,
    2**53 + 1,
    10**30,
    -1,
    0,
    1.5,
    "²",
    "١",
    "\x00",
    "a" * 100_000,
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-14:00",
    True,
    None,
    [],
    {},
)

API_BODIES: dict[str, dict[str, Any]] = {
    "ballots": {
        "title": "t",
        "description": "d",
        "opens_at": "2026-11-02T10:00:00+08:00",
        "closes_at": "2026-11-09T10:00:00+08:00",
        "questions": [
            {
                "matter": "fund_use",
                "text": "q",
                "use_plan": {
                    "repair": "r",
                    "budget_fen": 100,
                    "sources": {"maintenance_fund": 100},
                    "emergency": "",
                },
            }
        ],
        "scope_kind": "community",
        "scope_codes": [],
        "publicity_days": 7,
    },
    "links": {"members": [1], "base_url": "https://x.example", "send": False},
    "reissue": {"member_id": 1, "base_url": "https://x.example"},
    "cast": {"token": "t" * 32, "choices": {"1": "agree"}, "for_member": 1, "client_entropy": "e"},
    "receipt": {"token": "t" * 32, "for_member": 1},
    "verify": {"receipt": {"v": 1}},
    "paper": {"member_id": 1, "choices": {"1": "agree"}, "scan_sha256": "a" * 64},
    "void": {"note": "n"},
    "proxies": {"member_id": 1, "acting_member_id": 2, "authorization_sha256": "a" * 64},
    "cancel": {"reason": "r"},
    "annul": {"reason": "r"},
}


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    yield path


def _replaced(body: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(body))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return copy


def _api_body_for(url: str) -> dict[str, Any] | None:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    if url.endswith(f"/ballots/{tail}") and tail != "ballots":
        return None
    for key, body in API_BODIES.items():
        if tail == key or (key == "verify" and tail == "verify"):
            return body
    return None


def test_hostile_json_bodies(world: World) -> None:
    results = []
    for rule, method, _args in world.rules():
        if not rule.startswith("/api/v1") or method != "POST":
            continue
        url = world.url(rule)
        for name, raw in _json_bodies():
            status = world.call("POST", url, data=raw, content_type="application/json")
            results.append((status, f"POST {url} {name}"))
        body = _api_body_for(url)
        if body is None:
            continue
        for path in _leaves(body):
            for value in FIELD_VALUES:
                sent = _replaced(body, path, value)
                for who in ("committee",):
                    status = world.call(
                        "POST",
                        url,
                        json=sent,
                        headers={"Authorization": f"Bearer {world.bearer[who]}"},
                    )
                    results.append((status, f"POST {url} {path}={str(value)[:30]!r} as {who}"))
    assert _failures(results) == []
