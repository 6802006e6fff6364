"""The door and role ids a request names must be registered: one query per batch, and a 400
naming the first unknown one (the CSV line too, for a bulk body)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.errors import BadRequest
from lrs.ext.rules.csvio import BulkBody
from lrs.ext.rules.filters import Filters
from lrs.ext.storage import registry as repo
from lrs.storage.database import read_only


@dataclass(frozen=True)
class Ref:
    """Door and role ids a bulk item names, and where (for the 400)."""

    index: int
    door: str | None
    role: str | None
    # The item's JSON path, or "param" for query parameters (param:door, param:role).
    path: str

    def at(self, field: str) -> str:
        return f"param:{field}" if self.path == "param" else f"{self.path}.{field}"


async def check_known(
    conn: AsyncConnection, refs: Sequence[Ref], bulk: BulkBody | None = None
) -> dict[str, str]:
    """400 for the first door or role id not in the registry; returns door id -> timezone."""
    doors, roles = await repo.known_ids(
        conn,
        [r.door for r in refs if r.door is not None],
        [r.role for r in refs if r.role is not None],
    )
    for ref in refs:
        where = "" if bulk is None else bulk.where(ref.index)
        if ref.door is not None and ref.door not in doors:
            raise BadRequest(
                f"{where}unknown door {ref.door!r}; register it at /xAPI/extensions/doors first",
                path=ref.at("door"),
            )
        if ref.role is not None and ref.role not in roles:
            raise BadRequest(
                f"{where}unknown role {ref.role!r}; register it at /xAPI/extensions/roles first",
                path=ref.at("role"),
            )
    return doors


async def check_filter_ids(engine: AsyncEngine, filters: Filters) -> None:
    """A door or role filter must name a registered id (400, not an empty result)."""
    if filters.door is None and filters.role is None:
        return
    async with read_only(engine) as conn:
        await check_known(conn, [Ref(0, filters.door, filters.role, "param")])
