"""The root of every domain error raised by fundvote's packages."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an operation.

    ``code`` is a stable machine-readable name (used as the problem type in the API);
    ``message`` is an English sentence safe to show to users: it never carries SQL, a stack
    trace or personal data. ``params`` are values the UI may interpolate into a translated text.
    """

    code = "domain-error"
    is_recorded = False
    """True for a refusal that is itself recorded (a failed login or identity attempt counts
    toward a lockout): the unit of work commits what it wrote before the error leaves it."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    @property
    def text(self) -> str:
        """The English message with its named values filled in (for the command line and logs
        of our own; pages translate ``message`` first)."""
        try:
            return self.message % {k: str(v) for k, v in self.params.items()}
        except (KeyError, TypeError, ValueError):
            return self.message
