"""Ed25519 signing keys, named and identified as C2SP signed-note defines.

The key file is a PEM PKCS#8 Ed25519 private key, created with mode 0600. Rotation moves the
old public key to ``<key file>.retired``: one verifier-key string per line, append-only, so
signatures made before the rotation stay verifiable. The two files are the one source of the
keys for every process: a :class:`KeyFileRing` re-reads them when they change, so a rotation
reaches every running worker at its next use case.

Key ID (c2sp.org/signed-note, "Ed25519 signatures")::

    key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]

Verifier key string (golang.org/x/mod/sumdb/note, used with signed notes)::

    <key name>+<key ID as 8 lowercase hex digits>+<base64(0x01 || public key)>
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from notary.errors import N_, DomainError

ALGORITHM = "Ed25519"
SIGNATURE_TYPE_ED25519 = 0x01
DEFAULT_KEY_NAME = "fundvote.local"

_BAD_NAME = re.compile(r"[\s+]")


class MalformedKey(DomainError):
    """A key file, key name or verifier-key string is not in the expected format."""

    code = "malformed-key"


class SigningKeyMissing(DomainError):
    """The signing key file does not exist and was not to be created."""

    code = "signing-key-missing"


def check_key_name(name: str) -> str:
    """Return ``name`` if it is a valid signed-note key name: non-empty, with no Unicode
    space and no ``+``; raise :class:`MalformedKey` otherwise."""
    if not name or _BAD_NAME.search(name):
        raise MalformedKey(N_("A key name must be non-empty, without spaces or '+'."))
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte signed-note key ID of an Ed25519 ``public_key`` named ``name``."""
    data = name.encode("utf-8") + b"\n" + bytes([SIGNATURE_TYPE_ED25519]) + public_key
    return hashlib.sha256(data).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A named Ed25519 public key that can check signed-note signatures."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise MalformedKey(N_("An Ed25519 public key is 32 bytes."))

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return key_id(self.name, self.public_key)

    @property
    def key_id_hex(self) -> str:
        """The key ID as 8 lowercase hex digits."""
        return self.key_id.hex()

    @property
    def text(self) -> str:
        """The verifier-key string ``<name>+<hex key ID>+<base64(0x01 || key)>``."""
        data = base64.b64encode(bytes([SIGNATURE_TYPE_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id_hex}+{data}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return True only if ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse a verifier-key string; raise :class:`MalformedKey` unless its name is valid, its
    key data is base64 of ``0x01`` and 32 bytes, and its key ID matches name and key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise MalformedKey(N_("A verifier key reads <name>+<key id>+<key data>."))
    name, id_hex, data = parts
    check_key_name(name)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedKey(N_("The verifier key data is not base64.")) from exc
    if len(raw) != 33 or raw[0] != SIGNATURE_TYPE_ED25519:
        raise MalformedKey(N_("The verifier key is not an Ed25519 key."))
    key = VerifierKey(name, raw[1:])
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex) or id_hex != key.key_id_hex:
        raise MalformedKey(N_("The verifier key ID does not match its name and key."))
    return key


@dataclass(frozen=True)
class KeyRecord:
    """What the public may know of one key."""

    key_id: str
    name: str
    algorithm: str
    public_key: str
    verifier_key: str
    status: Literal["active", "retired"]


class KeyRing:
    """One active signing key and every key that may have signed before it."""

    def __init__(
        self, name: str, signing_key: Ed25519PrivateKey, retired: Sequence[VerifierKey] = ()
    ) -> None:
        self._signing_key = signing_key
        public = signing_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self._verifier = VerifierKey(check_key_name(name), public)
        seen = {self._verifier}
        self._retired: list[VerifierKey] = []
        for key in retired:
            if key not in seen:
                seen.add(key)
                self._retired.append(key)

    def current(self) -> KeyRing:
        """The ring to use for one whole use case: this one (a :class:`KeyFileRing` returns
        what its files hold now)."""
        return self

    @property
    def verifier(self) -> VerifierKey:
        """The active key's public half."""
        return self._verifier

    @property
    def retired(self) -> list[VerifierKey]:
        """The keys retired before the active one, oldest first."""
        return self._retired

    @property
    def name(self) -> str:
        """The active key's name (the signature-line name in notes)."""
        return self.current().verifier.name

    @property
    def key_id(self) -> bytes:
        """The active key's 4-byte key ID."""
        return self.current().verifier.key_id

    @property
    def active_key_id(self) -> str:
        """The active key's ID as 8 lowercase hex digits."""
        return self.current().verifier.key_id_hex

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message`` by the active key."""
        return self.current()._signing_key.sign(message)

    def verifiers(self) -> list[VerifierKey]:
        """The active key first, then the retired keys in the order they were retired."""
        ring = self.current()
        return [ring.verifier, *ring.retired]

    def verify(self, key_id: str | bytes, message: bytes, signature: bytes) -> bool:
        """Return True only if a key of this ring with ``key_id`` (4 bytes or 8 hex digits)
        signed ``message``; unknown key IDs give False."""
        try:
            wanted = key_id if isinstance(key_id, bytes) else bytes.fromhex(key_id)
        except ValueError:
            return False
        return any(k.verify(message, signature) for k in self.verifiers() if k.key_id == wanted)

    def public_keys(self) -> list[KeyRecord]:
        """A record per key, the active one first: key ID, name, algorithm, base64 public key,
        verifier-key string and status."""
        keys = self.verifiers()
        return [
            KeyRecord(
                key_id=k.key_id_hex,
                name=k.name,
                algorithm=ALGORITHM,
                public_key=base64.b64encode(k.public_key).decode(),
                verifier_key=k.text,
                status="active" if i == 0 else "retired",
            )
            for i, k in enumerate(keys)
        ]


_Stamp = tuple[tuple[int, int, int] | None, tuple[int, int, int] | None]


class KeyFileRing(KeyRing):
    """The key ring held by the key file and its ``.retired`` file, as they are now.

    Every process (each gunicorn worker, each command) reads the same two files, so they are
    the one shared source of the keys: :meth:`current` compares the files' ``stat`` (mtime in
    nanoseconds, size, inode: two ``stat`` calls, no read) with what it loaded and re-reads
    them when either changed, so a ``fundvote keys rotate`` reaches every worker at its next
    use case, and the retired keys keep verifying. Every other method asks :meth:`current`
    first; a use case takes one snapshot (``UnitOfWork`` does) so that a key name, key ID and
    signature always come from the same key. A file caught half-written (or removed) is not
    taken: the last good ring stays in use and the files are read again next time.
    """

    def __init__(self, path: Path, name: str) -> None:
        check_key_name(name)
        self._path = path
        self._key_name = name
        self._lock = threading.Lock()
        stamp = self._stamp()
        self._state: tuple[_Stamp, KeyRing] = (stamp, self._read())

    @property
    def path(self) -> Path:
        """The signing key file."""
        return self._path

    def current(self) -> KeyRing:
        """The ring the files hold now (re-read only when their ``stat`` changed)."""
        stamp = self._stamp()
        seen, ring = self._state
        if stamp == seen:
            return ring
        with self._lock:
            seen, ring = self._state
            if stamp != seen:
                try:
                    ring = self._read()
                except (DomainError, OSError):
                    return ring  # keep signing with the last good key; try again next time
                self._state = (stamp, ring)
            return ring

    @property
    def verifier(self) -> VerifierKey:
        return self.current().verifier

    @property
    def retired(self) -> list[VerifierKey]:
        return self.current().retired

    def _read(self) -> KeyRing:
        return KeyRing(
            self._key_name, _read_private_key(self._path), _read_retired(retired_path(self._path))
        )

    def _stamp(self) -> _Stamp:
        return (_file_stamp(self._path), _file_stamp(retired_path(self._path)))


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def retired_path(path: Path) -> Path:
    """The sibling file that lists retired verifier keys: ``<path>.retired``."""
    return path.with_name(path.name + ".retired")


def load_keyring(path: Path, *, create: bool, name: str = DEFAULT_KEY_NAME) -> KeyFileRing:
    """Load the signing key at ``path`` and the retired keys beside it, as a
    :class:`KeyFileRing` that follows later changes of those files (a rotation).

    When the file is missing: with ``create`` a new key is written there with mode 0600 (two
    processes racing to create it end up with the same key), otherwise
    :class:`SigningKeyMissing` is raised. A file that is not an Ed25519 PKCS#8 PEM key, or a
    bad line in the retired file, raises :class:`MalformedKey`.
    """
    check_key_name(name)
    if not path.exists():
        if not create:
            raise SigningKeyMissing(N_("No signing key file; create one with 'fundvote keys'."))
        _write_new_key(path, replace=False)
    return KeyFileRing(path, name)


def rotate_key(path: Path, *, name: str = DEFAULT_KEY_NAME) -> KeyRing:
    """Retire the key at ``path`` and make a new one active; return the new ring.

    The old verifier key is appended to ``<path>.retired`` before the new key replaces the
    old file, so a crash in between leaves the old key both active and listed as retired
    (harmless) rather than lost. Raises :class:`SigningKeyMissing` if there is no key yet.
    """
    old = load_keyring(path, create=False, name=name)
    retired = retired_path(path)
    if old.verifier not in _read_retired(retired):
        with retired.open("a", encoding="utf-8") as fh:
            fh.write(old.verifier.text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    _write_new_key(path, replace=True)
    return load_keyring(path, create=False, name=name)


def _read_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise MalformedKey(N_("The signing key file is not a PEM PKCS#8 private key.")) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise MalformedKey(N_("The signing key is not an Ed25519 key."))
    return key


def _read_retired(path: Path) -> list[VerifierKey]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse_verifier_key(line) for line in lines if line.strip()]


def _write_new_key(path: Path, *, replace: bool) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            # Atomic and never overwrites: a key another process just made wins.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
