"""Pooled connections after failures: statements sent on the driver connection bypass
SQLAlchemy, so `lrs.storage.database` itself discards a connection a failure may have left
half-way, and keeps it after the domain's own errors (a 404 or 409 is no broken socket)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.errors import NotFound
from lrs.storage.database import autocommit, driver_connection, transaction

Block = Callable[[AsyncEngine], AbstractAsyncContextManager[AsyncConnection]]


async def _fail_inside(engine: AsyncEngine, block: Block, error: Exception) -> Any:
    """Run one statement on the driver connection in `block`, then raise `error`; returns
    the driver connection."""
    driver: Any = None
    try:
        async with block(engine) as conn:
            driver = await driver_connection(conn)
            await driver.fetchval("SELECT 1")
            raise error
    except type(error):
        return driver
    raise AssertionError("the error did not propagate")  # pragma: no cover


@pytest.mark.parametrize("block", [autocommit, transaction])
async def test_an_unexpected_failure_discards_the_connection(app: FastAPI, block: Block) -> None:
    driver = await _fail_inside(app.state.lrs.engine, block, RuntimeError("failed half-way"))
    assert driver.is_closed()


@pytest.mark.parametrize("block", [autocommit, transaction])
async def test_a_domain_error_keeps_the_connection(app: FastAPI, block: Block) -> None:
    engine = app.state.lrs.engine
    driver = await _fail_inside(engine, block, NotFound("no such thing"))
    assert not driver.is_closed()
    async with block(engine) as conn:
        assert await (await driver_connection(conn)).fetchval("SELECT 2") == 2


async def test_a_cancelled_transaction_stays_cancelled(app: FastAPI) -> None:
    """Cancelled mid-command (a request gone, the server stopping), a transaction raises the
    cancellation itself, not a driver error for a ROLLBACK that cannot be sent then: a loop
    that outlives database outages must still stop when cancelled. The connection, left
    mid-command, is discarded; the next transaction works."""
    engine = app.state.lrs.engine
    drivers: list[Any] = []
    started = asyncio.Event()

    async def sleeper() -> None:
        async with transaction(engine) as conn:
            drivers.append(await driver_connection(conn))
            started.set()
            await conn.execute(text("SELECT pg_sleep(5)"))  # cancelled through SQLAlchemy

    task = asyncio.create_task(sleeper())
    await started.wait()
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert drivers[0].is_closed()
    async with transaction(engine) as conn:
        assert await (await driver_connection(conn)).fetchval("SELECT 3") == 3
