"""Every query is bounded by LRS_STATEMENT_TIMEOUT_MS; a cancelled one is a 503, not a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lrs.errors import DatabaseUnavailable
from lrs.settings import Settings
from lrs.storage.database import autocommit, make_engine


async def test_a_query_past_the_statement_timeout_is_unavailable(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, statement_timeout_ms=200)
    try:
        async with autocommit(engine) as conn:
            assert await conn.scalar(text("SHOW statement_timeout")) == "200ms"
        with pytest.raises(DatabaseUnavailable):
            async with autocommit(engine) as conn:
                await conn.execute(text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()


def test_the_server_default_bounds_queries() -> None:
    assert Settings().statement_timeout_ms == 30_000
    assert Settings().max_header_bytes == 64 * 1024
    assert Settings().max_concurrent_exports == 4
