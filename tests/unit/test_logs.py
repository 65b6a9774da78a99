"""Log lines never carry an owner-link token, a phone number or an ID number."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from fundvote.logs import GunicornLogger, protect_handler, redact_owner_links


def test_owner_link_tokens_are_cut() -> None:
    assert redact_owner_links('"GET /v/Abc_-123xyz/confirm" 200') == '"GET /v/…/confirm" 200'
    assert redact_owner_links("/verify stays") == "/verify stays"


def test_protected_handler_redacts_tokens_and_phones() -> None:
    out = io.StringIO()
    handler = protect_handler(logging.StreamHandler(out))
    protect_handler(handler)  # idempotent
    assert len(handler.filters) == 3
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


def test_control_characters_are_escaped_in_every_record() -> None:
    out = io.StringIO()
    handler = protect_handler(logging.StreamHandler(out))
    logger = logging.getLogger("fundvote.test.logs.controls")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("path %s", "/x\r\n2026-11-27 INFO forged\x00\x1b[31m\x85\ud800")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert text.count("\n") == 1 and "\r" not in text and "\x00" not in text
    assert "/x\\r\\n2026-11-27 INFO forged\\x00\\x1b[31m\\x85\\ud800" in text


def test_gunicorn_access_log_keeps_a_crlf_path_on_one_line() -> None:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(b)s "%(a)s"')
    glog = GunicornLogger(cfg)
    out = io.StringIO()
    # Only gunicorn's own handler: another test's log capture may be attached to the logger.
    ours = [h for h in glog.access_log.handlers if getattr(h, "_gunicorn", False)]
    assert len(ours) == 1 and isinstance(ours[0], logging.StreamHandler)
    ours[0].setStream(out)
    # What gunicorn hands over for GET /a%0d%0a127.0.0.1%20"GET%20/admin"%20200: PATH_INFO
    # is percent-decoded, so the CR/LF are real.
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/a%0d%0a127.0.0.1",
        "PATH_INFO": '/a\r\n127.0.0.1 "GET /admin" 200',
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_USER_AGENT": "agent\nX",
    }
    response = SimpleNamespace(status="404 NOT FOUND", sent=12, headers=[])
    request = SimpleNamespace(headers=[("USER-AGENT", "agent\nX")])
    glog.access(response, request, environ, timedelta(milliseconds=3))
    lines = out.getvalue().splitlines()
    # gunicorn escapes the quotes itself; the CR/LF are escaped by fundvote.
    assert lines == ['10.0.0.1 "GET /a\\r\\n127.0.0.1 \\"GET /admin\\" 200" 404 12 "agent\\nX"']
