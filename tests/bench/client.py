"""Drive fundvote through its stable contracts only: the ``fundvote`` command line and the
JSON API under ``/api/v1``. Nothing here imports a fundvote service, so the benchmarks keep
working while the services' internals change.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.bench.servers import BIN, ROOT


@dataclass(frozen=True)
class Cli:
    """The ``fundvote`` command with one instance's environment."""

    env: dict[str, str]

    def run(self, *args: str, stdin: str = "") -> str:
        """Run ``fundvote ARGS``; return stdout; raise with stderr on failure."""
        done = subprocess.run(
            [str(BIN / "fundvote"), *args],
            env=self.env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"fundvote {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def run_status(self, *args: str) -> tuple[int, str]:
        """Run ``fundvote ARGS``; return its exit status and its stdout and stderr."""
        done = subprocess.run(
            [str(BIN / "fundvote"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def staff_token(self, username: str, role: str, communities: tuple[str, ...] = ()) -> str:
        """Add a staff user with a random password and return a new API token of theirs."""
        scope = [a for code in communities for a in ("--community", code)]
        password = secrets.token_urlsafe(24) + "aA1!"
        self.run("user", "add", username, "--role", role, *scope, "--password-stdin",
                 stdin=password + "\n")  # fmt: skip
        return self.run("user", "token", username, "--label", "bench").strip()


class ApiError(RuntimeError):
    """A JSON API call answered with an error status."""


@dataclass(frozen=True)
class Api:
    """The JSON API of a running server, as one staff user."""

    base: str
    token: str

    def call(self, method: str, path: str, body: Any = None, timeout: float = 600) -> Any:
        """Call ``/api/v1`` + ``path`` with a JSON body; return the decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return self._send(method, path, data, headers, timeout)

    def upload(self, path: str, filename: str, content: bytes, timeout: float = 600) -> Any:
        """POST ``content`` as the multipart field ``file``."""
        boundary = uuid.uuid4().hex
        data = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        return self._send("POST", path, data, headers, timeout)

    def _send(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str], timeout: float
    ) -> Any:
        url = f"{self.base}/api/v1{path}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ApiError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from exc

    def create_fund_use_ballot(self, code: str, closes_in: timedelta) -> dict[str, Any]:
        """A draft with one ``fund_use`` question and its use plan, open now until
        ``closes_in`` from now."""
        now = datetime.now(UTC)
        body = {
            "title": "电梯更换 (bench)",
            "description": "Benchmark ballot",
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + closes_in).isoformat(),
            "questions": [
                {
                    "matter": "fund_use",
                    "text": "同意使用维修资金更换电梯?",
                    "use_plan": {
                        "repair": "更换电梯",
                        "budget_fen": 120_000_000,
                        "sources": {"maintenance_fund": 100_000_000, "subsidy": 20_000_000},
                    },
                }
            ],
        }
        return dict(self.call("POST", f"/communities/{code}/ballots", body))


def write_roll(path: Path, content: bytes) -> Path:
    """Write a roll file and return its path."""
    path.write_bytes(content)
    return path


def token_of(url: str) -> str:
    """The token at the end of a personal link ``.../v/<token>``."""
    return url.rstrip("/").rsplit("/", 1)[1]
