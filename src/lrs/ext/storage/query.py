"""SQL of the reads: the tagged keyset page, the streamed export and the summary.

Every statement here is assembled from fixed fragments (never from request text); values are
bound parameters. Door and role filters first narrow by the ``ext_tags`` indexes, then check
the effective tag; verb and activity filters walk the ``statement_terms`` index.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.ext.rules.filters import Filters
from lrs.ext.storage.sql import EFFECTIVE_TAGS, PSEUDONYM, TAG_SOURCE, export_select
from lrs.storage.database import read_only
from lrs.xapi.terms import ACTIVITY, VERB

LEARNING_EVENTS = "NOT s.voided AND NOT s.is_voiding"


@dataclass(frozen=True)
class TaggedRow:
    seq: int
    stored: datetime
    payload_json: str
    door: str | None
    role: str | None
    tag_source: str | None


_TAG_FILTERS = {
    "door": "s.seq IN (SELECT seq FROM ext_tags WHERE door = :door) AND tag.door = :door",
    "role": "s.seq IN (SELECT seq FROM ext_tags WHERE role = :role) AND tag.role = :role",
}
# The term narrows by index; the column check keeps StatementRef referrers (which carry their
# target's terms, STR-Q-025) out: BI counts what the statement itself says.
_TERM_FILTERS = {
    "verb": (
        VERB,
        "s.seq IN (SELECT seq FROM statement_terms WHERE term = :verb_term) AND s.verb_id = :verb",
    ),
    "activity": (
        ACTIVITY,
        "s.seq IN (SELECT seq FROM statement_terms WHERE term = :activity_term) "
        "AND s.object_activity_id = :activity",
    ),
}


def conditions(
    filters: Filters, *, time: str = "s.stored", since_op: str = ">", until_op: str = "<="
) -> tuple[list[str], dict[str, Any]]:
    """WHERE conditions and their parameters; `time` is the column since/until bound."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if filters.since is not None:
        where.append(f"{time} {since_op} :since")
        params["since"] = filters.since
    if filters.until is not None:
        where.append(f"{time} {until_op} :until")
        params["until"] = filters.until
    for field, condition in _TAG_FILTERS.items():
        value = getattr(filters, field)
        if value is not None:
            where.append(condition)
            params[field] = value
    for field, (prefix, condition) in _TERM_FILTERS.items():
        value = getattr(filters, field)
        if value is not None:
            where.append(condition)
            params[field] = value
            params[f"{field}_term"] = prefix + value
    return where, params


def _and(where: Sequence[str]) -> str:
    return "".join(f" AND {w}" for w in where)


async def page(
    conn: AsyncConnection,
    filters: Filters,
    *,
    limit: int,
    after: tuple[datetime, int] | None,
    authority_key: str | None,
) -> tuple[list[TaggedRow], bool]:
    """Up to `limit` statements, newest stored first, after the cursor; and whether more remain."""
    where, params = conditions(filters)
    if after is not None:
        where.append("(s.stored, s.seq) < (:after_stored, :after_seq)")
        params.update(after_stored=after[0], after_seq=after[1])
    if authority_key is not None:
        where.append("s.authority_key = :authority_key")
        params["authority_key"] = authority_key
    sql = f"""
        SELECT s.seq, s.stored, s.payload, tag.door, tag.role, {TAG_SOURCE}
        FROM statements s {EFFECTIVE_TAGS}
        WHERE {LEARNING_EVENTS}{_and(where)}
        ORDER BY s.stored DESC, s.seq DESC
        LIMIT :limit
    """  # noqa: S608
    params["limit"] = limit + 1
    rows = [TaggedRow(*row) for row in await conn.execute(text(sql), params)]
    return rows[:limit], len(rows) > limit


def export_sql(
    filters: Filters, *, identities: bool, after: tuple[datetime, int] | None
) -> tuple[str, dict[str, Any]]:
    where, params = conditions(filters)
    if after is not None:
        where.append("(s.stored, s.seq) > (:after_stored, :after_seq)")
        params.update(after_stored=after[0], after_seq=after[1])
    actor = "s.actor_key" if identities else PSEUDONYM
    sql = f"{export_select(actor)}{_and(where)} ORDER BY s.stored, s.seq LIMIT :limit"
    return sql, params


async def stream_export(
    engine: AsyncEngine, filters: Filters, *, identities: bool, batch: int = 500
) -> AsyncGenerator[Sequence[tuple[Any, ...]], None]:
    """The export's rows in batches, each read by keyset on a connection held only for that
    read: a client that reads slowly holds no database connection between batches (20
    slow readers once held the whole pool). The first batch is read before this returns, so a
    database that is away fails the request (503) instead of an already started stream.

    Statements stored while the export runs appear when they sort after the position reached
    (the export is not one snapshot)."""
    first = await _read_batch(engine, filters, identities, None, batch)

    async def batches() -> AsyncGenerator[Sequence[tuple[Any, ...]], None]:
        rows = first
        while rows:
            yield [row[:-1] for row in rows]
            if len(rows) < batch:
                return
            rows = await _read_batch(
                engine, filters, identities, (rows[-1][1], rows[-1][-1]), batch
            )

    return batches()


async def _read_batch(
    engine: AsyncEngine,
    filters: Filters,
    identities: bool,
    after: tuple[datetime, int] | None,
    batch: int,
) -> list[tuple[Any, ...]]:
    """Up to `batch` export rows in (stored, seq) order after `after`, on a connection held
    for this read only; each row ends with its ``seq``."""
    sql, params = export_sql(filters, identities=identities, after=after)
    async with read_only(engine) as conn:
        return [tuple(row) for row in await conn.execute(text(sql), {**params, "limit": batch})]


async def stream_rows(
    engine: AsyncEngine, sql: str, params: dict[str, Any], *, batch: int = 2000
) -> AsyncGenerator[Sequence[tuple[Any, ...]], None]:
    """Open a server-side cursor over a fixed query and hand back an iterator of row batches
    (the assignments dataset: its rows are few; the statements export pages by keyset
    instead, so that slow readers hold no connection).

    The connection is taken before the first batch, so a database that is away fails the
    request (503) instead of an already started stream; it is released when iteration ends
    or is abandoned."""
    conn = await engine.connect()
    try:
        result = await conn.stream(text(sql).execution_options(yield_per=batch), params)
    except BaseException:
        await conn.close()
        raise

    async def batches() -> AsyncGenerator[Sequence[tuple[Any, ...]], None]:
        try:
            async for partition in result.partitions(batch):
                yield [tuple(row) for row in partition]
        finally:
            await result.close()
            await conn.close()

    return batches()


def _bucket(unit: str) -> str:
    """The local date of a day or week bucket as YYYY-MM-DD text, computed by PostgreSQL:
    a timestamp in year 1 or 9999 seen from a far timezone falls in year 0 or 10000, which
    PostgreSQL holds but a Python date cannot (those read "0001-12-31 BC", "10000-01-01")."""
    local = f"date_trunc('{unit}', s.timestamp AT TIME ZONE :tz)"
    return (
        f"to_char({local}, 'YYYY-MM-DD') || CASE WHEN {local} < '0001-01-01' THEN ' BC' ELSE '' END"
    )


_DIMENSION_SQL = {
    "door": "tag.door",
    "role": "tag.role",
    "verb": "s.verb_id",
    "activity": "s.object_activity_id",
    "day": _bucket("day"),
    "week": _bucket("week"),
}


async def summary(
    conn: AsyncConnection, filters: Filters, dimensions: Sequence[str], timezone: str
) -> tuple[list[tuple[Any, ...]], tuple[int, int]]:
    """Rows of (dimension values..., statements, distinct actors) and the overall totals, in
    one pass (GROUPING SETS). since/until bound `timestamp` as [since, until)."""
    where, params = conditions(filters, time="s.timestamp", since_op=">=", until_op="<")
    params["tz"] = timezone
    names = [f"g{i}" for i in range(len(dimensions))]
    inner = ", ".join(f"{_DIMENSION_SQL[d]} AS {n}" for d, n in zip(dimensions, names, strict=True))
    grouped = ", ".join(names)
    sql = f"""
        SELECT {grouped + ", " if names else ""}count(*), count(DISTINCT f.actor_key),
               {f"GROUPING({grouped})" if names else "1"}
        FROM (SELECT {inner + ", " if names else ""}s.actor_key
              FROM statements s {EFFECTIVE_TAGS}
              WHERE {LEARNING_EVENTS}{_and(where)}) AS f
        GROUP BY {f"GROUPING SETS (({grouped}), ())" if names else "()"}
        {f"ORDER BY {grouped}" if names else ""}
    """  # noqa: S608
    groups: list[tuple[Any, ...]] = []
    totals = (0, 0)
    for row in await conn.execute(text(sql), params):
        if row[-1]:
            totals = (row[-3], row[-2])
        else:
            groups.append(tuple(row[:-1]))
    return groups, totals
