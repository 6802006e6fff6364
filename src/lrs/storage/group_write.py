"""SQL of a group of one-statement writes in one command (`lrs_write_group`, migration 0015).

Sent on a connection outside any transaction: the command's own implicit transaction is
committed before its answer arrives, so a group is written, durably, in one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.database import driver_connection
from lrs.storage.statements import INGEST_LOCK_KEY

_WRITE_GROUP = """
    SELECT written, through_at, seqs_json
    FROM lrs_write_group($1::text[], $2::bigint, $3::text[], $4::text[], $5::text, $6::text,
                         $7::text[], $8::text, $9::text[], $10::text[], $11::text[],
                         $12::text[])
    """


@dataclass(frozen=True)
class GroupRow:
    """One statement of a group: its columns, and its payload as JSON text without `stored`,
    nor `timestamp` when `timestamp` is None (the statement had none): the function writes
    both from the instant it takes."""

    id: str
    timestamp: datetime | None
    verb_id: str
    actor_key: str | None
    object_activity_id: str | None
    registration: str | None
    authority_key: str
    version: str
    payload_json: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class GroupChecks:
    """What the group was built on, which the function checks before writing anything:
    credentials ((key, version) pairs) unrevoked and unchanged, agents known with these
    names (key -> names), activities' definitions at these versions (id -> `xmin`)."""

    credentials: Sequence[tuple[str, str]]
    agent_names: dict[str, list[str]]
    activity_versions: dict[str, str]


@dataclass(frozen=True)
class GroupWritten:
    """`seqs`: id -> seq of the rows written (an id already stored is absent)."""

    seqs: dict[str, int]
    consistent_through: datetime


def _row_object(n: int, row: GroupRow) -> dict[str, Any]:
    return {
        "n": n,
        "id": row.id,
        "timestamp": None if row.timestamp is None else row.timestamp.isoformat(),
        "verb_id": row.verb_id,
        "actor_key": row.actor_key,
        "object_activity_id": row.object_activity_id,
        "registration": row.registration,
        "authority_key": row.authority_key,
        "version": row.version,
    }


async def write_group(
    conn: AsyncConnection, rows: Sequence[GroupRow], *, checks: GroupChecks, tags_json: str
) -> GroupWritten | None:
    """Write the group in one command, or None when a check declined it (nothing written).
    `tags_json`: the door and role the statements carry, as `lrs.ext.storage.tags` reads
    them (a list of {id, door, role})."""
    agent_keys = sorted(checks.agent_names)
    activity_ids = sorted(checks.activity_versions)
    driver = await driver_connection(conn)
    result = await driver.fetchrow(
        _WRITE_GROUP,
        [row.id for row in rows],
        INGEST_LOCK_KEY,
        [key for key, _ in checks.credentials],
        [version for _, version in checks.credentials],
        orjson.dumps([_row_object(n, row) for n, row in enumerate(rows)]).decode(),
        orjson.dumps([{"id": row.id, "term": term} for row in rows for term in row.terms]).decode(),
        [row.payload_json for row in rows],
        tags_json,
        agent_keys,
        [orjson.dumps(checks.agent_names[key]).decode() for key in agent_keys],
        activity_ids,
        [checks.activity_versions[i] for i in activity_ids],
    )
    if not result["written"]:
        return None
    return GroupWritten(orjson.loads(result["seqs_json"]), result["through_at"])


_ACTIVITY_VERSIONS = """
    SELECT activity_id, definition::text AS definition, xmin::text AS version
    FROM activities WHERE activity_id = ANY($1::text[])
    """


async def activity_versions(
    conn: AsyncConnection, ids: Sequence[str]
) -> dict[str, tuple[dict[str, Any] | None, str]]:
    """id -> (canonical definition, version) of the stored activities among `ids`."""
    driver = await driver_connection(conn)
    rows = await driver.fetch(_ACTIVITY_VERSIONS, list(ids))
    return {
        row["activity_id"]: (
            orjson.loads(row["definition"]) if row["definition"] else None,
            row["version"],
        )
        for row in rows
    }
