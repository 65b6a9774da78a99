"""Every event type the code appends gets an envelope-v2 entry with its own random salt.

:data:`CASES` names, for each event type, the scenario that produces it through the real use
cases; :func:`test_every_event_type_in_the_code_has_a_case` fails when an event type string
appears in the packages' code without a case (or a case names an event no code appends).
Each scenario runs once per test process on a fresh database; its entries (type and salt) are
kept for the other cases it covers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from estate.settings import change_settings
from fundvote.runtime import Runtime
from ledger import api as ledger
from notary import store
from tests.services.ledger.project_helpers import (
    AUTHORITY,
    MANAGER,
    decided,
    fund_everyone,
    register_with_books,
)
from tests.services.voting import owner_helpers as owners
from tests.services.voting.ballot_helpers import CODE, ORIGIN, draft, run_to_tallied
from tests.services.voting.test_publication import VOTES
from voting import ballots, publication
from voting.casting import cast_vote
from voting.due import flag_overdue_objections
from voting.identity import confirm_identity, request_identity_code
from voting.links import reissue_link
from voting.objections import lodge_objection
from voting.paper import enter_paper_ballot, void_paper_entry
from voting.proxies import ProxyPerson, issue_proxy_link, record_proxy, revoke_proxy
from voting.reminders import remind_non_voters

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("estate", "voting", "ledger", "notary", "fundvote", "audit")
_EVENT = re.compile(r"""(?<!url_for\()(["'])((?:estate|voting|ledger)\.[a-z][a-z_]*)\1""")
SALT = re.compile(r"[0-9a-f]{32}")
CHOICES = {1: "agree", 2: "oppose"}
BASE_URL = "https://vote.example"
AUTH = hashlib.sha256(b"authorization").hexdigest()

Scenario = Callable[[Runtime], None]


def _ballot_lifecycle(rt: Runtime) -> None:
    """A draft edited and cancelled; a ballot with identity checks, links, reminders,
    proxies and paper ballots."""
    owners.make_register(rt)
    rt.run(
        change_settings,
        community_code=CODE,
        actor=7,
        may_set_rules=True,
        may_set_holder=False,
        basis="管理规约第十二条",
        emergency_publish_days=10,
    )
    spare = draft(rt)
    rt.run(ballots.update_draft, ballot_ref=spare.ref, title="新标题")
    attached = rt.run(
        ballots.add_attachment,
        ballot_ref=spare.ref,
        filename="plan.pdf",
        content_type="application/pdf",
        data=b"%PDF-1.4 plan",
    )
    rt.run(ballots.remove_attachment, ballot_ref=spare.ref, attachment_id=attached.id)
    rt.run(ballots.cancel_ballot, ballot_ref=spare.ref, reason="方案有误")

    info = owners.open_ballot(rt, identity_check="sms_code")
    ref = info.ref
    tokens = owners.tokens_by_unit(owners.issue_all(rt, ref))
    member = owners.member_id_of(rt, ref, "2-102")
    rt.run(reissue_link, ballot_ref=ref, member_id=member, base_url=BASE_URL)
    rt.run(remind_non_voters, ballot_ref=ref, base_url=BASE_URL)
    rt.run(request_identity_code, token=tokens["1-102"], cipher=rt.cipher)
    rt.run(
        confirm_identity,
        ballot_ref=ref,
        member_id=owners.member_id_of(rt, ref, "1-103"),
        checked_by=7,
        cipher=rt.cipher,
    )
    proxy = rt.run(
        record_proxy,
        ballot_ref=ref,
        member_id=owners.member_id_of(rt, ref, "1-103"),
        acting_member_id=owners.member_id_of(rt, ref, "1-101"),
        authorization_sha256=AUTH,
        recorded_by=7,
    )
    rt.run(revoke_proxy, ballot_ref=ref, proxy_id=proxy.proxy_id)
    person = rt.run(
        record_proxy,
        ballot_ref=ref,
        member_id=owners.member_id_of(rt, ref, "1-102"),
        person=ProxyPerson(name="陈小红", phone="135 0000 4444", id_number="11010519491231002X"),
        authorization_sha256=AUTH,
        cipher=rt.cipher,
        recorded_by=7,
    )
    rt.run(issue_proxy_link, ballot_ref=ref, proxy_id=person.proxy_id, base_url=BASE_URL, actor=7)
    keyed = rt.run(
        enter_paper_ballot,
        ballot_ref=ref,
        member_id=member,
        choices=CHOICES,
        scan_sha256="d" * 64,
        entered_by=31,
        is_committee=True,
    )
    rt.run(void_paper_entry, ballot_ref=ref, entry_id=keyed.entry_id, voided_by=31)


def _objections(rt: Runtime) -> None:
    """A ballot cast online, tallied, published, objected to (one answered and upheld, one
    left overdue) and annulled; another that becomes final."""
    owners.make_register(rt)
    info = owners.open_ballot(rt)
    tokens = owners.tokens_by_unit(owners.issue_all(rt, info.ref))
    rt.run(cast_vote, token=tokens["1-101"], choices=CHOICES)
    rt.clock.set(info.closes_at)  # type: ignore[attr-defined]
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=ORIGIN)
    upheld = rt.run(lodge_objection, token=tokens["1-101"], text="计票有误")
    rt.run(lodge_objection, token=tokens["2-102"], text="未收到通知")
    rt.run(
        publication.answer_objection,
        ballot_ref=info.ref,
        objection_id=upheld.objection_id,
        answer="已复核",
        is_upheld=True,
        actor=3,
    )
    other = draft(rt)
    run_to_tallied(rt, other, VOTES)
    rt.run(ballots.publish_ballot, ballot_ref=other.ref, origin_prefix=ORIGIN)
    rt.clock.advance(days=30)  # type: ignore[attr-defined]
    assert rt.run(flag_overdue_objections, ballot_ref=info.ref)
    rt.run(ballots.annul_ballot, ballot_ref=info.ref, reason="计票有误")
    rt.run(ballots.finalize_ballot, ballot_ref=other.ref)


def _books(rt: Runtime) -> None:
    """Deposits, a project from a decision with a posted and a rejected draw, an emergency
    recorded and published, a published report and an owner's statement link."""
    register_with_books(rt)
    fund_everyone(rt)
    project = rt.run_as(
        MANAGER,
        ledger.open_project_from_decision,
        community_code=CODE,
        ballot_ref=decided(rt),
        position=1,
    )
    day = rt.clock.now().date()
    drawn = rt.run_as(
        MANAGER,
        ledger.record_draw,
        community_code=CODE,
        project_ref=project.ref,
        amount_fen=100_000,
        stage="progress",
        value_date=day,
    )
    approver = {"is_authority": True, "is_committee_member": False, "committee_size": 3}
    rt.run_as(AUTHORITY, ledger.approve_draw, community_code=CODE, draw_ref=drawn.ref, **approver)
    refused = rt.run_as(
        MANAGER,
        ledger.record_draw,
        community_code=CODE,
        project_ref=project.ref,
        amount_fen=100_000,
        stage="progress",
        value_date=day,
    )
    rt.run_as(
        AUTHORITY,
        ledger.reject_draw,
        community_code=CODE,
        draw_ref=refused.ref,
        reason="发票不全",
        **approver,
    )
    record = rt.run_as(
        MANAGER,
        ledger.record_emergency,
        community_code=CODE,
        category="roof_leak",
        evidence_sha256="a" * 64,
        description="屋面渗漏",
    )
    rt.run_as(31, ledger.publish_emergency, community_code=CODE, emergency_ref=record.ref)
    rt.run(
        ledger.publish_report,
        community_code=CODE,
        kind="fund_disclosure",
        period=str(day.year - 1),
        today=day,
    )
    [link] = rt.query(ledger.unit_owner_links, CODE, "1-101")
    rt.run(ledger.issue_statement_link, community_code=CODE, owner_ref=link.owner_ref)


LIFECYCLE, OBJECTIONS, BOOKS = "lifecycle", "objections", "books"
SCENARIOS: dict[str, Scenario] = {
    LIFECYCLE: _ballot_lifecycle,
    OBJECTIONS: _objections,
    BOOKS: _books,
}

CASES: dict[str, str] = {
    "estate.community_created": LIFECYCLE,
    "estate.roll_imported": LIFECYCLE,
    "estate.settings_changed": LIFECYCLE,
    "voting.ballot_created": LIFECYCLE,
    "voting.draft_updated": LIFECYCLE,
    "voting.attachment_added": LIFECYCLE,
    "voting.attachment_removed": LIFECYCLE,
    "voting.ballot_cancelled": LIFECYCLE,
    "voting.ballot_opened": LIFECYCLE,
    "voting.links_issued": LIFECYCLE,
    "voting.link_reissued": LIFECYCLE,
    "voting.reminders_sent": LIFECYCLE,
    "voting.identity_code_sent": LIFECYCLE,
    "voting.identity_confirmed": LIFECYCLE,
    "voting.proxy_recorded": LIFECYCLE,
    "voting.proxy_revoked": LIFECYCLE,
    "voting.proxy_link_issued": LIFECYCLE,
    "voting.paper_entered": LIFECYCLE,
    "voting.paper_voided": LIFECYCLE,
    "voting.ballot_cast": OBJECTIONS,
    "voting.ballot_closed": OBJECTIONS,
    "voting.decision_recorded": OBJECTIONS,
    "voting.ballot_published": OBJECTIONS,
    "voting.objection_lodged": OBJECTIONS,
    "voting.objection_answered": OBJECTIONS,
    "voting.objections_overdue": OBJECTIONS,
    "voting.ballot_annulled": OBJECTIONS,
    "voting.ballot_final": OBJECTIONS,
    "ledger.entry_posted": BOOKS,
    "ledger.project_opened": BOOKS,
    "ledger.draw_recorded": BOOKS,
    "ledger.draw_approved": BOOKS,
    "ledger.draw_posted": BOOKS,
    "ledger.draw_rejected": BOOKS,
    "ledger.emergency_recorded": BOOKS,
    "ledger.emergency_published": BOOKS,
    "ledger.report_published": BOOKS,
    "ledger.statement_link_issued": BOOKS,
}
"""Every event type the code appends -> the scenario that produces it."""

_produced: dict[str, list[tuple[str, Any]]] = {}
"""Scenario -> (type, salt) of every entry it appended (each scenario runs once)."""


def _entries_of(rt: Runtime, scenario: str) -> list[tuple[str, Any]]:
    if scenario not in _produced:
        SCENARIOS[scenario](rt)
        with rt.session_factory() as s:
            logs = list(
                s.scalars(store.LogHead.__table__.select().with_only_columns(store.LogHead.log))
            )
            _produced[scenario] = [
                (e.raw["type"], e.raw.get("salt")) for log in logs for e in store.entries(s, log)
            ]
    return _produced[scenario]


def event_types_in_code() -> set[str]:
    """Every ``"<estate|voting|ledger>.<name>"`` string in the packages' code that is not
    a module's name or a page's endpoint (``url_for``): the event types the code can append."""
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found.update(m[1] for m in _EVENT.findall(path.read_text("utf-8")))
    return {name for name in found if importlib.util.find_spec(name) is None}


def test_every_event_type_in_the_code_has_a_case() -> None:
    assert event_types_in_code() == set(CASES)


@pytest.mark.parametrize("event", sorted(CASES))
def test_each_event_type_is_logged_with_its_own_salt(runtime: Runtime, event: str) -> None:
    entries = _entries_of(runtime, CASES[event])
    salts = [salt for kind, salt in entries if kind == event]
    assert salts, f"{CASES[event]} did not append {event}"
    assert all(isinstance(s, str) and SALT.fullmatch(s) for s in salts)
    every = [salt for _kind, salt in entries]
    assert len(set(every)) == len(every)  # no two entries share a salt
