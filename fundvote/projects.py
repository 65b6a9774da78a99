"""Projects, emergency records and draws, written once for the pages, the JSON API and the
tests: the facts about the acting staff user that ``ledger``'s services take.

``ledger`` knows nothing of staff accounts. This module tells it, for the acting user, whether
they are an authority user overseeing the community or a committee member of it, and how many
members the committee has (active committee users assigned to the community), counted in the
same unit of work as the approval, so a majority is judged against the committee as it is
when the draw posts. Who may do what (the routes declare it too):

- a manager or the committee: open projects, record emergencies and their publication,
  record money received, record draws;
- an authority user while the authority holds the fund, committee members once the owners'
  assembly holds it: approve or reject draws (never their own);
- every staff user of the community: read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from estate.api import CommunityNotFound, find_community
from fundvote.accounts import StaffCommunity, StaffUser
from fundvote.auth import Principal
from fundvote.books import community_id
from fundvote.roles import is_committee_of
from fundvote.runtime import Runtime
from ledger import api as ledger
from notary.errors import N_
from notary.work import UnitOfWork

RECORDER_ROLES = ("manager", "committee")
"""Who opens projects, records emergencies, money received and draws."""
APPROVER_ROLES = ("authority", "committee")
"""Who approves draws (which of them, the fund's holder decides)."""


def committee_size(uow: UnitOfWork, community_id: int) -> int:
    """How many active committee users are assigned to the community (its members)."""
    return int(
        uow.session.scalar(
            sa.select(sa.func.count(sa.distinct(StaffUser.id)))
            .join(StaffCommunity, StaffCommunity.user_id == StaffUser.id)
            .where(
                StaffCommunity.community_id == community_id,
                StaffUser.role == "committee",
                StaffUser.is_active.is_(True),
            )
        )
        or 0
    )


def is_authority_of(principal: Principal | None, community_id: int) -> bool:
    """Whether ``principal`` is an authority user overseeing that community."""
    return (
        principal is not None
        and principal.role == "authority"
        and community_id in principal.community_ids
    )


def _decide(
    uow: UnitOfWork,
    *,
    community_id: int,
    approve: bool,
    principal: Principal,
    **kwargs: Any,
) -> ledger.DrawInfo:
    facts: dict[str, Any] = {
        "is_authority": is_authority_of(principal, community_id),
        "is_committee_member": is_committee_of(principal, community_id),
        "committee_size": committee_size(uow, community_id),
    }
    if approve:
        return ledger.approve_draw(uow, **facts, **kwargs)
    return ledger.reject_draw(uow, **facts, **kwargs)


def approve(rt: Runtime, principal: Principal, code: str, draw_ref: str) -> ledger.DrawInfo:
    """Approve a draw as ``principal`` in one unit of work (``ledger.approve_draw``: every
    guarantee and refusal); the draw posts once approved enough."""
    found = community_id(rt, code)
    return rt.run_as(
        principal.user_id,
        _decide,
        community_id=found,
        approve=True,
        principal=principal,
        community_code=code,
        draw_ref=draw_ref,
    )


def reject(
    rt: Runtime, principal: Principal, code: str, draw_ref: str, reason: str
) -> ledger.DrawInfo:
    """Reject a draw as ``principal`` with a reason (``ledger.reject_draw``)."""
    found = community_id(rt, code)
    return rt.run_as(
        principal.user_id,
        _decide,
        community_id=found,
        approve=False,
        principal=principal,
        community_code=code,
        draw_ref=draw_ref,
        reason=reason,
    )


def may_approve(rt: Runtime, principal: Principal | None, code: str) -> bool:
    """Whether ``principal`` is of the kind that approves this community's draws now (an
    authority user overseeing it while the authority holds the fund; a committee member
    once the assembly does). Shows or hides the buttons; the service decides."""
    if principal is None:
        return False
    community = rt.query(find_community, code)
    if community is None:
        return False
    holder = rt.query(_holder, code)
    if holder == "authority":
        return is_authority_of(principal, community.id)
    return is_committee_of(principal, community.id)


def _holder(uow: UnitOfWork, code: str) -> str:
    from estate.api import current_settings

    return current_settings(uow, code).fund_holder


def may_record(principal: Principal | None, community_id: int) -> bool:
    """Whether ``principal`` records projects, emergencies, money received and draws here."""
    return (
        principal is not None
        and principal.role in RECORDER_ROLES
        and community_id in principal.community_ids
    )


@dataclass(frozen=True)
class ProjectPage:
    """What the project page and its API show: the report and every draw with the names of
    who recorded and approved it."""

    report: ledger.ProjectReport
    draws: tuple[ledger.DrawInfo, ...]
    names: dict[int, str]
    fund_holder: str
    committee_size: int


def staff_names(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of staff users by id (staff see each other's names)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        user_id: display_name or username
        for user_id, username, display_name in uow.session.execute(
            sa.select(StaffUser.id, StaffUser.username, StaffUser.display_name).where(
                StaffUser.id.in_(wanted)
            )
        )
    }


def project_page(uow: UnitOfWork, code: str, project_ref: str) -> ProjectPage:
    """The project's report, its draws (newest first) and the names behind them (reads only;
    ``ProjectNotFound`` for an unknown ref)."""
    from estate.api import current_settings

    community = find_community(uow, code)
    if community is None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code=code)
    report = ledger.project_report(uow, code, project_ref)
    draws = tuple(ledger.list_draws(uow, code, project_ref=project_ref))
    ids: list[int | None] = [report.project.opened_by]
    for d in draws:
        ids += [d.recorded_by, d.decided_by, *d.approvals]
    return ProjectPage(
        report=report,
        draws=draws,
        names=staff_names(uow, ids),
        fund_holder=current_settings(uow, code).fund_holder,
        committee_size=committee_size(uow, community.id),
    )
