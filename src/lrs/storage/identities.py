"""Reads of the ``agents`` and ``activities`` tables (filled by the statement ingest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.tables import activities, agents


@dataclass(frozen=True)
class KnownAgent:
    """One identity the LRS has seen: its IFI property alone and every name it came with."""

    ifi: dict[str, Any]
    names: tuple[str, ...]


async def find_agent(conn: AsyncConnection, ifi_key: str) -> KnownAgent | None:
    query = select(agents.c.ifi, agents.c.names).where(agents.c.ifi_key == ifi_key)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return KnownAgent(ifi=dict(row.ifi), names=tuple(row.names or ()))


async def find_activity_definition(
    conn: AsyncConnection, activity_id: str
) -> dict[str, Any] | None:
    """The canonical definition of an Activity; None when unknown or never described."""
    query = select(activities.c.definition).where(activities.c.activity_id == activity_id)
    definition = (await conn.execute(query)).scalar_one_or_none()
    return dict(definition) if isinstance(definition, dict) else None
