"""Owners' personal links: issuing, reissuing, resolving, and the optional identity check.

This module is the public face of the link services; the code lives in one module per job:
``voting.tokens`` (tokens and resolving a live credential), ``voting.links`` (issue,
reissue, CSV, delivery), ``voting.link_view`` (what the owner's page shows) and
``voting.identity`` (the identity check).

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

from voting.identity import (
    LOCKOUT,
    MAX_IDENTITY_FAILURES,
    verify_identity,
)
from voting.link_view import (
    AttachmentFile,
    AttachmentView,
    LinkView,
    MemberView,
    QuestionView,
    RepresentedView,
    UnitView,
    attachment_for_link,
    open_link,
)
from voting.links import (
    IssuedLink,
    IssuedLinks,
    deliver_links,
    issue_links,
    links_csv,
    reissue_link,
)
from voting.tokens import (
    LINK_PATH,
    REISSUE_STATUSES,
    ROLL_STATUSES,
    TOKEN_BYTES,
    link_url,
    live_credential,
    new_token,
    token_hash,
)

__all__ = [
    "LINK_PATH",
    "LOCKOUT",
    "MAX_IDENTITY_FAILURES",
    "REISSUE_STATUSES",
    "ROLL_STATUSES",
    "TOKEN_BYTES",
    "AttachmentFile",
    "AttachmentView",
    "IssuedLink",
    "IssuedLinks",
    "LinkView",
    "MemberView",
    "QuestionView",
    "RepresentedView",
    "UnitView",
    "attachment_for_link",
    "deliver_links",
    "issue_links",
    "link_url",
    "links_csv",
    "live_credential",
    "new_token",
    "open_link",
    "reissue_link",
    "token_hash",
    "verify_identity",
]
