"""The read-only Agents and Activities resources (AGT-*, ACT-*): one transaction each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.storage import identities as repo
from lrs.storage.database import read_only
from lrs.storage.identities import KnownAgent
from lrs.xapi.activities import activity_object
from lrs.xapi.ifi import ifi_key
from lrs.xapi.persons import person_from_agents

Json = dict[str, Any]


def _as_agents(known: KnownAgent | None) -> list[Json]:
    """The stored identity as Agent-shaped objects, one per known name."""
    if known is None:
        return []
    if not known.names:
        return [known.ifi]
    return [{"name": name, **known.ifi} for name in known.names]


async def get_person(engine: AsyncEngine, agent: Mapping[str, Any]) -> Json:
    """The Person object for a validated Agent (AGT-001, AGT-003..006).

    Identities are linked only through one IFI, so the Person holds the requested IFI and
    the names seen with it; an agent never seen still gets its own data (AGT-005).
    """
    key = ifi_key(agent)
    known: KnownAgent | None = None
    if key is not None:
        async with read_only(engine) as conn:
            known = await repo.find_agent(conn, key)
    return person_from_agents(agent, _as_agents(known))


async def get_activity(engine: AsyncEngine, activity_id: str) -> Json:
    """The canonical Activity (ACT-001, ACT-004, ACT-005), or just its id when unknown
    (ACT-002)."""
    async with read_only(engine) as conn:
        definition = await repo.find_activity_definition(conn, activity_id)
    return activity_object(activity_id, definition)
