"""What a tamperer who holds a signing key recomputes after changing a bundle: the
checkpoint over the (changed) log, the manifest's hashes, and both signatures."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from typing import Any

from notary.canonical import canonical_bytes
from notary.checkpoint import Checkpoint, parse_checkpoint, sign_checkpoint
from notary.keys import KeyRing
from notary.merkle import root_of
from notary.note import sign_note, split_note

Files = dict[str, bytes]
UNLISTED = ("manifest.json", "manifest.sig", "cover.pdf")


def unzip(data: bytes) -> Files:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def rezip(files: Files) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[path])
    return out.getvalue()


def log_lines(files: Files) -> list[bytes]:
    return files["log/entries.jsonl"].splitlines()


def with_lines(files: Files, lines: list[bytes]) -> Files:
    return {**files, "log/entries.jsonl": b"".join(line + b"\n" for line in lines)}


def checkpoint_of(files: Files) -> Checkpoint:
    text, _ = split_note(files["checkpoint.txt"].decode())
    return parse_checkpoint(text)


def reseal(files: Files, ring: KeyRing, *, keys: bool = False) -> Files:
    """``files`` re-signed by ``ring``: a checkpoint over its log (same origin), the manifest
    recomputed and signed; with ``keys``, ``keys/`` holds only ``ring``'s key."""
    out = dict(files)
    if keys:
        out = {p: v for p, v in out.items() if not p.startswith("keys/")}
        out[f"keys/{ring.verifier.key_id_hex}.vkey"] = (ring.verifier.text + "\n").encode()
    lines = log_lines(out)
    cp = Checkpoint(checkpoint_of(files).origin, len(lines), root_of(lines))
    out["checkpoint.txt"] = sign_checkpoint(cp, ring).encode()
    manifest: dict[str, Any] = json.loads(files["manifest.json"])
    manifest["checkpoint"] = {
        "origin": cp.origin,
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode(),
    }
    manifest["files"] = [
        {"path": p, "size": len(out[p]), "sha256": hashlib.sha256(out[p]).hexdigest()}
        for p in sorted(out)
        if p not in UNLISTED
    ]
    body = canonical_bytes(manifest)
    out["manifest.json"] = body
    out["manifest.sig"] = sign_note(
        f"fundvote manifest v1\n{hashlib.sha256(body).hexdigest()}\n", ring
    ).encode()
    return out
