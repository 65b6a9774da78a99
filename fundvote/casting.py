"""The owner's cast as every entry point performs it (the owner's page, the JSON API, the demo).

A cast is one unit of work (``voting.cast_vote``). A phone on a bad network may send the same
cast twice at once: the user taps again, or the client retries while the first attempt is still
being answered. The database then refuses the second copy (one vote per member) and it would
read "already voted" although it is the same vote. So when a cast is refused as already voted,
a read-only second look (``voting.repeated_cast``) asks whether the stored vote is this very
request (same link, channel and choices) and, if so, answers with its stored receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fundvote.runtime import Runtime
from voting.api import AlreadyVoted, Receipt, cast_vote, repeated_cast


def cast_once(
    rt: Runtime,
    *,
    token: str,
    choices: Mapping[Any, str],
    client_entropy: str | None = None,
    for_member: int | None = None,
) -> Receipt:
    """Cast through a personal link and return the signed receipt; a repeat of a cast that
    is already stored (same link, channel and choices) returns that cast's receipt and writes
    nothing. Every refusal of ``voting.cast_vote`` propagates unchanged, ``AlreadyVoted``
    included when the stored vote differs or came through another link."""
    try:
        return rt.run(
            cast_vote,
            token=token,
            choices=choices,
            client_entropy=client_entropy,
            for_member=for_member,
        )
    except AlreadyVoted:
        stored = rt.query(repeated_cast, token=token, choices=choices, for_member=for_member)
        if stored is None:
            raise
        return stored
