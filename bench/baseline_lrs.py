"""The earlier baseline (``--baseline lrs-tables``): rows as lrs itself stores them.

Kept to explain how the choice of baseline moves the batch ratio (bench/RESULTS.md); the
default baseline is `bench.baseline` (one table). Needs lrs installed.

Rows are prepared exactly as `lrs` prepares them (`prepare_statement`, `statement_index_terms`,
`statement_terms`, imported lazily so the HTTP modes need no lrs install), then written into
scratch copies of lrs's ``statements`` and ``statement_terms`` tables (``CREATE TABLE ... (LIKE
... INCLUDING ALL)`` plus the foreign key: same columns, indexes and constraints) in a schema
of their own that is dropped afterwards. Only the writes are timed. Two methods:

- ``executemany``: 100-statement transactions from 4 connections (INSERT ... VALUES per row);
- ``copy``: ``COPY`` of larger chunks from the same connections.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from bench.generate import statements

STATEMENT_COLUMNS = (
    "seq", "id", "stored", "timestamp", "verb_id", "actor_key", "object_activity_id",
    "registration", "statement_ref_id", "is_voiding", "voided", "authority_key", "version",
    "payload",
)  # fmt: skip
TERM_COLUMNS = ("term", "stored", "seq")


@dataclass(frozen=True)
class Prepared:
    statements: list[tuple[Any, ...]]
    terms: list[list[tuple[str, datetime, int]]]


def plain_dsn(url: str) -> str:
    """An asyncpg DSN from a SQLAlchemy-style URL."""
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def prepare(seed: int, count: int, start: int = 0, shape: str = "realistic") -> Prepared:
    """Rows for `count` statements of the seed, prepared by lrs's own pure code."""
    from lrs.auth.principal import authority_for
    from lrs.xapi.ifi import ifi_key
    from lrs.xapi.prepare import prepare_statement
    from lrs.xapi.relations import statement_index_terms
    from lrs.xapi.terms import statement_terms
    from lrs.xapi.versions import XapiVersion

    authority = authority_for("bench", "bench")
    base = datetime.now(UTC)
    rows: list[tuple[Any, ...]] = []
    terms: list[list[tuple[str, datetime, int]]] = []
    for offset, raw in enumerate(statements(seed, count, start=start, shape=shape)):
        seq = offset + 1
        stored = base + timedelta(microseconds=offset)
        prepared = prepare_statement(
            raw, version=XapiVersion.V2_0_0, authority=authority, stored=stored
        )
        index = statement_index_terms(prepared)
        rows.append(
            (
                seq, prepared["id"], stored, index.timestamp, index.verb_id,
                ifi_key(prepared["actor"]), index.object_activity_id, index.registration,
                index.statement_ref_id, index.is_voiding, False,
                ifi_key(prepared["authority"]) or "", prepared["version"],
                orjson.dumps(prepared).decode(),
            )
        )  # fmt: skip
        terms.append([(term, stored, seq) for term in statement_terms(index)])
    return Prepared(rows, terms)


async def _scratch(conn: asyncpg.Connection, schema: str) -> None:
    await conn.execute(
        f"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.statements (LIKE public.statements INCLUDING ALL);
        CREATE TABLE {schema}.statement_terms (LIKE public.statement_terms INCLUDING ALL);
        ALTER TABLE {schema}.statement_terms ADD FOREIGN KEY (seq)
            REFERENCES {schema}.statements (seq) ON DELETE CASCADE;
        """
    )


Chunk = tuple[Sequence[tuple[Any, ...]], list[tuple[str, datetime, int]]]


def _chunks(data: Prepared, size: int) -> list[Chunk]:
    out: list[Chunk] = []
    for i in range(0, len(data.statements), size):
        terms = [t for ts in data.terms[i : i + size] for t in ts]
        out.append((data.statements[i : i + size], terms))
    return out


async def _write(pool: asyncpg.Pool, schema: str, method: str, chunks: list[Chunk]) -> None:
    columns = ", ".join(f'"{c}"' for c in STATEMENT_COLUMNS)
    values = ", ".join(f"${i}" for i in range(1, len(STATEMENT_COLUMNS) + 1))
    # The schema name is ours (pid and method), never input.
    insert_statement = f"INSERT INTO {schema}.statements ({columns}) VALUES ({values})"  # noqa: S608
    insert_terms = f"INSERT INTO {schema}.statement_terms VALUES ($1, $2, $3)"  # noqa: S608
    queue = iter(chunks)

    async def worker() -> None:
        async with pool.acquire() as conn:
            for rows, terms in queue:
                async with conn.transaction():
                    if method == "copy":
                        await conn.copy_records_to_table(
                            "statements", records=rows, columns=STATEMENT_COLUMNS,
                            schema_name=schema,
                        )  # fmt: skip
                        await conn.copy_records_to_table(
                            "statement_terms", records=terms, columns=TERM_COLUMNS,
                            schema_name=schema,
                        )  # fmt: skip
                    else:
                        await conn.executemany(insert_statement, rows)
                        await conn.executemany(insert_terms, terms)

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
            await _scratch(conn, schema)
        chunks = _chunks(data, chunk)
        started = time.perf_counter()
        await _write(pool, schema, method, chunks)
        seconds = time.perf_counter() - started
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await pool.close()
    count = len(data.statements)
    return {
        "method": method,
        "statements": count,
        "terms": sum(len(t) for t in data.terms),
        "chunk": chunk,
        "connections": connections,
        "seconds": round(seconds, 3),
        "statements_per_s": round(count / seconds, 1),
    }
