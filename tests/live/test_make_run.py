"""`make run` is a well-behaved foreground process: SIGTERM to make stops the server.

make forwards SIGTERM to its child only; the recipe `exec`s lrs so that child is the server
itself (not a shell that would die and leave the server, and its PostgreSQL, running).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from lrs.storage.database import make_engine
from lrs.storage.migrate import upgrade
from tests.cli.conftest import free_port
from tests.conftest import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def migrated_database(server_url: str) -> AsyncIterator[str]:
    url = await create_database(server_url, "lrs_make_run")
    engine = make_engine(url, pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    yield url
    await drop_database(server_url, url)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_sigterm_to_make_run_stops_the_server(migrated_database: str, tmp_path: Path) -> None:
    port = free_port()
    venv = Path(sys.prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env.update(LRS_DATABASE_URL=migrated_database, LRS_DATA_DIR=str(tmp_path / "data"))
    log = tmp_path / "make.log"
    with log.open("wb") as out:
        # -o: never reinstall the environment the tests run in.
        make = subprocess.Popen(
            [
                "make",
                "-C",
                str(ROOT),
                "-o",
                f"{venv}/bin/lrs",
                "run",
                f"VENV={venv}",
                f"PORT={port}",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    started: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while True:
            assert make.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        started = _children(make.pid)
        started += [pid for child in started for pid in _children(child)]
        [server] = _children(make.pid)
        assert b"serve" in Path(f"/proc/{server}/cmdline").read_bytes()
        make.send_signal(signal.SIGTERM)
        make.wait(timeout=60)
        assert not _alive(server), "the server outlived make"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
        assert "Finished server process" in log.read_text()
    finally:
        if make.poll() is None:
            make.kill()
            make.wait()
        for pid in started:  # a server left behind by a failure above
            if _alive(pid):
                os.kill(pid, signal.SIGTERM)
