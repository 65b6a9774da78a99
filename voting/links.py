"""Issuing owners' personal links: issue, reissue, list as CSV, deliver.

The token exists in clear only in what :func:`issue_links` / :func:`reissue_link` return,
once. A lost link is never shown again: it is reissued, which revokes the old one (a database
constraint allows one live link per member). Log entries name members by their opaque key;
never a name, a phone or a token.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.errors import UndecryptableData
from estate.models import Owner
from estate.personal import DataCipher
from estate.quantities import format_hundredths
from estate.services import phone_purpose
from notary.work import UnitOfWork
from voting.errors import N_, IllegalTransition, LinkAlreadyIssued, NotEligible
from voting.models import Credential, RollMember, Vote
from voting.outbox import DeliveryReport, Message, Outbox
from voting.rows import (
    ballot_by_ref,
    community_of,
    log_event,
    member_labels,
    units_by_member,
)
from voting.tokens import REISSUE_STATUSES, link_url, new_token, token_hash

LOOKUP_BATCH = 500  # members whose phones are read with one query


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
    SHA-256; one ``voting.links_issued`` event lists the member keys. The returned links are
    the only copy of the tokens.
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
                Credential.ballot_id == ballot.id, Credential.revoked_at.is_(None)
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
    tokens: dict[int, str] = {}
    live_link = {
        "uq_credential_live_member": lambda: LinkAlreadyIssued(
            N_("A member already has a live link: reissue it instead."), count=1
        )
    }
    with uow.constraint_errors(live_link):
        for member in chosen:
            tokens[member.id] = _add_credential(s, ballot.id, member.id, now)
    community = community_of(s, ballot)
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
    )
    links = _issued(s, ballot.id, chosen, tokens, base_url)
    return IssuedLinks(
        ballot.ref, ballot.title, community.code, community.name, ballot.closes_at, links
    )


def reissue_link(
    uow: UnitOfWork,
    *,
    ballot_ref: str,
    member_id: int,
    base_url: str,
    actor: int | None = None,
) -> IssuedLinks:
    """Revoke the member's live link (if any) and issue a new one, in one transaction.

    Guarantees: the ballot has a frozen roll (``IllegalTransition`` otherwise) and the member
    is on it (``NotEligible``); afterwards exactly one link of the member is live, the new one;
    ``voting.link_reissued`` names the member key (never a token). Identity-check failures
    and lockouts do not carry over to the new link.
    """
    s = uow.session
    ballot = ballot_by_ref(s, ballot_ref, for_update=True)
    if ballot.status not in REISSUE_STATUSES:
        raise IllegalTransition(
            N_("Links exist only once the ballot has opened."), status=ballot.status
        )
    member = s.get(RollMember, member_id)
    if member is None or member.ballot_id != ballot.id:
        raise NotEligible(N_("The member is not on this ballot's roll."), member=member_id)
    now = uow.clock.now()
    old = s.scalars(
        sa.select(Credential)
        .where(Credential.member_id == member.id, Credential.revoked_at.is_(None))
        .with_for_update()
    ).all()
    for credential in old:
        credential.revoked_at = now
    s.flush()
    token = _add_credential(s, ballot.id, member.id, now)
    s.flush()
    community = community_of(s, ballot)
    log_event(
        s,
        community.code,
        "voting.link_reissued",
        uow.clock,
        {"ballot": ballot.ref, "member": member.member_key, "revoked": len(old), "by": actor},
        omit_none=True,
    )
    links = _issued(s, ballot.id, [member], {member.id: token}, base_url)
    return IssuedLinks(
        ballot.ref, ballot.title, community.code, community.name, ballot.closes_at, links
    )


def links_csv(
    issued: IssuedLinks, *, header: Sequence[str], developer_label: str, unit_separator: str = " "
) -> bytes:
    """The issued links as CSV for the committee: unit codes, masked holder, area, link.

    UTF-8 with a byte-order mark so spreadsheet programs read the Chinese correctly. ``header``
    gives the four column titles in the reader's language.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    for link in issued.links:
        writer.writerow(
            [
                unit_separator.join(link.unit_codes),
                developer_label if link.is_developer else link.holder_label,
                format_hundredths(link.area_centi),
                link.url,
            ]
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
    phones = _member_phones(s, [link.member_id for link in issued.links], cipher)
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


def _add_credential(s: Session, ballot_id: int, member_id: int, now: datetime) -> str:
    """Add a live credential for the member, storing only its token's SHA-256; return the
    token."""
    token = new_token()
    s.add(
        Credential(
            ballot_id=ballot_id, member_id=member_id, token_hash=token_hash(token), issued_at=now
        )
    )
    return token


def _roll_members(s: Session, ballot_id: int) -> dict[int, RollMember]:
    rows = s.scalars(
        sa.select(RollMember).where(RollMember.ballot_id == ballot_id).order_by(RollMember.position)
    )
    return {m.id: m for m in rows}


def _issued(
    s: Session,
    ballot_id: int,
    members: Sequence[RollMember],
    tokens: Mapping[int, str],
    base_url: str,
) -> tuple[IssuedLink, ...]:
    labels = member_labels(s, members)
    units = units_by_member(s, ballot_id, [m.id for m in members])
    return tuple(
        IssuedLink(
            member_id=m.id,
            member_key=m.member_key,
            holder_label=labels[m.id],
            is_developer=m.is_developer,
            unit_codes=tuple(u.unit_code for u in units[m.id]),
            area_centi=m.area_centi,
            url=link_url(base_url, tokens[m.id]),
        )
        for m in members
    )


def _member_phones(
    s: Session, member_ids: Sequence[int], cipher: DataCipher
) -> dict[int, list[str]]:
    """Each member's distinct phones, owners in ref order; two queries per 500 members."""
    phones: dict[int, list[str]] = {}
    for start in range(0, len(member_ids), LOOKUP_BATCH):
        chunk = list(member_ids[start : start + LOOKUP_BATCH])
        refs_of = {
            member.id: sorted(json.loads(member.owner_refs or "[]"))
            for member in s.scalars(sa.select(RollMember).where(RollMember.id.in_(chunk)))
            if not member.is_developer
        }
        wanted = sorted({ref for refs in refs_of.values() for ref in refs})
        sealed: dict[str, list[bytes]] = defaultdict(list)
        if wanted:
            query = sa.select(Owner.ref, Owner.phone_enc).where(
                Owner.ref.in_(wanted), Owner.phone_enc.is_not(None)
            )
            for ref, phone_enc in s.execute(query):
                if phone_enc:
                    sealed[ref].append(phone_enc)
        for member_id in chunk:
            found: list[str] = []
            for ref in refs_of.get(member_id, ()):
                for phone_enc in sealed.get(ref, ()):
                    try:
                        phone = cipher.decrypt(phone_enc, purpose=phone_purpose(ref))
                    except UndecryptableData:
                        continue
                    if phone and phone not in found:
                        found.append(phone)
            if found:
                phones[member_id] = found
    return phones


@dataclass(frozen=True)
class LinkCounts:
    """A ballot's links at a glance: roll members, live and revoked links, votes cast."""

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
                Credential.ballot_id == ballot_id, Credential.revoked_at.is_(None)
            )
        ),
        revoked=count(
            total.select_from(Credential).where(
                Credential.ballot_id == ballot_id, Credential.revoked_at.is_not(None)
            )
        ),
        cast=count(total.select_from(Vote).where(Vote.ballot_id == ballot_id)),
    )
