"""Checked-out connections: in `transaction`, commands sent through SQLAlchemy and on the
driver connection are one transaction, committed or rolled back together; `autocommit`
commits each command; and a connection goes back to the shared pool as it came, so a plain
`engine.connect()` (the exports' server-side cursors) still gets SQLAlchemy's transactions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.storage.database import autocommit, driver_connection, make_engine, transaction


@pytest.fixture
async def engine_and_table(database_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    # One pooled connection: every block below checks out the same one.
    engine = make_engine(database_url, pool_size=1, statement_timeout_ms=5_000)
    table = f"checkout_{uuid.uuid4().hex[:8]}"
    async with transaction(engine) as conn:
        await conn.execute(text(f"CREATE TABLE {table} (n int)"))
    try:
        yield engine, table
    finally:
        async with transaction(engine) as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await engine.dispose()


async def _count(engine: AsyncEngine, table: str) -> int:
    async with autocommit(engine) as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def test_a_transaction_spans_both_ways_of_sending(
    engine_and_table: tuple[AsyncEngine, str],
) -> None:
    engine, table = engine_and_table

    async def both_then_fail() -> None:
        async with transaction(engine) as conn:
            await conn.execute(text(f"INSERT INTO {table} VALUES (1)"))
            await (await driver_connection(conn)).execute(f"INSERT INTO {table} VALUES (2)")
            raise RuntimeError("the block fails after both inserts")

    with pytest.raises(RuntimeError):
        await both_then_fail()
    assert await _count(engine, table) == 0
    async with transaction(engine) as conn:
        await conn.execute(text(f"INSERT INTO {table} VALUES (1)"))
        driver = await driver_connection(conn)
        await driver.execute(f"INSERT INTO {table} VALUES (2)")
        assert driver.is_in_transaction()
    assert await _count(engine, table) == 2


async def test_autocommit_commits_each_command(
    engine_and_table: tuple[AsyncEngine, str],
) -> None:
    engine, table = engine_and_table

    async def insert_then_fail() -> None:
        async with autocommit(engine) as conn:
            await conn.execute(text(f"INSERT INTO {table} VALUES (1)"))
            assert not (await driver_connection(conn)).is_in_transaction()
            raise RuntimeError("the block fails after the insert")

    with pytest.raises(RuntimeError):
        await insert_then_fail()
    assert await _count(engine, table) == 1


async def test_the_pool_gets_its_connection_back_as_it_came(
    engine_and_table: tuple[AsyncEngine, str],
) -> None:
    engine, table = engine_and_table
    async with transaction(engine) as conn:
        await conn.execute(text(f"INSERT INTO {table} VALUES (1)"))
    # The same pooled connection, checked out the plain way: SQLAlchemy begins and rolls
    # back a transaction of its own on it again (a server-side cursor needs one).
    async with engine.connect() as plain:
        await plain.execute(text(f"INSERT INTO {table} VALUES (2)"))
        assert (await driver_connection(plain)).is_in_transaction()
        result = await plain.stream(text(f"SELECT n FROM {table} ORDER BY n"))
        assert [row.n async for row in result] == [1, 2]
        await plain.rollback()
    assert await _count(engine, table) == 1
