"""Registry use cases: the standard door and role ids that make BI joins exact.

Each call opens one transaction. Bulk upserts are all or nothing, like a statement batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.errors import NotFound
from lrs.ext.rules.csvio import BulkBody
from lrs.ext.rules.model import Door, Role, parse_door, parse_role
from lrs.ext.storage import registry as repo
from lrs.services import audit
from lrs.storage.database import read_only, transaction


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


async def put_door(engine: AsyncEngine, door_id: str, body: object, *, actor: str) -> Door:
    door = parse_door(body, "$", door_id)
    async with transaction(engine) as conn:
        await repo.upsert_doors(conn, [door])
        await audit.record(conn, actor=actor, action=audit.DOOR_PUT, subject=door_id)
    return door


async def put_role(engine: AsyncEngine, role_id: str, body: object, *, actor: str) -> Role:
    role = parse_role(body, "$", role_id)
    async with transaction(engine) as conn:
        await repo.upsert_roles(conn, [role])
        await audit.record(conn, actor=actor, action=audit.ROLE_PUT, subject=role_id)
    return role


async def bulk_doors(engine: AsyncEngine, bulk: BulkBody, *, actor: str) -> int:
    doors = bulk.parse_each(parse_door)
    bulk.check_unique([d.id for d in doors], "door", ".id")
    if doors:
        async with transaction(engine) as conn:
            await repo.upsert_doors(conn, doors)
            await audit.record(
                conn, actor=actor, action=audit.DOORS_BULK, details={"upserted": len(doors)}
            )
    return len(doors)


async def bulk_roles(engine: AsyncEngine, bulk: BulkBody, *, actor: str) -> int:
    roles = bulk.parse_each(parse_role)
    bulk.check_unique([r.id for r in roles], "role", ".id")
    if roles:
        async with transaction(engine) as conn:
            await repo.upsert_roles(conn, roles)
            await audit.record(
                conn, actor=actor, action=audit.ROLES_BULK, details={"upserted": len(roles)}
            )
    return len(roles)


async def _one(
    engine: AsyncEngine, ident: str, fetch: Callable[[AsyncConnection, str], Any], what: str
) -> Any:
    async with read_only(engine) as conn:
        found = await fetch(conn, ident)
    if found is None:
        raise NotFound(f"no {what} with id {ident!r}")
    return found


async def get_door(engine: AsyncEngine, door_id: str) -> Door:
    door: Door = await _one(engine, door_id, repo.get_door, "door")
    return door


async def get_role(engine: AsyncEngine, role_id: str) -> Role:
    role: Role = await _one(engine, role_id, repo.get_role, "role")
    return role


async def list_doors(engine: AsyncEngine, active: bool | None) -> list[Door]:
    async with read_only(engine) as conn:
        return await repo.list_doors(conn, active)


async def list_roles(engine: AsyncEngine, active: bool | None) -> list[Role]:
    async with read_only(engine) as conn:
        return await repo.list_roles(conn, active)
