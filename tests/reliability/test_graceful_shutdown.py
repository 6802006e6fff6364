"""SIGTERM during load: requests in flight complete, new connections are refused, the process
exits 0 and stops the embedded PostgreSQL it started; what was acknowledged is stored.

The in-flight requests upload their body slowly, so they are provably inside the server
when the signal arrives, and provably still open while new connections are tried.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.reliability.live import LiveServer

pytestmark = pytest.mark.slow

IN_FLIGHT = 3
BATCH = 50


def _batch(registration: str) -> list[dict[str, object]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "actor": {"mbox": f"mailto:shutdown{i}@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "http://example.com/shutdown"},
            "context": {"registration": registration},
        }
        for i in range(BATCH)
    ]


async def _slow_body(
    body: bytes, started: asyncio.Event, release: asyncio.Event
) -> AsyncIterator[bytes]:
    """Half the body, then wait for ``release``, then the rest."""
    half = len(body) // 2
    yield body[:half]
    started.set()
    await release.wait()
    yield body[half:]


async def _refused(server: LiveServer) -> None:
    """A new request is refused once shutdown began: the listening socket is closed (connect
    fails), or a connection accepted in the instant before is closed unanswered."""
    deadline = time.monotonic() + 15
    while True:
        try:
            async with httpx.AsyncClient(base_url=server.base, timeout=2) as fresh:
                await fresh.get("/health")
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
            return
        assert time.monotonic() < deadline, "new connections still accepted after SIGTERM"
        await asyncio.sleep(0.1)


async def test_sigterm_drains_in_flight_requests_and_exits_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = LiveServer(data_dir).start()
    assert server.process is not None
    release = asyncio.Event()
    registrations = [str(uuid.uuid4()) for _ in range(IN_FLIGHT)]
    try:
        async with server.client(timeout=60) as client:
            started = [asyncio.Event() for _ in registrations]
            requests = []
            for registration, event in zip(registrations, started, strict=True):
                body = orjson.dumps(_batch(registration))
                requests.append(
                    asyncio.create_task(
                        client.post(
                            "/xAPI/statements",
                            content=_slow_body(body, event, release),
                            headers={"Content-Type": "application/json"},
                        )
                    )
                )
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 30)
            await asyncio.sleep(0.3)  # the halves have reached the server
            server.process.send_signal(signal.SIGTERM)
            await _refused(server)
            assert server.process.poll() is None, "exited before the in-flight requests ended"
            release.set()
            answers = await asyncio.wait_for(asyncio.gather(*requests), 60)
        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert len(answer.json()) == BATCH
        exit_code = await asyncio.to_thread(server.process.wait, 60)
        assert exit_code == 0
        assert not (data_dir / "pgdata" / "postmaster.pid").exists(), "PostgreSQL left running"
    finally:
        release.set()
        server.close()
        print(server.log_text()[-6000:])

    restarted = LiveServer(data_dir).start()
    try:
        async with restarted.client() as client:
            for registration in registrations:
                got = await client.get("/xAPI/statements", params={"registration": registration})
                assert len(got.json()["statements"]) == BATCH
    finally:
        restarted.close()
