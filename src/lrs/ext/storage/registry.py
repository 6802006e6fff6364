"""SQL of the registry: doors and roles, one set of named queries parametrised by the kind's
table, upserted in bulk (one round trip per batch)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ARRAY, Table, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause

from lrs.ext.rules.model import DOOR_FIELDS, ROLE_FIELDS, Door, Role
from lrs.ext.storage.tables import ext_doors, ext_roles

E = TypeVar("E")

_TEXTS = ARRAY(Text)


@dataclass(frozen=True, eq=False)
class RegistryTable(Generic[E]):
    """A registry table: the columns an entry is written to and read from, in the order of
    the entry's fields (`entry(*row)` builds one from a row)."""

    table: Table
    fields: tuple[str, ...]
    entry: Callable[..., E]

    @property
    def columns(self) -> str:
        return ", ".join(self.fields)


DOORS = RegistryTable(ext_doors, DOOR_FIELDS, Door)
ROLES = RegistryTable(ext_roles, ROLE_FIELDS, Role)


@functools.cache
def _upsert_sql(table: RegistryTable[E]) -> TextClause:
    """Create or replace entries from one array per column (the SQL names only the fixed
    names of `table`, never request text)."""
    names = table.fields
    updates = ", ".join(f"{name} = excluded.{name}" for name in (*names[1:], "updated"))
    sql = f"""
    INSERT INTO {table.table.name} ({table.columns}, updated)
    SELECT {table.columns}, now()
    FROM unnest({", ".join(f":{name}" for name in names)}) AS e({table.columns})
    ORDER BY id
    ON CONFLICT (id) DO UPDATE SET {updates}
    """  # noqa: S608
    binds = [bindparam(name, type_=ARRAY(table.table.c[name].type)) for name in names]
    return text(sql).bindparams(*binds)


async def upsert(conn: AsyncConnection, table: RegistryTable[E], entries: Sequence[E]) -> None:
    """Create or replace entries, in id order so concurrent batches cannot deadlock."""
    columns = {name: [getattr(entry, name) for entry in entries] for name in table.fields}
    await conn.execute(_upsert_sql(table), columns)


async def list_entries(
    conn: AsyncConnection, table: RegistryTable[E], active: bool | None
) -> list[E]:
    """Every entry by id; `active` filters."""
    where = "" if active is None else " WHERE active = :active"
    sql = f"SELECT {table.columns} FROM {table.table.name}{where} ORDER BY id"  # noqa: S608
    rows = await conn.execute(text(sql), {"active": active})
    return [table.entry(*row) for row in rows]


async def get_entry(conn: AsyncConnection, table: RegistryTable[E], ident: str) -> E | None:
    """The entry with this id, if any."""
    sql = text(f"SELECT {table.columns} FROM {table.table.name} WHERE id = :id")  # noqa: S608
    row = (await conn.execute(sql, {"id": ident})).first()
    return None if row is None else table.entry(*row)


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
