"""SQL of the roster: bulk upsert, overlap check and the one re-tagging statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.arrays import column_arrays
from lrs.storage.statements import INGEST_LOCK_KEY
from lrs.xapi.terms import AGENT

_TEXTS = ARRAY(Text)
_TIMES = ARRAY(DateTime(timezone=True))


@dataclass(frozen=True)
class RosterRow:
    actor_key: str
    door: str
    role: str
    valid_from: datetime
    valid_to: datetime | None


# Serializes roster writers (overlap checks stay true).
_LOCK = text("LOCK TABLE ext_roster IN SHARE ROW EXCLUSIVE MODE")
# Then waits for statement writes in flight and holds new ones off (each takes the ingest
# lock shared in its first command), so the re-tagging sees every statement whose ingest
# could not see this roster change, and later ingests see the change.
_EXCLUDE_INGEST = text("SELECT pg_advisory_xact_lock(:key)").bindparams(
    bindparam("key", type_=BigInteger)
)

_UPSERT = text(
    """
    INSERT INTO ext_roster (actor_key, door, role, valid_from, valid_to, updated)
    SELECT k, d, r, f, t, now()
    FROM unnest(:actor_key, :door, :role, :valid_from, :valid_to) AS n(k, d, r, f, t)
    ORDER BY k, f
    ON CONFLICT (actor_key, valid_from) DO UPDATE
        SET door = excluded.door, role = excluded.role, valid_to = excluded.valid_to,
            updated = excluded.updated
    """
).bindparams(
    bindparam("actor_key", type_=_TEXTS),
    bindparam("door", type_=_TEXTS),
    bindparam("role", type_=_TEXTS),
    bindparam("valid_from", type_=_TIMES),
    bindparam("valid_to", type_=_TIMES),
)

_OVERLAP = text(
    """
    SELECT a.actor_key, a.valid_from, b.valid_from
    FROM ext_roster a JOIN ext_roster b
         ON b.actor_key = a.actor_key AND a.id < b.id
        AND tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to)
    WHERE a.actor_key = ANY(:keys)
    ORDER BY a.actor_key, a.valid_from
    LIMIT 1
    """
).bindparams(bindparam("keys", type_=_TEXTS))

# Idempotent: computes the roster tag every statement of these actors should have, deletes
# roster rows no assignment covers any more and writes only the rows that differ. Explicit
# and statement-sourced rows are never touched.
_RETAG = text(
    """
    WITH mine AS (
        SELECT s.seq, s.timestamp, s.actor_key FROM statements s
        WHERE s.seq IN (SELECT t.seq FROM statement_terms t WHERE t.term = ANY(:terms))
          AND s.actor_key = ANY(:keys)
    ),
    wanted AS (
        SELECT DISTINCT ON (m.seq) m.seq, a.door, a.role
        FROM mine m
             JOIN ext_roster a ON a.actor_key = m.actor_key AND a.valid_from <= m.timestamp
                              AND (a.valid_to IS NULL OR m.timestamp < a.valid_to)
        ORDER BY m.seq, a.valid_from DESC
    ),
    gone AS (
        DELETE FROM ext_tags t
        WHERE t.source = 'roster' AND t.seq IN (SELECT seq FROM mine)
          AND t.seq NOT IN (SELECT seq FROM wanted)
        RETURNING t.seq
    ),
    written AS (
        INSERT INTO ext_tags (seq, source, door, role, tagged_at)
        SELECT seq, 'roster', door, role, now() FROM wanted ORDER BY seq
        ON CONFLICT (seq, source) DO UPDATE
            SET door = excluded.door, role = excluded.role, tagged_at = excluded.tagged_at
            WHERE (ext_tags.door, ext_tags.role) IS DISTINCT FROM (excluded.door, excluded.role)
        RETURNING seq
    )
    SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM written)
    """
).bindparams(bindparam("terms", type_=_TEXTS), bindparam("keys", type_=_TEXTS))

_OF_ACTOR = text(
    """
    SELECT actor_key, door, role, valid_from, valid_to FROM ext_roster
    WHERE actor_key = :key ORDER BY valid_from
    """
)


async def lock(conn: AsyncConnection) -> None:
    await conn.execute(_LOCK)
    await conn.execute(_EXCLUDE_INGEST, {"key": INGEST_LOCK_KEY})


async def upsert(conn: AsyncConnection, rows: Sequence[RosterRow]) -> None:
    fields = ("actor_key", "door", "role", "valid_from", "valid_to")
    await conn.execute(_UPSERT, column_arrays(rows, *fields))


async def first_overlap(
    conn: AsyncConnection, actor_keys: Sequence[str]
) -> tuple[str, datetime, datetime] | None:
    """Two assignments of one actor whose ranges overlap, if any (actor, from, from)."""
    row = (await conn.execute(_OVERLAP, {"keys": sorted(set(actor_keys))})).first()
    return None if row is None else (row[0], row[1], row[2])


async def retag(conn: AsyncConnection, actor_keys: Sequence[str]) -> int:
    """Re-derive the roster tags of these actors' statements; returns the rows changed."""
    keys = sorted(set(actor_keys))
    changed: int = (
        await conn.execute(_RETAG, {"keys": keys, "terms": [AGENT + k for k in keys]})
    ).scalar_one()
    return changed


async def of_actor(conn: AsyncConnection, actor_key: str) -> list[RosterRow]:
    rows = await conn.execute(_OF_ACTOR, {"key": actor_key})
    return [RosterRow(*row) for row in rows]
