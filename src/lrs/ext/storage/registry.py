"""SQL of the registry: doors and roles, upserted in bulk (one round trip per batch)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ARRAY, Boolean, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.ext.rules.model import Door, Role

_TEXTS = ARRAY(Text)
_BOOLS = ARRAY(Boolean)

_UPSERT_DOORS = text(
    """
    INSERT INTO ext_doors (id, name, region, format, timezone, active, opening_hours,
                           holidays_country, holidays_region, updated)
    SELECT id, name, region, format, tz, active, hours, country, subdiv, now()
    FROM unnest(:ids, :names, :regions, :formats, :tzs, :actives, :hours, :countries,
                :subdivs)
         AS d(id, name, region, format, tz, active, hours, country, subdiv)
    ORDER BY id
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, region = excluded.region,
        format = excluded.format, timezone = excluded.timezone, active = excluded.active,
        opening_hours = excluded.opening_hours, holidays_country = excluded.holidays_country,
        holidays_region = excluded.holidays_region, updated = excluded.updated
    """
).bindparams(
    bindparam("ids", type_=_TEXTS),
    bindparam("names", type_=_TEXTS),
    bindparam("regions", type_=_TEXTS),
    bindparam("formats", type_=_TEXTS),
    bindparam("tzs", type_=_TEXTS),
    bindparam("actives", type_=_BOOLS),
    bindparam("hours", type_=_TEXTS),
    bindparam("countries", type_=_TEXTS),
    bindparam("subdivs", type_=_TEXTS),
)

_UPSERT_ROLES = text(
    """
    INSERT INTO ext_roles (id, name, active, updated)
    SELECT id, name, active, now() FROM unnest(:ids, :names, :actives) AS r(id, name, active)
    ORDER BY id
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, active = excluded.active,
        updated = excluded.updated
    """
).bindparams(
    bindparam("ids", type_=_TEXTS),
    bindparam("names", type_=_TEXTS),
    bindparam("actives", type_=_BOOLS),
)

_DOOR_COLUMNS = (
    "id, name, region, format, timezone, active, opening_hours, holidays_country, holidays_region"
)


async def upsert_doors(conn: AsyncConnection, doors: Sequence[Door]) -> None:
    """Create or replace doors, in id order so concurrent batches cannot deadlock."""
    await conn.execute(
        _UPSERT_DOORS,
        {
            "ids": [d.id for d in doors],
            "names": [d.name for d in doors],
            "regions": [d.region for d in doors],
            "formats": [d.format for d in doors],
            "tzs": [d.timezone for d in doors],
            "actives": [d.active for d in doors],
            "hours": [d.opening_hours for d in doors],
            "countries": [d.holidays_country for d in doors],
            "subdivs": [d.holidays_region for d in doors],
        },
    )


async def upsert_roles(conn: AsyncConnection, roles: Sequence[Role]) -> None:
    await conn.execute(
        _UPSERT_ROLES,
        {
            "ids": [r.id for r in roles],
            "names": [r.name for r in roles],
            "actives": [r.active for r in roles],
        },
    )


def _where_active(active: bool | None) -> str:
    return "" if active is None else " WHERE active = :active"


async def list_doors(conn: AsyncConnection, active: bool | None) -> list[Door]:
    sql = f"SELECT {_DOOR_COLUMNS} FROM ext_doors{_where_active(active)} ORDER BY id"  # noqa: S608
    rows = await conn.execute(text(sql), {"active": active})
    return [Door(*row) for row in rows]


async def get_door(conn: AsyncConnection, door_id: str) -> Door | None:
    sql = text(f"SELECT {_DOOR_COLUMNS} FROM ext_doors WHERE id = :id")  # noqa: S608
    row = (await conn.execute(sql, {"id": door_id})).first()
    return None if row is None else Door(*row)


async def list_roles(conn: AsyncConnection, active: bool | None) -> list[Role]:
    sql = f"SELECT id, name, active FROM ext_roles{_where_active(active)} ORDER BY id"  # noqa: S608
    rows = await conn.execute(text(sql), {"active": active})
    return [Role(*row) for row in rows]


async def get_role(conn: AsyncConnection, role_id: str) -> Role | None:
    sql = text("SELECT id, name, active FROM ext_roles WHERE id = :id")
    row = (await conn.execute(sql, {"id": role_id})).first()
    return None if row is None else Role(*row)


_KNOWN = text(
    """
    SELECT 'door' AS kind, id, timezone FROM ext_doors WHERE id = ANY(:doors)
    UNION ALL
    SELECT 'role', id, NULL FROM ext_roles WHERE id = ANY(:roles)
    """
).bindparams(bindparam("doors", type_=_TEXTS), bindparam("roles", type_=_TEXTS))


async def known_ids(
    conn: AsyncConnection, doors: Sequence[str], roles: Sequence[str]
) -> tuple[dict[str, str], set[str]]:
    """Which of these ids are registered: door id -> timezone, and the role ids."""
    if not doors and not roles:
        return {}, set()
    rows = await conn.execute(_KNOWN, {"doors": sorted(set(doors)), "roles": sorted(set(roles))})
    known_doors: dict[str, str] = {}
    known_roles: set[str] = set()
    for kind, ident, timezone in rows:
        if kind == "door":
            known_doors[ident] = timezone
        else:
            known_roles.add(ident)
    return known_doors, known_roles
