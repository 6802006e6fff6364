"""SQL of the registry: doors and roles, one set of queries built with SQLAlchemy Core from
the kind's table, upserted in bulk (one round trip per batch)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ARRAY, Select, Table, Text, bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.ext.rules.model import DOOR_FIELDS, ROLE_FIELDS, Door, Role
from lrs.ext.storage.tables import ext_doors, ext_roles
from lrs.storage.arrays import column_arrays

E = TypeVar("E")

_TEXTS = ARRAY(Text)


@dataclass(frozen=True, eq=False)
class RegistryTable(Generic[E]):
    """A registry table: the columns an entry is written to and read from, in the order of
    the entry's fields (`entry(*row)` builds one from a row)."""

    table: Table
    fields: tuple[str, ...]
    entry: Callable[..., E]


DOORS = RegistryTable(ext_doors, DOOR_FIELDS, Door)
ROLES = RegistryTable(ext_roles, ROLE_FIELDS, Role)


@functools.cache
def _upsert(table: RegistryTable[E]) -> Insert:
    """Create or replace entries from one array per column (`unnest`, so a batch of any
    size is one statement with one parameter per column), in id order."""
    columns = table.table.c
    arrays = [
        func.unnest(bindparam(name, type_=ARRAY(columns[name].type))).label(name)
        for name in table.fields
    ]
    rows = select(*arrays, func.now().label("updated")).order_by(literal_column("1"))
    statement = insert(table.table).from_select([*table.fields, "updated"], rows)
    replaced = {name: statement.excluded[name] for name in (*table.fields[1:], "updated")}
    return statement.on_conflict_do_update(index_elements=[columns.id], set_=replaced)


def _columns(table: RegistryTable[E]) -> Select[Any]:
    return select(*(table.table.c[name] for name in table.fields))


async def upsert(conn: AsyncConnection, table: RegistryTable[E], entries: Sequence[E]) -> None:
    """Create or replace entries, in id order so concurrent batches cannot deadlock."""
    await conn.execute(_upsert(table), column_arrays(entries, *table.fields))


async def list_entries(
    conn: AsyncConnection, table: RegistryTable[E], active: bool | None
) -> list[E]:
    """Every entry by id; `active` filters."""
    query = _columns(table).order_by(table.table.c.id)
    if active is not None:
        query = query.where(table.table.c.active.is_(active))
    return [table.entry(*row) for row in await conn.execute(query)]


async def get_entry(conn: AsyncConnection, table: RegistryTable[E], ident: str) -> E | None:
    """The entry with this id, if any."""
    row = (await conn.execute(_columns(table).where(table.table.c.id == ident))).first()
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
