"""SQL of service proof: rules, the service-case index and what evaluation reads.

The index holds one row per service-case statement. Evaluation reads it joined to
``statements`` (so voided statements drop out) and to the effective door and role tags of
each statement (so re-tagging moves a case), which is why neither path writes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Text, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.ext.storage.sql import DOCUMENT, EFFECTIVE_TAGS, PSEUDONYM
from lrs.service_proof.rules import PRIORITY_IRI, SERVICE_CASE
from lrs.storage.arrays import column_arrays

_TEXTS = ARRAY(Text)


@dataclass(frozen=True)
class IndexRow:
    seq: int
    registration: str
    verb_id: str
    timestamp: datetime
    activity_id: str
    priority: str | None


@dataclass(frozen=True)
class DoorHours:
    id: str
    timezone: str
    opening_hours: str | None
    holidays_country: str | None
    holidays_region: str | None


_PUT_RULE = text(
    """
    INSERT INTO service_proof_rules (id, body, updated) VALUES (:id, :body, now())
    ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated = excluded.updated
    RETURNING updated
    """
).bindparams(bindparam("body", type_=JSONB))

_INDEX = text(
    """
    INSERT INTO service_proof_events (seq, registration, verb_id, timestamp, activity_id,
                                      priority)
    SELECT seq, CAST(reg AS uuid), verb, ts, activity, priority
    FROM unnest(:seq, :registration, :verb_id, :timestamp, :activity_id, :priority)
         AS e(seq, reg, verb, ts, activity, priority)
    ON CONFLICT (seq) DO NOTHING
    """
).bindparams(
    bindparam("seq", type_=ARRAY(BigInteger)),
    bindparam("registration", type_=_TEXTS),
    bindparam("verb_id", type_=_TEXTS),
    bindparam("timestamp", type_=ARRAY(DateTime(timezone=True))),
    bindparam("activity_id", type_=_TEXTS),
    bindparam("priority", type_=_TEXTS),
)

# The same selection as the ingest hook (`lrs.services.service_proof.index_row`) makes; a
# statement committed while this runs may already have its row from the hook.
_REBUILD = text(
    f"""
    INSERT INTO service_proof_events (seq, registration, verb_id, timestamp, activity_id,
                                      priority)
    SELECT s.seq, s.registration, s.verb_id, s.timestamp, sp.doc->'object'->>'id',
           CASE WHEN jsonb_typeof(sp.doc->'context'->'extensions'->:priority) = 'string'
                THEN sp.doc->'context'->'extensions'->>:priority END
    FROM statements s
         {DOCUMENT}
    WHERE s.registration IS NOT NULL
      AND coalesce(sp.doc->'object'->>'objectType', 'Activity') = 'Activity'
      AND sp.doc->'object'->'definition'->>'type' = :case_type
    ON CONFLICT (seq) DO NOTHING
    """  # noqa: S608 (fixed fragments only)
)

# Every counting event of the cases whose trigger falls in [since, until).
_CASE_EVENTS = text(
    """
    SELECT e.registration::text, e.seq, s.id::text, e.verb_id, e.timestamp, e.activity_id,
           e.priority
    FROM (SELECT DISTINCT e.registration
          FROM service_proof_events e JOIN statements s ON s.seq = e.seq
          WHERE e.verb_id = ANY(:triggers) AND e.timestamp >= :since
            AND e.timestamp < :until AND NOT s.voided) AS c
         JOIN service_proof_events e ON e.registration = c.registration
         JOIN statements s ON s.seq = e.seq
    WHERE NOT s.voided
    """
).bindparams(bindparam("triggers", type_=_TEXTS))

# The effective tags and the actor's pseudonym of those triggers only (the case's door,
# team and opener): a separate query keeps tag resolution to one row per case.
_TRIGGER_TAGS = text(
    f"""
    SELECT s.seq, {PSEUDONYM}, tag.door, tag.role
    FROM service_proof_events e
         JOIN statements s ON s.seq = e.seq
         LEFT JOIN ext_pseudonym_key k ON k.id = 1
         {EFFECTIVE_TAGS}
    WHERE e.verb_id = ANY(:triggers) AND e.timestamp >= :since AND e.timestamp < :until
      AND NOT s.voided
    """  # noqa: S608 (fixed fragments only)
).bindparams(bindparam("triggers", type_=_TEXTS))

_DOOR_HOURS = text(
    "SELECT id, timezone, opening_hours, holidays_country, holidays_region FROM ext_doors"
)


async def put_rule(conn: AsyncConnection, rule_id: str, body: Any) -> datetime:
    updated: datetime = (await conn.execute(_PUT_RULE, {"id": rule_id, "body": body})).scalar_one()
    return updated


async def get_rule(conn: AsyncConnection, rule_id: str) -> tuple[Any, datetime] | None:
    sql = text("SELECT body, updated FROM service_proof_rules WHERE id = :id")
    row = (await conn.execute(sql, {"id": rule_id})).first()
    return None if row is None else (row[0], row[1])


async def list_rules(conn: AsyncConnection) -> list[tuple[str, Any, datetime]]:
    rows = await conn.execute(text("SELECT id, body, updated FROM service_proof_rules ORDER BY id"))
    return [(r[0], r[1], r[2]) for r in rows]


async def delete_rule(conn: AsyncConnection, rule_id: str) -> bool:
    sql = text("DELETE FROM service_proof_rules WHERE id = :id")
    return bool((await conn.execute(sql, {"id": rule_id})).rowcount)


async def index_events(conn: AsyncConnection, rows: Sequence[IndexRow]) -> None:
    """Index a batch of service-case statements in one command."""
    if not rows:
        return
    fields = ("seq", "registration", "verb_id", "timestamp", "activity_id", "priority")
    await conn.execute(_INDEX, column_arrays(rows, *fields))


async def rebuild_index(conn: AsyncConnection) -> int:
    """Rebuild the index from every stored statement; returns its size."""
    await conn.execute(text("DELETE FROM service_proof_events"))
    result = await conn.execute(_REBUILD, {"priority": PRIORITY_IRI, "case_type": SERVICE_CASE})
    return int(result.rowcount)


async def index_rows(conn: AsyncConnection) -> list[tuple[Any, ...]]:
    """The whole index in seq order (for consistency checks)."""
    rows = await conn.execute(
        text(
            "SELECT seq, registration::text, verb_id, timestamp, activity_id, priority"
            " FROM service_proof_events ORDER BY seq"
        )
    )
    return [tuple(r) for r in rows]


async def case_events(
    conn: AsyncConnection, triggers: Sequence[str], since: datetime, until: datetime
) -> list[tuple[Any, ...]]:
    """Rows (registration, seq, statement id, verb, timestamp, activity, priority, actor
    pseudonym, door, role); the last three only on the triggers in the window."""
    params = {"triggers": sorted(set(triggers)), "since": since, "until": until}
    tags = {row[0]: tuple(row[1:]) for row in await conn.execute(_TRIGGER_TAGS, params)}
    rows = await conn.execute(_CASE_EVENTS, params)
    return [(*row, *tags.get(row[1], (None, None, None))) for row in rows]


async def door_hours(conn: AsyncConnection) -> list[DoorHours]:
    return [DoorHours(*row) for row in await conn.execute(_DOOR_HOURS)]
