"""SQL of the admin console: its users, sessions and failed logins; and the overview's
figures (statements per day, totals, last statement)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.tables import (
    console_login_failures,
    console_sessions,
    console_users,
    statements,
)


@dataclass(frozen=True)
class UserRow:
    name: str
    password_hash: str
    role: str
    disabled: bool
    created: datetime


@dataclass(frozen=True)
class SessionRow:
    username: str
    role: str
    csrf: str
    created: datetime
    last_seen: datetime
    now: datetime


async def insert_user(conn: AsyncConnection, *, name: str, password_hash: str, role: str) -> bool:
    """False when the name is taken."""
    query = (
        pg_insert(console_users)
        .values(name=name, password_hash=password_hash, role=role)
        .on_conflict_do_nothing(index_elements=[console_users.c.name])
        .returning(console_users.c.name)
    )
    result = await conn.execute(query)
    return result.first() is not None


async def find_user(conn: AsyncConnection, name: str) -> UserRow | None:
    row = (await conn.execute(select(console_users).where(console_users.c.name == name))).first()
    return None if row is None else UserRow(**row._mapping)


async def list_users(conn: AsyncConnection) -> list[UserRow]:
    rows = await conn.execute(select(console_users).order_by(console_users.c.name))
    return [UserRow(**row._mapping) for row in rows]


async def disable_user(conn: AsyncConnection, name: str) -> bool:
    """Disable a user and end their sessions; False when no such user."""
    result = await conn.execute(
        update(console_users)
        .where(console_users.c.name == name)
        .values(disabled=True)
        .returning(console_users.c.name)
    )
    if result.first() is None:
        return False
    await conn.execute(delete(console_sessions).where(console_sessions.c.username == name))
    return True


async def recent_failures(
    conn: AsyncConnection, *, username: str, address: str, window: timedelta
) -> int:
    query = select(func.count()).where(
        console_login_failures.c.username == username,
        console_login_failures.c.address == address,
        console_login_failures.c.at > func.now() - window,
    )
    return int((await conn.execute(query)).scalar_one())


async def add_failure(
    conn: AsyncConnection, *, username: str, address: str, window: timedelta
) -> None:
    """Record a failed login and forget those older than the window."""
    await conn.execute(insert(console_login_failures).values(username=username, address=address))
    await conn.execute(
        delete(console_login_failures).where(console_login_failures.c.at < func.now() - window)
    )


async def clear_failures(conn: AsyncConnection, *, username: str, address: str) -> None:
    await conn.execute(
        delete(console_login_failures).where(
            console_login_failures.c.username == username,
            console_login_failures.c.address == address,
        )
    )


async def insert_session(
    conn: AsyncConnection, *, token_hash: str, username: str, csrf: str
) -> None:
    await conn.execute(
        insert(console_sessions).values(token_hash=token_hash, username=username, csrf=csrf)
    )


async def find_session(conn: AsyncConnection, token_hash: str) -> SessionRow | None:
    """The session with its (enabled) user's role, and the database's clock."""
    query = (
        select(
            console_sessions.c.username,
            console_users.c.role,
            console_sessions.c.csrf,
            console_sessions.c.created,
            console_sessions.c.last_seen,
            func.now().label("now"),
        )
        .join(console_users, console_users.c.name == console_sessions.c.username)
        .where(console_sessions.c.token_hash == token_hash, console_users.c.disabled.is_(False))
    )
    row = (await conn.execute(query)).first()
    return None if row is None else SessionRow(**row._mapping)


async def touch_session(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(
        update(console_sessions)
        .where(console_sessions.c.token_hash == token_hash)
        .values(last_seen=func.now())
    )


async def delete_session(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == token_hash))


async def delete_sessions_before(conn: AsyncConnection, age: timedelta) -> None:
    """Forget sessions created more than `age` ago (they can no longer be used)."""
    await conn.execute(
        delete(console_sessions).where(console_sessions.c.created < func.now() - age)
    )


async def statement_totals(conn: AsyncConnection) -> tuple[int, int, datetime | None]:
    """(statements, voided, last stored)."""
    query = select(
        func.count(),
        func.count().filter(statements.c.voided.is_(True)),
        func.max(statements.c.stored),
    )
    row = (await conn.execute(query)).one()
    return int(row[0]), int(row[1]), row[2]


async def statements_per_day(conn: AsyncConnection, *, days: int) -> dict[date, int]:
    """Statements stored per UTC day over the last `days` days."""
    day = func.date(func.timezone("UTC", statements.c.stored))
    query = (
        select(day, func.count())
        .where(statements.c.stored >= func.now() - timedelta(days=days))
        .group_by(day)
    )
    return {row[0]: int(row[1]) for row in await conn.execute(query)}
