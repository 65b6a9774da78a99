"""The load generator: Debian's ``wrk`` (C, one thread, keep-alive connections) replaying a
file of distinct requests through :file:`load.lua`, so the 2 shared cores go to the server
and PostgreSQL rather than to the client.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).with_name("load.lua")


@dataclass(frozen=True)
class Request:
    """One request to replay: method, path and JSON body (empty for none)."""

    method: str
    path: str
    body: str = ""


@dataclass(frozen=True)
class LoadResult:
    """What one wrk run measured. Latencies are from wrk's histogram, in microseconds."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    replayed_beyond_file: int
    capped_by_time: bool

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        """Responses that were not 2xx, plus connect/read/write errors and timeouts."""
        return self.non2xx + self.socket_errors + self.replayed_beyond_file


def _run_wrk(argv: list[str]) -> tuple[str, str, int]:
    """Run wrk; interrupt it (SIGINT, as Ctrl-C: it then reports) once the script prints
    ``BENCH_DONE``, instead of letting its main thread sleep out the whole duration."""
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("BENCH_DONE"):
                process.send_signal(signal.SIGINT)
        stderr = process.stderr.read() if process.stderr else ""
        return "".join(lines), stderr, process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wrk_path() -> str:
    """The wrk binary; ``scripts/system-deps.sh bench`` installs it."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is missing: run `scripts/system-deps.sh bench` (make bench does)")
    return found


def run(
    base: str,
    requests: list[Request],
    target: int,
    connections: int,
    max_seconds: int,
    bearer: str = "",
) -> LoadResult:
    """Send ``target`` of ``requests`` (in order, each at most once) over ``connections``
    keep-alive connections, stopping after ``target`` responses or ``max_seconds``.

    ``requests`` should hold ``target + connections`` lines: wrk may have that many in
    flight when it stops; anything sent beyond the file is counted as a failure.
    """
    for r in requests:
        if "\t" in r.path or "\t" in r.body or "\n" in r.body:
            raise ValueError("request lines cannot hold tabs or newlines")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        for r in requests:
            fh.write(f"{r.method}\t{r.path}\t{r.body}\n")
        path = fh.name
    try:
        argv = [
            wrk_path(),
            "-t1",
            f"-c{connections}",
            f"-d{max_seconds}s",
            "--timeout",
            "120s",
            "-s",
            str(LUA),
            base,
            "--",
            path,
            str(target),
            bearer,
        ]
        stdout, stderr, returncode = _run_wrk(argv)
    finally:
        Path(path).unlink()
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({returncode}): {stdout}\n{stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non2xx=data["non2xx"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        replayed_beyond_file=data["exhausted"],
        capped_by_time=data["requests"] < target,
    )
