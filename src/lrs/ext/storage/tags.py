"""SQL of tags: written at ingest (statement and roster sources) and through the API
(explicit), in a fixed number of round trips per batch whatever its size.

Ingest and roster writes exclude each other on the ingest lock (`INGEST_LOCK_KEY`, shared by
every statement write, exclusive for a roster change): a statement stored while the roster
changes is tagged either by its own ingest (after the roster commits) or by the roster's
re-tagging (after the statement commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import orjson
from sqlalchemy import ARRAY, BigInteger, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.ext.storage.sql import EFFECTIVE_TAGS, TAG_SOURCE
from lrs.storage.statements import InsertStep

_TEXTS = ARRAY(Text)
_BIGINTS = ARRAY(BigInteger)

# The ingest's tags ride on the insert of statements (`InsertStep`s, no round trip of their
# own), joined with `new`, the rows that insert wrote. Statement-sourced tags for the carried
# (id, door, role) rows (ids not in the registry are left out) and roster-sourced tags for
# every new statement. The roster is read in a later command than the write's first, which
# took the ingest lock: a roster change either committed before that (and is seen here) or
# waits for this write to commit (and its re-tagging sees these statements).
_CARRIED_TAGS = """
    INSERT INTO ext_tags (seq, source, door, role)
    SELECT new.seq, 'statement', d.id, r.id
    FROM jsonb_to_recordset(CAST($document AS jsonb)) AS n(id uuid, door text, role text)
         JOIN new ON new.id = n.id
         LEFT JOIN ext_doors d ON d.id = n.door
         LEFT JOIN ext_roles r ON r.id = n.role
    WHERE d.id IS NOT NULL OR r.id IS NOT NULL
    ORDER BY new.seq
    ON CONFLICT (seq, source) DO NOTHING
    """
_ROSTER_TAGS = InsertStep(
    """
    INSERT INTO ext_tags (seq, source, door, role)
    SELECT DISTINCT ON (new.seq) new.seq, 'roster', a.door, a.role
    FROM new
         JOIN ext_roster a ON a.actor_key = new.actor_key AND a.valid_from <= new.timestamp
                          AND (a.valid_to IS NULL OR new.timestamp < a.valid_to)
    ORDER BY new.seq, a.valid_from DESC
    ON CONFLICT (seq, source) DO NOTHING
    """
)


def carried_document(carried: Sequence[tuple[str, str | None, str | None]]) -> str:
    """(statement id, door, role) rows as the document `_CARRIED_TAGS` reads (and the
    `tags_json` of `lrs_write_group`, migration 0015, which makes the same writes)."""
    return orjson.dumps([{"id": i, "door": d, "role": r} for i, d, r in carried]).decode()


def tags_at_ingest(carried: Sequence[tuple[str, str | None, str | None]]) -> list[InsertStep]:
    """The insert steps that tag a write: statement-sourced tags for `carried` (statement id,
    door, role), roster-sourced tags for every statement written."""
    steps = [_ROSTER_TAGS]
    if carried:
        steps.append(InsertStep(_CARRIED_TAGS, carried_document(carried)))
    return steps


_EXISTING_IDS = text(
    "SELECT id::text FROM statements WHERE id = ANY(CAST(:ids AS uuid[]))"
).bindparams(bindparam("ids", type_=_TEXTS))


async def existing_statement_ids(conn: AsyncConnection, ids: Sequence[str]) -> set[str]:
    rows = await conn.execute(_EXISTING_IDS, {"ids": sorted(set(ids))})
    return {row[0] for row in rows}


_SET_EXPLICIT = text(
    """
    INSERT INTO ext_tags (seq, source, door, role, tagged_at)
    SELECT s.seq, 'explicit', n.door, n.role, now()
    FROM unnest(:ids, :doors, :roles) AS n(id, door, role)
         JOIN statements s ON s.id = n.id::uuid
    ORDER BY s.seq
    ON CONFLICT (seq, source) DO UPDATE
        SET door = excluded.door, role = excluded.role, tagged_at = excluded.tagged_at
    """
).bindparams(
    bindparam("ids", type_=_TEXTS),
    bindparam("doors", type_=_TEXTS),
    bindparam("roles", type_=_TEXTS),
)

_CLEAR_EXPLICIT = text(
    """
    DELETE FROM ext_tags t USING statements s
    WHERE t.seq = s.seq AND t.source = 'explicit' AND s.id = ANY(CAST(:ids AS uuid[]))
    """
).bindparams(bindparam("ids", type_=_TEXTS))


async def set_explicit(
    conn: AsyncConnection, tags: Sequence[tuple[str, str | None, str | None]]
) -> None:
    """Write explicit (statement id, door, role) tags; one with neither field clears the
    statement's explicit tag so the other sources apply again."""
    setting = [t for t in tags if t[1] is not None or t[2] is not None]
    clearing = [t[0] for t in tags if t[1] is None and t[2] is None]
    if setting:
        await conn.execute(
            _SET_EXPLICIT,
            {
                "ids": [t[0] for t in setting],
                "doors": [t[1] for t in setting],
                "roles": [t[2] for t in setting],
            },
        )
    if clearing:
        await conn.execute(_CLEAR_EXPLICIT, {"ids": clearing})


_TAGS_OF = text(
    f"""
    SELECT 'row' AS kind, t.source, t.door, t.role, t.tagged_at
    FROM ext_tags t JOIN statements s ON s.seq = t.seq WHERE s.id = CAST(:id AS uuid)
    UNION ALL
    SELECT 'effective', {TAG_SOURCE}, tag.door, tag.role, NULL
    FROM statements s {EFFECTIVE_TAGS} WHERE s.id = CAST(:id AS uuid)
    """  # noqa: S608
)


async def tags_of(
    conn: AsyncConnection, statement_id: str
) -> list[tuple[str, str | None, str | None, str | None, datetime | None]]:
    """(kind, source, door, role, tagged_at): each source's row and the effective tag."""
    rows = await conn.execute(_TAGS_OF, {"id": statement_id})
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
