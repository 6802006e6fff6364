"""Credential rows: create, find by key, list, revoke. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.database import driver_connection
from lrs.storage.tables import credentials


@dataclass(frozen=True)
class CredentialRow:
    key: str
    secret_hash: str
    name: str
    scopes: tuple[str, ...]
    authority: dict[str, Any]
    created_at: datetime
    revoked_at: datetime | None
    # The row version (its xmin): any change to the row, revocation included, changes it.
    version: str = ""


def _row(row: Any) -> CredentialRow:
    return CredentialRow(
        key=row.key,
        secret_hash=row.secret_hash,
        name=row.name,
        scopes=tuple(row.scopes),
        authority=row.authority,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


async def insert_credential(
    conn: AsyncConnection,
    *,
    key: str,
    secret_hash: str,
    name: str,
    scopes: list[str],
    authority: dict[str, Any],
    if_absent: bool = False,
) -> bool:
    """Insert; with ``if_absent`` an existing key is left alone. True when a row was written."""
    stmt = insert(credentials).values(
        key=key, secret_hash=secret_hash, name=name, scopes=scopes, authority=authority
    )
    if if_absent:
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    result = await conn.execute(stmt)
    return bool(result.rowcount)


_FIND = (
    "SELECT key, secret_hash, name, scopes, authority::text AS authority, created_at, revoked_at,"
    " xmin::text AS version FROM credentials WHERE key = $1"
)


async def find_credential(conn: AsyncConnection, key: str) -> CredentialRow | None:
    """The credential with this key. Runs on every authenticated request, so it is sent on
    the driver connection (`driver_connection`); `conn` is an autocommit connection."""
    driver = await driver_connection(conn)
    row = await driver.fetchrow(_FIND, key)
    if row is None:
        return None
    return CredentialRow(
        key=row["key"],
        secret_hash=row["secret_hash"],
        name=row["name"],
        scopes=tuple(row["scopes"]),
        authority=orjson.loads(row["authority"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        version=row["version"],
    )


async def list_credentials(conn: AsyncConnection) -> list[CredentialRow]:
    rows = await conn.execute(select(credentials).order_by(credentials.c.created_at))
    return [_row(row) for row in rows]


async def revoke_credential(conn: AsyncConnection, key: str) -> bool:
    result = await conn.execute(
        update(credentials)
        .where(credentials.c.key == key, credentials.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now().astimezone())
    )
    return bool(result.rowcount)


async def set_secret_hash(conn: AsyncConnection, key: str, secret_hash: str) -> None:
    await conn.execute(
        update(credentials).where(credentials.c.key == key).values(secret_hash=secret_hash)
    )
