"""Use cases that span the register and the ledger: a community or unit never exists without
its books.

Creating a community opens its chart; importing a roll opens a maintenance-fund sub-account
for every new unit, in the same unit of work as the import (``estate`` never calls upward;
the composition root composes the two steps). Entry points call these, not the bare
``estate`` steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from estate.api import (
    CommunityInfo,
    CommunityNotFound,
    DataCipher,
    ImportSummary,
    create_community,
    find_community,
    import_roll_file,
)
from fundvote.runtime import Runtime
from ledger.api import open_books
from notary.errors import N_
from notary.work import UnitOfWork


def create_community_with_books(uow: UnitOfWork, **fields: object) -> CommunityInfo:
    """Create a community (``estate.create_community``: every guarantee and refusal) and open
    its books (``ledger.open_books``) in the same unit of work."""
    info = create_community(uow, **fields)  # type: ignore[arg-type]
    open_books(uow, info.id)
    return info


def import_roll_with_books(
    uow: UnitOfWork,
    *,
    community_code: str,
    data: bytes | Path,
    filename: str | None = None,
    cipher: DataCipher,
    building_names: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Import a roll file (``estate.import_roll_file``: every guarantee and refusal) and open
    a sub-account for every unit that has none, in the same unit of work: a unit the import
    creates has its sub-account when the import commits."""
    summary = import_roll_file(
        uow,
        community_code=community_code,
        data=data,
        filename=filename,
        cipher=cipher,
        building_names=building_names,
    )
    community = find_community(uow, community_code)
    assert community is not None
    open_books(uow, community.id)
    return summary


def community_id(rt: Runtime, code: str) -> int:
    """The id of the community with ``code`` (``CommunityNotFound`` when there is none), for
    use cases that turn the acting user's scope into facts."""
    community = rt.query(find_community, code)
    if community is None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code=code)
    return community.id
