"""SQL of the paging key (one row): the HMAC key of `more` tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.tables import paging_key


async def ensure_paging_key(conn: AsyncConnection, candidate: bytes) -> tuple[bytes, datetime]:
    """The stored key and when it was made; `candidate` becomes the key when none is stored
    yet (concurrent first callers agree: the first insert wins)."""
    await conn.execute(
        insert(paging_key).values(id=1, key=candidate).on_conflict_do_nothing(index_elements=["id"])
    )
    row = (await conn.execute(select(paging_key.c.key, paging_key.c.created))).one()
    return bytes(row[0]), row[1]
