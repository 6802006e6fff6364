"""kill -9 under sustained batch ingest: nothing acknowledged is lost, no batch is half stored.

Each batch carries its own registration, so "all or nothing" is checkable from outside: every
registration has either none or all of its statements (ERR-009, STR-W-007/008), and every
batch answered 200 is retrievable after the restart (the durability promise of a 2xx).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import Spawn
from tests.reliability.live import Cluster, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("cluster")]

BATCH = 20
WRITERS = 4
ACKED_BEFORE_KILL = 6
INGEST_TIMEOUT = 40.0


def _statement(registration: str, index: int) -> dict[str, Any]:
    """Statements of every batch share agents and activities, so batches contend."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:learner{index % 5}@example.com", "name": "Learner"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {
            "id": f"http://example.com/crash/activity/{index % 3}",
            "definition": {"name": {"en-US": f"Activity {index % 3}"}},
        },
        "context": {"registration": registration},
    }


@dataclass
class Ingest:
    """What the writers sent and what the server acknowledged, by registration; `size`
    statements a POST (one: a statement object, not an array)."""

    size: int = BATCH
    sent: dict[str, list[str]] = field(default_factory=dict)
    acked: dict[str, list[str]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def writer(self, client: httpx.AsyncClient) -> None:
        while not self.stop.is_set():
            registration = str(uuid.uuid4())
            batch = [_statement(registration, i) for i in range(self.size)]
            ids = [s["id"] for s in batch]
            self.sent[registration] = ids
            self.pending.add(registration)
            try:
                body = batch if self.size > 1 else batch[0]
                response = await client.post("/xAPI/statements", json=body)
            except httpx.TransportError:
                await asyncio.sleep(0.05)  # the server is gone: not acknowledged
                continue
            finally:
                self.pending.discard(registration)
            if response.status_code == 200:
                assert response.json() == ids
                self.acked[registration] = ids
            else:
                self.refused.append(f"{response.status_code} {response.text[:300]}")

    async def until_acked(self, count: int) -> None:
        deadline = time.monotonic() + INGEST_TIMEOUT
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"only {len(self.acked)} batches acknowledged"
            assert not self.refused, self.refused
            await asyncio.sleep(0.05)


async def _stored(client: httpx.AsyncClient, registration: str) -> set[str]:
    response = await client.get(
        "/xAPI/statements", params={"registration": registration, "limit": BATCH * 2}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("more", "") == ""
    return {s["id"] for s in body["statements"]}


async def _check_all_or_nothing(server: LiveServer, ingest: Ingest) -> None:
    """Every acknowledged batch whole; every other batch whole or absent."""
    async with server.client() as client:
        for registration, ids in ingest.sent.items():
            stored = await _stored(client, registration)
            if registration in ingest.acked:
                assert stored == set(ids), f"acknowledged batch {registration} lost statements"
            else:
                assert stored in (set(), set(ids)), (
                    f"batch {registration} half stored: {len(stored)} of {len(ids)}"
                )


async def _run_writers(server: LiveServer, ingest: Ingest) -> list[asyncio.Task[None]]:
    clients = [server.client(timeout=60) for _ in range(WRITERS)]
    return [asyncio.create_task(_writer_owning(c, ingest)) for c in clients]


async def _writer_owning(client: httpx.AsyncClient, ingest: Ingest) -> None:
    async with client:
        await ingest.writer(client)


async def test_kill_9_of_the_server_loses_no_acknowledged_batch(spawn: Spawn) -> None:
    """Kill -9 mid-ingest, restart: acknowledged batches all there, none half stored."""
    server = spawn()
    ingest = Ingest()
    tasks = await _run_writers(server, ingest)
    try:
        await ingest.until_acked(ACKED_BEFORE_KILL)
        in_flight = set(ingest.pending)
        await asyncio.to_thread(server.kill)
    finally:
        ingest.stop.set()
        await asyncio.gather(*tasks)
    assert in_flight, "the kill should land while batches are being written"
    assert not ingest.refused, ingest.refused
    await asyncio.to_thread(server.start)
    await _check_all_or_nothing(server, ingest)


async def test_kill_9_loses_no_acknowledged_single_statement(spawn: Spawn) -> None:
    """The same with one statement per POST, the learner and activity known after the
    first: groups of them are written in one command each (`lrs_write_group`), committed
    before the answer; every statement answered 200 is there after the restart."""
    server = spawn()
    ingest = Ingest(size=1)
    tasks = await _run_writers(server, ingest)
    try:
        await ingest.until_acked(ACKED_BEFORE_KILL * 10)
        async with server.client() as client:
            metrics = (await client.get("/metrics")).text
        in_flight = set(ingest.pending)
        await asyncio.to_thread(server.kill)
    finally:
        ingest.stop.set()
        await asyncio.gather(*tasks)
    assert in_flight, "the kill should land while statements are being written"
    assert not ingest.refused, ingest.refused
    await asyncio.to_thread(server.start)
    await _check_all_or_nothing(server, ingest)
    written = re.search(r'lrs_statement_groups_total{way="one_command"} (\S+)', metrics)
    assert written is not None
    assert float(written.group(1)) > 0


async def test_kill_9_of_one_worker_loses_no_acknowledged_batch(
    spawn: Spawn, cluster: Cluster
) -> None:
    """With --workers 2, one worker is killed mid-ingest; the server keeps answering and
    the same all-or-nothing and durability checks hold."""
    server = spawn(workers=2)
    workers = await _wait_for_workers(server, 2)
    ingest = Ingest()
    tasks = await _run_writers(server, ingest)
    try:
        await ingest.until_acked(ACKED_BEFORE_KILL)
        in_flight = set(ingest.pending)
        os.kill(workers[0], signal.SIGKILL)
        await ingest.until_acked(len(ingest.acked) + ACKED_BEFORE_KILL)
    finally:
        ingest.stop.set()
        await asyncio.gather(*tasks)
    assert in_flight, "the kill should land while batches are being written"
    assert not ingest.refused, ingest.refused
    assert server.process is not None
    assert server.process.poll() is None
    await _check_all_or_nothing(server, ingest)


async def _wait_for_workers(server: LiveServer, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while len(pids := server.worker_pids()) < count:
        assert time.monotonic() < deadline, f"workers: {pids}"
        await asyncio.sleep(0.1)
    return pids
