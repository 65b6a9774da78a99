"""Outbound messages (the owners' personal links) and the senders that deliver them.

A :class:`Message` names its recipient by a phone number held only in memory: the caller
decrypts it from the register just before handing the message over, and nothing here stores
it except the :class:`FileSender`, whose files are the spool a delivery gateway picks up
(mode 0600, in ``settings.outbox_dir``). Senders:

- :class:`FileSender` (default): one file per message, ``<timestamp>-<member key>-<random>.txt``;
- :class:`ConsoleSender`: prints to a stream (development only);
- :class:`SmtpSender`: the standard library's ``smtplib``; the recipient address is made from
  the phone with a template such as ``{phone}@sms-gateway.example`` (an e-mail-to-SMS gateway).

Configuration from the environment (:func:`sender_from_env`): ``FUNDVOTE_OUTBOX`` =
``file`` | ``console`` | ``smtp``; for SMTP ``FUNDVOTE_SMTP_HOST``, ``FUNDVOTE_SMTP_PORT``
(default 587, STARTTLS unless 465), ``FUNDVOTE_SMTP_USER``, ``FUNDVOTE_SMTP_PASSWORD``,
``FUNDVOTE_SMTP_FROM`` and ``FUNDVOTE_SMTP_TO_TEMPLATE``.
"""

from __future__ import annotations

import os
import re
import secrets
import smtplib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, TextIO

from notary.errors import N_, DomainError

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class OutboxMisconfigured(DomainError):
    """The outbox settings are incomplete (e.g. SMTP without a host or a recipient template)."""

    code = "outbox-misconfigured"


@dataclass(frozen=True)
class Message:
    """One message to one recipient. ``member_key`` names the voting member (never a person)."""

    to: str
    subject: str
    body: str
    member_key: str = ""

    def __repr__(self) -> str:  # keep phone numbers and links out of logs and tracebacks
        return f"Message(member_key={self.member_key!r}, subject={self.subject!r})"


class Sender(Protocol):
    """Delivers one message; raises ``OSError`` (or ``smtplib.SMTPException``) on failure."""

    def send(self, message: Message) -> None: ...


@dataclass
class FileSender:
    """Writes each message to its own file in ``directory`` (owner-only: the directory 0700,
    each file 0600, whatever the umask). The files hold phone numbers and links or codes: the
    delivery gateway deletes each once it is sent (see the README)."""

    directory: Path

    def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix" and self.directory.stat().st_mode & 0o077:
            self.directory.chmod(0o700)  # made earlier, or by someone else, with wider rights
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        key = _SAFE.sub("_", message.member_key)[:40] or "message"
        path = self.directory / f"{stamp}-{key}-{secrets.token_hex(4)}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        if os.name == "posix":
            os.fchmod(fd, 0o600)  # O_CREAT's mode is masked by the umask; never widened
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"To: {message.to}\nSubject: {message.subject}\n\n{message.body}\n")


@dataclass
class ConsoleSender:
    """Prints each message (for development; never in production: it shows the link)."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)

    def send(self, message: Message) -> None:
        self.stream.write(f"To: {message.to}\nSubject: {message.subject}\n\n{message.body}\n\n")
        self.stream.flush()


@dataclass
class SmtpSender:
    """Sends each message as a plain-text e-mail through an SMTP server (stdlib ``smtplib``)."""

    host: str
    port: int
    sender: str
    to_template: str
    user: str | None = None
    password: str | None = None
    timeout: float = 30

    def __repr__(self) -> str:
        return f"SmtpSender(host={self.host!r}, port={self.port})"

    def address(self, phone: str) -> str:
        """The recipient address for ``phone`` (digits only) under the template."""
        return self.to_template.format(phone=re.sub(r"\D", "", phone))

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = self.address(message.to)
        email["Subject"] = message.subject
        email.set_content(message.body)
        if self.port == 465:
            with smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout) as smtp:
                self._deliver(smtp, email)
        else:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if smtp.has_extn("starttls") or self.user:
                    smtp.starttls()
                self._deliver(smtp, email)

    def _deliver(self, smtp: smtplib.SMTP, email: EmailMessage) -> None:
        if self.user:
            smtp.login(self.user, self.password or "")
        smtp.send_message(email)


def sender_from_env(env: Mapping[str, str], *, outbox_dir: Path) -> Sender:
    """The sender the environment asks for (``FUNDVOTE_OUTBOX``, default ``file``).

    Raises :class:`OutboxMisconfigured` for an unknown kind or an SMTP setting that is missing.
    """
    kind = (env.get("FUNDVOTE_OUTBOX") or "file").strip().lower()
    if kind == "file":
        return FileSender(outbox_dir)
    if kind == "console":
        return ConsoleSender()
    if kind == "smtp":
        host = env.get("FUNDVOTE_SMTP_HOST")
        template = env.get("FUNDVOTE_SMTP_TO_TEMPLATE")
        sender = env.get("FUNDVOTE_SMTP_FROM")
        if not host or not template or not sender or "{phone}" not in template:
            raise OutboxMisconfigured(
                N_(
                    "SMTP needs FUNDVOTE_SMTP_HOST, FUNDVOTE_SMTP_FROM and "
                    "FUNDVOTE_SMTP_TO_TEMPLATE (with {phone})."
                )
            )
        return SmtpSender(
            host=host,
            port=int(env.get("FUNDVOTE_SMTP_PORT") or 587),
            sender=sender,
            to_template=template,
            user=env.get("FUNDVOTE_SMTP_USER") or None,
            password=env.get("FUNDVOTE_SMTP_PASSWORD") or None,
        )
    raise OutboxMisconfigured(
        N_("Unknown outbox '%(kind)s': use file, console or smtp."), kind=kind
    )


@dataclass(frozen=True)
class DeliveryReport:
    """How many messages went out, and which members' messages failed (by member key)."""

    sent: int
    failed_member_keys: tuple[str, ...]


class Outbox:
    """Hands messages to a sender, one by one; one failure does not stop the others."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    def deliver(self, messages: Iterable[Message]) -> DeliveryReport:
        """Send every message; failures are counted by member key, never raised or logged
        with the recipient."""
        sent = 0
        failed: list[str] = []
        for message in messages:
            try:
                self.sender.send(message)
            except (OSError, smtplib.SMTPException):
                failed.append(message.member_key)
            else:
                sent += 1
        return DeliveryReport(sent, tuple(failed))
