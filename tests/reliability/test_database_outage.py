"""PostgreSQL goes away under load and comes back: clients get 503 JSON, never a 500 or a
traceback, and the same server process recovers without a restart (ERR-016: 500 is
reserved for the unexpected; `/ready` says 503 meanwhile).

The PostgreSQL is the module's own embedded cluster (its own data dir); it is stopped behind
the server's back, by a fast shutdown (SIGINT) or a crash of the postmaster (SIGKILL).
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field

import httpx
import pytest

from tests.reliability.conftest import Spawn
from tests.reliability.live import Cluster, LiveServer

pytestmark = pytest.mark.slow

CLIENTS = 3
OUTAGE_SECONDS = 3.0
RECOVERY_TIMEOUT = 40.0


def _statement() -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:outage@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "http://example.com/outage"},
    }


@dataclass
class Load:
    """Writes and reads in a loop; every answer is recorded with the phase it came in."""

    phase: str = "before"
    answers: list[tuple[str, httpx.Response]] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, server: LiveServer) -> None:
        async with server.client(timeout=30) as client:
            while not self.stop.is_set():
                statement = _statement()
                await self._record(client.post("/xAPI/statements", json=statement))
                if self.answers[-1][1].status_code == 200:
                    self.acked.append(str(statement["id"]))
                await self._record(client.get("/xAPI/statements", params={"limit": 5}))
                await self._record(client.get("/xAPI/activities/state", params=_state_params()))
                await asyncio.sleep(0.02)

    async def _record(self, request: Awaitable[httpx.Response]) -> None:
        """Label each answer with the phase its request started in."""
        phase = self.phase
        self.answers.append((phase, await request))


def _state_params() -> dict[str, str]:
    return {
        "activityId": "http://example.com/outage",
        "agent": '{"mbox": "mailto:outage@example.com"}',
        "stateId": "missing",
    }


def _assert_clean_error(response: httpx.Response) -> None:
    """A failure while the database is away is a 503 with the JSON error body."""
    assert response.status_code == 503, f"{response.request.url}: {response.status_code}"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["status"] == 503
    assert "Traceback" not in response.text
    assert response.headers.get("Retry-After")


async def _recovered(server: LiveServer) -> None:
    """Poll with real writes until the server answers 200 again."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    async with server.client() as client:
        while True:
            response = await client.post("/xAPI/statements", json=_statement())
            if response.status_code == 200:
                return
            _assert_clean_error(response)
            assert time.monotonic() < deadline, "the server did not recover"
            await asyncio.sleep(0.2)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["fast-shutdown", "crash"])
async def test_database_restart_under_load_gives_503_then_recovers(
    spawn: Spawn, cluster: Cluster, how: signal.Signals
) -> None:
    server = spawn()
    assert server.process is not None
    pid = server.process.pid
    load = Load()
    tasks = [asyncio.create_task(load.run(server)) for _ in range(CLIENTS)]
    try:
        await asyncio.sleep(1.0)
        load.phase = "stopping"
        await asyncio.to_thread(cluster.stop_server, how)
        load.phase = "outage"  # from here on no PostgreSQL process is left
        await asyncio.sleep(OUTAGE_SECONDS)
        async with server.client() as client:
            _assert_clean_error(await client.get("/xAPI/statements"))
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["status"] == "unavailable"
        load.phase = "restarting"
        await asyncio.to_thread(cluster.start)
        await _recovered(server)
        load.phase = "after"
        await asyncio.sleep(1.0)
    finally:
        load.stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        assert task.exception() is None, task.exception()

    statuses = {(phase, r.status_code) for phase, r in load.answers}
    assert not [s for s in statuses if s[1] >= 500 and s[1] != 503], statuses
    for phase, response in load.answers:
        if response.status_code >= 500 or phase == "outage":  # no database, no answer but 503
            _assert_clean_error(response)
    assert ("outage", 503) in statuses, "the load never saw the outage"
    assert ("after", 200) in statuses
    assert server.process.poll() is None, "the server died"
    assert server.process.pid == pid, "the server was restarted"
    assert "unexpected error" not in server.log_text()

    async with server.client() as client:
        for statement_id in load.acked:
            got = await client.get("/xAPI/statements", params={"statementId": statement_id})
            assert got.status_code == 200, f"acknowledged {statement_id} lost"
