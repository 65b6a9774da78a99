"""The edge of the web application: checks that run on every request before any view, so that
no value from outside reaches a view, a service or the database in a shape they cannot handle.

- ``<int:...>`` in a URL accepts 1 to 19 ASCII digits from 1 to 2^63 - 1 only; anything else
  is no match (404), never an overflow in the database.
- A path with a control character (NUL, CR, LF, ...) is a 404; a query or form value with one
  (TAB, CR and LF are allowed in form values), or with a lone surrogate, is a 400 naming the
  field.
- Bodies are bounded: JSON and plain forms to :data:`MAX_JSON_BYTES`, uploads to the
  application's ``MAX_CONTENT_LENGTH`` (413 beyond).
- A JSON body is checked before any view parses it: nesting deeper than
  :data:`fundvote.inputs.MAX_JSON_DEPTH` or a text that is not JSON is a 400; a key or string
  with a lone surrogate or a control character, an integer beyond ±(2^63 - 1) or a non-finite
  number is a 422 naming the field (``errors: {"json": {"<dotted.path>": [...]}}``).

Field-by-field ranges and lengths are the API schemas' (:mod:`fundvote.api.fields`) and the
forms' (:func:`fundvote.inputs.parse_int`); these checks are the floor under all of them.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

from fundvote.inputs import (
    MAX_ID,
    MAX_JSON_DEPTH,
    escape_controls,
    json_depth_exceeds,
    json_value_problem,
    text_problem,
)

MAX_JSON_BYTES = 2 * 1024 * 1024
"""Largest JSON or URL-encoded form body accepted (uploads: ``MAX_CONTENT_LENGTH``)."""
MAX_QUERY_VALUE = 2_000
"""Longest query-string value accepted (searches are cut to 100 characters anyway)."""


class IdConverter(IntegerConverter):
    """``<int:name>``: an id of 1 to 19 ASCII digits, 1 .. 2^63 - 1 (404 otherwise)."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if not value.isascii():
            raise ValidationError()
        return super().to_python(value)


def reason_text(reason: str) -> str:
    """A refused value's reason (from :mod:`fundvote.inputs`) in the user's language."""
    if reason == "surrogate":
        return gettext("Contains an invalid character (a lone surrogate).")
    if reason == "control":
        return gettext("Contains a control character (such as NUL) that is not allowed.")
    if reason == "integer":
        return gettext("Whole number out of range.")
    if reason == "number":
        return gettext("Not a finite number.")
    return gettext("Too long.")


def _refuse_field(status: int, location: str, field: str, reason: str) -> Response:
    from fundvote.errors import refuse

    message = reason_text(reason)
    field = escape_controls(field)
    return refuse(
        status,
        gettext("%(field)s: %(problem)s", field=field or location, problem=message),
        errors={location: {field or "_root": [message]}},
    )


def _check_path() -> None:
    if text_problem(request.path, multiline=False, max_length=4_000) is not None:
        raise NotFound()


def _check_query() -> Response | None:
    for name, value in request.args.items(multi=True):
        reason = text_problem(name, multiline=False, max_length=200)
        if reason is not None:
            return _refuse_field(400, "query", "", reason)
        reason = text_problem(value, multiline=False, max_length=MAX_QUERY_VALUE)
        if reason is not None:
            return _refuse_field(400, "query", name, reason)
    return None


def _check_form() -> Response | None:
    for name, value in request.form.items(multi=True):
        reason = text_problem(name, multiline=False, max_length=200)
        if reason is not None:
            return _refuse_field(400, "form", "", reason)
        # Values are bounded by the body size; each view cuts or checks its own length.
        reason = text_problem(value, max_length=MAX_JSON_BYTES)
        if reason is not None:
            return _refuse_field(400, "form", name, reason)
    for name, upload in request.files.items(multi=True):
        for value in (upload.filename or "", upload.mimetype or ""):
            reason = text_problem(value, multiline=False, max_length=1_000)
            if reason is not None:
                return _refuse_field(400, "files", name, reason)
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _check_json() -> Response | None:
    from fundvote.errors import refuse

    data = request.get_data(cache=True)
    if not data.strip():
        return None
    if json_depth_exceeds(data):
        return refuse(
            400,
            gettext(
                "The request body nests arrays or objects more than %(limit)s levels deep.",
                limit=MAX_JSON_DEPTH,
            ),
        )
    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return refuse(400, gettext("The request body is not valid JSON."))
    problem = json_value_problem(value)
    if problem is not None:
        field, reason = problem
        return _refuse_field(422, "json", field, reason)
    return None


def _guard() -> Response | None:
    _check_path()
    mimetype = request.mimetype or ""
    if mimetype != "multipart/form-data":
        request.max_content_length = min(
            MAX_JSON_BYTES, request.max_content_length or MAX_JSON_BYTES
        )
    refused = _check_query()
    if refused is not None:
        return refused
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return _check_json()
    if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _check_form()
    return None


def init_edge(app: Flask) -> None:
    """Install the id converter (before any route is added) and the request checks (before
    any other ``before_request`` hook, so that access checks see only checked values)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, _guard)


def embedded_json_problem(text: str) -> str | None:
    """Why a JSON text handed in as a value (a receipt pasted into a form or sent as a
    string) cannot be checked, translated, or ``None``: nesting deeper than
    :data:`fundvote.inputs.MAX_JSON_DEPTH`, or a value no field may hold (a lone surrogate, a
    control character, an integer beyond 64 bits). Text that is not JSON at all passes: the
    receipt check says so in its own words."""
    if json_depth_exceeds(text):
        return gettext(
            "The receipt nests arrays or objects more than %(limit)s levels deep.",
            limit=MAX_JSON_DEPTH,
        )
    try:
        value = json.loads(text.strip().lstrip("\ufeff"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    problem = json_value_problem(value)
    if problem is None:
        return None
    field, reason = problem
    return gettext(
        "%(field)s: %(problem)s",
        field=escape_controls(field) or "receipt",
        problem=reason_text(reason),
    )
