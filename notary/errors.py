"""The root of every domain error raised by fundvote's packages."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction (``pybabel -k N_``) and return it unchanged.

    A domain error's message is an English msgid with named placeholders (``%(code)s``);
    the web layer translates it when shown, then interpolates the error's ``params``.
    """
    return message


class DomainError(Exception):
    """A rule of the domain refused an operation.

    ``code`` is a stable machine-readable name (used as the problem type in the API);
    ``message`` is an English msgid marked with ``N_`` and safe to show to users: it never
    carries SQL, a stack trace or personal data, and values go in named placeholders
    (``%(unit)s``) filled from ``params``, never into the msgid itself (no f-strings), so the
    catalogue can translate it. ``str(error)`` and :attr:`text` are the English sentence
    with the values filled in (CLI output).
    """

    code = "domain-error"
    is_recorded = False
    """True for a refusal that is itself recorded (a failed login or identity attempt counts
    toward a lockout): the unit of work commits what it wrote before the error leaves it."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """The English message with ``params`` interpolated (the msgid as is without params,
        as gettext does, so a literal ``%`` needs no escaping then)."""
        if not self.params:
            return self.message
        try:
            return self.message % self.params
        except (KeyError, ValueError, TypeError):
            return self.message
