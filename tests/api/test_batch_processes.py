"""Which batch process takes a large body (`lrs.services.batch_processes`): the first while
it holds fewer than two, past that the one holding fewest, a further process started in the
background the first time it is wanted, and no body waiting for it to start."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from lrs.app import create_app
from lrs.services.batch_process import BatchProcess
from lrs.services.batch_processes import SPILL_AT, BatchProcesses
from lrs.settings import Settings
from tests.api.large_batches import all_running, batch_processes, large_batch, until
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic
from tests.paging import statement_ids

URL = "/xAPI/statements"


async def post_at_once(
    client: httpx.AsyncClient, count: int
) -> list[tuple[list[dict[str, object]], httpx.Response]]:
    batches = [large_batch() for _ in range(count)]
    answers = await asyncio.gather(*(client.post(URL, json=batch) for batch in batches))
    return list(zip(batches, answers, strict=True))


def assert_stored_in_order(sent: list[tuple[list[dict[str, object]], httpx.Response]]) -> None:
    for batch, answer in sent:
        assert answer.status_code == 200, answer.text
        assert answer.json() == [statement["id"] for statement in batch]


def handled_by_others(batches: BatchProcesses) -> int:
    return sum(process.handled for process in batches.processes[1:])


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app of its own (the session's has started its further processes already) and a
    client with the admin credential of the session's database, which it uses."""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        headers = {
            "Authorization": basic(ADMIN_KEY, ADMIN_SECRET),
            "X-Experience-API-Version": "2.0.0",
        }
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://lrs.test", headers=headers
        ) as client:
            yield other, client


@pytest.fixture
async def fresh(
    app: FastAPI, database_url: str
) -> AsyncIterator[tuple[BatchProcesses, httpx.AsyncClient]]:
    """The batch processes of a `serving` app with the default settings, and its client;
    the session's `app` has migrated the database and created the admin credential. The
    credential is checked once first: a new app checks its secret's hash on each request
    until then, which staggers bodies sent at once by tens of milliseconds (and the first
    process would seldom hold two)."""
    async with serving(Settings(database_url=database_url)) as (other, client):
        warm = await client.get(URL, params={"limit": 1})
        assert warm.status_code == 200, warm.text
        yield batch_processes(other), client


def test_there_are_three_batch_processes_by_default(app: FastAPI) -> None:
    assert Settings().batch_processes == 3
    assert len(batch_processes(app).processes) == 3


def test_at_least_one_process_is_needed() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BatchProcesses([])


async def test_two_bodies_at_a_time_stay_with_the_first_process(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Two clients posting batches (while others query) keep to the first process."""
    assert SPILL_AT == 2
    batches = batch_processes(app)
    first, others = batches.first.handled, handled_by_others(batches)
    for _ in range(4):
        assert_stored_in_order(await post_at_once(client, 2))
    assert batches.first.handled == first + 8
    assert handled_by_others(batches) == others


async def test_bodies_past_two_held_go_to_the_process_holding_fewest(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    batches = batch_processes(app)
    await post_at_once(client, 4)  # starts the further processes, if they are not running yet
    await all_running(batches)
    first, others = batches.first.handled, handled_by_others(batches)
    sent = await post_at_once(client, 8)
    assert_stored_in_order(sent)
    assert batches.first.handled - first >= SPILL_AT
    assert handled_by_others(batches) - others >= 2
    assert batches.first.handled - first + handled_by_others(batches) - others == 8


async def test_no_body_waits_for_a_further_process_to_start(
    fresh: tuple[BatchProcesses, httpx.AsyncClient],
) -> None:
    """The first bodies past two are taken by the first process while the others start."""
    batches, client = fresh
    assert not any(process.running for process in batches.processes[1:])
    sent = await post_at_once(client, 8)
    assert_stored_in_order(sent)
    # All eight arrived within milliseconds, long before a process can start (an import
    # and a connection): had one been handed to a further process, it would have waited.
    assert handled_by_others(batches) == 0
    await all_running(batches)
    assert [process.started for process in batches.processes[1:]] == [1, 1]
    assert_stored_in_order(await post_at_once(client, 8))
    assert handled_by_others(batches) > 0


async def test_a_dead_further_process_is_replaced_and_loses_nothing(
    fresh: tuple[BatchProcesses, httpx.AsyncClient],
) -> None:
    batches, client = fresh
    spill = batches.processes[1]
    await spill.start()
    assert spill.pid is not None
    os.kill(spill.pid, signal.SIGKILL)
    await until(lambda: not spill.running, "the killed process seen gone")
    sent = await post_at_once(client, 8)
    assert_stored_in_order(sent)
    for batch, _ in sent:
        registration = batch[0]["context"]["registration"]  # type: ignore[index]
        stored = await statement_ids(client, registration=registration)
        assert set(stored) == {statement["id"] for statement in batch}
    await all_running(batches)
    assert spill.started == 2


async def test_one_batch_process_when_so_set(app: FastAPI, database_url: str) -> None:
    """LRS_BATCH_PROCESSES=1: every large body goes to the one process."""
    one = Settings(database_url=database_url, batch_processes=1)
    async with serving(one) as (other, client):
        batches = batch_processes(other)
        assert len(batches.processes) == 1
        assert isinstance(batches.first, BatchProcess)
        assert_stored_in_order(await post_at_once(client, 6))
        assert batches.first.handled == 6
