"""Registry use cases: the standard door and role ids that make BI joins exact.

Doors and roles are one generic resource: a `RegistryKind` per kind names everything that
differs (its table, parser, JSON rendering, CSV columns and audit actions), and one set of
use cases serves both. Each call opens one transaction. Bulk upserts are all or nothing,
like a statement batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import NotFound
from lrs.ext.rules import csvio
from lrs.ext.rules.csvio import BulkBody
from lrs.ext.rules.model import Door, Role, parse_door, parse_role
from lrs.ext.storage import registry as repo
from lrs.services import audit
from lrs.storage.database import read_only, transaction


class Entry(Protocol):
    """What the generic use cases read of a registry entry (a `Door` or a `Role`)."""

    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=Entry)
E_co = TypeVar("E_co", bound=Entry, covariant=True)


class Parse(Protocol[E_co]):
    """A registry parser: a JSON item at a path, and the id of the URL for PUT."""

    def __call__(self, value: object, path: str, ident: str | None = None, /) -> E_co: ...


@dataclass(frozen=True, eq=False)
class RegistryKind(Generic[E]):
    """One kind of registry entry: all that the generic resource needs to know of it."""

    name: str  # "door": in messages and id checks
    plural: str  # "doors": the URL segment and the key of the list
    id_param: str  # the path parameter of /{plural}/{id_param}
    table: repo.RegistryTable[E]
    parse: Parse[E]
    to_json: Callable[[E], dict[str, Any]]
    csv: csvio.Kind
    put_action: str
    bulk_action: str


def door_json(door: Door) -> dict[str, Any]:
    return {
        "id": door.id,
        "name": door.name,
        "region": door.region,
        "format": door.format,
        "timezone": door.timezone,
        "active": door.active,
        "opening_hours": door.opening_hours,
        "holidays_country": door.holidays_country,
        "holidays_region": door.holidays_region,
    }


def role_json(role: Role) -> dict[str, Any]:
    return {"id": role.id, "name": role.name, "active": role.active}


DOORS = RegistryKind(
    "door",
    "doors",
    "door",
    repo.DOORS,
    parse_door,
    door_json,
    csvio.DOORS,
    audit.DOOR_PUT,
    audit.DOORS_BULK,
)
ROLES = RegistryKind(
    "role",
    "roles",
    "role",
    repo.ROLES,
    parse_role,
    role_json,
    csvio.ROLES,
    audit.ROLE_PUT,
    audit.ROLES_BULK,
)


async def put_entry(
    engine: AsyncEngine, kind: RegistryKind[E], ident: str, body: object, *, actor: str
) -> E:
    """Create or replace one entry under the id of the URL."""
    entry = kind.parse(body, "$", ident)
    async with transaction(engine) as conn:
        await repo.upsert(conn, kind.table, [entry])
        await audit.record(conn, actor=actor, action=kind.put_action, subject=ident)
    return entry


async def bulk_upsert(
    engine: AsyncEngine, kind: RegistryKind[E], bulk: BulkBody, *, actor: str
) -> int:
    """Create or replace many entries, all or nothing; returns how many."""
    entries = bulk.parse_each(kind.parse)
    bulk.check_unique([e.id for e in entries], kind.name, ".id")
    if entries:
        async with transaction(engine) as conn:
            await repo.upsert(conn, kind.table, entries)
            await audit.record(
                conn, actor=actor, action=kind.bulk_action, details={"upserted": len(entries)}
            )
    return len(entries)


async def find_entry(engine: AsyncEngine, kind: RegistryKind[E], ident: str) -> E | None:
    async with read_only(engine) as conn:
        return await repo.get_entry(conn, kind.table, ident)


async def get_entry(engine: AsyncEngine, kind: RegistryKind[E], ident: str) -> E:
    """The entry with this id (404 when there is none)."""
    found = await find_entry(engine, kind, ident)
    if found is None:
        raise NotFound(f"no {kind.name} with id {ident!r}")
    return found


async def list_entries(engine: AsyncEngine, kind: RegistryKind[E], active: bool | None) -> list[E]:
    async with read_only(engine) as conn:
        return await repo.list_entries(conn, kind.table, active)
