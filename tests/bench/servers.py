"""Start and stop the HTTP servers the benchmarks measure: ``fundvote serve`` and the bare
baseline app, both gunicorn with the same workers, threads and worker class.

Every process is started in its own session and stopped by its process group id, also when
the run fails or is interrupted (the caller registers :meth:`Server.stop` on an ExitStack).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

WORKERS = 2
THREADS = 4
"""``fundvote serve``'s defaults (fundvote/cli/admin.py); the bare app is served the same way."""
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server process and where its output goes."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the process group (TERM, then KILL after 10 s); safe to call twice."""
        if self.process.poll() is not None:
            return
        pgid = self.process.pid  # started with start_new_session: its pid is its group id
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote (for error messages)."""
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def start(name: str, argv: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    """Start ``argv`` in its own session, output to ``log``; wait until it answers HTTP."""
    out = log.open("wb")
    process = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    out.close()
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.base}/", timeout=5):  # noqa: S310
                return server
        except urllib.error.HTTPError:
            return server  # it answers, even if / is not a 200 there
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer within 60 s:\n{server.log_tail()}")


def fundvote_serve(env: dict[str, str], log: Path) -> Server:
    """``fundvote serve`` exactly as an operator runs it (default workers and threads)."""
    port = free_port()
    argv = [str(BIN / "fundvote"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return start("fundvote serve", argv, env, port, log)


def bare_serve(database_url: str, log: Path) -> Server:
    """The bare baseline app (:mod:`tests.bench.bare_app`) under gunicorn, configured as
    ``fundvote serve`` configures it: workers, threads (so the gthread worker), timeout and
    an access log to stdout in the same format."""
    port = free_port()
    argv = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--timeout",
        "180",
        "--access-logfile",
        "-",
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "tests.bench.bare_app:create_app()",
    ]
    env = {**os.environ, "BENCH_BARE_DATABASE_URL": database_url}
    return start("bare app", argv, env, port, log)
