"""Issuing owners' personal links: issue, reissue, list as CSV, deliver.

The token exists in clear only in what :func:`issue_links` / :func:`reissue_link` return,
once. A lost link is never shown again: it is reissued, which revokes the old one and any
reminder link (a database constraint allows one live link per member, and one live reminder
link beside it: ``voting.reminders``, which never revokes the first link). Log entries name
members by their opaque key;
never a name, a phone or a token.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.errors import UndecryptableData
from estate.models import Community, Owner
from estate.personal import DataCipher
from estate.quantities import format_hundredths
from estate.services import phone_purpose
from estate.tables import csv_cells
from notary import store
from notary.work import UnitOfWork
from voting.errors import N_, IllegalTransition, LinkAlreadyIssued, NotEligible, ReissueClosed
from voting.models import Ballot, Credential, RollMember, RollUnit, Vote
from voting.outbox import DeliveryReport, Message, Outbox
from voting.rows import (
    IN_LIST_LIMIT,
    ballot_by_ref,
    community_of,
    log_event,
    member_labels,
)
from voting.tokens import REISSUE_STATUSES, link_url, new_token, token_hash


@dataclass(frozen=True)
class IssuedLink:
    """One member's new link, in clear: shown or printed once, never stored."""

    member_id: int
    member_key: str
    holder_label: str  # masked names (张*明、李*), empty for the developer
    is_developer: bool
    unit_codes: tuple[str, ...]
    area_centi: int
    url: str

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"IssuedLink(member_key={self.member_key!r})"


@dataclass(frozen=True)
class IssuedLinks:
    """The links issued for one ballot in one go, with what slips and messages need."""

    ballot_ref: str
    ballot_title: str
    community_code: str
    community_name: str
    closes_at: datetime
    links: tuple[IssuedLink, ...]
    identity_check: str = "none"  # the ballot's check, which the message announces

    @classmethod
    def of(cls, ballot: Ballot, community: Community, links: Iterable[IssuedLink]) -> IssuedLinks:
        """The links of ``ballot`` in ``community``, with everything the slips and messages
        read from them (the ballot's identity check included)."""
        return cls(
            ballot.ref,
            ballot.title,
            community.code,
            community.name,
            ballot.closes_at,
            tuple(links),
            ballot.identity_check,
        )


def issue_links(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    base_url: str,
    members: Iterable[int] | None = None,
    actor: int | None = None,
) -> IssuedLinks:
    """Issue one personal link per roll member (all of them, or the ids in ``members``).

    Guarantees, in one transaction: the ballot is open (``IllegalTransition`` otherwise); every
    member named is on its frozen roll (``NotEligible``); no member named already has a live
    link (``LinkAlreadyIssued``: reissue instead); each new token is stored only as its
    SHA-256, with the community log's size, so a vote recorded before the link existed (a
    paper ballot) is never shown through it; one ``voting.links_issued`` event lists the
    member keys. The returned links are the only copy of the tokens.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status != "open":
        raise IllegalTransition(
            N_("Links are issued while the ballot is open."), status=ballot.status
        )
    roll = _roll_members(s, ballot.id)
    if members is None:
        chosen = list(roll.values())
    else:
        wanted = list(dict.fromkeys(members))
        missing = [m for m in wanted if m not in roll]
        if missing:
            raise NotEligible(N_("A member is not on this ballot's roll."), member=missing[0])
        chosen = [roll[m] for m in wanted]
    live = set(
        s.scalars(
            sa.select(Credential.member_id).where(
                Credential.ballot_id == ballot.id,
                Credential.revoked_at.is_(None),
                Credential.proxy_id.is_(None),
                Credential.is_reminder.is_(False),
            )
        )
    )
    already = [m for m in chosen if m.id in live]
    if already:
        raise LinkAlreadyIssued(
            N_("%(count)s member(s) already have a live link: reissue those one by one."),
            count=len(already),
        )
    now = uow.clock.now()
    community = community_of(s, ballot)
    log_size = store.tree_size(s, community.code)
    tokens: dict[int, str] = {}
    live_link = {
        "uq_credential_live_member": lambda: LinkAlreadyIssued(
            N_("A member already has a live link: reissue it instead."), count=1
        )
    }
    rows = []
    for member in chosen:
        token = tokens[member.id] = new_token()
        rows.append(
            {
                "ballot_id": ballot.id,
                "member_id": member.id,
                "token_hash": token_hash(token),
                "issued_at": now,
                "log_size_at_issue": log_size,
            }
        )
    with uow.constraint_errors(live_link):
        if rows:
            s.execute(sa.insert(_CREDENTIAL), rows)  # one executemany, only the hashes
    log_event(
        s,
        community.code,
        "voting.links_issued",
        uow.clock,
        {
            "ballot": ballot.ref,
            "members": [m.member_key for m in chosen],
            "by": actor,
        },
        omit_none=True,
        bulk=("members",),
    )
    links = _issued(s, ballot.id, community.id, chosen, tokens, base_url)
    return IssuedLinks.of(ballot, community, links)


def reissue_link(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    member_id: int,
    base_url: str,
    actor: int | None = None,
) -> IssuedLinks:
    """Revoke the member's live link (if any) and issue a new one, in one transaction.

    Guarantees: the ballot has a frozen roll (``IllegalTransition`` otherwise) and is not
    settled (``ReissueClosed`` once final, annulled or cancelled); the member is on its roll
    (``NotEligible``); afterwards exactly one link of the member is live, the new one;
    ``voting.link_reissued`` names the member key (never a token). Identity-check failures,
    lockouts and a passed identity check do not carry over to the new link. The new link
    records the community log's size, so a vote of the member recorded before the reissue
    is never shown through it: its holder sees that the member voted, never the choices,
    the tracker or the receipt.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in REISSUE_STATUSES:
        if ballot.status in ("final", "annulled", "cancelled"):
            raise ReissueClosed(
                N_("This ballot is settled: its links are no longer reissued."),
                status=ballot.status,
            )
        raise IllegalTransition(
            N_("Links exist only once the ballot has opened."), status=ballot.status
        )
    member = s.get(RollMember, member_id)
    if member is None or member.ballot_id != ballot.id:
        raise NotEligible(N_("The member is not on this ballot's roll."), member=member_id)
    now = uow.clock.now()
    old = s.scalars(
        sa.select(Credential)
        .where(
            Credential.member_id == member.id,
            Credential.revoked_at.is_(None),
            Credential.proxy_id.is_(None),  # a proxy's own link is the proxy's business
        )
        .with_for_update()
    ).all()
    for credential in old:
        credential.revoked_at = now
    s.flush()
    community = community_of(s, ballot)
    token = _add_credential(s, ballot.id, member.id, now, store.tree_size(s, community.code))
    s.flush()
    log_event(
        s,
        community.code,
        "voting.link_reissued",
        uow.clock,
        {"ballot": ballot.ref, "member": member.member_key, "revoked": len(old), "by": actor},
        omit_none=True,
    )
    links = _issued(s, ballot.id, community.id, [_row(member)], {member.id: token}, base_url)
    return IssuedLinks.of(ballot, community, links)


def links_csv(
    issued: IssuedLinks, *, header: Sequence[str], developer_label: str, unit_separator: str = " "
) -> bytes:
    """The issued links as CSV for the committee: unit codes, masked holder, area, link.

    UTF-8 with a byte-order mark so spreadsheet programs read the Chinese correctly. ``header``
    gives the four column titles in the reader's language. Text cells cannot become formulas
    (``estate.tables.csv_cells``); the area stays a number.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_cells(list(header)))
    for link in issued.links:
        writer.writerow(
            csv_cells(
                [
                    unit_separator.join(link.unit_codes),
                    developer_label if link.is_developer else link.holder_label,
                    format_hundredths(link.area_centi),
                    link.url,
                ],
                numeric={2},
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def deliver_links(
    uow: UnitOfWork,
    *,
    issued: IssuedLinks,
    cipher: DataCipher,
    outbox: Outbox,
    compose: Callable[[IssuedLinks, IssuedLink], tuple[str, str]],
) -> DeliveryReport:
    """Send each issued link to the phones of its member's owners, through ``outbox``.

    ``compose(issued, link)`` returns the subject and body. Phones are decrypted in memory
    only, for the time of sending; owners without a phone (and the developer) get no message:
    they get the printed slip. Reads only; nothing is written to the database.
    """
    s = uow.session
    phones = _member_phones(s, issued, cipher)
    messages: list[Message] = []
    for link in issued.links:
        subject, body = compose(issued, link)
        for phone in phones.get(link.member_id, ()):
            messages.append(
                Message(to=phone, subject=subject, body=body, member_key=link.member_key)
            )
    phones.clear()
    return outbox.deliver(messages)


# --- internals -----------------------------------------------------------------------------


def _add_credential(
    s: Session, ballot_id: int, member_id: int, now: datetime, log_size: int
) -> str:
    """Add a live credential for the member, storing only its token's SHA-256 and the
    community log's size now; return the token."""
    token = new_token()
    s.add(
        Credential(
            ballot_id=ballot_id,
            member_id=member_id,
            token_hash=token_hash(token),
            issued_at=now,
            log_size_at_issue=log_size,
        )
    )
    return token


@dataclass(frozen=True)
class _Member:
    """A roll member as links need it (read with Core, not as an ORM entity)."""

    id: int
    member_key: str
    is_developer: bool
    area_centi: int
    owner_refs: str  # JSON list of owner refs


_MEMBER = cast(sa.Table, RollMember.__table__)
_ROLL_UNIT = cast(sa.Table, RollUnit.__table__)
_CREDENTIAL = cast(sa.Table, Credential.__table__)
_OWNER = cast(sa.Table, Owner.__table__)


def _row(m: RollMember) -> _Member:
    return _Member(m.id, m.member_key, m.is_developer, m.area_centi, m.owner_refs)


def _roll_members(s: Session, ballot_id: int) -> dict[int, _Member]:
    rm = _MEMBER
    rows = s.execute(
        sa.select(rm.c.id, rm.c.member_key, rm.c.is_developer, rm.c.area_centi, rm.c.owner_refs)
        .where(rm.c.ballot_id == ballot_id)
        .order_by(rm.c.position)
    )
    return {row[0]: _Member(*row) for row in rows}


def _unit_codes(s: Session, ballot_id: int, member_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each member's frozen unit codes, by code (every id in ``member_ids`` a key)."""
    ru = _ROLL_UNIT
    codes: dict[int, list[str]] = {m: [] for m in member_ids}
    if not codes:
        return codes
    query = (
        sa.select(ru.c.member_id, ru.c.unit_code)
        .where(ru.c.ballot_id == ballot_id)
        .order_by(ru.c.unit_code)
    )
    if len(codes) <= IN_LIST_LIMIT:
        query = query.where(ru.c.member_id.in_(list(codes)))
    for member_id, code in s.execute(query):
        mine = codes.get(member_id)
        if mine is not None:
            mine.append(code)
    return codes


def _issued(
    s: Session,
    ballot_id: int,
    community_id: int,
    members: Sequence[_Member],
    tokens: Mapping[int, str],
    base_url: str,
) -> tuple[IssuedLink, ...]:
    labels = member_labels(s, members, community_id=community_id)
    units = _unit_codes(s, ballot_id, [m.id for m in members])
    return tuple(
        IssuedLink(
            member_id=m.id,
            member_key=m.member_key,
            holder_label=labels[m.id],
            is_developer=m.is_developer,
            unit_codes=tuple(units[m.id]),
            area_centi=m.area_centi,
            url=link_url(base_url, tokens[m.id]),
        )
        for m in members
    )


def _member_phones(s: Session, issued: IssuedLinks, cipher: DataCipher) -> dict[int, list[str]]:
    """The distinct phones of each issued member's owners (by owner ref), decrypted in memory;
    none for the developer or an owner whose phone cannot be read. Two or four reads whatever
    the number of links."""
    rm, o = _MEMBER, _OWNER
    ids = {link.member_id for link in issued.links}
    query = sa.select(rm.c.id, rm.c.is_developer, rm.c.owner_refs)
    if len(ids) <= IN_LIST_LIMIT:
        query = query.where(rm.c.id.in_(sorted(ids)))
    else:
        query = query.join(Ballot, Ballot.id == rm.c.ballot_id).where(
            Ballot.ref == issued.ballot_ref
        )
    refs_of = {
        member_id: sorted(json.loads(refs or "[]"))
        for member_id, developer, refs in s.execute(query)
        if member_id in ids and not developer
    }
    wanted = {r for refs in refs_of.values() for r in refs}
    if not wanted:
        return {}
    owners = sa.select(o.c.ref, o.c.phone_enc).where(o.c.phone_enc.is_not(None))
    if len(wanted) <= IN_LIST_LIMIT:
        owners = owners.where(o.c.ref.in_(sorted(wanted)))
    else:
        owners = owners.join(Community, Community.id == o.c.community_id).where(
            Community.code == issued.community_code
        )
    phone_of: dict[str, str] = {}
    for ref, phone_enc in s.execute(owners):
        if ref not in wanted:
            continue
        try:
            phone_of[ref] = cipher.decrypt(phone_enc, purpose=phone_purpose(ref))
        except UndecryptableData:
            continue
    phones: dict[int, list[str]] = {}
    for link in issued.links:
        found: list[str] = []
        for ref in refs_of.get(link.member_id, ()):
            phone = phone_of.get(ref)
            if phone and phone not in found:
                found.append(phone)
        if found:
            phones[link.member_id] = found
    phone_of.clear()
    return phones


@dataclass(frozen=True)
class LinkCounts:
    """A ballot's links at a glance: roll members, live and revoked links (members' own
    links; proxies' links are listed with the proxies), votes cast."""

    members: int
    live: int
    revoked: int
    cast: int


def link_counts(s: Session, ballot_ref: str) -> LinkCounts:
    """Count the ballot's roll members, live and revoked links and votes (four aggregates);
    ``BallotNotFound`` for an unknown ballot."""
    ballot_id = ballot_by_ref(s, ballot_ref).id

    def count(query: sa.Select[Any]) -> int:
        return int(s.scalar(query) or 0)

    total = sa.select(sa.func.count())
    return LinkCounts(
        members=count(total.select_from(RollMember).where(RollMember.ballot_id == ballot_id)),
        live=count(
            total.select_from(Credential).where(
                Credential.ballot_id == ballot_id,
                Credential.revoked_at.is_(None),
                Credential.proxy_id.is_(None),
            )
        ),
        revoked=count(
            total.select_from(Credential).where(
                Credential.ballot_id == ballot_id,
                Credential.revoked_at.is_not(None),
                Credential.proxy_id.is_(None),
            )
        ),
        cast=count(total.select_from(Vote).where(Vote.ballot_id == ballot_id)),
    )
