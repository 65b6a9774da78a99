"""Who may do what beyond a route's roles: facts about the acting staff user that the
packages' use cases take as arguments (they know nothing of staff accounts)."""

from __future__ import annotations

from fundvote.auth import Principal

LEGACY_IMPORT_ROLES = ("committee", "authority", "admin")
"""Who may import a community's earlier books (the page, the API; each within the
communities it acts for): the committee, the housing authority, the administrator."""


def is_committee_of(principal: Principal | None, community_id: int) -> bool:
    """Whether ``principal`` is a committee member of that community: the committee role and
    the community among the user's own (an admin, a manager, an auditor or an authority is
    not, whatever their scope)."""
    return (
        principal is not None
        and principal.role == "committee"
        and community_id in principal.community_ids
    )
