"""SQL of forwarding: targets, the outbox queue (`fwd_queue`), leases and dead letters.

The outbox row of a stored batch is written by one INSERT ... SELECT in the batch's own
transaction (one row per target, none when there is no target). The forwarder takes a
target's lease with a conditional UPDATE, so one process delivers for a target at a time and
an expired lease (a dead process) is taken over; acknowledgements check the lease (fencing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ARRAY, BigInteger, Text, bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.ext.storage.sql import EFFECTIVE_TAGS
from lrs.storage.statements import InsertStep
from lrs.storage.tables import fwd_targets

_BIGINTS = ARRAY(BigInteger)

# The outbox write of a batch, riding on the insert of its statements (`new`): one row per
# target, none when nothing was written.
ENQUEUE_WRITTEN = InsertStep(
    """
    INSERT INTO fwd_queue (target_id, seqs)
    SELECT f.id, w.seqs
    FROM fwd_targets f, (SELECT array_agg(seq ORDER BY seq) AS seqs FROM new) w
    WHERE w.seqs IS NOT NULL
    """
)


@dataclass(frozen=True)
class TargetRow:
    id: str
    name: str
    type: str
    url: str
    username: str | None
    secret_enc: bytes | None
    xapi_version: str | None
    filters: dict[str, list[str]]
    paused: bool
    created_at: datetime
    updated_at: datetime
    lease_owner: str | None
    lease_until: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_delivered_at: datetime | None
    delivered: int
    filtered: int
    retried: int
    dead: int


def _target(row: Any) -> TargetRow:
    values = dict(row._mapping)
    if values["secret_enc"] is not None:
        values["secret_enc"] = bytes(values["secret_enc"])
    return TargetRow(**values)


_INSERT_TARGET = text(
    """
    INSERT INTO fwd_targets (id, name, type, url, username, secret_enc, xapi_version, filters)
    VALUES (:id, :name, :type, :url, :username, :secret_enc, :xapi_version, :filters)
    """
).bindparams(bindparam("filters", type_=JSONB))


async def insert_target(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(_INSERT_TARGET, values)


_UPDATE_TARGET = text(
    """
    UPDATE fwd_targets
    SET name = :name, url = :url, username = :username,
        secret_enc = coalesce(:secret_enc, secret_enc), xapi_version = :xapi_version,
        filters = :filters, paused = :paused, updated_at = now()
    WHERE id = :id
    """
).bindparams(bindparam("filters", type_=JSONB))


async def update_target(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(_UPDATE_TARGET, values)


# A target row as `TargetRow` reads it (every column of the table): by id, by id locked for
# an update, and all of them.
_SELECT_TARGET = select(fwd_targets).where(fwd_targets.c.id == bindparam("id"))
_SELECT_TARGET_FOR_UPDATE = _SELECT_TARGET.with_for_update()
_SELECT_TARGETS = select(fwd_targets).order_by(fwd_targets.c.created_at, fwd_targets.c.id)


async def get_target(
    conn: AsyncConnection, target_id: str, *, lock: bool = False
) -> TargetRow | None:
    query = _SELECT_TARGET_FOR_UPDATE if lock else _SELECT_TARGET
    row = (await conn.execute(query, {"id": target_id})).first()
    return None if row is None else _target(row)


async def list_targets(conn: AsyncConnection) -> list[TargetRow]:
    return [_target(row) for row in await conn.execute(_SELECT_TARGETS)]


_DELETE_TARGET = text("DELETE FROM fwd_targets WHERE id = :id RETURNING id")


async def delete_target(conn: AsyncConnection, target_id: str) -> bool:
    return (await conn.execute(_DELETE_TARGET, {"id": target_id})).first() is not None


@dataclass(frozen=True)
class QueueStats:
    pending: int
    oldest: datetime | None
    dead_letters: int


# Pending statements and the oldest pending batch per target, and dead-letter rows.
_QUEUE_STATS = text(
    """
    SELECT t.id::text AS id,
           coalesce(q.pending, 0) AS pending, q.oldest,
           (SELECT count(*) FROM fwd_dead_letters d WHERE d.target_id = t.id) AS dead_letters
    FROM fwd_targets t
         LEFT JOIN (SELECT target_id, sum(cardinality(seqs)) AS pending,
                           min(created_at) AS oldest
                    FROM fwd_queue GROUP BY target_id) q ON q.target_id = t.id
    """
)


async def queue_stats(conn: AsyncConnection) -> dict[str, QueueStats]:
    rows = await conn.execute(_QUEUE_STATS)
    return {r.id: QueueStats(int(r.pending), r.oldest, int(r.dead_letters)) for r in rows}


# Take (or keep) the lease of every target with due work that no live process holds.
_CLAIM = text(
    """
    UPDATE fwd_targets t
    SET lease_owner = :owner, lease_until = now() + make_interval(secs => :ttl)
    WHERE NOT t.paused
      AND (t.lease_owner IS NULL OR t.lease_owner = :owner OR t.lease_until < now())
      AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= now())
      AND EXISTS (SELECT 1 FROM fwd_queue q WHERE q.target_id = t.id)
      AND NOT (t.id = ANY(CAST(:busy AS uuid[])))
    RETURNING t.id::text AS id
    """
).bindparams(bindparam("busy", type_=ARRAY(Text)))


async def claim_targets(
    conn: AsyncConnection, owner: str, ttl: float, busy: Sequence[str]
) -> list[str]:
    rows = await conn.execute(_CLAIM, {"owner": owner, "ttl": ttl, "busy": list(busy)})
    return [r.id for r in rows]


_RENEW = text(
    """
    UPDATE fwd_targets SET lease_until = now() + make_interval(secs => :ttl)
    WHERE lease_owner = :owner AND id = ANY(CAST(:ids AS uuid[])) RETURNING id::text AS id
    """
).bindparams(bindparam("ids", type_=ARRAY(Text)))


async def renew_leases(
    conn: AsyncConnection, owner: str, ttl: float, ids: Sequence[str]
) -> set[str]:
    """Extend the leases this process still holds; returns those (a lost one is not)."""
    if not ids:
        return set()
    rows = await conn.execute(_RENEW, {"owner": owner, "ttl": ttl, "ids": list(ids)})
    return {r.id for r in rows}


_RELEASE = text(
    "UPDATE fwd_targets SET lease_owner = NULL, lease_until = NULL "
    "WHERE lease_owner = :owner AND id = ANY(CAST(:ids AS uuid[]))"
).bindparams(bindparam("ids", type_=ARRAY(Text)))


async def release_leases(conn: AsyncConnection, owner: str, ids: Sequence[str]) -> None:
    await conn.execute(_RELEASE, {"owner": owner, "ids": list(ids)})


_HOLDS_LEASE = text("SELECT 1 FROM fwd_targets WHERE id = :id AND lease_owner = :owner FOR UPDATE")


async def holds_lease(conn: AsyncConnection, target_id: str, owner: str) -> bool:
    """True (and the target row locked until commit) when `owner` still holds the lease."""
    row = (await conn.execute(_HOLDS_LEASE, {"id": target_id, "owner": owner})).first()
    return row is not None


_NEXT_BATCHES = text(
    "SELECT id, seqs FROM fwd_queue WHERE target_id = :id ORDER BY id LIMIT :limit"
)


async def next_batches(
    conn: AsyncConnection, target_id: str, limit: int
) -> list[tuple[int, list[int]]]:
    rows = await conn.execute(_NEXT_BATCHES, {"id": target_id, "limit": limit})
    return [(r.id, list(r.seqs)) for r in rows]


@dataclass(frozen=True)
class Outgoing:
    seq: int
    payload: dict[str, Any]
    version: str
    verb: str
    activity: str | None
    activity_type: str | None
    door: str | None
    role: str | None


# The object's own definition type is read from the payload once it is parsed here (the
# statement is sent as that parsed payload); the stored definition's stands in when the
# statement carries none.
_STATEMENTS = text(
    f"""
    SELECT s.seq, s.payload, s.version, s.verb_id, s.object_activity_id,
           a.definition->>'type' AS known_type, tag.door, tag.role
    FROM statements s
         LEFT JOIN activities a ON a.activity_id = s.object_activity_id
         {EFFECTIVE_TAGS}
    WHERE s.seq = ANY(:seqs)
    ORDER BY s.stored, s.seq
    """  # noqa: S608 (fixed fragments only)
).bindparams(bindparam("seqs", type_=_BIGINTS))


def _own_activity_type(statement: Mapping[str, Any]) -> str | None:
    """`object.definition.type` of a statement, when it has one."""
    target = statement.get("object")
    definition = target.get("definition") if isinstance(target, Mapping) else None
    kind = definition.get("type") if isinstance(definition, Mapping) else None
    return kind if isinstance(kind, str) else None


async def statements_for(conn: AsyncConnection, seqs: Sequence[int]) -> list[Outgoing]:
    """The statements to send, in stored order, with what the filters look at."""
    rows = await conn.execute(_STATEMENTS, {"seqs": list(seqs)})
    outgoing = []
    for r in rows:
        payload = orjson.loads(r.payload)
        own = _own_activity_type(payload)
        activity_type = r.known_type if own is None else own
        outgoing.append(
            Outgoing(
                r.seq,
                payload,
                r.version,
                r.verb_id,
                r.object_activity_id,
                activity_type,
                r.door,
                r.role,
            )
        )
    return outgoing


_ACK = text("DELETE FROM fwd_queue WHERE target_id = :id AND id = ANY(:ids)").bindparams(
    bindparam("ids", type_=_BIGINTS)
)
_COUNT = text(
    """
    UPDATE fwd_targets
    SET delivered = delivered + :delivered, filtered = filtered + :filtered,
        dead = dead + :dead, attempts = 0, next_attempt_at = NULL, last_error = :error,
        last_delivered_at = CASE WHEN :delivered > 0 THEN now() ELSE last_delivered_at END
    WHERE id = :id
    """
)
_DEAD_LETTER = text(
    """
    INSERT INTO fwd_dead_letters (target_id, seqs, error, attempts)
    VALUES (:id, :seqs, :error, :attempts)
    """
).bindparams(bindparam("seqs", type_=_BIGINTS))


async def settle(
    conn: AsyncConnection,
    target_id: str,
    queue_ids: Sequence[int],
    *,
    delivered: int,
    filtered: int,
    dead: Sequence[int],
    error: str | None,
    attempts: int,
) -> None:
    """Acknowledge queue rows: count what was delivered or filtered, and dead-letter `dead`."""
    await conn.execute(_ACK, {"id": target_id, "ids": list(queue_ids)})
    if dead:
        await conn.execute(
            _DEAD_LETTER,
            {"id": target_id, "seqs": list(dead), "error": error or "", "attempts": attempts},
        )
    await conn.execute(
        _COUNT,
        {
            "id": target_id,
            "delivered": delivered,
            "filtered": filtered,
            "dead": len(dead),
            "error": error,
        },
    )


_RETRY_LATER = text(
    """
    UPDATE fwd_targets
    SET attempts = :attempts, retried = retried + 1, last_error = :error,
        next_attempt_at = now() + make_interval(secs => :delay),
        lease_owner = NULL, lease_until = NULL
    WHERE id = :id AND lease_owner = :owner
    """
)


async def retry_later(
    conn: AsyncConnection, target_id: str, owner: str, attempts: int, delay: float, error: str
) -> None:
    """Record a failed attempt; the target is due again after `delay` (lease released)."""
    await conn.execute(
        _RETRY_LATER,
        {"id": target_id, "owner": owner, "attempts": attempts, "delay": delay, "error": error},
    )


_DEAD_LETTERS = text(
    """
    SELECT id, seqs, error, attempts, created_at FROM fwd_dead_letters
    WHERE target_id = :id AND id > :after ORDER BY id LIMIT :limit
    """
)


@dataclass(frozen=True)
class DeadLetter:
    id: int
    statement_ids: list[str]
    error: str
    attempts: int
    created_at: datetime


_IDS_OF = text("SELECT seq, id::text AS id FROM statements WHERE seq = ANY(:seqs)").bindparams(
    bindparam("seqs", type_=_BIGINTS)
)


async def dead_letters(
    conn: AsyncConnection, target_id: str, after: int, limit: int
) -> list[DeadLetter]:
    rows = list(
        await conn.execute(_DEAD_LETTERS, {"id": target_id, "after": after, "limit": limit})
    )
    seqs = sorted({s for r in rows for s in r.seqs})
    ids = {r.seq: r.id for r in await conn.execute(_IDS_OF, {"seqs": seqs})} if seqs else {}
    return [
        DeadLetter(r.id, [ids[s] for s in r.seqs if s in ids], r.error, r.attempts, r.created_at)
        for r in rows
    ]


# Dead letters back into the queue, oldest first (all of them, or the listed ones).
_REPLAY_DEAD = text(
    """
    WITH moved AS (
        DELETE FROM fwd_dead_letters
        WHERE target_id = :id AND (cardinality(:only) = 0 OR id = ANY(:only))
        RETURNING id, seqs
    )
    INSERT INTO fwd_queue (target_id, seqs)
    SELECT :id, seqs FROM moved ORDER BY id
    RETURNING cardinality(seqs) AS n
    """
).bindparams(bindparam("only", type_=_BIGINTS))

# A stored-time range into the queue, in stored order, `size` statements per queue row.
_REPLAY_RANGE = text(
    """
    INSERT INTO fwd_queue (target_id, seqs)
    SELECT :id, array_agg(seq ORDER BY rn)
    FROM (SELECT seq, row_number() OVER (ORDER BY stored, seq) AS rn
          FROM statements
          WHERE stored >= :since AND stored < :until) AS r
    GROUP BY (rn - 1) / :size
    ORDER BY (rn - 1) / :size
    RETURNING cardinality(seqs) AS n
    """
)
_RESET = text("UPDATE fwd_targets SET attempts = 0, next_attempt_at = NULL WHERE id = :id")


async def replay_dead(conn: AsyncConnection, target_id: str, only: Sequence[int]) -> int:
    rows = await conn.execute(_REPLAY_DEAD, {"id": target_id, "only": list(only)})
    await conn.execute(_RESET, {"id": target_id})
    return sum(r.n for r in rows)


async def replay_range(
    conn: AsyncConnection, target_id: str, since: datetime, until: datetime, size: int
) -> int:
    params = {"id": target_id, "since": since, "until": until, "size": size}
    rows = await conn.execute(_REPLAY_RANGE, params)
    await conn.execute(_RESET, {"id": target_id})
    return sum(r.n for r in rows)


_KEY = text("SELECT key FROM fwd_key WHERE id = 1")
_NEW_KEY = text("INSERT INTO fwd_key (id, key) VALUES (1, :key) ON CONFLICT (id) DO NOTHING")


async def stored_key(conn: AsyncConnection, candidate: str) -> str:
    """The generated secret key, storing `candidate` the first time (every process agrees)."""
    await conn.execute(_NEW_KEY, {"key": candidate})
    key: str = (await conn.execute(_KEY)).scalar_one()
    return key
