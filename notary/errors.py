"""The root of every domain error raised by fundvote's packages."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an operation.

    ``code`` is a stable machine-readable name (used as the problem type in the API);
    ``message`` is an English sentence safe to show to users: it never carries SQL, a stack
    trace or personal data. ``params`` are values the UI may interpolate into a translated text.
    """

    code = "domain-error"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
