"""Sending a link's one-time identity code: made by ``voting`` in one unit of work, then
written to the outbox in a message that carries no link (web page and API alike)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from fundvote.access import current_runtime
from fundvote.web.ballot_labels import local_time
from fundvote.web.voting_desk import outbox
from voting.api import DeliveryReport, IdentityCodeMessage, Message, request_identity_code


def compose_code_message(sent: IdentityCodeMessage) -> tuple[str, str]:
    """The SMS with the code, in Chinese (what owners and proxies read): no link in it."""
    with force_locale("zh_Hans"):
        subject = _("%(community)s: your voting code", community=sent.community_name)
        body = _(
            "Your code for the %(community)s owners' vote “%(title)s” is %(code)s. It is valid "
            "until %(until)s (Beijing time), once. Never tell it to anyone, staff included.",
            community=sent.community_name,
            title=sent.ballot_title,
            code=sent.code,
            until=local_time(sent.expires_at),
        )
    return subject, body


def send_identity_code(token: str) -> DeliveryReport:
    """Make a one-time code for the link and write it to the outbox, once per phone on
    record. Raises what :func:`voting.api.request_identity_code` raises."""
    rt = current_runtime()
    sent = rt.run(request_identity_code, token=token, cipher=rt.cipher)
    subject, body = compose_code_message(sent)
    return outbox().deliver(
        Message(to=phone, subject=subject, body=body, member_key=sent.member_key)
        for phone in sent.phones
    )
