"""The API's validated field types: every number, text and time a request carries goes through
one of these, so that what a schema accepts is what the database can store.

- :class:`WholeNumber`: a JSON integer (no fraction, not a boolean) or, in a query string, 1 to
  19 ASCII digits (never ``²`` or ``١``); within a documented range (ids 1 .. 2^63 - 1 by
  default; :func:`Fen` 0 .. 10^15; :func:`Count` per field).
- :class:`Text`: a string without lone surrogates or control characters (TAB, LF and CR only
  where ``multiline``), at most ``max_length`` characters (the column's length).
- :class:`When`: an ISO 8601 time with a zone, in the years 2000 to 2100.

Messages are translated when the error is raised (the request's language); the OpenAPI
document shows the ranges and lengths (``minimum``, ``maximum``, ``maxLength``).
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import gettext
from marshmallow import ValidationError, fields, validate

from fundvote.edge import reason_text
from fundvote.inputs import (
    MAX_FEN,
    MAX_ID,
    MAX_TEXT,
    MAX_YEAR,
    MIN_YEAR,
    parse_int,
    text_problem,
    year_in_range,
)


class WholeNumber(fields.Integer):
    """An integer within ``minimum .. maximum`` (default: an id, 1 .. 2^63 - 1)."""

    def __init__(self, *, minimum: int = 1, maximum: int = MAX_ID, **kwargs: Any) -> None:
        self.minimum = minimum
        self.maximum = maximum
        validators = list(kwargs.pop("validate", None) or [])
        # Documents the range in the OpenAPI document; _deserialize has already enforced it.
        validators.insert(0, validate.Range(min=minimum, max=maximum))
        super().__init__(strict=False, validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str):
            number = parse_int(value, lo=0, hi=10**19)
            if number is None:
                raise ValidationError(gettext("Enter a whole number (digits 0-9 only)."))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(gettext("Enter a whole number."))
        elif isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise ValidationError(gettext("Enter a whole number."))
            number = int(value)
        else:
            number = value
        if not self.minimum <= number <= self.maximum:
            raise ValidationError(
                gettext(
                    "Enter a whole number from %(minimum)s to %(maximum)s.",
                    minimum=self.minimum,
                    maximum=self.maximum,
                )
            )
        return number


def Id(**kwargs: Any) -> WholeNumber:
    """A database id: 1 .. 2^63 - 1."""
    return WholeNumber(minimum=1, maximum=MAX_ID, **kwargs)


def Fen(*, minimum: int = 0, **kwargs: Any) -> WholeNumber:
    """An amount of money in fen: ``minimum`` (0) .. 10^15 (exact in any JSON reader)."""
    metadata = {"description": "fen (0.01 yuan)", **kwargs.pop("metadata", {})}
    return WholeNumber(minimum=minimum, maximum=MAX_FEN, metadata=metadata, **kwargs)


def Count(*, minimum: int = 0, maximum: int, **kwargs: Any) -> WholeNumber:
    """A small count (days, a page number): ``minimum .. maximum``."""
    return WholeNumber(minimum=minimum, maximum=maximum, **kwargs)


class Text(fields.String):
    """A string that can be stored: no lone surrogate, no control character (TAB, LF and CR
    only when ``multiline``), ``min_length .. max_length`` characters."""

    def __init__(
        self,
        *,
        max_length: int = MAX_TEXT,
        min_length: int = 0,
        multiline: bool = False,
        **kwargs: Any,
    ) -> None:
        self.multiline = multiline
        validators = list(kwargs.pop("validate", None) or [])
        validators.insert(0, validate.Length(min=min_length, max=max_length))
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, max_length=len(text), multiline=self.multiline)
        if problem is not None:
            raise ValidationError(reason_text(problem))
        return text


class When(fields.AwareDateTime):
    """An ISO 8601 time with a zone, in the years 2000 to 2100."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            raise ValidationError(gettext("Enter a date and time such as 2026-11-02T10:00+08:00."))
        try:
            moment = super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:
            moment = None
        if moment is None or not year_in_range(moment):
            raise ValidationError(
                gettext(
                    "Enter a date and time with a zone, in the years %(first)s to %(last)s.",
                    first=MIN_YEAR,
                    last=MAX_YEAR,
                )
            )
        return moment
