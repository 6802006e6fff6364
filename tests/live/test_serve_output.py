"""What `lrs serve` tells the operator, and where: the banner once the port is bound, JSON
log lines only when stderr is not a terminal, a first-start credential shown once and never
in the log stream, and quiet `/ready` polls."""

from __future__ import annotations

import json
import os
import pty
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import free_port, lrs
from tests.conftest import create_database, drop_database
from tests.live.serving import Served

V2 = {"X-Experience-API-Version": "2.0.0"}


@pytest.fixture
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    url = await create_database(server_url, "lrs_serve_out")
    yield url
    await drop_database(server_url, url)


def json_lines(text: str) -> list[dict[str, object]]:
    """Every line of a log stream, each of which must be a JSON object."""
    assert "\x1b" not in text, "ANSI escapes in the log stream"
    lines = []
    for line in text.splitlines():
        if line.strip():
            parsed = json.loads(line)  # raises on any line that is not JSON
            assert isinstance(parsed, dict), line
            lines.append(parsed)
    return lines


def credential_from(text: str) -> tuple[str, str]:
    fields = dict(line.strip().split(":", 1) for line in text.splitlines() if line.startswith("  "))
    return fields["key"].strip(), fields["secret"].strip()


def test_log_stream_is_json_and_the_credential_goes_to_stdout_once(
    fresh_database: str, tmp_path: Path
) -> None:
    server = Served(fresh_database, tmp_path, env={}).start(wait=False)
    try:
        deadline = time.monotonic() + 90
        while "serving xAPI at" not in server.stderr():
            assert server.process is not None
            assert server.process.poll() is None, server.stderr()
            assert time.monotonic() < deadline, server.stderr()
            time.sleep(0.01)
        # No retry: the banner promises a bound port.
        assert httpx.get(f"{server.base}/health", timeout=5).status_code == 200
        server.wait_ready()
        key, secret = credential_from(server.stdout())
        got = httpx.get(f"{server.base}/xAPI/statements", auth=(key, secret), headers=V2)
        assert got.status_code == 200, got.text
        before_polls = len(server.stderr().splitlines())
        for _ in range(5):
            assert httpx.get(f"{server.base}/ready").status_code == 200
    finally:
        assert server.stop() == 0
    assert server.stdout().count(secret) == 1
    stderr = server.stderr()
    assert secret not in stderr
    lines = json_lines(stderr)
    [banner] = [x for x in lines if str(x["message"]).startswith("serving xAPI at")]
    assert banner["url"] == f"http://127.0.0.1:{server.port}/xAPI/"
    polls = json_lines("\n".join(stderr.splitlines()[before_polls:]))
    assert not [x for x in polls if str(x["logger"]).startswith("alembic")], polls
    assert len([x for x in polls if x["message"] == "GET /ready 200"]) == 5, polls


def test_no_credential_is_issued_into_the_log_stream(fresh_database: str, tmp_path: Path) -> None:
    """stdout and stderr one file (`> log 2>&1`): no secret can be shown, so none is made.
    (With two workers: the banner also comes from the supervisor once it bound the port.)"""
    server = Served(fresh_database, tmp_path, env={"LRS_WORKERS": "2"}, combined=True).start()
    assert server.stop() == 0
    lines = json_lines(server.stdout())
    assert [x for x in lines if str(x["message"]).startswith("serving xAPI at")], lines
    assert any("LRS_BOOTSTRAP_KEY" in str(x["message"]) for x in lines), lines
    assert "secret:" not in server.stdout()
    listed = lrs("credentials", "list", "--json", env={"LRS_DATABASE_URL": fresh_database})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == ""


def test_no_banner_when_the_port_is_taken(fresh_database: str, tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        server = Served(fresh_database, tmp_path, port=port).start(wait=False)
        assert server.process is not None
        code = server.process.wait(timeout=60)
    assert code != 0
    lines = json_lines(server.stderr())
    assert not [x for x in lines if "serving" in str(x["message"])], lines
    assert any(x["level"] == "ERROR" for x in lines), lines


def test_on_a_terminal_the_banner_and_credential_are_for_people(
    fresh_database: str, tmp_path: Path
) -> None:
    primary, secondary = pty.openpty()
    received = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    port = free_port()
    env = {**os.environ, "LRS_DATABASE_URL": fresh_database, "LRS_DATA_DIR": str(tmp_path)}
    for name in ("LRS_BOOTSTRAP_KEY", "LRS_BOOTSTRAP_SECRET"):
        env.pop(name, None)
    with (tmp_path / "stdout").open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lrs", "serve", "--port", str(port), "--migrate"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=secondary,
        )
    os.close(secondary)
    try:
        served = Served(fresh_database, tmp_path, port=port)
        served.process = process
        served.wait_ready()
        terminal = received.decode(errors="replace")
        assert "serving xAPI at" in terminal
        key, secret = credential_from(terminal.replace("\r", ""))
        got = httpx.get(f"http://127.0.0.1:{port}/xAPI/statements", auth=(key, secret), headers=V2)
        assert got.status_code == 200
    finally:
        assert served.stop() == 0
        os.close(primary)
    assert secret not in (tmp_path / "stdout").read_text()
    assert terminal.count(secret) == 2  # the key/secret lines and the curl example
