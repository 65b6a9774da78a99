"""Application logging: one stderr handler whose records pass through the personal-data filter.

Phone and ID numbers are redacted from every record (``estate.personal.RedactPersonalData``),
and owner-link tokens (``/v/<token>``) are cut from request paths, so neither a credential nor
personal data reaches a log line.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

from estate.personal import RedactPersonalData

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


def protect_handler(handler: logging.Handler) -> logging.Handler:
    """Install both redacting filters on ``handler`` (idempotent) and return it."""
    kinds = {type(f) for f in handler.filters}
    if RedactPersonalData not in kinds:
        handler.addFilter(RedactPersonalData())
    if RedactOwnerLinks not in kinds:
        handler.addFilter(RedactOwnerLinks())
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
    """gunicorn's logger with both redacting filters on its error and access handlers."""

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                protect_handler(handler)
