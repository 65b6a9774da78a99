"""The one rounding rule of the ledger: the largest-remainder method (pure).

Every split of an amount (a draw across funding sources, the maintenance-fund part across
units, interest across sub-accounts by their daily-balance products, public income across
units by area) goes through :func:`largest_remainder`: each share is first
``floor(amount * weight / total)``, and the fen left over go one each to the largest
remainders, ties broken by the order of ``weights`` (callers pass units in ordinal unit-code
order and funding sources in the order of ``voting``'s ``FUNDING_SOURCES``).

Stages: :func:`stage_amounts` apportions the *cumulative* amount paid so far and returns the
difference from what the earlier stages posted, so after the last stage every share equals
the apportionment of the total, whatever the number of stages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ledger.errors import N_, InvalidEntry


def largest_remainder(amount_fen: int, weights: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Split ``amount_fen`` (>= 0) in proportion to ``weights`` (key, weight >= 0).

    Guarantees: the shares (one per key, in the given order) sum to ``amount_fen``; each is
    the floor or the ceiling of its exact quota; a zero weight gets 0; equal remainders go
    to the key that comes first. Refuses (``InvalidEntry``) a negative amount, a negative
    weight, a repeated key, or a positive amount with no positive weight. Integers only.
    """
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise TypeError("amount_fen must be an int")
    if amount_fen < 0:
        raise InvalidEntry(N_("The amount to split is negative."))
    keys = [k for k, _ in weights]
    if len(set(keys)) != len(keys):
        raise InvalidEntry(N_("A share is named twice."))
    for _, w in weights:
        if isinstance(w, bool) or not isinstance(w, int):
            raise TypeError("weights must be ints")
        if w < 0:
            raise InvalidEntry(N_("A weight to split by is negative."))
    total = sum(w for _, w in weights)
    if total == 0:
        if amount_fen:
            raise InvalidEntry(N_("There is nothing to split the amount by."))
        return dict.fromkeys(keys, 0)
    shares: dict[str, int] = {}
    remainders: list[tuple[int, int, str]] = []
    for position, (key, w) in enumerate(weights):
        share, remainder = divmod(amount_fen * w, total)
        shares[key] = share
        remainders.append((-remainder, position, key))
    left = amount_fen - sum(shares.values())
    for _, _, key in sorted(remainders)[:left]:
        shares[key] += 1
    return shares


def stage_amounts(
    paid_before_fen: int,
    paid_now_fen: int,
    weights: Sequence[tuple[str, int]],
    posted_before: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """The shares to post for a stage that brings the cumulative amount from
    ``paid_before_fen`` to ``paid_before_fen + paid_now_fen``: the apportionment of the new
    cumulative total minus what was posted before (``posted_before``, by key; when omitted,
    the apportionment of ``paid_before_fen``). Guarantees: the result sums to
    ``paid_now_fen``; after the last stage each key's cumulative total equals the
    apportionment of the grand total. A share may be negative by a fen when a later stage
    corrects an earlier rounding (the Alabama paradox of the method), and so may
    ``paid_now_fen`` itself when it is such a share split further (a stage's part of one
    source, apportioned over units); only a negative cumulative total is refused."""
    if paid_before_fen < 0 or paid_before_fen + paid_now_fen < 0:
        raise InvalidEntry(N_("The amount to split is negative."))
    before = (
        dict(posted_before)
        if posted_before is not None
        else largest_remainder(paid_before_fen, weights)
    )
    after = largest_remainder(paid_before_fen + paid_now_fen, weights)
    return {k: after[k] - before.get(k, 0) for k in after}
