"""KeptConnection: one pooled connection kept from one use to the next (no checkout per
use), given back when idle or released, discarded when a use fails, and never shared by
two uses at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from lrs.errors import DatabaseUnavailable
from lrs.storage import database
from lrs.storage.database import KeptConnection, autocommit, driver_connection, make_engine


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, pool_size=2, statement_timeout_ms=5_000)
    try:
        yield engine
    finally:
        await engine.dispose()


def _checked_out(engine: AsyncEngine) -> int:
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


async def _backend_pid(kept: KeptConnection) -> int:
    async with kept.use() as conn:
        driver = await driver_connection(conn)
        assert not driver.is_in_transaction()  # autocommit, as `autocommit`
        return int(await driver.fetchval("SELECT pg_backend_pid()"))


async def test_uses_that_follow_each_other_share_one_checkout(engine: AsyncEngine) -> None:
    kept = KeptConnection(engine)
    first = await _backend_pid(kept)
    assert _checked_out(engine) == 1  # kept between uses
    assert await _backend_pid(kept) == first
    await kept.release()
    assert _checked_out(engine) == 0
    await kept.release()  # nothing held: a no-op


async def test_an_idle_connection_goes_back_to_the_pool(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "KEPT_IDLE_SECONDS", 0.05)
    kept = KeptConnection(engine)
    await _backend_pid(kept)
    assert _checked_out(engine) == 1
    for _ in range(100):
        await asyncio.sleep(0.02)
        if _checked_out(engine) == 0:
            break
    assert _checked_out(engine) == 0


async def test_a_connection_in_use_is_not_released_by_the_timer(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "KEPT_IDLE_SECONDS", 0.05)
    kept = KeptConnection(engine)
    async with kept.use() as conn:
        driver = await driver_connection(conn)
        await asyncio.sleep(0.2)  # past the idle time, still in use
        assert await driver.fetchval("SELECT 1") == 1
        await kept.release()  # in use: kept until the use ends
        assert _checked_out(engine) == 1
    await kept.release()
    assert _checked_out(engine) == 0


async def test_a_second_use_at_once_gets_another_connection(engine: AsyncEngine) -> None:
    kept = KeptConnection(engine)
    async with kept.use() as outer, kept.use() as inner:
        assert inner is not outer
        pids = [
            await (await driver_connection(c)).fetchval("SELECT pg_backend_pid()")
            for c in (outer, inner)
        ]
        assert pids[0] != pids[1]
    assert _checked_out(engine) == 1  # the inner one went back at once
    await kept.release()


async def test_a_failed_use_discards_the_connection(engine: AsyncEngine) -> None:
    kept = KeptConnection(engine)
    first = await _backend_pid(kept)
    with pytest.raises(asyncpg.exceptions.UndefinedTableError):
        async with kept.use() as conn:
            await (await driver_connection(conn)).execute("SELECT * FROM no_such_table")
    assert _checked_out(engine) == 0
    assert await _backend_pid(kept) != first  # discarded, not pooled again
    await kept.release()


async def test_a_lost_connection_is_a_503_then_replaced(engine: AsyncEngine) -> None:
    kept = KeptConnection(engine)
    first = await _backend_pid(kept)
    async with autocommit(engine) as other:
        driver = await driver_connection(other)
        await driver.execute(f"SELECT pg_terminate_backend({first})")
    with pytest.raises(DatabaseUnavailable):
        async with kept.use() as conn:
            await (await driver_connection(conn)).fetchval("SELECT 1")
    assert await _backend_pid(kept) != first
    await kept.release()


async def test_release_soon_gives_it_back_in_a_task(engine: AsyncEngine) -> None:
    kept = KeptConnection(engine)
    await _backend_pid(kept)
    kept.release_soon()
    for _ in range(100):
        await asyncio.sleep(0.01)
        if _checked_out(engine) == 0:
            break
    assert _checked_out(engine) == 0
