"""What ``/verify`` hands the browser for its own check of a receipt (``static/verify.js``).

The browser checks the receipt's Ed25519 signature, the log's signed checkpoint and the
receipt's inclusion against the public hash tiles itself. Every sentence it may show is
translated here, on the server, and reaches the script in a data attribute: the script holds
no text of its own, and the page has no inline script (the site's CSP forbids it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from voting.api import ReceiptCheck

LOG_COMMUNITY = "__community__"
"""Stands for the receipt's community in the log's URL; the script puts the code in."""


@dataclass(frozen=True)
class ReceiptFacts:
    """What a receipt says about itself (read, not checked): shown beside the browser's check
    when the site leaves the server's own check out."""

    community: str
    ballot: str
    tracker: str
    channel: str
    choices: tuple[tuple[int, str], ...]
    log_index: int


def receipt_facts(data: Mapping[str, Any]) -> ReceiptFacts:
    """The facts of a receipt already read by ``voting.api.parse_receipt``."""
    return ReceiptFacts(
        community=data["community"],
        ballot=data["ballot"],
        tracker=data["tracker"],
        channel=data["channel"],
        choices=tuple(sorted((int(q["position"]), str(q["choice"])) for q in data["questions"])),
        log_index=int(data["log"]["index"]),
    )


def facts_of(result: ReceiptCheck) -> ReceiptFacts:
    """The same facts, from the server's check."""
    return ReceiptFacts(
        community=result.community,
        ballot=result.ballot,
        tracker=result.tracker,
        channel=result.channel,
        choices=result.choices,
        log_index=result.log_index,
    )


def is_server_check_on() -> bool:
    """Whether ``/verify`` shows the server's own check (``FUNDVOTE_VERIFY_SERVER_CHECK``)."""
    return bool(current_app.config["FUNDVOTE_VERIFY_SERVER_CHECK"])


def browser_messages() -> dict[str, str]:
    """Every sentence the browser's check may show, in the user's language, by key."""
    return {
        "signature-ok": _("Signed by fundvote: your browser verified the signature."),
        "signature-bad": _("The signature does not verify with fundvote's published keys."),
        "signature-no-key": _("No published fundvote key has the receipt's key ID."),
        "checkpoint-ok": _("Your browser verified the log's signed checkpoint."),
        "checkpoint-bad": _("The log's checkpoint is missing or not signed by fundvote's keys."),
        "checkpoint-origin": _("The signed checkpoint is of another log than the receipt names."),
        "inclusion-ok": _(
            "Your browser proved from the log's public hash tiles that the ballot's entry is"
            " part of the signed log."
        ),
        "inclusion-pending": _(
            "Recorded, but no signed checkpoint covers the entry yet: check again later."
        ),
        "inclusion-skipped": _("Not checked: the log's checkpoint could not be verified."),
        "inclusion-leaf-hash": _("The log entry at the receipt's index is not the one it names."),
        "inclusion-root": _("The log's hash tiles do not lead to the signed checkpoint's root."),
        "all-ok": _("Your browser finds this receipt genuine and the ballot in the signed log."),
        "pending": _(
            "Your browser finds this receipt genuine; its proof comes with the next checkpoint."
        ),
        "problem": _("Your browser finds a problem with this receipt."),
        "network": _("Your browser could not fetch the keys or the log from this site. Try again."),
        "unsupported": _("This browser cannot run the checks (it lacks WebCrypto)."),
        "malformed": _("Your browser could not read this text as a fundvote receipt."),
        "engine-webcrypto": _("The signatures were checked with your browser's own WebCrypto."),
        "engine-noble": _(
            "This browser has no Ed25519 in WebCrypto: the signatures were checked with the"
            " noble-ed25519 library served with this page."
        ),
    }


def browser_panel(receipt_text: str) -> dict[str, Any]:
    """The template values of the browser's panel for ``receipt_text``."""
    return {
        "receipt_text": receipt_text,
        "browser_messages": browser_messages(),
        "keys_url": url_for("wellknown.keys"),
        # The log's C2SP tlog-tiles prefix (fundvote.web.log_tiles): "checkpoint", "tile/..."
        "log_url": url_for("log_tiles.checkpoint", community=LOG_COMMUNITY).removesuffix(
            "checkpoint"
        ),
    }
