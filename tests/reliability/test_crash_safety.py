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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.paging import statement_ids
from tests.reliability.conftest import Spawn
from tests.reliability.live import Cluster, LiveServer, wait_gone

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("cluster")]

BATCH = 20
# Batches of this many statements padded to about 1.2 KB are above 64 KiB: the batch process
# handles them (`lrs.services.batch_process`).
LARGE_BATCH = 100
PADDING = "p" * 1000
WRITERS = 4
ACKED_BEFORE_KILL = 6
INGEST_TIMEOUT = 40.0


def _statement(registration: str, index: int, padding: str) -> dict[str, Any]:
    """Statements of every batch share agents and activities, so batches contend."""
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:learner{index % 5}@example.com", "name": "Learner"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {
            "id": f"http://example.com/crash/activity/{index % 3}",
            "definition": {"name": {"en-US": f"Activity {index % 3}"}},
        },
        "context": {"registration": registration},
    }
    if padding:
        statement["result"] = {"response": padding}
    return statement


@dataclass
class Ingest:
    """What the writers sent and what the server acknowledged, by registration; `size`
    statements a POST (one: a statement object, not an array)."""

    size: int = BATCH
    padding: str = ""
    # An answer with this status is expected for batches in flight (not a refusal).
    expected_failure: int | None = None
    interrupted: list[str] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)
    acked: dict[str, list[str]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def writer(self, client: httpx.AsyncClient) -> None:
        while not self.stop.is_set():
            registration = str(uuid.uuid4())
            batch = [_statement(registration, i, self.padding) for i in range(self.size)]
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
            elif response.status_code == self.expected_failure:
                self.interrupted.append(response.text[:300])
            else:
                self.refused.append(f"{response.status_code} {response.text[:300]}")

    async def until_acked(self, count: int) -> None:
        deadline = time.monotonic() + INGEST_TIMEOUT
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"only {len(self.acked)} batches acknowledged"
            assert not self.refused, self.refused
            await asyncio.sleep(0.05)


async def _check_all_or_nothing(server: LiveServer, ingest: Ingest) -> None:
    """Every acknowledged batch whole; every other batch whole or absent."""
    async with server.client() as client:
        for registration, ids in ingest.sent.items():
            stored = set(await statement_ids(client, registration=registration))
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


@pytest.mark.parametrize(
    ("size", "padding"), [(BATCH, ""), (LARGE_BATCH, PADDING)], ids=["batches", "large batches"]
)
async def test_kill_9_of_the_server_loses_no_acknowledged_batch(
    spawn: Spawn, size: int, padding: str
) -> None:
    """Kill -9 mid-ingest, restart: acknowledged batches all there, none half stored; with
    large batches, the ones the batch process holds are in flight."""
    server = spawn()
    ingest = Ingest(size=size, padding=padding)
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
    in_flight = await _kill_mid_ingest(server, ingest, lambda: workers[0])
    assert in_flight, "the kill should land while batches are being written"
    assert not ingest.refused, ingest.refused
    assert server.process is not None
    assert server.process.poll() is None
    await _check_all_or_nothing(server, ingest)


async def _kill_mid_ingest(
    server: LiveServer, ingest: Ingest, victim: Callable[[], int]
) -> set[str]:
    """Kill -9 the process `victim` names once batches are acknowledged, and go on until as
    many more are; returns the registrations that were in flight at the kill."""
    tasks = await _run_writers(server, ingest)
    try:
        await ingest.until_acked(ACKED_BEFORE_KILL)
        in_flight = set(ingest.pending)
        os.kill(victim(), signal.SIGKILL)
        await ingest.until_acked(len(ingest.acked) + ACKED_BEFORE_KILL)
    finally:
        ingest.stop.set()
        await asyncio.gather(*tasks)
    return in_flight


async def _wait_for_workers(server: LiveServer, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while len(pids := server.worker_pids()) < count:
        assert time.monotonic() < deadline, f"workers: {pids}"
        await asyncio.sleep(0.1)
    return pids


async def test_kill_9_of_the_batch_process_loses_no_acknowledged_batch(spawn: Spawn) -> None:
    """The batch process killed mid-ingest: the batches it held are answered 503 (at most
    one per writer), the server keeps answering with a new one, and every acknowledged
    batch is whole, every other whole or absent."""
    server = spawn()
    ingest = Ingest(size=LARGE_BATCH, padding=PADDING, expected_failure=503)
    killed = server.batch_process_pid()
    in_flight = await _kill_mid_ingest(server, ingest, lambda: killed)
    assert in_flight, "the kill should land while batches are being written"
    assert not ingest.refused, ingest.refused
    assert len(ingest.interrupted) <= WRITERS, ingest.interrupted
    assert all("send it again" in text for text in ingest.interrupted), ingest.interrupted
    assert killed not in server.batch_process_pids()
    await _check_all_or_nothing(server, ingest)


async def test_kill_9_of_a_further_batch_process_loses_no_acknowledged_batch(
    spawn: Spawn,
) -> None:
    """Four clients posting large batches: past two held by the first batch process, the
    others go to further ones (`lrs.services.batch_processes`). One killed mid-ingest, the
    batches it held are answered 503, the first goes on, a new one is started, and every
    acknowledged batch is whole, every other whole or absent."""
    server = spawn()
    first = server.batch_process_pid()
    ingest = Ingest(size=LARGE_BATCH, padding=PADDING, expected_failure=503)
    killed: list[int] = []

    def further() -> int:
        killed.append(_further_batch_processes(server, first)[0])
        return killed[0]

    in_flight = await _kill_mid_ingest(server, ingest, further)
    assert in_flight, "the kill should land while batches are being written"
    assert not ingest.refused, ingest.refused
    assert len(ingest.interrupted) <= WRITERS, ingest.interrupted
    assert all("send it again" in text for text in ingest.interrupted), ingest.interrupted
    assert first in server.batch_process_pids()
    assert killed[0] not in server.batch_process_pids()
    await _check_all_or_nothing(server, ingest)


def _further_batch_processes(server: LiveServer, first: int, within: float = 30.0) -> list[int]:
    """The batch processes other than `first`, once there is one."""
    deadline = time.monotonic() + within
    while not (others := [pid for pid in server.batch_process_pids() if pid != first]):
        assert time.monotonic() < deadline, "no further batch process"
        time.sleep(0.05)
    return others


async def test_the_batch_processes_end_when_the_server_is_killed(spawn: Spawn) -> None:
    """Orphaned by a kill -9 of the server, every batch process finishes and exits by
    itself (its socket to the server is closed): nothing is left holding database
    connections."""
    server = spawn()
    first = server.batch_process_pid()
    ingest = Ingest(size=LARGE_BATCH, padding=PADDING)
    tasks = await _run_writers(server, ingest)
    try:
        await ingest.until_acked(ACKED_BEFORE_KILL)
        children = [first, *_further_batch_processes(server, first)]
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    finally:
        ingest.stop.set()
        await asyncio.gather(*tasks)
    await asyncio.to_thread(wait_gone, children, 30.0)
