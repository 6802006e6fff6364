"""`lrs serve` as a process on a fresh database of the test PostgreSQL server.

Unlike `tests/reliability/live.py` (an embedded PostgreSQL per module) these servers share the
session's database server (embedded under `make test`, `LRS_TEST_DATABASE_URL` otherwise), and
keep the process's stdout and stderr apart so tests can read each stream.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.cli.conftest import free_port

DEV_KEY, DEV_SECRET = "dev", "dev-secret"


class Served:
    """One `lrs serve --migrate` process on `database_url`, logs under `directory`."""

    def __init__(
        self,
        database_url: str,
        directory: Path,
        *,
        env: dict[str, str] | None = None,
        port: int | None = None,
        combined: bool = False,
    ) -> None:
        self.database_url = database_url
        self.directory = directory
        self.port = port or free_port()
        self.env = (
            env
            if env is not None
            else {
                "LRS_BOOTSTRAP_KEY": DEV_KEY,
                "LRS_BOOTSTRAP_SECRET": DEV_SECRET,
            }
        )
        self.stdout_path = directory / "serve.stdout"
        # combined: stdout and stderr are one file, as with `> log 2>&1`.
        self.combined = combined
        self.stderr_path = self.stdout_path if combined else directory / "serve.stderr"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> Served:
        env = {
            **os.environ,
            "LRS_DATABASE_URL": self.database_url,
            "LRS_DATA_DIR": str(self.directory / "data"),
            **self.env,
        }
        for name in ("LRS_BOOTSTRAP_KEY", "LRS_BOOTSTRAP_SECRET"):
            if name not in self.env:
                env.pop(name, None)
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lrs", "serve", "--port", str(self.port), "--migrate"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if self.combined else err,
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"lrs serve exited with {self.process.returncode}:\n{self.stderr()[-3000:]}"
                )
            try:
                if httpx.get(f"{self.base}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"lrs serve not ready after {timeout:.0f} s")

    def stop(self, timeout: float = 45.0) -> int:
        """SIGTERM, then the exit code (SIGKILL if it does not stop in time)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")
