"""The async engine, and the mapping of connection failures to 503."""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from lrs.errors import DatabaseUnavailable, LRSError

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
    # A driver connection left mid-operation (its request was cancelled); it is discarded.
    asyncpg.exceptions.InternalClientError,
    TimeoutError,
    # statement_timeout (LRS_STATEMENT_TIMEOUT_MS) cancelled the query: the server is busy.
    asyncpg.exceptions.QueryCanceledError,
    # No pooled connection came free within pool_timeout.
    sa_exc.TimeoutError,
)


# Per-query plans: a generic plan cached for a prepared statement can be far worse than a
# custom one while a table is young or its statistics are stale (a whole-table scan instead
# of an index probe was seen on the StatementRef query). JIT only costs on these short queries.
# READ COMMITTED whatever the server's default: lrs is written for it (a statement read,
# `lrs_read_page`, takes its page's snapshot after Consistent-Through and refuses any other
# level); a block that needs one snapshot asks for REPEATABLE READ itself (`read_only`).
_SERVER_SETTINGS = {
    "plan_cache_mode": "force_custom_plan",
    "jit": "off",
    "default_transaction_isolation": "read committed",
}


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    statement_timeout_ms: int = 0,
    application_name: str = "lrs",
) -> AsyncEngine:
    """The pool: `pool_size` connections kept open, `max_overflow` (as many by default)
    more opened when they are all in use and closed as soon as they are given back. No
    pre-ping (a round trip per checkout): a connection found dead raises a disconnect
    error, is discarded by the pool, and the request gets 503; the next works.
    `statement_timeout_ms` (LRS_STATEMENT_TIMEOUT_MS) bounds every query; a cancelled one
    and a pool that stays exhausted are 503s, never 500s. `application_name` is what
    PostgreSQL shows for the connections (pg_stat_activity, the server log)."""
    server_settings = {
        **_SERVER_SETTINGS,
        "statement_timeout": str(statement_timeout_ms),
        "application_name": application_name,
    }
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_timeout=10,
        connect_args={
            "command_timeout": 60,
            "timeout": 5,
            "server_settings": server_settings,
        },
    )


# The exception types of a failed statement (SQLAlchemy's, and the driver's own for
# statements sent on the driver connection): the API's error handler answers them.
STATEMENT_ERRORS: tuple[type[Exception], ...] = (sa_exc.DBAPIError, asyncpg.PostgresError)
_PING = text("SELECT 1")


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database (raises when it cannot be reached)."""
    async with _checked_out(engine, in_transaction=False) as conn:
        await conn.execute(_PING)


# PostgreSQL text and jsonb cannot hold U+0000 (and nothing else valid in UTF-8); such a value
# reaches the database only when no earlier check refused it.
_UNSTORABLE = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)
# A value past a PostgreSQL limit (an index entry over 2704 bytes) that no earlier length
# check caught: also the client's fault.
_TOO_LARGE = (asyncpg.exceptions.ProgramLimitExceededError,)


def _caused_by(error: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kinds) or isinstance(getattr(seen, "orig", None), kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# What a client is told when a value it sent cannot be stored.
UNSTORABLE_CHARACTER = "a value holds a character that cannot be stored (such as U+0000)"


def client_fault(error: BaseException) -> str | None:
    """What was wrong with the client's data when a statement failed because of it (a value
    PostgreSQL cannot store), else None."""
    if _caused_by(error, _UNSTORABLE):
        return UNSTORABLE_CHARACTER
    if _caused_by(error, _TOO_LARGE):
        return "a value is too long to be stored as an identifier"
    return None


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


_DATABASE_ERRORS = (
    sa_exc.DBAPIError,
    sa_exc.InterfaceError,
    asyncpg.PostgresError,  # from statements run on the driver connection (below)
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
    TimeoutError,
    sa_exc.TimeoutError,
)


def _unavailable(error: BaseException) -> bool:
    return is_unavailable(error) or isinstance(error, sa_exc.OperationalError)


async def _discard_if_broken(connection: AsyncConnection, error: BaseException) -> None:
    """Statements sent on the driver connection bypass SQLAlchemy, which therefore cannot
    tell when one of them failed half-way (a lost server, a cancelled request) and would
    pool the connection in that state. Any failure but the domain's own errors discards it;
    the pool opens a fresh one when next needed."""
    if isinstance(error, LRSError):
        return
    with contextlib.suppress(Exception):
        await connection.invalidate()


@contextlib.asynccontextmanager
async def _driver_transaction(conn: AsyncConnection, isolation: str | None) -> AsyncIterator[None]:
    """BEGIN (at `isolation`, asyncpg's name of the level, or the server's default), then
    COMMIT, or ROLLBACK when the block raises. The block's own exception is what propagates:
    a ROLLBACK that cannot be sent (a cancelled request left the connection mid-command)
    discards the connection rather than replace, say, the cancellation with a driver error
    that a caller would take for a database outage."""
    transaction = (await driver_connection(conn)).transaction(isolation=isolation)
    await transaction.start()
    try:
        yield
    except BaseException:
        try:
            await transaction.rollback()
        except Exception:
            with contextlib.suppress(Exception):
                await conn.invalidate()
        raise
    await transaction.commit()


_AUTOCOMMIT_VIEWS: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def _autocommit_view(engine: AsyncEngine) -> AsyncEngine:
    """`engine` with its connections in autocommit, sharing its pool (made once per engine):
    set as each is checked out, rather than with an `execution_options` call per checkout,
    which cost about 20 µs more of the server's CPU a transaction."""
    view = _AUTOCOMMIT_VIEWS.get(engine)
    if view is None:
        view = _AUTOCOMMIT_VIEWS[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view


@contextlib.asynccontextmanager
async def _checked_out(
    engine: AsyncEngine, *, in_transaction: bool, isolation: str | None = None
) -> AsyncIterator[AsyncConnection]:
    """A pooled connection, in one transaction or in autocommit; a lost database surfaces as
    DatabaseUnavailable (503) and a connection a failure may have broken is discarded.

    The transaction is the driver's own, begun at once and ended by COMMIT (or ROLLBACK when
    the block raises), around a connection SQLAlchemy runs in autocommit: statements sent
    through SQLAlchemy and on the driver connection (`driver_connection`) share it, and a
    transaction costs no SQLAlchemy bookkeeping (measured with the write's first command on
    the driver connection too: a tenth less server CPU per one-statement POST)."""
    try:
        async with _autocommit_view(engine).connect() as connection:
            try:
                if in_transaction:
                    async with _driver_transaction(connection, isolation):
                        yield connection
                else:
                    yield connection
            except BaseException as error:
                await _discard_if_broken(connection, error)
                raise
    except _DATABASE_ERRORS as error:
        if _unavailable(error):
            raise DatabaseUnavailable("the database is unavailable; retry later") from error
        raise


def transaction(engine: AsyncEngine) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
    """One transaction."""
    return _checked_out(engine, in_transaction=True)


def autocommit(engine: AsyncEngine) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
    """A connection outside any transaction: a single-row read costs one round trip instead
    of BEGIN, query, COMMIT. Only for reads that need no snapshot shared with others."""
    return _checked_out(engine, in_transaction=False)


# Reports that aggregate the whole store (door-week facts, compare) may run longer than
# LRS_STATEMENT_TIMEOUT_MS allows a request query; they get this bound instead.
REPORT_TIMEOUT_MS = 10 * 60 * 1000
_SET_TIMEOUT = text("SELECT set_config('statement_timeout', :ms, true)")


@contextlib.asynccontextmanager
async def read_only(
    engine: AsyncEngine, *, timeout_ms: int | None = None
) -> AsyncIterator[AsyncConnection]:
    """A connection for reads in one transaction that sees one snapshot throughout
    (REPEATABLE READ: at the default level each command would see what committed before it,
    so two reads of one answer could disagree); `timeout_ms` replaces the statement timeout
    for this transaction only."""
    async with _checked_out(engine, in_transaction=True, isolation="repeatable_read") as connection:
        if timeout_ms is not None:
            await connection.execute(_SET_TIMEOUT, {"ms": str(timeout_ms)})
        yield connection


async def driver_connection(conn: AsyncConnection) -> Any:
    """The asyncpg connection under `conn`, for the hottest statements of the write path and
    of authentication: a command sent on it costs about a third of the CPU of one sent
    through SQLAlchemy (88 against 243 µs measured for a one-row SELECT).

    Use it on a connection of `transaction` or `autocommit`; errors raised on it are
    asyncpg's own, which `transaction`, `autocommit` and the API's error handlers map like
    SQLAlchemy's."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        # SQLAlchemy's own way, which may have to reconnect, or raises as it does
        return (await conn.get_raw_connection()).driver_connection
    # A live connection's is at hand: reading it needs no greenlet hop (a one-statement
    # write asks three times)
    return sync.connection.driver_connection


def database_error_message(error: BaseException) -> str | None:
    """The server's own words for a failed connection or statement (`database "x" does not
    exist`, `password authentication failed for user "y"`), or None when `error` is not a
    database error: one line for a command-line user instead of the driver's traceback."""
    seen: BaseException | None = error
    found: str | None = None
    while seen is not None:
        if isinstance(seen, asyncpg.PostgresError | asyncpg.InterfaceError):
            return str(seen).strip().splitlines()[0]
        if isinstance(seen, sa_exc.DBAPIError):
            orig = seen.orig
            found = found or str(orig or seen).strip().splitlines()[0]
            if isinstance(orig, BaseException) and orig.__cause__ is not None:
                seen = orig.__cause__
                continue
        seen = seen.__cause__ or seen.__context__
    return found


# A kept connection unused this long goes back to the pool.
KEPT_IDLE_SECONDS = 1.0


class KeptConnection:
    """A pooled connection in autocommit (as `autocommit`), kept checked out from one use to
    the next while uses follow each other, and returned to the pool once unused for
    KEPT_IDLE_SECONDS or by `release`. For a path that runs one command at a time, many
    times a second: a checkout and check-in through the pool cost about 40 µs of the
    server's CPU, more than a one-row round trip. A use that fails discards the connection
    (as `autocommit` does); a use while another is running gets a pooled one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._checkout: contextlib.AbstractAsyncContextManager[AsyncConnection] | None = None
        self._connection: AsyncConnection | None = None
        self._in_use = False
        self._last_used = 0.0
        self._release_timer: asyncio.TimerHandle | None = None

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncConnection]:
        if self._in_use:
            async with autocommit(self._engine) as connection:
                yield connection
            return
        self._in_use = True
        try:
            connection = self._connection or await self._check_out()
            try:
                yield connection
            except BaseException as error:
                await self._give_back(error)
                raise
        finally:
            self._in_use = False
            self._last_used = time.monotonic()

    async def release(self) -> None:
        """Return the connection to the pool now (a use in progress keeps it until it ends)."""
        if self._connection is not None and not self._in_use:
            await self._give_back(None)

    async def _check_out(self) -> AsyncConnection:
        checkout = autocommit(self._engine)
        self._connection = await checkout.__aenter__()
        self._checkout = checkout
        self._schedule_release(KEPT_IDLE_SECONDS)
        return self._connection

    async def _give_back(self, error: BaseException | None) -> None:
        """Check the connection in (discarded when `error` may have broken it); raises what
        `autocommit` raises for `error` (DatabaseUnavailable for a lost database)."""
        checkout, self._checkout, self._connection = self._checkout, None, None
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        if checkout is not None:
            if error is None:
                await checkout.__aexit__(None, None, None)
            else:
                await checkout.__aexit__(type(error), error, error.__traceback__)

    def _schedule_release(self, delay: float) -> None:
        self._release_timer = asyncio.get_running_loop().call_later(delay, self._release_if_idle)

    def _release_if_idle(self) -> None:
        self._release_timer = None
        if self._connection is None:
            return
        idle = time.monotonic() - self._last_used
        if self._in_use or idle < KEPT_IDLE_SECONDS:
            self._schedule_release(max(KEPT_IDLE_SECONDS - idle, 0.01))
            return
        self.release_soon()

    def release_soon(self) -> None:
        """`release` in a task of its own (from code that cannot wait); a use in progress
        keeps the connection, which the idle timer then gives back."""
        if self._connection is None or self._in_use:
            return
        task = asyncio.get_running_loop().create_task(self.release())
        _RELEASES.add(task)
        task.add_done_callback(_RELEASES.discard)


# Releases in progress (a task only weakly referenced by the loop may be collected).
_RELEASES: set[asyncio.Task[None]] = set()
