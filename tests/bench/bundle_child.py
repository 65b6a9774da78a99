"""One measured step of the bundle benchmark, in a process of its own so that its peak memory
is its own: ``python -m tests.bench.bundle_child STEP ARGS...`` prints one JSON line,
``{"seconds": s, "peak_mib": m, "detail": ...}``.

Steps: ``build CODE OUT.zip`` (``fundvote bundle``, the environment naming the instance),
``verify FILE.zip`` (``fundvote verify --json``), ``floor-build URL CODE OUT.zip`` (the log's
rows streamed by one bare ``SELECT`` into one zip member: what any bundle must at least do),
``floor-verify FILE.zip`` (``log/entries.jsonl`` read from the zip and hashed into a Merkle
root with plain ``hashlib``: what any verifier must at least do).
"""

from __future__ import annotations

import hashlib
import io
import json
import resource
import sys
import time
import zipfile
from contextlib import redirect_stdout
from pathlib import Path


def _peak_mib() -> float:
    """This process's peak resident memory. ``VmHWM`` belongs to the process's own memory
    map, made at exec; ``ru_maxrss`` would carry the parent's peak over from the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cli(*args: str) -> tuple[int, str]:
    from fundvote.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        try:
            main.main(list(args), standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue()


def _floor_build(url: str, code: str, path: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    n = 0
    with (
        engine.connect() as conn,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("log/entries.jsonl", "w") as member,
    ):
        rows = conn.execution_options(stream_results=True, yield_per=5_000).execute(
            sa.text("SELECT body FROM log_entry WHERE log = :l ORDER BY idx"), {"l": code}
        )
        for (body,) in rows:
            member.write(body.encode() + b"\n")
            n += 1
    engine.dispose()
    return n


def _floor_verify(path: str) -> str:
    sha256 = hashlib.sha256
    stack: list[tuple[int, bytes]] = []  # (height, hash) of the perfect subtrees so far
    with zipfile.ZipFile(path) as zf, zf.open("log/entries.jsonl") as member:
        for line in member:
            node, height = sha256(b"\x00" + line.rstrip(b"\n")).digest(), 0
            while stack and stack[-1][0] == height:
                node, height = sha256(b"\x01" + stack.pop()[1] + node).digest(), height + 1
            stack.append((height, node))
    root = stack.pop()[1] if stack else sha256(b"").digest()
    while stack:
        root = sha256(b"\x01" + stack.pop()[1] + root).digest()
    return root.hex()


def main(argv: list[str]) -> int:
    step, *args = argv
    start = time.perf_counter()
    detail: object
    if step == "build":
        code, out = _cli("bundle", args[0], "--out", args[1])
        detail = {"exit": code}
    elif step == "verify":
        code, out = _cli("verify", args[0], "--json")
        report = json.loads(out)
        detail = {"exit": code, "clean": report["clean"], "counts": report.get("counts"),
                  "findings": report["findings"][:5]}  # fmt: skip
    elif step == "floor-build":
        detail = {"entries": _floor_build(*args)}
    elif step == "floor-verify":
        detail = {"root": _floor_verify(args[0])}
    else:
        raise SystemExit(f"unknown step {step}")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mib": _peak_mib(), "detail": detail}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
