"""`read_only` is one snapshot: what commits while it runs is not seen by its later reads
(a forwarding target's status once showed a batch both pending and delivered, read by two
commands either side of the delivery's commit)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from lrs.storage.database import make_engine, read_only, transaction


async def test_reads_of_one_read_only_block_agree(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2, statement_timeout_ms=5_000)
    table = f"snapshot_{uuid.uuid4().hex[:8]}"
    try:
        async with transaction(engine) as conn:
            await conn.execute(text(f"CREATE TABLE {table} (n int)"))
        count = text(f"SELECT count(*) FROM {table}")
        async with read_only(engine) as reader:
            before = await reader.scalar(count)
            async with transaction(engine) as writer:
                await writer.execute(text(f"INSERT INTO {table} VALUES (1)"))
            assert await reader.scalar(count) == before == 0
            assert await reader.scalar(text("SHOW transaction_isolation")) == "repeatable read"
        async with read_only(engine) as reader:
            assert await reader.scalar(count) == 1
    finally:
        async with transaction(engine) as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await engine.dispose()
