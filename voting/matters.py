"""The matters owners decide jointly and the thresholds the law sets for them (pure).

Civil Code art. 278 (see DOMAIN.md §3). Every matter needs a participation quorum of owners
holding at least 2/3 of the exclusive area AND at least 2/3 of the heads of the roll; among
those who took part, "> 1/2" matters need more than half of the area AND of the heads
(strict), "3/4" matters at least three quarters of each (not strict).

Only ``fund_use`` (the owners who bear the cost vote, 列支范围) and advisory consultations may
be put to a scope narrower than the whole community. A consultation (``CONSULTATION``) has no
quorum and no approval threshold: its tally reports figures only.

Every comparison is integer cross-multiplication; no float is ever involved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from notary.errors import N_, DomainError


class MatterUnknown(DomainError):
    """A matter key that is not one of ``MATTER_KEYS``."""

    code = "matter-unknown"


class ScopeTooNarrow(DomainError):
    """A ballot scope narrower than the community for a matter that the whole community
    decides (everything except ``fund_use`` and consultations)."""

    code = "scope-too-narrow"


@dataclass(frozen=True)
class Threshold:
    """``part / total`` must exceed (``is_strict``) or reach ``numerator / denominator``."""

    numerator: int
    denominator: int
    is_strict: bool

    def __post_init__(self) -> None:
        if not 0 <= self.numerator <= self.denominator or self.denominator <= 0:
            raise ValueError("a threshold is a fraction between 0 and 1")

    def holds(self, part: int, total: int) -> bool:
        """Whether ``part / total`` meets the threshold, by exact integer cross-multiplication.

        Guarantees: strict thresholds test ``den * part > num * total``, non-strict ones
        ``den * part >= num * total``; no division, no float. ``total`` must be >= 0 and
        ``0 <= part <= total`` (``ValueError`` otherwise). With ``total == 0`` the bare
        comparison is returned (``0 > 0`` is False, ``0 >= 0`` is True): callers that need
        "at least one participant" test that separately.
        """
        if total < 0 or not 0 <= part <= total:
            raise ValueError(f"part {part} of total {total} is not a proportion")
        left, right = self.denominator * part, self.numerator * total
        return left > right if self.is_strict else left >= right

    @property
    def label(self) -> str:
        """``"> 1/2"`` or ``">= 3/4"``."""
        return f"{'>' if self.is_strict else '>='} {self.numerator}/{self.denominator}"


MORE_THAN_HALF = Threshold(1, 2, is_strict=True)
THREE_QUARTERS = Threshold(3, 4, is_strict=False)
QUORUM = Threshold(2, 3, is_strict=False)
"""Participation: >= 2/3 of the roll's area and >= 2/3 of its heads, for every matter."""


@dataclass(frozen=True)
class Matter:
    """A kind of owner decision: its key, names, thresholds and whether its scope may be
    narrower than the community. ``quorum`` and ``approval`` are ``None`` only for a
    consultation, whose tally has no outcome."""

    key: str
    name_zh: str
    name_en: str
    quorum: Threshold | None
    approval: Threshold | None
    allows_narrow_scope: bool = False

    @property
    def is_consultation(self) -> bool:
        return self.approval is None


_ALL = (
    Matter("rules", "制定和修改业主大会议事规则、管理规约", "assembly or management rules",
           QUORUM, MORE_THAN_HALF),
    Matter("committee", "选举业主委员会或者更换业主委员会成员", "elect or replace the committee",
           QUORUM, MORE_THAN_HALF),
    Matter("manager", "选聘和解聘物业服务企业或者其他管理人", "hire or dismiss the manager",
           QUORUM, MORE_THAN_HALF),
    Matter("fund_use", "使用建筑物及其附属设施的维修资金", "use the maintenance fund",
           QUORUM, MORE_THAN_HALF, allows_narrow_scope=True),
    Matter("fund_raise", "筹集建筑物及其附属设施的维修资金", "raise the maintenance fund",
           QUORUM, THREE_QUARTERS),
    Matter("rebuild", "改建、重建建筑物及其附属设施", "alter or rebuild buildings",
           QUORUM, THREE_QUARTERS),
    Matter("change_use", "改变共有部分的用途或者利用共有部分从事经营活动",
           "change the use of common parts", QUORUM, THREE_QUARTERS),
    Matter("other", "有关共有和共同管理权利的其他重大事项", "other major matters",
           QUORUM, MORE_THAN_HALF),
)  # fmt: skip

MATTERS: Mapping[str, Matter] = MappingProxyType({m.key: m for m in _ALL})
"""The eight matters of Civil Code art. 278, by key, in the order of the article."""

MATTER_KEYS: tuple[str, ...] = tuple(MATTERS)

CONSULTATION = Matter(
    "consultation", "征求意见", "advisory consultation", None, None, allows_narrow_scope=True
)
"""An advisory consultation: no quorum, no threshold, any scope; the tally reports figures."""


def matter_by_key(key: str) -> Matter:
    """The art. 278 matter named ``key``.

    Guarantees: returns one of ``MATTERS`` (never ``CONSULTATION``); any other key, including
    a different case or surrounding spaces, raises ``MatterUnknown`` naming the valid keys.
    """
    try:
        return MATTERS[key]
    except KeyError:
        raise MatterUnknown(
            N_("'%(matter)s' is not a matter; expected one of: %(choices)s"),
            matter=key,
            choices=", ".join(MATTER_KEYS),
        ) from None


def check_scope(matter: Matter, *, is_whole_community: bool) -> None:
    """Refuse a scope narrower than the community for a matter that does not allow one.

    Guarantees: returns silently for a whole-community scope and for matters with
    ``allows_narrow_scope`` (``fund_use``, consultations); raises ``ScopeTooNarrow``
    otherwise.
    """
    if not is_whole_community and not matter.allows_narrow_scope:
        raise ScopeTooNarrow(
            N_(
                "The matter '%(matter)s' is decided by the whole community: only a use of the "
                "maintenance fund (fund_use) or a consultation may cover only some buildings."
            ),
            matter=matter.key,
        )
