"""Which verifier keys the verifier trusts, and checking signed notes against them.

With ``--key`` the trusted set is exactly that key (pinned): anything not signed by it fails.
Without, the bundle's own ``keys/*.vkey`` are trusted, which proves only that the bundle is
self-consistent; the report then says ``key_pinned: false``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from audit.findings import Finding
from audit.verify.zipread import BundleZip
from notary.keys import MalformedKey, VerifierKey, parse_verifier_key
from notary.note import MalformedNote, split_note

_VKEY = re.compile(r"keys/([0-9a-f]{8})\.vkey")


@dataclass(frozen=True)
class Trust:
    """The trusted verifier keys and whether they were pinned by the caller."""

    keys: tuple[VerifierKey, ...]
    pinned: bool


class UnusableKey(Exception):
    """The ``--key`` argument is neither a verifier key line nor a file holding one."""


def pinned_key(arg: str) -> VerifierKey:
    """The verifier key named by ``--key``: a key line (``name+keyid+base64``) or the path of
    a file whose first non-blank line is one. Raises :class:`UnusableKey`."""
    text = arg.strip()
    try:
        return parse_verifier_key(text)
    except MalformedKey:
        pass
    path = Path(arg)
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UnusableKey(f"--key is neither a verifier key nor a readable file: {exc}") from exc
    for line in lines:
        if line:
            try:
                return parse_verifier_key(line)
            except MalformedKey as exc:
                raise UnusableKey(f"{path} does not hold a verifier key: {exc.text}") from exc
    raise UnusableKey(f"{path} is empty")


def bundle_keys(bundle: BundleZip, findings: list[Finding]) -> list[VerifierKey]:
    """The verifier keys the bundle carries (``keys/<keyid>.vkey``); a file that does not
    parse, or whose name is not its key's ID, is a ``signature`` finding."""
    out: list[VerifierKey] = []
    for name in sorted(bundle.names()):
        if not name.startswith("keys/"):
            continue
        m = _VKEY.fullmatch(name)
        raw = bundle.read(name)
        if m is None or raw is None:
            findings.append(Finding("signature", name, "not a readable keys/<keyid>.vkey file"))
            continue
        try:
            key = parse_verifier_key(raw.decode("utf-8").strip())
        except (MalformedKey, UnicodeDecodeError) as exc:
            findings.append(Finding("signature", name, f"not a verifier key: {exc}"))
            continue
        if key.key_id_hex != m.group(1):
            findings.append(Finding("signature", name, "the file name is not the key's ID"))
            continue
        out.append(key)
    return out


def note_signed(note: str, trust: Trust) -> tuple[str | None, str | None]:
    """``(text, None)`` when ``note`` is a signed note carrying a valid signature by a
    trusted key and no failing one; else ``(text or None, what is wrong)``."""
    try:
        text, signatures = split_note(note)
    except MalformedNote as exc:
        return None, f"not a signed note: {exc.text}"
    known = {(k.name, k.key_id): k for k in trust.keys}
    good = 0
    for sig in signatures:
        key = known.get((sig.name, sig.key_id))
        if key is None:
            continue
        if not key.verify(text.encode("utf-8"), sig.signature):
            return text, f"the signature by {key.name} (key {key.key_id_hex}) does not verify"
        good += 1
    if not good:
        who = "the pinned key" if trust.pinned else "a key in the bundle"
        return text, f"carries no valid signature by {who}"
    return text, None
