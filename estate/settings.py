"""A community's voting settings and their changes.

Five settings govern the community's ballots and fund draws (DOMAIN.md sections 3 and 4):

- ``deemed_majority_enabled``: the management rules' clause that non-voters follow the
  majority (未参与表决的业主视为同意多数意见); the tally always reports the plain result
  beside it;
- ``binding_result``: which result binds, ``plain`` or ``deemed`` (``deemed`` only while the
  clause is on);
- ``publicity_days``: how long published results stay open to objections
  (:data:`PUBLICITY_DAYS_MIN`..:data:`PUBLICITY_DAYS_MAX`);
- ``emergency_publish_days``: within how many days of an emergency draw's record its costs
  and apportionment must be published to the owners (:data:`EMERGENCY_PUBLISH_DAYS_MIN`..
  :data:`EMERGENCY_PUBLISH_DAYS_MAX`, 30 by default; DOMAIN.md section 4.6);
- ``fund_holder``: who holds the maintenance fund, ``authority`` or ``assembly``; it decides
  who approves fund draws (arts. 22-23 of the 2007 measures).

The committee (or an admin) changes the first three, citing the management rules or the
owners' decision that allows it; only an authority user changes the fourth, citing the owners'
decision and the SHA-256 of the transfer document. Who the acting user is, is decided by the
composition root, which passes the facts (``may_set_rules``, ``may_set_holder``).

Each change is one unit of work: the community row, a :class:`CommunitySettingChange` history
row and an ``estate.settings_changed`` entry in the community's log. The entry carries the old
and new values, the actor's staff user id, the SHA-256 of the cited basis and the document's
SHA-256; the basis text itself stays in the history row (shown to staff), because a citation
is free text and may name people, which the log must never hold.

A ballot freezes the settings in force when it opens (``voting.lifecycle.open_ballot``);
later changes never move an opened ballot.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from estate.errors import (
    CommunityNotFound,
    InvalidSetting,
    NoSettingChanged,
    SettingChangeForbidden,
)
from estate.models import BINDING_RESULTS, FUND_HOLDERS, Community, CommunitySettingChange
from notary.errors import N_
from notary.work import UnitOfWork

PUBLICITY_DAYS_MIN = 1
"""At least one full day, so that owners can object to published results at all."""
PUBLICITY_DAYS_MAX = 90
"""At most a quarter: practice is 7 days (DOMAIN.md); a longer period only delays finality."""
EMERGENCY_PUBLISH_DAYS_MIN = 1
EMERGENCY_PUBLISH_DAYS_MAX = 90
"""An emergency draw's costs are published within one to ninety days (30 by default)."""
MAX_BASIS = 500
"""The longest citation (the rules' article, or the decision's date, title and number)."""
RULE_SETTINGS = (
    "deemed_majority_enabled",
    "binding_result",
    "publicity_days",
    "emergency_publish_days",
)
HOLDER_SETTINGS = ("fund_holder",)
SETTING_NAMES = (*RULE_SETTINGS, *HOLDER_SETTINGS)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True)
class CommunitySettings:
    """The settings of a community, as in force now."""

    publicity_days: int
    deemed_majority_enabled: bool
    binding_result: str
    fund_holder: str
    emergency_publish_days: int = 30

    def as_dict(self) -> dict[str, Any]:
        return {
            "publicity_days": self.publicity_days,
            "deemed_majority_enabled": self.deemed_majority_enabled,
            "binding_result": self.binding_result,
            "fund_holder": self.fund_holder,
            "emergency_publish_days": self.emergency_publish_days,
        }


@dataclass(frozen=True)
class SettingChangeInfo:
    """One recorded change: who, when, what (old and new values of the changed settings)
    and why."""

    changed_at: datetime
    actor_id: int
    kind: str
    old: dict[str, Any]
    new: dict[str, Any]
    basis: str
    document_sha256: str | None
    log_index: int


def settings_of(c: Community) -> CommunitySettings:
    """The settings of a community row."""
    return CommunitySettings(
        publicity_days=c.publicity_days,
        deemed_majority_enabled=c.deemed_majority_enabled,
        binding_result=c.binding_result,
        fund_holder=c.fund_holder,
        emergency_publish_days=c.emergency_publish_days,
    )


def current_settings(uow: UnitOfWork, community_code: str) -> CommunitySettings:
    """The settings in force in the community (``CommunityNotFound`` if there is none)."""
    return settings_of(_community(uow, community_code, for_update=False))


def settings_history(uow: UnitOfWork, community_code: str) -> list[SettingChangeInfo]:
    """Every recorded change of the community's settings, newest first."""
    community = _community(uow, community_code, for_update=False)
    rows = uow.session.scalars(
        sa.select(CommunitySettingChange)
        .where(CommunitySettingChange.community_id == community.id)
        .order_by(CommunitySettingChange.id.desc())
    )
    return [
        SettingChangeInfo(
            changed_at=r.changed_at.astimezone(UTC),
            actor_id=r.actor_id,
            kind=r.kind,
            old=json.loads(r.old_values),
            new=json.loads(r.new_values),
            basis=r.basis,
            document_sha256=r.document_sha256,
            log_index=r.log_index,
        )
        for r in rows
    ]


def change_settings(
    uow: UnitOfWork,
    *,
    community_code: str,
    actor: int,
    may_set_rules: bool,
    may_set_holder: bool,
    basis: str,
    deemed_majority_enabled: bool | None = None,
    binding_result: str | None = None,
    publicity_days: int | None = None,
    fund_holder: str | None = None,
    document_sha256: str | None = None,
    emergency_publish_days: int | None = None,
) -> SettingChangeInfo:
    """Change some of the community's settings (``None`` leaves one as it is) and record why.

    Guarantees, checked before anything is written:

    - the actor may change every setting named (``SettingChangeForbidden``): the voting rules
      need ``may_set_rules``, the fund holder ``may_set_holder``; a request naming both kinds
      is refused as a whole, since no role may change both;
    - values are allowed (``InvalidSetting``): publicity days a whole number in
      ``PUBLICITY_DAYS_MIN..PUBLICITY_DAYS_MAX``; emergency publication days a whole number in
      ``EMERGENCY_PUBLISH_DAYS_MIN..EMERGENCY_PUBLISH_DAYS_MAX``; ``binding_result``
      ``plain`` or ``deemed``, and ``deemed`` only with the deemed-majority clause on
      (turning the clause off makes the plain result binding again, recorded as a change of
      both); ``fund_holder`` ``authority`` or ``assembly``;
    - the basis is a citation of 1..``MAX_BASIS`` characters without control characters; a
      change of the fund holder also carries the transfer document's SHA-256 (64 hex digits);
    - something actually changes (``NoSettingChanged`` otherwise).

    Then the community row, one history row and one ``estate.settings_changed`` log entry are
    written in the caller's transaction (the community row is locked first, so two changes
    queue and each records the values it replaced).
    """
    names_rules = any(
        v is not None
        for v in (deemed_majority_enabled, binding_result, publicity_days, emergency_publish_days)
    )
    names_holder = fund_holder is not None
    if not names_rules and not names_holder:
        raise NoSettingChanged(N_("Name at least one setting to change."))
    if names_rules and names_holder:
        raise SettingChangeForbidden(
            N_(
                "The voting rules and the fund holder are changed separately: the committee "
                "sets the rules, the housing authority records who holds the fund."
            )
        )
    if names_rules and not may_set_rules:
        raise SettingChangeForbidden(
            N_("Only the committee of this community or an administrator sets its voting rules.")
        )
    if names_holder and not may_set_holder:
        raise SettingChangeForbidden(
            N_(
                "Only a housing authority user overseeing this community records who holds "
                "the fund."
            )
        )
    cited = _check_basis(basis)
    document = _check_document(document_sha256, required=names_holder)
    _check_values(deemed_majority_enabled, binding_result, publicity_days, fund_holder)
    _check_emergency_days(emergency_publish_days)

    community = _community(uow, community_code, for_update=True)
    before = settings_of(community)
    after = dict(before.as_dict())
    if deemed_majority_enabled is not None:
        after["deemed_majority_enabled"] = deemed_majority_enabled
    if binding_result is not None:
        after["binding_result"] = binding_result
    if publicity_days is not None:
        after["publicity_days"] = publicity_days
    if fund_holder is not None:
        after["fund_holder"] = fund_holder
    if emergency_publish_days is not None:
        after["emergency_publish_days"] = emergency_publish_days
    if not after["deemed_majority_enabled"] and after["binding_result"] == "deemed":
        if binding_result == "deemed":
            raise InvalidSetting(
                N_(
                    "The deemed-majority result can bind only while the deemed-majority "
                    "clause is on."
                )
            )
        after["binding_result"] = "plain"
    old = {k: v for k, v in before.as_dict().items() if after[k] != v}
    new = {k: after[k] for k in old}
    if not new:
        raise NoSettingChanged(N_("These settings are already in force; nothing was changed."))

    now = uow.clock.now()
    community.publicity_days = after["publicity_days"]
    community.deemed_majority_enabled = after["deemed_majority_enabled"]
    community.binding_result = after["binding_result"]
    community.fund_holder = after["fund_holder"]
    community.emergency_publish_days = after["emergency_publish_days"]
    kind = "fund_holder" if names_holder else "rules"
    appended = uow.log(
        community.code,
        "estate.settings_changed",
        {
            "kind": kind,
            "old": old,
            "new": new,
            "by": actor,
            "basis_sha256": hashlib.sha256(cited.encode()).hexdigest(),
            "document_sha256": document,
        },
    )
    row = CommunitySettingChange(
        community_id=community.id,
        changed_at=now,
        actor_id=actor,
        kind=kind,
        old_values=json.dumps(old, sort_keys=True),
        new_values=json.dumps(new, sort_keys=True),
        basis=cited,
        document_sha256=document,
        log_index=appended.index,
    )
    uow.session.add(row)
    uow.session.flush()
    return SettingChangeInfo(
        changed_at=now,
        actor_id=actor,
        kind=kind,
        old=old,
        new=new,
        basis=cited,
        document_sha256=document,
        log_index=appended.index,
    )


# --- internals -----------------------------------------------------------------------------


def _community(uow: UnitOfWork, code: str, *, for_update: bool) -> Community:
    query = sa.select(Community).where(Community.code == code)
    if for_update:
        query = query.with_for_update()
    community = uow.session.scalar(query)
    if community is None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code=code)
    return community


def _check_basis(basis: Any) -> str:
    if not isinstance(basis, str) or not basis.strip():
        raise InvalidSetting(
            N_("Cite the management rules or the owners' decision that allows this change.")
        )
    text = basis.strip()
    if len(text) > MAX_BASIS:
        raise InvalidSetting(N_("The basis may be at most %(max)s characters."), max=MAX_BASIS)
    if _BAD_TEXT.search(text):
        raise InvalidSetting(N_("The basis holds a character that cannot be stored."))
    return text


def _check_document(sha256: Any, *, required: bool) -> str | None:
    if sha256 is None or (isinstance(sha256, str) and not sha256.strip()):
        if required:
            raise InvalidSetting(
                N_("Give the SHA-256 of the transfer document when the fund holder changes.")
            )
        return None
    text = sha256.strip().lower() if isinstance(sha256, str) else ""
    if not _SHA256.fullmatch(text):
        raise InvalidSetting(N_("A SHA-256 is 64 hexadecimal digits."))
    return text


def _check_emergency_days(days: int | None) -> None:
    if days is not None and (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not EMERGENCY_PUBLISH_DAYS_MIN <= days <= EMERGENCY_PUBLISH_DAYS_MAX
    ):
        raise InvalidSetting(
            N_(
                "The emergency publication deadline is a whole number of days from %(min)s "
                "to %(max)s."
            ),
            min=EMERGENCY_PUBLISH_DAYS_MIN,
            max=EMERGENCY_PUBLISH_DAYS_MAX,
        )


def _check_values(
    deemed: bool | None, binding: str | None, days: int | None, holder: str | None
) -> None:
    if deemed is not None and not isinstance(deemed, bool):
        raise InvalidSetting(N_("The deemed-majority clause is either on or off."))
    if binding is not None and binding not in BINDING_RESULTS:
        raise InvalidSetting(N_("The binding result is plain or deemed."))
    if days is not None and (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not PUBLICITY_DAYS_MIN <= days <= PUBLICITY_DAYS_MAX
    ):
        raise InvalidSetting(
            N_("The publicity period is a whole number of days from %(min)s to %(max)s."),
            min=PUBLICITY_DAYS_MIN,
            max=PUBLICITY_DAYS_MAX,
        )
    if holder is not None and holder not in FUND_HOLDERS:
        raise InvalidSetting(N_("The fund is held by the authority or the owners' assembly."))
