"""Public verification keys at ``/.well-known/fundvote/keys``.

Anyone checking a receipt, a checkpoint or an audit bundle fetches the keys here: the active
signing key and every retired one, with their C2SP signed-note key IDs and verifier keys.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from fundvote.access import current_runtime, public

bp = Blueprint("wellknown", __name__)


@bp.get("/.well-known/fundvote/keys")
@public
def keys() -> Response:
    ring = current_runtime().keyring
    response = jsonify(
        {
            "name": ring.name,
            "active_key_id": ring.active_key_id,
            "keys": [
                {
                    "key_id": k.key_id,
                    "name": k.name,
                    "algorithm": k.algorithm,
                    "public_key": k.public_key,
                    "verifier_key": k.verifier_key,
                    "status": k.status,
                }
                for k in ring.public_keys()
            ],
        }
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
