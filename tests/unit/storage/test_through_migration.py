"""Migration 0017: each statement write takes its transaction id before `stored`, and the
three functions that give Consistent-Through share `lrs_consistent_through()`; the downgrade
brings revision 0016's functions back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.storage.database import make_engine
from lrs.storage.migrate import downgrade, upgrade
from tests.conftest import create_database, drop_database

_WRITES = ("lrs_begin_write", "lrs_write_group")
_SOURCE = text("SELECT prosrc FROM pg_proc WHERE proname = :name")


async def _source(engine: AsyncEngine, name: str) -> str | None:
    async with engine.connect() as conn:
        source: str | None = await conn.scalar(_SOURCE, {"name": name})
    return source


@pytest.fixture
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    url = await create_database(server_url, "lrs_through_migration")
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_database(server_url, url)


async def test_writes_take_their_id_before_stored_both_ways(engine: AsyncEngine) -> None:
    await upgrade(engine, "0017")
    for name in _WRITES:
        source = await _source(engine, name)
        assert source is not None
        assert source.index("pg_current_xact_id()") < source.index("clock_timestamp()")
        assert "lrs_consistent_through()" in source
        assert "pg_stat_get_activity" not in source
    assert "lrs_consistent_through()" in (await _source(engine, "lrs_read_start") or "")
    async with engine.connect() as conn:
        through = await conn.scalar(text("SELECT through_at FROM lrs_read_start('', '')"))
        now = await conn.scalar(text("SELECT now()"))
    assert through == now  # nothing else is open: the read's own start

    await downgrade(engine, "0016")
    assert await _source(engine, "lrs_consistent_through") is None
    for name in (*_WRITES, "lrs_read_start"):
        source = await _source(engine, name)
        assert source is not None
        assert "pg_current_xact_id" not in source
        assert "pg_stat_get_activity" in source
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT through_at FROM lrs_read_start('', '')"))
    await upgrade(engine)
    assert await _source(engine, "lrs_consistent_through") is not None
