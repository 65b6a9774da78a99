"""Area-proportional cost apportionment by the largest-remainder method (pure).

The maintenance-fund part of a cost is split among the units in scope in proportion to their
area (住宅专项维修资金管理办法 art. 20). Each unit first gets ``floor(amount * area / total)``
fen; the fen left over (fewer than the number of units) go one each to the units with the
largest remainders ``amount * area mod total``. Ties between equal remainders are broken by
unit code in ordinal (code-point) order, ascending: the smaller code gets the fen first.

Properties that hold (and are tested):
- the shares add up to the amount exactly;
- every share is the floor or the ceiling of its exact quota ``amount * area / total``;
- the result does not depend on the order of the input mapping;
- a unit with a strictly larger area never gets fewer fen than a unit with a smaller one;
  two units with equal areas differ by at most one fen, the smaller code getting the extra.

What does NOT hold: monotonicity in the amount. Like every largest-remainder method this one
shows the Alabama paradox: raising the amount by one fen can lower one unit's share by one fen
(see the unit tests for an example). Shares are always within one fen of the exact quota.
"""

from __future__ import annotations

from collections.abc import Mapping

from estate.errors import EmptyScope, NegativeAmount, NonPositiveArea
from notary.errors import N_

METHOD = "largest-remainder"


def apportion(amount_fen: int, areas: Mapping[str, int]) -> dict[str, int]:
    """Split ``amount_fen`` among units in proportion to ``areas`` (unit code -> centi-m²).

    Returns unit code -> fen for every unit in ``areas``, with keys in ordinal order.
    Guarantees: the values sum to ``amount_fen``; each value is the floor or ceiling of the
    exact quota; ties on the remainder go to the smaller unit code. Raises ``NegativeAmount``
    when the amount is below zero, ``EmptyScope`` when there are no units and
    ``NonPositiveArea`` when an area is zero or negative. Integer arithmetic only.
    """
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise TypeError("amount_fen must be an int")
    if amount_fen < 0:
        raise NegativeAmount(N_("The amount to apportion is negative."), amount_fen=amount_fen)
    if not areas:
        raise EmptyScope(N_("There are no units to apportion the amount among."))
    for code in sorted(areas):
        area = areas[code]
        if isinstance(area, bool) or not isinstance(area, int):
            raise TypeError("areas must be ints (centi-m²)")
        if area <= 0:
            raise NonPositiveArea(N_("Unit %(unit)s has an area that is not positive."), unit=code)
    total = sum(areas.values())
    shares: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for code in sorted(areas):
        share, remainder = divmod(amount_fen * areas[code], total)
        shares[code] = share
        remainders.append((remainder, code))
    left = amount_fen - sum(shares.values())
    # Largest remainder first; among equal remainders the smaller code first.
    remainders.sort(key=lambda rc: (-rc[0], rc[1]))
    for _remainder, code in remainders[:left]:
        shares[code] += 1
    return shares
