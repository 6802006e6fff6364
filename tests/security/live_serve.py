"""`lrs serve` as a process with its default settings, on a fresh database of the test server.

The attack suite needs the real entry point (its HTTP parser and limits), not the app in
process. Latency probes run beside each attack: `/health` and an authenticated
`GET /statements` from another client, every 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

from lrs.auth.scopes import Scope
from lrs.services.credentials import create_credential
from lrs.storage.database import make_engine
from tests.conftest import basic, free_port

KEY = "attack-admin"
SECRET = "attack-secret-" + uuid.uuid4().hex
VERSION = {"X-Experience-API-Version": "2.0.0"}


def _typical_open_files_limit() -> None:
    """Start the server as many systems do, with a soft limit of 1,024 open files."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))


class Served:
    """One `lrs serve` process on its own database."""

    def __init__(self, database_url: str, log_path: Path, env: dict[str, str]) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "LRS_DATABASE_URL": self.database_url,
            "LRS_BOOTSTRAP_KEY": KEY,
            "LRS_BOOTSTRAP_SECRET": SECRET,
            "LRS_LOG_LEVEL": "WARNING",
            **self.env,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lrs", "serve", "--port", str(self.port), "--migrate"],
                env=env,
                stdout=log,
                stderr=log,
                preexec_fn=_typical_open_files_limit,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"lrs serve exited: {self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/ready", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError("lrs serve did not become ready")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(
        self, auth: tuple[str, str] = (KEY, SECRET), timeout: float = 60
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, auth=auth, headers=VERSION, timeout=timeout)

    async def credential(self, *scopes: Scope) -> tuple[str, str]:
        key, secret = "k-" + uuid.uuid4().hex[:10], uuid.uuid4().hex
        engine = make_engine(self.database_url, pool_size=1)
        try:
            await create_credential(engine, name=key, key=key, secret=secret, scopes=list(scopes))
        finally:
            await engine.dispose()
        return key, secret


def serve(database_url: str, log_path: Path, env: dict[str, str] | None = None) -> Iterator[Served]:
    served = Served(database_url, log_path, env or {})
    served.start()
    try:
        yield served
    finally:
        served.stop()


class Probes:
    """Latencies of /health and an authenticated GET /statements while an attack runs."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.health: list[float] = []
        self.reads: list[float] = []
        self.failures: list[str] = []
        self._warm = asyncio.Event()

    async def _loop(self) -> None:
        async with (
            httpx.AsyncClient(base_url=self.served.base, headers=VERSION, timeout=10) as plain,
            self.served.client(timeout=10) as reader,
        ):
            while True:
                for client, path, sink in (
                    (plain, "/health", self.health),
                    (reader, "/xAPI/statements?limit=1", self.reads),
                ):
                    started = time.perf_counter()
                    try:
                        response = await client.get(path)
                        if response.status_code != 200:
                            self.failures.append(f"{path}: {response.status_code}")
                    except httpx.HTTPError as error:
                        self.failures.append(f"{path}: {error!r}")
                    sink.append(time.perf_counter() - started)
                self._warm.set()
                await asyncio.sleep(0.05)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Probes]:
        task = asyncio.create_task(self._loop())
        # Both probes answer once before the attack starts.
        await asyncio.wait_for(self._warm.wait(), timeout=10)
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def assert_responsive(self, bound: float = 1.0) -> None:
        """Both probes answered, each within `bound` seconds at the 99th percentile."""
        assert not self.failures, self.failures[:5]
        for name, samples in (("health", self.health), ("GET /statements", self.reads)):
            assert samples, f"no {name} probe completed"
            ordered = sorted(samples)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            assert p99 < bound, f"{name} p99 {p99:.2f} s over {len(samples)} probes"


__all__ = ["KEY", "SECRET", "VERSION", "Probes", "Served", "basic", "serve"]
