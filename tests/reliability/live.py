"""`lrs serve` as a real process on an embedded PostgreSQL the test owns (its own data dir).

Shared by the reliability and security suites: start, wait until ready, kill or stop the
server, find its worker processes, stop and restart the PostgreSQL under it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from lrs.storage.embedded import EmbeddedPostgres
from tests.cli.conftest import free_port

KEY = "reliability"
SECRET = "reliability-secret-" + uuid.uuid4().hex
VERSION = {"X-Experience-API-Version": "2.0.0"}
READY_TIMEOUT = 120.0


class LiveServer:
    """One `lrs serve` process (restartable on the same port and data dir)."""

    def __init__(self, data_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.workers = workers
        self.port = free_port()
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "serve.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        return KEY, SECRET

    def client(self, timeout: float = 30.0) -> httpx.AsyncClient:
        """An async client with the bootstrap credential and the 2.0.0 version header."""
        return httpx.AsyncClient(
            base_url=self.base, auth=self.auth, headers=VERSION, timeout=timeout
        )

    def start(self) -> LiveServer:
        env = {
            **os.environ,
            "LRS_DATA_DIR": str(self.data_dir),
            "LRS_BOOTSTRAP_KEY": KEY,
            "LRS_BOOTSTRAP_SECRET": SECRET,
            "LRS_WORKERS": str(self.workers),
            **self.env,
        }
        env.pop("LRS_DATABASE_URL", None)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lrs", "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=log,
            )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"lrs serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"lrs serve not ready after {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL the server process (its workers, if any, are orphaned and killed too)."""
        assert self.process is not None
        workers = self.worker_pids()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        for pid in workers:
            _kill_quietly(pid)
        wait_gone(workers)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait for the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        """Stop the server whatever state it is in (fixture teardown)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.terminate(timeout=45)
        except subprocess.TimeoutExpired:
            self.kill()

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children running multiprocessing's spawn_main)."""
        return self._children_running(b"spawn_main")

    def batch_process_pid(self, timeout: float = 30.0) -> int:
        """The batch process of a one-worker server that has not had more than two batches
        at once yet (`lrs.services.batch_processes` starts a second one then)."""
        [pid] = self.batch_process_pids(timeout)
        return pid

    def batch_process_pids(self, timeout: float = 30.0) -> list[int]:
        """The batch processes of a one-worker server (`lrs.services.batch_process`)."""
        assert self.workers == 1
        deadline = time.monotonic() + timeout
        while not (pids := self._children_running(b"lrs.services.batch_process")):
            assert time.monotonic() < deadline, "no batch process"
            time.sleep(0.05)
        return pids

    def _children_running(self, command_part: bytes) -> list[int]:
        if self.process is None:
            return []
        return [pid for pid in children_of(self.process.pid) if command_part in _cmdline(pid)]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def children_of(parent: int) -> list[int]:
    """Direct children of ``parent``, from /proc."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _cwd(pid: int) -> Path | None:
    try:
        return Path(f"/proc/{pid}/cwd").resolve(strict=True)
    except OSError:
        return None


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes {pids} still alive")
        time.sleep(0.05)


class Cluster:
    """The embedded PostgreSQL of a data dir, held by the test so that it outlives any one
    `lrs serve`; it can be stopped and started under a running server."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._handles: list[EmbeddedPostgres] = []

    def start(self) -> str:
        handle = EmbeddedPostgres(self.data_dir)
        url = handle.start()
        self._handles.append(handle)
        return url

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop_server(self, sig: signal.Signals = signal.SIGINT) -> None:
        """Stop PostgreSQL behind everyone's back: SIGINT is a fast shutdown, SIGKILL a crash.
        Returns once no process of it is left (after a crash, backends exit on their own)."""
        pid = self.postmaster_pid()
        assert pid is not None, "no postmaster"
        os.kill(pid, sig)
        wait_gone([pid], timeout=60)
        pgdata = (self.data_dir / "pgdata").resolve()
        wait_gone([p for p in _all_pids() if _cwd(p) == pgdata], timeout=30)

    def close(self) -> None:
        for handle in reversed(self._handles):
            handle.stop()
        self._handles.clear()


def post_json(server: LiveServer, path: str, body: Any) -> httpx.Response:
    """A synchronous POST with the bootstrap credential (setup steps)."""
    return httpx.post(f"{server.base}{path}", json=body, auth=server.auth, headers=VERSION)
