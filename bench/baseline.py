"""The raw baseline: the same statements written straight into PostgreSQL with asyncpg.

The table is the simplest a store of statements could be: the statement as ``jsonb`` plus
one column and one index per query column (id, stored, timestamp, actor, verb, object,
registration, door, role), in a scratch schema of its own that is dropped afterwards, so it
can run against a live LRS database without touching its data. Rows are extracted from the
statements by this module (no lrs install needed) before the clock starts; only the writes
are timed. Two methods:

- ``executemany``: a prepared ``INSERT`` in transactions of ``chunk`` rows (100 for the batch
  target, 1 for the one-statement-per-POST comparison) from 4 connections;
- ``copy``: ``COPY`` of larger chunks from the same connections.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from bench.generate import statements

COLUMNS = (
    "id", "stored", "timestamp", "actor", "verb", "object", "registration", "door", "role",
    "statement",
)  # fmt: skip
INDEXED = ("stored", "timestamp", "actor", "verb", "object", "registration", "door", "role")
DOOR_SUFFIX = "/extensions/door"
ROLE_SUFFIX = "/extensions/role"


@dataclass(frozen=True)
class Prepared:
    rows: list[tuple[Any, ...]]


def plain_dsn(url: str) -> str:
    """An asyncpg DSN from a SQLAlchemy-style URL."""
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def _actor_key(actor: dict[str, Any]) -> str:
    if "mbox" in actor:
        return str(actor["mbox"])
    account = actor["account"]
    return f"{account['homePage']} {account['name']}"


def _extension(extensions: dict[str, Any], suffix: str) -> str | None:
    for iri, value in extensions.items():
        if iri.endswith(suffix):
            return str(value)
    return None


def row_of(statement: dict[str, Any], stored: datetime) -> tuple[Any, ...]:
    """The table's row for one statement (its query columns, then the statement)."""
    context = statement.get("context", {})
    extensions = context.get("extensions", {})
    registration = context.get("registration")
    return (
        uuid.UUID(statement["id"]),
        stored,
        datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00")),
        _actor_key(statement["actor"]),
        statement["verb"]["id"],
        statement["object"]["id"],
        uuid.UUID(registration) if registration else None,
        _extension(extensions, DOOR_SUFFIX),
        _extension(extensions, ROLE_SUFFIX),
        orjson.dumps(statement).decode(),
    )


def prepare(seed: int, count: int, start: int = 0, shape: str = "realistic") -> Prepared:
    """Rows for `count` statements of the seed's stream (untimed)."""
    base = datetime.now(UTC)
    return Prepared(
        [
            row_of(raw, base + timedelta(microseconds=offset))
            for offset, raw in enumerate(statements(seed, count, start=start, shape=shape))
        ]
    )


async def _scratch(conn: asyncpg.Connection, schema: str) -> None:
    indexes = "\n".join(f"CREATE INDEX ON {schema}.statements ({column});" for column in INDEXED)
    await conn.execute(
        f"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.statements (
            id uuid PRIMARY KEY, stored timestamptz NOT NULL, timestamp timestamptz NOT NULL,
            actor text NOT NULL, verb text NOT NULL, object text NOT NULL,
            registration uuid, door text, role text, statement jsonb NOT NULL
        );
        {indexes}
        """
    )


async def _write(
    pool: asyncpg.Pool, schema: str, method: str, chunks: Sequence[Sequence[tuple[Any, ...]]]
) -> None:
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    values = ", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))
    # The schema name is ours (pid and method), never input.
    insert = f"INSERT INTO {schema}.statements ({names}) VALUES ({values})"  # noqa: S608
    queue = iter(chunks)

    async def worker() -> None:
        async with pool.acquire() as conn:
            prepared = await conn.prepare(insert)
            for rows in queue:
                async with conn.transaction():
                    if method == "copy":
                        await conn.copy_records_to_table(
                            "statements", records=rows, columns=COLUMNS, schema_name=schema
                        )
                    elif len(rows) == 1:
                        await prepared.fetch(*rows[0])
                    else:
                        await prepared.executemany(rows)

    await asyncio.gather(*(worker() for _ in range(pool.get_max_size())))


async def measure(
    url: str,
    data: Prepared,
    *,
    method: str = "executemany",
    chunk: int = 100,
    connections: int = 4,
) -> dict[str, Any]:
    """Write the prepared rows with `method`; returns statements/s and the timing."""
    schema = f"bench_baseline_{os.getpid()}_{method}"
    pool = await asyncpg.create_pool(plain_dsn(url), min_size=connections, max_size=connections)
    try:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            await _scratch(conn, schema)
        rows = data.rows
        chunks = [rows[i : i + chunk] for i in range(0, len(rows), chunk)]
        started = time.perf_counter()
        await _write(pool, schema, method, chunks)
        seconds = time.perf_counter() - started
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await pool.close()
    count = len(data.rows)
    return {
        "method": method,
        "statements": count,
        "chunk": chunk,
        "connections": connections,
        "seconds": round(seconds, 3),
        "statements_per_s": round(count / seconds, 1),
    }
