"""Starting and stopping `bench.thin_endpoint` for the `ceiling` mode."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.baseline import plain_dsn


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def thin_server(database_url: str, timeout: float = 30.0) -> Iterator[tuple[str, int]]:
    """Run the thin endpoint against `database_url`; yields its xAPI base URL and pid."""
    port = _free_port()
    env = {**os.environ, "BENCH_THIN_DSN": plain_dsn(database_url)}
    command = [
        sys.executable, "-m", "uvicorn", "bench.thin_endpoint:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}/xAPI/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(url + "about", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the thin endpoint did not start")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=timeout)
