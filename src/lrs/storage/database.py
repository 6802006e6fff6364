"""The async engine, and the mapping of connection failures to 503."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from lrs.errors import DatabaseUnavailable

# Errors that mean "PostgreSQL is away", not "the query was wrong".
_UNAVAILABLE = (
    OSError,
    ConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    TimeoutError,
)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"command_timeout": 60, "timeout": 5},
    )


def is_unavailable(error: BaseException) -> bool:
    """True when an exception (or its cause) says the database cannot be reached."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, sa_exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, _UNAVAILABLE):
            return True
        orig = getattr(seen, "orig", None)
        if orig is not None and isinstance(orig, _UNAVAILABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction; a lost database surfaces as DatabaseUnavailable (503)."""
    try:
        async with engine.begin() as connection:
            yield connection
    except (sa_exc.DBAPIError, sa_exc.InterfaceError, OSError, TimeoutError) as error:
        if is_unavailable(error) or isinstance(error, sa_exc.OperationalError):
            raise DatabaseUnavailable("the database is unavailable; retry later") from error
        raise


@contextlib.asynccontextmanager
async def read_only(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads (still one transaction, so a page is one consistent snapshot)."""
    async with transaction(engine) as connection:
        yield connection
