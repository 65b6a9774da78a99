"""Owners' personal links: issuing, reissuing, resolving, and the optional identity check.

A link is ``<base url>/v/<token>`` with a token of 192 random bits
(``secrets.token_urlsafe(24)``). The database keeps only ``SHA-256(token)``; the token exists
in clear only in what :func:`issue_links` / :func:`reissue_link` return, once. A lost link is
never shown again: it is reissued, which revokes the old one (a database constraint allows one
live link per member).

The identity check (``ballot.identity_check``: ``id_last4`` or ``phone_last4``) asks for the
last four digits of an owner of the member; the stored values are decrypted in memory only
and compared in constant time. Five wrong answers lock the link for fifteen minutes.

Log entries name members by their opaque key and owners by ``ref``; never a name, a phone, an
ID number or a token.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from estate.apportion import apportion
from estate.errors import UndecryptableData
from estate.models import Community, Owner
from estate.personal import DataCipher, mask_name
from estate.services import id_number_purpose, phone_purpose
from notary import envelope, store
from notary.clock import Clock
from voting.errors import (
    BallotNotFound,
    IdentityCheckFailed,
    IdentityLocked,
    IllegalTransition,
    LinkAlreadyIssued,
    NotEligible,
    UnknownLink,
)
from voting.models import (
    Attachment,
    Ballot,
    CastBallot,
    Credential,
    Proxy,
    Question,
    RollMember,
    RollUnit,
)
from voting.outbox import DeliveryReport, Message, Outbox

TOKEN_BYTES = 24  # 192 bits
LINK_PATH = "/v/"
MAX_IDENTITY_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
REISSUE_STATUSES = ("open", "closed", "tallied", "published", "final")
"""Statuses in which links may be reissued (the roll is frozen and the ballot still matters)."""
ROLL_STATUSES = (*REISSUE_STATUSES, "cancelled", "annulled")
"""Statuses in which a ballot has a frozen roll, so its links still open (read only once
cancelled or annulled)."""


def N_(s: str) -> str:
    return s


def new_token() -> str:
    """A fresh link token: 192 random bits, URL-safe base64 (32 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256 hex of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(base_url: str, token: str) -> str:
    """``<base url>/v/<token>`` (one slash between them whatever ``base_url`` ends with)."""
    return base_url.rstrip("/") + LINK_PATH + token


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
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    clock: Clock,
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
    with session_factory.begin() as s:
        ballot = _ballot_for_update(s, ballot_ref)
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
        now = clock.now()
        tokens: dict[int, str] = {}
        for member in chosen:
            token = new_token()
            tokens[member.id] = token
            s.add(
                Credential(
                    ballot_id=ballot.id,
                    member_id=member.id,
                    token_hash=token_hash(token),
                    issued_at=now,
                )
            )
        try:
            s.flush()
        except IntegrityError:
            raise LinkAlreadyIssued(
                N_("A member already has a live link: reissue it instead."), count=1
            ) from None
        community = _community(s, ballot)
        _log(
            s,
            community.code,
            "voting.links_issued",
            clock,
            {
                "ballot": ballot.ref,
                "members": [m.member_key for m in chosen],
                "by": actor,
            },
        )
        links = _issued(s, ballot.id, chosen, tokens, base_url)
        return IssuedLinks(
            ballot.ref, ballot.title, community.code, community.name, ballot.closes_at, links
        )


def reissue_link(
    session_factory: sessionmaker[Session],
    *,
    ballot_ref: str,
    member_id: int,
    clock: Clock,
    base_url: str,
    actor: int | None = None,
) -> IssuedLinks:
    """Revoke the member's live link (if any) and issue a new one, in one transaction.

    Guarantees: the ballot has a frozen roll (``IllegalTransition`` otherwise) and the member
    is on it (``NotEligible``); afterwards exactly one link of the member is live, the new one;
    ``voting.link_reissued`` names the member key (never a token). Identity-check failures
    and lockouts do not carry over to the new link.
    """
    with session_factory.begin() as s:
        ballot = _ballot_for_update(s, ballot_ref)
        if ballot.status not in REISSUE_STATUSES:
            raise IllegalTransition(
                N_("Links exist only once the ballot has opened."), status=ballot.status
            )
        member = s.get(RollMember, member_id)
        if member is None or member.ballot_id != ballot.id:
            raise NotEligible(N_("The member is not on this ballot's roll."), member=member_id)
        now = clock.now()
        old = s.scalars(
            sa.select(Credential)
            .where(Credential.member_id == member.id, Credential.revoked_at.is_(None))
            .with_for_update()
        ).all()
        for credential in old:
            credential.revoked_at = now
        s.flush()
        token = new_token()
        s.add(
            Credential(
                ballot_id=ballot.id,
                member_id=member.id,
                token_hash=token_hash(token),
                issued_at=now,
            )
        )
        s.flush()
        community = _community(s, ballot)
        _log(
            s,
            community.code,
            "voting.link_reissued",
            clock,
            {"ballot": ballot.ref, "member": member.member_key, "revoked": len(old), "by": actor},
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
                _hundredths(link.area_centi),
                link.url,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def deliver_links(
    session_factory: sessionmaker[Session],
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
    with session_factory() as s:
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


# -- the link as the owner sees it ----------------------------------------------------------


@dataclass(frozen=True)
class UnitView:
    unit_code: str
    building_code: str
    area_centi: int


@dataclass(frozen=True)
class MemberView:
    """A roll member as shown on the owner's page (masked names only)."""

    member_id: int
    member_key: str
    holder_label: str
    is_developer: bool
    units: tuple[UnitView, ...]
    area_centi: int


@dataclass(frozen=True)
class QuestionView:
    """A question; for ``fund_use`` the plan and this member's share of the fund part."""

    position: int
    matter: str
    text: str
    use_plan: Mapping[str, Any] | None
    fund_part_fen: int | None
    member_share_fen: int | None


@dataclass(frozen=True)
class AttachmentView:
    attachment_id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class RepresentedView:
    """A member this link's member represents (a live proxy), and their ballot if cast."""

    proxy_id: int
    member: MemberView
    receipt: str | None
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class LinkView:
    """Everything the owner's page shows for a live link."""

    ballot_ref: str
    ballot_title: str
    description: str
    status: str
    community_code: str
    community_name: str
    opens_at: datetime
    closes_at: datetime
    is_accepting: bool
    is_consultation: bool
    identity_check: str
    is_identity_verified: bool
    locked_until: datetime | None
    scope_area_centi: int
    questions: tuple[QuestionView, ...]
    attachments: tuple[AttachmentView, ...]
    member: MemberView
    receipt: str | None  # the stored signed receipt (canonical JSON) once cast
    represented: tuple[RepresentedView, ...]
    publicity_ends_at: datetime | None
    is_in_publicity: bool

    @property
    def has_voted(self) -> bool:
        return self.receipt is not None

    @property
    def needs_identity(self) -> bool:
        return self.identity_check != "none" and not self.is_identity_verified


def open_link(session_factory: sessionmaker[Session], *, token: str, clock: Clock) -> LinkView:
    """Resolve a personal link to what its owner may see.

    Raises ``UnknownLink`` (``reason`` ``unknown`` or ``revoked``) for a token that is not a
    live link of a ballot with a frozen roll. Reads only.
    """
    with session_factory() as s:
        credential = live_credential(s, token)
        ballot = s.get_one(Ballot, credential.ballot_id)
        member = s.get_one(RollMember, credential.member_id)
        community = _community(s, ballot)
        now = clock.now()
        questions = _questions(s, ballot, [member.id])
        views = _member_views(s, ballot.id, [member])
        represented: list[RepresentedView] = []
        proxies = s.scalars(
            sa.select(Proxy)
            .where(
                Proxy.ballot_id == ballot.id,
                Proxy.acting_member_id == member.id,
                Proxy.revoked_at.is_(None),
            )
            .order_by(Proxy.id)
        ).all()
        if proxies:
            rep_members = [s.get_one(RollMember, p.member_id) for p in proxies]
            rep_views = _member_views(s, ballot.id, rep_members)
            for proxy, rep in zip(proxies, rep_members, strict=True):
                represented.append(
                    RepresentedView(
                        proxy.id,
                        rep_views[rep.id],
                        _receipt_of(s, ballot.id, rep.id),
                        _questions(s, ballot, [rep.id]),
                    )
                )
        attachments = tuple(
            AttachmentView(a.id, a.filename, a.content_type, a.size)
            for a in s.execute(
                sa.select(
                    Attachment.id, Attachment.filename, Attachment.content_type, Attachment.size
                )
                .where(Attachment.ballot_id == ballot.id)
                .order_by(Attachment.id)
            )
        )
        publicity_ends = publicity_end(ballot)
        return LinkView(
            ballot_ref=ballot.ref,
            ballot_title=ballot.title,
            description=ballot.description,
            status=ballot.status,
            community_code=community.code,
            community_name=community.name,
            opens_at=ballot.opens_at,
            closes_at=ballot.closes_at,
            is_accepting=is_accepting(ballot, now),
            is_consultation=ballot.is_consultation,
            identity_check=ballot.identity_check,
            is_identity_verified=credential.identity_verified_at is not None,
            locked_until=(
                credential.locked_until
                if credential.locked_until is not None and credential.locked_until > now
                else None
            ),
            scope_area_centi=ballot.roll_area_centi,
            questions=questions,
            attachments=attachments,
            member=views[member.id],
            receipt=_receipt_of(s, ballot.id, member.id),
            represented=tuple(represented),
            publicity_ends_at=publicity_ends,
            is_in_publicity=(
                ballot.status == "published" and publicity_ends is not None and now < publicity_ends
            ),
        )


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content_type: str
    sha256: str
    data: bytes


def attachment_for_link(
    session_factory: sessionmaker[Session], *, token: str, attachment_id: int
) -> AttachmentFile:
    """A document of the link's ballot; ``UnknownLink`` for a bad link, ``BallotNotFound``
    when the ballot has no such attachment."""
    with session_factory() as s:
        credential = live_credential(s, token)
        attachment = s.get(Attachment, attachment_id)
        if attachment is None or attachment.ballot_id != credential.ballot_id:
            raise BallotNotFound(N_("The ballot has no such document."), attachment=attachment_id)
        return AttachmentFile(
            attachment.filename, attachment.content_type, attachment.sha256, attachment.data
        )


def verify_identity(
    session_factory: sessionmaker[Session],
    *,
    token: str,
    digits: str,
    cipher: DataCipher,
    clock: Clock,
) -> None:
    """Check the last four digits an owner typed against the member's owners' records.

    Guarantees: the comparison runs in constant time against every owner of the member; on a
    match the link is marked verified (once verified, it stays so); on a miss the failure is
    counted and committed before ``IdentityCheckFailed`` is raised (``remaining`` tries left);
    after five misses ``IdentityLocked`` (``until``) for fifteen minutes, during which even the
    right digits are refused. A ballot without an identity check, or a link already verified,
    passes at once. ``IdentityCheckFailed`` with ``reason="no-data"`` (not counted) when no
    owner of the member has the value on record.
    """
    outcome: DomainErrorLike | None = None
    with session_factory.begin() as s:
        credential = live_credential(s, token, for_update=True)
        ballot = s.get_one(Ballot, credential.ballot_id)
        if ballot.identity_check == "none" or credential.identity_verified_at is not None:
            return
        now = clock.now()
        if credential.locked_until is not None and credential.locked_until > now:
            raise IdentityLocked(
                N_("Too many wrong answers. Try again after %(until)s."),
                until=credential.locked_until.isoformat(),
            )
        member = s.get_one(RollMember, credential.member_id)
        expected = _identity_values(s, member, ballot.identity_check, cipher)
        if not expected:
            raise IdentityCheckFailed(
                N_("No number is on record for this check: ask the owners' committee."),
                reason="no-data",
                remaining=MAX_IDENTITY_FAILURES,
            )
        given = "".join(ch for ch in digits if ch.isalnum()).upper()[-4:].rjust(4, "#")
        matched = False
        for value in expected:  # compare with every owner: the time does not tell which
            tail = "".join(ch for ch in value if ch.isalnum()).upper()[-4:].rjust(4, "*")
            matched |= hmac.compare_digest(tail.encode(), given.encode())
        if matched:
            credential.identity_verified_at = now
            credential.identity_failures = 0
            credential.locked_until = None
            return
        credential.identity_failures += 1
        if credential.identity_failures >= MAX_IDENTITY_FAILURES:
            credential.identity_failures = 0
            credential.locked_until = now + LOCKOUT
            outcome = IdentityLocked(
                N_("Too many wrong answers. Try again after %(until)s."),
                until=credential.locked_until.isoformat(),
            )
        else:
            outcome = IdentityCheckFailed(
                N_("The digits do not match. %(remaining)s tries left."),
                reason="mismatch",
                remaining=MAX_IDENTITY_FAILURES - credential.identity_failures,
            )
    raise outcome


DomainErrorLike = IdentityLocked | IdentityCheckFailed


# -- shared helpers (used by casting, proxies, paper and objections) -------------------------


def live_credential(s: Session, token: str, *, for_update: bool = False) -> Credential:
    """The live credential of ``token`` whose ballot has a frozen roll, else ``UnknownLink``."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    query = sa.select(Credential).where(Credential.token_hash == token_hash(token))
    if for_update:
        query = query.with_for_update()
    credential = s.scalars(query).one_or_none()
    if credential is None:
        raise UnknownLink(N_("This link is not valid."), reason="unknown")
    if credential.revoked_at is not None:
        raise UnknownLink(N_("This link was replaced by a new one."), reason="revoked")
    status = s.scalar(sa.select(Ballot.status).where(Ballot.id == credential.ballot_id))
    if status not in ROLL_STATUSES:
        raise UnknownLink(N_("This link is not valid any more."), reason="unknown")
    return credential


def is_accepting(ballot: Ballot, now: datetime) -> bool:
    """Whether the ballot takes votes at ``now``: open, and ``opens_at <= now < closes_at``."""
    return ballot.status == "open" and ballot.opens_at <= now < ballot.closes_at


def publicity_end(ballot: Ballot) -> datetime | None:
    """When the objection period of a published ballot ends (None before publication)."""
    if ballot.published_at is None:
        return None
    return ballot.published_at + timedelta(days=ballot.publicity_days)


def ballot_by_ref(s: Session, ref: str, *, for_update: bool = False) -> Ballot:
    """The ballot with ``ref``; ``BallotNotFound`` otherwise."""
    query = sa.select(Ballot).where(Ballot.ref == ref)
    if for_update:
        query = query.with_for_update()
    ballot = s.scalars(query).one_or_none()
    if ballot is None:
        raise BallotNotFound(N_("There is no such ballot."), ref=ref)
    return ballot


def community_of(s: Session, ballot: Ballot) -> Community:
    return s.get_one(Community, ballot.community_id)


def member_labels(s: Session, members: Sequence[RollMember]) -> dict[int, str]:
    """Masked holder labels (``张*明、李*``) by member id; empty for the developer."""
    refs = {m.id: list(json.loads(m.owner_refs or "[]")) for m in members}
    wanted = {r for rs in refs.values() for r in rs}
    names: dict[str, str] = {}
    if wanted:
        query = sa.select(Owner.ref, Owner.name).where(Owner.ref.in_(sorted(wanted)))
        for ref, name in s.execute(query):
            names[ref] = name
    return {
        m.id: (
            ""
            if m.is_developer
            else "、".join(mask_name(names.get(r, "")) or "*" for r in refs[m.id])
        )
        for m in members
    }


def question_rows(s: Session, ballot_id: int) -> list[Question]:
    return list(
        s.scalars(
            sa.select(Question).where(Question.ballot_id == ballot_id).order_by(Question.position)
        )
    )


def log_event(
    s: Session, community_code: str, event_type: str, clock: Clock, data: Mapping[str, Any]
) -> store.Appended:
    """Append a voting event to the community's log inside the caller's transaction."""
    entry = envelope.make_entry(event_type, clock.now(), community_code, dict(data))
    return store.append(s, community_code, entry)


def _log(s: Session, code: str, event: str, clock: Clock, data: Mapping[str, Any]) -> None:
    log_event(s, code, event, clock, {k: v for k, v in data.items() if v is not None})


def _ballot_for_update(s: Session, ref: str) -> Ballot:
    return ballot_by_ref(s, ref, for_update=True)


def _community(s: Session, ballot: Ballot) -> Community:
    return community_of(s, ballot)


def _roll_members(s: Session, ballot_id: int) -> dict[int, RollMember]:
    rows = s.scalars(
        sa.select(RollMember).where(RollMember.ballot_id == ballot_id).order_by(RollMember.position)
    )
    return {m.id: m for m in rows}


def _units_by_member(
    s: Session, ballot_id: int, member_ids: Sequence[int]
) -> dict[int, list[RollUnit]]:
    result: dict[int, list[RollUnit]] = {m: [] for m in member_ids}
    if not member_ids:
        return result
    for unit in s.scalars(
        sa.select(RollUnit)
        .where(RollUnit.ballot_id == ballot_id, RollUnit.member_id.in_(list(member_ids)))
        .order_by(RollUnit.unit_code)
    ):
        result[unit.member_id].append(unit)
    return result


def _member_views(
    s: Session, ballot_id: int, members: Sequence[RollMember]
) -> dict[int, MemberView]:
    labels = member_labels(s, members)
    units = _units_by_member(s, ballot_id, [m.id for m in members])
    return {
        m.id: MemberView(
            member_id=m.id,
            member_key=m.member_key,
            holder_label=labels[m.id],
            is_developer=m.is_developer,
            units=tuple(UnitView(u.unit_code, u.building_code, u.area_centi) for u in units[m.id]),
            area_centi=m.area_centi,
        )
        for m in members
    }


def _issued(
    s: Session,
    ballot_id: int,
    members: Sequence[RollMember],
    tokens: Mapping[int, str],
    base_url: str,
) -> tuple[IssuedLink, ...]:
    labels = member_labels(s, members)
    units = _units_by_member(s, ballot_id, [m.id for m in members])
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


def _questions(s: Session, ballot: Ballot, member_ids: Sequence[int]) -> tuple[QuestionView, ...]:
    rows = question_rows(s, ballot.id)
    areas: dict[str, int] | None = None
    mine: set[str] = set()
    views: list[QuestionView] = []
    for q in rows:
        plan: dict[str, Any] | None = json.loads(q.use_plan) if q.use_plan else None
        fund_part: int | None = None
        share: int | None = None
        if plan is not None:
            fund_part = int((plan.get("sources") or {}).get("maintenance_fund", 0))
            if areas is None:
                all_units = s.execute(
                    sa.select(RollUnit.unit_code, RollUnit.area_centi, RollUnit.member_id).where(
                        RollUnit.ballot_id == ballot.id
                    )
                ).all()
                areas = {code: area for code, area, _m in all_units}
                mine = {code for code, _a, m in all_units if m in set(member_ids)}
            if areas and mine:
                shares = apportion(fund_part, areas)
                share = sum(shares[code] for code in mine)
        views.append(QuestionView(q.position, q.matter, q.text, plan, fund_part, share))
    return tuple(views)


def _receipt_of(s: Session, ballot_id: int, member_id: int) -> str | None:
    return s.scalar(
        sa.select(CastBallot.receipt).where(
            CastBallot.ballot_id == ballot_id, CastBallot.member_id == member_id
        )
    )


def _owners_of(s: Session, member: RollMember) -> list[Owner]:
    refs = list(json.loads(member.owner_refs or "[]"))
    if not refs:
        return []
    return list(s.scalars(sa.select(Owner).where(Owner.ref.in_(refs)).order_by(Owner.ref)))


def _identity_values(s: Session, member: RollMember, check: str, cipher: DataCipher) -> list[str]:
    values: list[str] = []
    for owner in _owners_of(s, member):
        try:
            if check == "id_last4" and owner.id_number_enc:
                values.append(
                    cipher.decrypt(owner.id_number_enc, purpose=id_number_purpose(owner.ref))
                )
            elif check == "phone_last4" and owner.phone_enc:
                values.append(cipher.decrypt(owner.phone_enc, purpose=phone_purpose(owner.ref)))
        except UndecryptableData:
            continue
    return values


def _member_phones(
    s: Session, member_ids: Sequence[int], cipher: DataCipher
) -> dict[int, list[str]]:
    phones: dict[int, list[str]] = {}
    for member_id in member_ids:
        member = s.get(RollMember, member_id)
        if member is None or member.is_developer:
            continue
        found: list[str] = []
        for owner in _owners_of(s, member):
            if owner.phone_enc:
                try:
                    phone = cipher.decrypt(owner.phone_enc, purpose=phone_purpose(owner.ref))
                except UndecryptableData:
                    continue
                if phone and phone not in found:
                    found.append(phone)
        if found:
            phones[member_id] = found
    return phones


def _hundredths(value: int) -> str:
    whole, frac = divmod(value, 100)
    return f"{whole}.{frac:02d}"
