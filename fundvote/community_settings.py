"""A community's voting settings, written once for the committee's page, the JSON API and
``fundvote community set``.

The packages know nothing of staff accounts: this module turns the acting staff user into
the facts ``estate.settings.change_settings`` takes (may they set the voting rules, may they
record who holds the fund) and reads the history with the names of who made each change.
Who may do what:

- the committee of the community, or an admin: the deemed-majority clause, the binding
  result and the publicity period, citing the management rules or the owners' decision;
- a housing authority user overseeing the community: who holds the fund, citing the owners'
  decision and the SHA-256 of the transfer document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from estate.api import (
    CommunityNotFound,
    CommunitySettings,
    SettingChangeInfo,
    change_settings,
    current_settings,
    find_community,
    settings_history,
)
from fundvote.accounts import StaffUser
from fundvote.auth import Principal
from fundvote.runtime import Runtime
from notary.errors import N_
from notary.work import UnitOfWork

RULE_SETTER_ROLES = ("committee", "admin")
HOLDER_SETTER_ROLES = ("authority",)


@dataclass(frozen=True)
class SettingChangeLine:
    """One history row as staff see it: with the name of who made the change."""

    changed_at: datetime
    actor_name: str
    kind: str
    old: dict[str, Any]
    new: dict[str, Any]
    basis: str
    document_sha256: str | None
    log_index: int


@dataclass(frozen=True)
class SettingsPage:
    """What the settings page and the API show: the settings in force and their history."""

    community_code: str
    community_name: str
    settings: CommunitySettings
    history: tuple[SettingChangeLine, ...]


def may_set_rules(principal: Principal | None, community_id: int) -> bool:
    """Whether ``principal`` may set the community's voting rules (committee of it, admin)."""
    return (
        principal is not None
        and principal.role in RULE_SETTER_ROLES
        and principal.may_act_for(community_id)
    )


def may_set_holder(principal: Principal | None, community_id: int) -> bool:
    """Whether ``principal`` may record who holds the community's fund (an authority user
    overseeing it)."""
    return (
        principal is not None
        and principal.role in HOLDER_SETTER_ROLES
        and principal.may_act_for(community_id)
    )


def change_community_settings(
    rt: Runtime,
    principal: Principal,
    community_code: str,
    *,
    basis: str,
    deemed_majority_enabled: bool | None = None,
    binding_result: str | None = None,
    publicity_days: int | None = None,
    fund_holder: str | None = None,
    document_sha256: str | None = None,
    emergency_publish_days: int | None = None,
) -> SettingChangeInfo:
    """Change the community's settings as ``principal`` in one unit of work (see
    ``estate.settings.change_settings`` for every guarantee and refusal); ``CommunityNotFound``
    for an unknown code."""
    community = rt.query(find_community, community_code)
    if community is None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code=community_code)
    return rt.run_as(
        principal.user_id,
        change_settings,
        community_code=community_code,
        actor=principal.user_id,
        may_set_rules=may_set_rules(principal, community.id),
        may_set_holder=may_set_holder(principal, community.id),
        basis=basis,
        deemed_majority_enabled=deemed_majority_enabled,
        binding_result=binding_result,
        publicity_days=publicity_days,
        fund_holder=fund_holder,
        document_sha256=document_sha256,
        emergency_publish_days=emergency_publish_days,
    )


def settings_page(uow: UnitOfWork, community_code: str) -> SettingsPage:
    """The community's settings in force and their history, newest first, with the names of
    who made each change (reads only; ``CommunityNotFound`` for an unknown code)."""
    community = find_community(uow, community_code)
    if community is None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code=community_code)
    history = settings_history(uow, community_code)
    ids = sorted({h.actor_id for h in history})
    names: dict[int, str] = {}
    if ids:
        for user_id, username, display_name in uow.session.execute(
            sa.select(StaffUser.id, StaffUser.username, StaffUser.display_name).where(
                StaffUser.id.in_(ids)
            )
        ):
            names[user_id] = display_name or username
    return SettingsPage(
        community_code=community.code,
        community_name=community.name,
        settings=current_settings(uow, community_code),
        history=tuple(
            SettingChangeLine(
                changed_at=h.changed_at,
                actor_name=names.get(h.actor_id, f"#{h.actor_id}"),
                kind=h.kind,
                old=h.old,
                new=h.new,
                basis=h.basis,
                document_sha256=h.document_sha256,
                log_index=h.log_index,
            )
            for h in history
        ),
    )
