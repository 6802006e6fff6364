"""Named queries for `lrs pull` resume positions (table ``pull_positions``). Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.tables import pull_positions


@dataclass(frozen=True)
class PullPosition:
    source: str
    last_stored: datetime
    last_id: str
    received: int


async def find_position(conn: AsyncConnection, source: str) -> PullPosition | None:
    """Where the last pull from `source` got to, if any."""
    query = select(
        pull_positions.c.source,
        pull_positions.c.last_stored,
        pull_positions.c.last_id,
        pull_positions.c.received,
    ).where(pull_positions.c.source == source)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return PullPosition(row.source, row.last_stored, row.last_id, row.received)


async def save_position(
    conn: AsyncConnection, source: str, *, last_stored: datetime, last_id: str, received: int
) -> None:
    """Record that everything from `source` up to `last_stored` is written; `received`
    statements are added to the source's running total."""
    query = insert(pull_positions).values(
        source=source, last_stored=last_stored, last_id=last_id, received=received
    )
    query = query.on_conflict_do_update(
        index_elements=[pull_positions.c.source],
        set_={
            "last_stored": query.excluded.last_stored,
            "last_id": query.excluded.last_id,
            "received": pull_positions.c.received + query.excluded.received,
            "updated": func.now(),
        },
    )
    await conn.execute(query)


async def forget_position(conn: AsyncConnection, source: str) -> None:
    await conn.execute(delete(pull_positions).where(pull_positions.c.source == source))
