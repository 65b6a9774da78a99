"""Receipts as data: their shape and what a log entry must hold to match one (pure).

``voting.receipts`` signs and checks receipts against the database; the offline verifier
(``audit.verify``) checks a receipt against a bundle's log with these same rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from estate.quantities import format_hundredths
from notary.canonical import canonical_bytes
from voting.errors import N_, MalformedReceipt
from voting.log_events import CAST_EVENT

RECEIPT_TYPE = "fundvote.receipt"
RECEIPT_VERSION = 1


_REQUIRED: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("v", int),
    ("type", str),
    ("community", str),
    ("ballot", str),
    ("questions", list),
    ("tracker", str),
    ("weights", dict),
    ("cast_at", str),
    ("channel", str),
    ("log", dict),
    ("signature", dict),
)


def parse_receipt(text: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """Read a receipt (JSON text, bytes or an already-parsed mapping) and check its shape.

    Raises ``MalformedReceipt`` when it is not JSON, not a fundvote receipt of version 1, or a
    field is missing or of the wrong type. Says nothing about whether it is genuine.
    """
    if isinstance(text, Mapping):
        data: Any = dict(text)
    else:
        try:
            if isinstance(text, bytes):
                text = text.decode("utf-8-sig")
            data = json.loads(text.strip().lstrip("\ufeff"))
        except (UnicodeDecodeError, ValueError):
            raise MalformedReceipt(N_("This is not a receipt: it is not JSON.")) from None
    if not isinstance(data, dict):
        raise MalformedReceipt(N_("This is not a receipt."))
    for key, kind in _REQUIRED:
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise MalformedReceipt(
                N_("The receipt lacks the field %(field)s or it has the wrong type."), field=key
            )
    if data["type"] != RECEIPT_TYPE or data["v"] != RECEIPT_VERSION:
        raise MalformedReceipt(N_("This is not a fundvote receipt of version 1."))
    log = data["log"]
    sig = data["signature"]
    if not (
        isinstance(log.get("origin"), str)
        and isinstance(log.get("index"), int)
        and not isinstance(log.get("index"), bool)
        and isinstance(log.get("leaf_hash"), str)
        and all(isinstance(sig.get(k), str) for k in ("key_id", "alg", "sig"))
    ):
        raise MalformedReceipt(N_("The receipt's log or signature fields are incomplete."))
    for q in data["questions"]:
        if not (
            isinstance(q, dict)
            and isinstance(q.get("position"), int)
            and isinstance(q.get("choice"), str)
        ):
            raise MalformedReceipt(N_("The receipt's questions are malformed."))
    return data


def signed_body(data: Mapping[str, Any]) -> bytes:
    """The canonical bytes the signature covers: the receipt without ``signature``."""
    return canonical_bytes({k: v for k, v in data.items() if k != "signature"})


def entry_matches(
    entry: Mapping[str, Any], receipt: Mapping[str, Any], choices: Sequence[tuple[int, str]]
) -> bool:
    """Whether the log entry is the cast this receipt describes: same community, ballot,
    tracker, channel, choices (``choices`` as sorted ``(position, choice)`` pairs) and weights."""
    body = entry.get("data")
    if entry.get("type") != CAST_EVENT or not isinstance(body, dict):
        return False
    logged = body.get("choices")
    if not isinstance(logged, dict):
        return False
    weights = body.get("weights") or {}
    return (
        entry.get("community") == receipt["community"]
        and body.get("ballot") == receipt["ballot"]
        and body.get("tracker") == receipt["tracker"]
        and body.get("channel") == receipt["channel"]
        and sorted((int(k), v) for k, v in logged.items()) == list(choices)
        and _area_text(weights.get("area_centi")) == receipt["weights"].get("area")
        and receipt["weights"].get("heads") == 1
    )


def _area_text(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return format_hundredths(value)
