"""The offline verifier as one file, ``GET /audit/fundvote-verify.pyz`` (public).

Built once per process from the installed sources (``audit.zipapp``) and served from memory;
``python3 fundvote-verify.pyz BUNDLE.zip`` needs only Python 3.11+ and ``cryptography``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Blueprint, Response

from audit.api import build_verifier_pyz
from fundvote.access import public

bp = Blueprint("verifier_download", __name__)


@lru_cache(maxsize=1)
def _pyz() -> tuple[bytes, str]:
    body = build_verifier_pyz()
    return body, hashlib.sha256(body).hexdigest()


@bp.get("/audit/fundvote-verify.pyz")
@public
def verifier_pyz() -> Response:
    body, digest = _pyz()
    response = Response(body, mimetype="application/zip")
    response.headers["Content-Disposition"] = "attachment; filename=fundvote-verify.pyz"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["ETag"] = f'"{digest}"'
    return response
