"""`lrs serve` as a real process: bootstrap credential, embedded PostgreSQL, restarts, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import free_port

KEY, SECRET = "k", "s"
V2 = {"X-Experience-API-Version": "2.0.0"}


def _start(
    data_dir: Path, port: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LRS_DATA_DIR": str(data_dir),
        "LRS_BOOTSTRAP_KEY": KEY,
        "LRS_BOOTSTRAP_SECRET": SECRET,
        **(extra_env or {}),
    }
    env.pop("LRS_DATABASE_URL", None)
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "serve.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "lrs", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=log,
        )


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"lrs serve exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("lrs serve did not become ready")


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "lrs-data"
    yield path
    log = path / "serve.log"
    if log.exists():
        print(log.read_text(errors="replace")[-4000:])


def test_bootstrap_credential_version_header_and_restart(data_dir: Path) -> None:
    """Issue 2's acceptance checks, on the embedded PostgreSQL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/xAPI"
    server = _start(data_dir, port)
    try:
        _wait_ready(port, server)
        about = httpx.get(f"{base}/about")
        assert about.status_code == 200
        assert {"1.0.3", "2.0.0"} <= set(about.json()["version"])

        ok = httpx.get(f"{base}/statements", auth=(KEY, SECRET), headers=V2)
        assert ok.status_code == 200, ok.text
        for auth in [(KEY, "wrong"), ("other", SECRET), None]:
            refused = httpx.get(f"{base}/statements", auth=auth, headers=V2)
            assert refused.status_code == 401
        no_version = httpx.get(f"{base}/statements", auth=(KEY, SECRET))
        assert no_version.status_code == 400
        assert "X-Experience-API-Version" in no_version.json()["error"]["message"]

        statement = {
            "actor": {"mbox": "mailto:restart@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "http://example.com/restart"},
        }
        posted = httpx.post(f"{base}/statements", auth=(KEY, SECRET), headers=V2, json=statement)
        assert posted.status_code == 200, posted.text
        [statement_id] = posted.json()
        assert _stop(server) == 0
        assert not (data_dir / "pgdata" / "postmaster.pid").exists(), "embedded PostgreSQL stopped"

        server = _start(data_dir, port)
        _wait_ready(port, server)
        got = httpx.get(
            f"{base}/statements",
            params={"statementId": statement_id},
            auth=(KEY, SECRET),
            headers=V2,
        )
        assert got.status_code == 200

        # kill -9: the embedded PostgreSQL survives as an orphan; a new lrs just works.
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        server = _start(data_dir, port)
        _wait_ready(port, server)
        got = httpx.get(
            f"{base}/statements",
            params={"statementId": statement_id},
            auth=(KEY, SECRET),
            headers=V2,
        )
        assert got.status_code == 200
    finally:
        if server.poll() is None:
            _stop(server)
