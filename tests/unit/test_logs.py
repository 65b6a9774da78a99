"""Log lines never carry an owner-link token, a phone number or an ID number."""

from __future__ import annotations

import io
import logging

from fundvote.logs import protect_handler, redact_owner_links


def test_owner_link_tokens_are_cut() -> None:
    assert redact_owner_links('"GET /v/Abc_-123xyz/confirm" 200') == '"GET /v/…/confirm" 200'
    assert redact_owner_links("/verify stays") == "/verify stays"


def test_protected_handler_redacts_tokens_and_phones() -> None:
    out = io.StringIO()
    handler = protect_handler(logging.StreamHandler(out))
    protect_handler(handler)  # idempotent
    assert len(handler.filters) == 2
    logger = logging.getLogger("fundvote.test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("owner %s opened %s", "13812341234", "/v/SECRETtoken123456")
    finally:
        logger.removeHandler(handler)
    line = out.getvalue()
    assert "SECRETtoken123456" not in line and "13812341234" not in line
    assert "/v/…" in line
