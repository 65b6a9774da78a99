"""Application logging: one stderr handler whose records pass through the personal-data filter.

Phone and ID numbers are redacted from every record (``estate.personal.RedactPersonalData``),
and owner-link tokens (``/v/<token>``) are cut from request paths, so neither a credential nor
personal data reaches a log line. Control characters (CR, LF, TAB, NUL, other C0 and C1, lone
surrogates) in a record's message are written as escapes (``\\r``, ``\\n``, ``\\x00``): one
record is one line, whatever a request carried; gunicorn's access log escapes its fields too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

from estate.personal import RedactPersonalData
from fundvote.inputs import escape_controls

_OWNER_LINK = re.compile(r"(/v/)[A-Za-z0-9_\-]+")


def redact_owner_links(text: str) -> str:
    """Replace the token of every owner link in ``text`` with ``…``."""
    return _OWNER_LINK.sub(r"\1…", text)


class RedactOwnerLinks(logging.Filter):
    """A logging filter that removes owner-link tokens from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact_owner_links(message)
        record.args = None
        return True


class EscapeControls(logging.Filter):
    """A logging filter that escapes control characters in the formatted message, so that a
    CR or LF from a request cannot start a forged log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = escape_controls(message)
        record.args = None
        return True


def protect_handler(handler: logging.Handler) -> logging.Handler:
    """Install the redacting filters and the control-character escape on ``handler``
    (idempotent; the escape runs last) and return it."""
    kinds = {type(f) for f in handler.filters}
    if RedactPersonalData not in kinds:
        handler.addFilter(RedactPersonalData())
    if RedactOwnerLinks not in kinds:
        handler.addFilter(RedactOwnerLinks())
    if EscapeControls not in kinds:
        handler.addFilter(EscapeControls())
    return handler


def configure_logging(level: int = logging.INFO) -> None:
    """Give the root logger one protected stderr handler; protect any handler already there."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
        root.setLevel(level)
    for handler in root.handlers:
        protect_handler(handler)
    # Migration chatter is not news on every start, nor is every step of a PDF rendering.
    for chatty in ("alembic", "weasyprint", "fontTools"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


class GunicornLogger(Logger):
    """gunicorn's logger with the redacting filters and the escape on its error and access
    handlers; every access-log field (path, query, headers) is escaped before formatting, so
    a handler set up elsewhere (``--log-config``, syslog) gets one line per request too."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {
            key: escape_controls(value) if isinstance(value, str) else value
            for key, value in found.items()
        }

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                protect_handler(handler)
