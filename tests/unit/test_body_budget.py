"""The worker's budget for large request bodies (`lrs.api.body_budget`): first come first
served, never more than its capacity at once, waiters that give up leave no trace, and the
middleware holds a large body's size from its last part to the end of its request."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from lrs.api.body_budget import SMALL_BODY_BYTES, ByteBudget
from lrs.api.middleware import BodyLimitMiddleware


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_grants_at_once_while_there_is_room() -> None:
    budget = ByteBudget(100)
    assert await budget.acquire(60) == 60
    assert await budget.acquire(40) == 40
    assert budget.free == 0
    budget.release(100)
    assert budget.free == 100


async def test_more_than_the_whole_budget_takes_the_whole_budget() -> None:
    budget = ByteBudget(100)
    assert await budget.acquire(500) == 100
    budget.release(100)
    assert budget.free == 100


async def test_waiters_are_served_in_arrival_order() -> None:
    budget = ByteBudget(100)
    await budget.acquire(100)
    order: list[str] = []

    async def take(name: str, amount: int) -> None:
        await budget.acquire(amount)
        order.append(name)

    first = asyncio.create_task(take("large", 80))
    await _settle()
    second = asyncio.create_task(take("small", 10))  # would fit sooner, but waits its turn
    await _settle()
    budget.release(20)
    await _settle()
    assert order == []  # 20 free: not enough for the first, and the second is behind it
    budget.release(80)
    await asyncio.gather(first, second)
    assert order == ["large", "small"]
    assert budget.free == 10


async def test_a_waiter_that_gives_up_leaves_no_trace() -> None:
    budget = ByteBudget(100)
    await budget.acquire(90)
    blocked = asyncio.create_task(budget.acquire(50))
    behind = asyncio.create_task(budget.acquire(10))
    await _settle()
    assert not behind.done()  # behind the blocked one
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
    assert await asyncio.wait_for(behind, 1) == 10  # woken once the one before it left
    budget.release(90)
    budget.release(10)
    assert budget.free == 100


async def test_a_grant_cancelled_before_use_is_given_back() -> None:
    budget = ByteBudget(100)
    await budget.acquire(100)
    waiter = asyncio.create_task(budget.acquire(70))
    await _settle()
    budget.release(100)  # grants the waiter, which is cancelled before it runs
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert budget.free == 100


async def test_large_bodies_are_processed_within_the_budget_and_small_ones_freely() -> None:
    """Four large bodies at once, a budget with room for one: all answered, one at a time
    after their bodies are read; small bodies do not wait for them."""
    size = SMALL_BODY_BYTES + 1000
    budget = ByteBudget(size + size // 2)
    processing, peak, read = 0, 0, 0
    gate = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal processing, peak, read
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        read += 1
        if len(body) > SMALL_BODY_BYTES:
            processing += 1
            peak = max(peak, processing)
            await gate.wait()
            processing -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})

    wrapped = BodyLimitMiddleware(app, max_bytes=10 * size, budget=budget)
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        large = [asyncio.create_task(client.post("/", content=b"l" * size)) for _ in range(4)]
        await _settle()
        small = await asyncio.wait_for(client.post("/", content=b"s" * 1000), 5)
        assert small.text == "1000"
        assert peak == 1
        gate.set()
        answers = await asyncio.wait_for(asyncio.gather(*large), 10)
    assert [answer.text for answer in answers] == [str(size)] * 4
    assert peak == 1
    assert budget.free == budget.capacity
