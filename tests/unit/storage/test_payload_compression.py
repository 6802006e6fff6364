"""Statement payloads are compressed with lz4 where the server has it, the default elsewhere
(`lrs.storage.migrate.upgrade`), and bringing the schema to head again changes nothing."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.storage.database import transaction
from lrs.storage.migrate import upgrade
from tests.factories import make_activity, make_statement

_COLUMN_COMPRESSION = text(
    "SELECT attcompression::text FROM pg_attribute "
    "WHERE attrelid = 'statements'::regclass AND attname = 'payload'"
)
_STORED_COMPRESSION = text(
    "SELECT pg_column_compression(payload) FROM statements WHERE id = CAST(:id AS uuid)"
)


async def _server_has_lz4(engine: AsyncEngine) -> bool:
    refusal = ""
    async with engine.connect() as conn:
        try:
            await conn.execute(text("CREATE TEMP TABLE lz4_probe (j jsonb COMPRESSION lz4)"))
        except DBAPIError as error:
            refusal = str(error)
        finally:
            await conn.rollback()
    if refusal:
        assert "lz4" in refusal  # built without it, not some other failure
    return not refusal


async def test_payloads_use_lz4_where_the_server_has_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    engine = app.state.lrs.engine
    has_lz4 = await _server_has_lz4(engine)
    await upgrade(engine)  # again: nothing changes, nothing fails
    async with transaction(engine) as conn:
        column = await conn.scalar(_COLUMN_COMPRESSION)
    assert (column == "l") is has_lz4
    # a payload large enough to be compressed, stored after the setting
    long_text = " ".join(f"step {n} of the opening checklist" for n in range(300))
    activity = make_activity(
        "http://example.com/activities/long",
        definition={"description": {"en-US": long_text}},
    )
    response = await client.post("/xAPI/statements", json=make_statement(object=activity))
    assert response.status_code == 200, response.text
    async with transaction(engine) as conn:
        method = await conn.scalar(_STORED_COMPRESSION, {"id": response.json()[0]})
    assert method == ("lz4" if has_lz4 else "pglz")


async def test_a_busy_table_is_left_for_a_later_migration(app: FastAPI) -> None:
    """Setting lz4 takes a moment's exclusive lock on the table: while a long read holds it,
    bringing the schema to head waits only briefly, changes nothing and succeeds."""
    engine = app.state.lrs.engine
    if not await _server_has_lz4(engine):
        pytest.skip("this server has no lz4: nothing is set (the test above checks that)")
    async with transaction(engine) as conn:
        await conn.execute(text("ALTER TABLE statements ALTER COLUMN payload SET COMPRESSION pglz"))
    async with engine.connect() as reader:
        await reader.execute(text("SELECT count(*) FROM statements"))  # its lock is held
        await upgrade(engine)
        await reader.rollback()
    async with transaction(engine) as conn:
        assert await conn.scalar(_COLUMN_COMPRESSION) == "p"
    await upgrade(engine)
    async with transaction(engine) as conn:
        assert await conn.scalar(_COLUMN_COMPRESSION) == "l"
