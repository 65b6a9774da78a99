"""Public addresses of pages: what owners' links, QR codes and printed notices point at."""

from __future__ import annotations

from flask import request

from fundvote.access import current_runtime


def public_base_url() -> str:
    """``FUNDVOTE_PUBLIC_URL`` when set (behind a proxy, the address people type), else the
    address this request came in on; never with a trailing slash."""
    configured = current_runtime().settings.public_url
    return (configured or request.url_root).rstrip("/")


def public_url(path: str) -> str:
    """The public address of ``path`` (an absolute path such as ``url_for(...)`` returns)."""
    return public_base_url() + path
