"""Erasure while four clients post batches naming the same person and others: no deadlock,
no half-erased batch, no lost statement of anyone else."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.api.ext_support import ext_db, statement
from tests.api.lifecycle_support import admin, erase
from tests.factories import make_agent

__all__ = ["admin", "ext_db"]

WRITERS = 4
BATCHES = 12


async def _present(app: FastAPI, ids: list[str]) -> set[str]:
    query = text("SELECT id::text FROM statements WHERE id = ANY(CAST(:ids AS uuid[]))")
    async with app.state.lrs.engine.connect() as conn:
        return {row[0] for row in await conn.execute(query, {"ids": ids})}


async def test_erasure_during_ingest(
    app: FastAPI, client: httpx.AsyncClient, admin: httpx.AsyncClient, ext_db: None
) -> None:
    posted: list[tuple[list[str], list[str]]] = []  # (erin's ids, others' ids) per batch
    started = asyncio.Event()

    async def writer(n: int) -> None:
        for b in range(BATCHES):
            erin = [statement("erin", verb=f"http://example.com/verbs/w{n}b{b}") for _ in range(3)]
            others = [statement(f"writer{n}-{i}") for i in range(7)]
            batch = [*erin[:2], *others, erin[2]]
            response = await client.post("/xAPI/statements", json=batch)
            assert response.status_code == 200, response.text
            posted.append(([s["id"] for s in erin], [s["id"] for s in others]))
            if len(posted) >= WRITERS * 2:
                started.set()

    async def eraser() -> dict[str, int]:
        await started.wait()
        result = await erase(admin, agent=make_agent(who="erin"))
        counts: dict[str, int] = result["counts"]
        return counts

    erasing = asyncio.create_task(eraser())
    await asyncio.wait_for(asyncio.gather(*(writer(n) for n in range(WRITERS))), timeout=120)
    counts = await asyncio.wait_for(erasing, timeout=120)
    assert len(posted) == WRITERS * BATCHES
    erased_batches = 0
    for erin_ids, other_ids in posted:
        assert await _present(app, other_ids) == set(other_ids)  # nobody else lost anything
        kept = await _present(app, erin_ids)
        assert kept in (set(), set(erin_ids))  # a batch is erased whole or kept whole
        erased_batches += not kept
    assert erased_batches >= WRITERS * 2  # every batch acknowledged before the erasure
    assert counts["statements"] == 3 * erased_batches
