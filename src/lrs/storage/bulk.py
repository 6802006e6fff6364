"""SQL for bulk export and maintenance: counts, a server-side cursor over payloads, VACUUM."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.tables import statements

_VACUUM_ANALYZE = text("VACUUM (ANALYZE) statements, statement_terms, agents, activities")


async def vacuum_analyze(conn: AsyncConnection) -> None:
    """Refresh planner statistics and the visibility map after a bulk load (the connection
    must be in autocommit: VACUUM cannot run inside a transaction)."""
    await conn.execute(_VACUUM_ANALYZE)


def _in_range(query: Select[Any], since: datetime | None, until: datetime | None) -> Select[Any]:
    if since is not None:
        query = query.where(statements.c.stored > since)
    if until is not None:
        query = query.where(statements.c.stored <= until)
    return query


async def count_statements(
    conn: AsyncConnection, *, since: datetime | None, until: datetime | None
) -> int:
    query = _in_range(select(func.count()).select_from(statements), since, until)
    total: int = (await conn.execute(query)).scalar_one()
    return total


async def stream_payloads(
    conn: AsyncConnection, *, since: datetime | None, until: datetime | None, chunk: int
) -> AsyncIterator[list[str]]:
    """Stored statements as JSON text in stored order, `chunk` rows at a time, through a
    server-side cursor (since exclusive, until inclusive)."""
    query = _in_range(select(statements.c.payload), since, until)
    query = query.order_by(statements.c.stored, statements.c.seq)
    result = await conn.stream(query)
    async for rows in result.partitions(chunk):
        yield [row[0] for row in rows]
