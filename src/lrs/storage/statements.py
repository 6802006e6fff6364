"""SQL for statements: bulk writes in a fixed number of round trips, keyset-paged reads.

Repositories never commit; `lrs.services.statements` owns the transaction. Every write takes
whole batches as column arrays (``unnest``), so one POST costs the same number of round trips
whatever its size. Shared rows (agents, activities) are written in sorted key order so that
concurrent batches cannot deadlock each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ARRAY, BigInteger, Boolean, DateTime, LargeBinary, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.errors import BadRequest
from lrs.storage.database import UNSTORABLE_CHARACTER, driver_connection
from lrs.xapi.terms import RELATED_AGENT

_TEXTS = ARRAY(Text)
_TIMES = ARRAY(DateTime(timezone=True))
_BIGINTS = ARRAY(BigInteger)
_BOOLS = ARRAY(Boolean)


@dataclass(frozen=True)
class NewStatement:
    """A prepared statement and the columns derived from it."""

    id: str
    stored: datetime
    timestamp: datetime
    verb_id: str
    actor_key: str | None
    object_activity_id: str | None
    registration: str | None
    statement_ref_id: str | None
    is_voiding: bool
    authority_key: str
    version: str
    payload: dict[str, Any]
    terms: tuple[str, ...]


class StoredRow(NamedTuple):
    """A stored statement as read: a tuple, so a page's rows are built from the driver's
    records at half the cost of a frozen dataclass (about 20 us a page of 100)."""

    seq: int
    stored: datetime
    payload_json: str


_EXISTING = text(
    "SELECT id::text AS id, payload FROM statements WHERE id = ANY(CAST(:ids AS uuid[]))"
).bindparams(bindparam("ids", type_=_TEXTS))

# Every write holds this advisory lock (shared) from its first command to its end. A writer
# that must not interleave with statement ingest (the door/role roster of `lrs.ext`, whose
# re-tagging must see every statement an ingest tags without it) takes it exclusively.
INGEST_LOCK_KEY = 7_300_103

# The first command of a write, `lrs_begin_write` (migration 0012) and its plan settings.
# `through` (`lrs_consistent_through()`, migration 0017): no other statement write open now
# started earlier, and any write starting later takes a later `stored`, so once this one
# commits every statement stored before `through` is queryable (ORD-008). A write takes its
# transaction id before it takes `stored` (`clock_timestamp()` inside the write), and the id
# is cleared only after its commit is visible; transactions without one (reads) are not
# counted. A reader that does not count a write therefore either sees its commit or read the
# activity before that write took `stored`, that is after the reader's own `now()`, which
# bounds `through`. Hence no safety margin, and no long read holding it back: it stays as
# recent as it can be (STR-R-009).
# `referenced`: which of the batch's ids stored statements already point at (StatementRef
# objects), and whether one of those is a voiding statement, so that voiding (ST-VOID-006)
# and StatementRef terms (STR-Q-025) are applied only when they can apply. `confirmed`:
# which remembered credentials are unrevoked and unchanged (`lrs.auth.authenticator`). All
# of it costs one round trip.
#
# The function keeps its own query's plan (generic, planned once per connection). This
# command also sets how the rest of the write transaction is planned. Its commands are the
# same few statements, each a probe or an insert by key, sent thousands of times a minute:
# planned once per connection (generic plans) they cost the database a third less CPU per
# one-statement write than planned again each time (custom plans, the pool's default for
# every other query, `lrs.storage.database`). A generic plan made while a table was small
# could keep a whole-table scan while it grows (until autovacuum's ANALYZE replans it), so
# they are also planned without sequential scans wherever an index can serve. The settings
# are made after the function has returned (its own settings end with it).
# Sent on the driver connection (`driver_connection`), as the insert below: every write
# starts with it.
_BEGIN_WRITE = """
    SELECT w.stored_at, w.through_at, w.existing_json, w.referenced_json, w.confirmed,
           set_config('plan_cache_mode', 'force_generic_plan', true) AS generic_plans,
           set_config('enable_seqscan', 'off', true) AS indexed_plans
    FROM lrs_begin_write($1::text[], $2::bigint, $3::text[], $4::text[]) AS w
    """


@dataclass(frozen=True)
class WriteStart:
    """What a write learns in its first command.

    `existing`: stored payloads among the ids; `referenced`: id -> True when a stored
    voiding statement targets it, False when only other StatementRefs do; `confirmed`: the
    (key, version) pairs among the credentials to check whose row is unrevoked and at that
    version (a group may carry two versions of one credential)."""

    stored: datetime
    consistent_through: datetime
    existing: dict[str, dict[str, Any]]
    referenced: dict[str, bool]
    confirmed: frozenset[tuple[str, str]]


async def begin_write(
    conn: AsyncConnection, ids: Sequence[str], credentials: Sequence[tuple[str, str]] = ()
) -> WriteStart:
    """The first command of a write: sets how the write is planned (above), takes the ingest
    lock (shared), the `stored` instant (taken inside the transaction, so Consistent-Through
    can account for it), a Consistent-Through value valid once this transaction commits,
    what is already stored about `ids`, and which of the `credentials` ((key, version)
    pairs) are as remembered (`lrs.auth.authenticator`)."""
    driver = await driver_connection(conn)
    row = await driver.fetchrow(
        _BEGIN_WRITE,
        list(ids),
        INGEST_LOCK_KEY,
        [key for key, _ in credentials],
        [version for _, version in credentials],
    )
    return WriteStart(
        row["stored_at"],
        row["through_at"],
        orjson.loads(row["existing_json"]),
        orjson.loads(row["referenced_json"]),
        frozenset(credentials[n - 1] for n in row["confirmed"]),
    )


async def existing_payloads(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = await conn.execute(_EXISTING, {"ids": list(ids)})
    return {row.id: orjson.loads(row.payload) for row in rows}


# New statements and their query terms in one statement (the terms join the RETURNING rows,
# so an id a concurrent writer stored first gets neither), plus the canonical definitions
# and agent names the batch mentions, which the caller compares with what it carries.
#
# The rows and terms travel as two JSON documents rather than a dozen column arrays: the
# driver checks every element of an array parameter against abstract base classes, which
# cost more per statement than the whole insert's parsing here (`insert_batch` builds them
# with one orjson call each). Each row (and term) is an object whose keys are the columns
# of a `jsonb_to_recordset` list below, with their types: that list is the one declaration
# of the row's columns, matched by name (`_row_object` builds the objects; a test holds the
# two to the same names). The payloads are the one array ($5, in row order), stored as the
# text sent (migration 0016): inside the rows' document, each was parsed into the
# document's jsonb and copied out of it again.
# It is sent on the driver connection (`driver_connection`): the hottest statement of all.
# The writes of `InsertStep`s (tags, the forwarding outbox) join it as further CTEs where
# the marker stands.
_STEPS_MARKER = "-- insert steps"
_INSERT_BATCH = """
    WITH new AS (
        INSERT INTO statements (id, stored, timestamp, verb_id, actor_key, object_activity_id,
                                registration, statement_ref_id, is_voiding, voided,
                                authority_key, version, payload)
        SELECT id, stored, timestamp, verb_id, actor_key, object_activity_id, registration,
               statement_ref_id, is_voiding, voided, authority_key, version, p.payload
        FROM jsonb_to_recordset(CAST($1::text AS jsonb)) AS r(
            n integer, id uuid, stored timestamptz, timestamp timestamptz, verb_id text,
            actor_key text, object_activity_id text, registration uuid, statement_ref_id uuid,
            is_voiding boolean, voided boolean, authority_key text, version text)
             JOIN unnest($5::text[]) WITH ORDINALITY AS p(payload, k) ON p.k = r.n + 1
        ORDER BY n
        ON CONFLICT (id) DO NOTHING
        RETURNING id, seq, stored, actor_key, timestamp, hashtextextended(verb_id, 0) AS verb_key
    ), terms AS (
        INSERT INTO statement_terms (term, stored, seq, verb_key)
        SELECT t.term, new.stored, new.seq, new.verb_key
        FROM jsonb_to_recordset(CAST($2::text AS jsonb)) AS t(id uuid, term text)
             JOIN new ON new.id = t.id
    ) -- insert steps
    SELECT (SELECT coalesce(jsonb_object_agg(id::text, seq), '{}'::jsonb) FROM new)::text
               AS seqs,
           (SELECT coalesce(jsonb_object_agg(activity_id, definition), '{}'::jsonb)
            FROM activities WHERE activity_id = ANY($3::text[]))::text AS activities,
           (SELECT coalesce(jsonb_object_agg(ifi_key, to_jsonb(names)), '{}'::jsonb)
            FROM agents WHERE ifi_key = ANY($4::text[]))::text AS agents
    """


# U+0000 in a payload's JSON text: the escape `\u0000` after an even number of backslashes
# (an odd number makes the text "\u0000" itself, which is storable).
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def payload_text(payload: Mapping[str, Any]) -> str:
    """A statement's JSON text as the payload column stores it (migration 0016). U+0000 is
    refused, as PostgreSQL refused it in the jsonb it was stored as before: the SQL that reads
    inside payloads (BI views, service proof, forwarding) casts them to jsonb, which cannot
    hold it."""
    text = orjson.dumps(payload).decode()
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise BadRequest(UNSTORABLE_CHARACTER)
    return text


def _row_object(n: int, s: NewStatement, voided: bool) -> dict[str, Any]:
    """One row of `_INSERT_BATCH`, keyed by its record columns; `n` keeps batch order and
    finds the row's payload (`n + 1` in the payloads' array)."""
    return {
        "n": n,
        "id": s.id,
        "stored": s.stored.isoformat(),
        "timestamp": s.timestamp.isoformat(),
        "verb_id": s.verb_id,
        "actor_key": s.actor_key,
        "object_activity_id": s.object_activity_id,
        "registration": s.registration,
        "statement_ref_id": s.statement_ref_id,
        "is_voiding": s.is_voiding,
        "voided": voided,
        "authority_key": s.authority_key,
        "version": s.version,
    }


@dataclass(frozen=True)
class InsertStep:
    """A write that rides on the insert of statements, in the same command (no round trip
    of its own): `sql` is one data-modifying statement, run as a CTE of the insert, that may
    read `new` (id, seq, stored, actor_key, timestamp, verb_key: the rows written, without
    those a concurrent writer stored first) and `$document`, its one parameter: `document`,
    JSON text, when it has one. Its failure fails the insert."""

    sql: str
    document: str | None = None


def _with_steps(steps: Sequence[InsertStep], first_parameter: int) -> tuple[str, list[str]]:
    """`_INSERT_BATCH` with the steps' CTEs, and the steps' documents as the parameters
    numbered from `first_parameter`."""
    ctes: list[str] = []
    documents: list[str] = []
    for index, step in enumerate(steps):
        sql = step.sql
        if step.document is not None:
            documents.append(step.document)
            sql = sql.replace("$document", f"${first_parameter + len(documents) - 1}::text")
        ctes.append(f", step_{index} AS ({sql})")
    return _INSERT_BATCH.replace(_STEPS_MARKER, "".join(ctes)), documents


@dataclass(frozen=True)
class BatchWritten:
    """`seqs`: id -> seq of the rows written (an id a concurrent writer stored first is
    absent); `activities` / `agent_names`: what is stored for the ids and keys asked about."""

    seqs: dict[str, int]
    activities: dict[str, dict[str, Any] | None]
    agent_names: dict[str, list[str]]


async def insert_batch(
    conn: AsyncConnection,
    statements: Sequence[NewStatement],
    *,
    voided: frozenset[str] | set[str],
    activity_ids: Sequence[str],
    agent_keys: Sequence[str],
    steps: Sequence[InsertStep] = (),
) -> BatchWritten:
    """Insert new statements (those in `voided` already voided) with their query terms and
    the writes of `steps`, and read the activities' definitions and agents' names, in one
    round trip."""
    rows = [_row_object(n, s, s.id in voided) for n, s in enumerate(statements)]
    terms = [{"id": s.id, "term": term} for s in statements for term in s.terms]
    payloads = [payload_text(s.payload) for s in statements]
    sql, documents = _with_steps(steps, first_parameter=6) if steps else (_INSERT_BATCH, [])
    driver = await driver_connection(conn)
    row = await driver.fetchrow(
        sql,
        orjson.dumps(rows).decode(),
        orjson.dumps(terms).decode(),
        list(activity_ids),
        list(agent_keys),
        payloads,
        *documents,
    )
    return BatchWritten(
        orjson.loads(row["seqs"]), orjson.loads(row["activities"]), orjson.loads(row["agents"])
    )


_APPLY_VOIDING = text(
    """
    UPDATE statements SET voided = true
    WHERE id = ANY(CAST(:targets AS uuid[])) AND NOT is_voiding AND NOT voided
    """
).bindparams(bindparam("targets", type_=_TEXTS))


async def apply_voiding(conn: AsyncConnection, targets: Sequence[str]) -> None:
    """Mark stored statements voided by new voiding statements (ST-VOID-003, 004); a voiding
    statement itself cannot be voided. New statements that a voiding statement already
    targets are written voided by `insert_batch`."""
    if targets:
        await conn.execute(_APPLY_VOIDING, {"targets": list(targets)})


_CUSTOM_PLANS = text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('enable_seqscan', 'on', true)"
)

_PROPAGATE_REFS = text(
    """
    WITH RECURSIVE chain(seq, stored, source) AS (
        (SELECT r.seq, r.stored, tgt.seq
         FROM statements r JOIN statements tgt ON r.statement_ref_id = tgt.id
         WHERE r.seq = ANY(:referrers) AND r.statement_ref_id IS NOT NULL
         UNION
         SELECT r.seq, r.stored, tgt.seq
         FROM statements tgt JOIN statements r ON r.statement_ref_id = tgt.id
         WHERE tgt.seq = ANY(:targets))
        UNION
        SELECT r.seq, r.stored, c.source
        FROM chain c JOIN statements mid ON mid.seq = c.seq
             JOIN statements r ON r.statement_ref_id = mid.id
    )
    INSERT INTO statement_terms (term, stored, seq, verb_key)
    SELECT t.term, c.stored, c.seq, t.verb_key
    FROM chain c JOIN statement_terms t ON t.seq = c.source
    WHERE c.seq <> c.source
    UNION ALL
    SELECT :ragent || src.authority_key, c.stored, c.seq, hashtextextended(src.verb_id, 0)
    FROM chain c JOIN statements src ON src.seq = c.source
    WHERE c.seq <> c.source AND src.authority_key <> ''
    ON CONFLICT DO NOTHING
    """
).bindparams(
    bindparam("referrers", type_=_BIGINTS),
    bindparam("targets", type_=_BIGINTS),
    bindparam("ragent", RELATED_AGENT),
)


async def propagate_statement_refs(
    conn: AsyncConnection, *, referrers: Sequence[int], targets: Sequence[int]
) -> None:
    """A statement whose object is a StatementRef matches the filters its target matches
    (STR-Q-025): copy the target's terms, and its authority as a `ragent:` term (which the
    target itself does not store, `lrs.xapi.terms`), with the target's verb key onto the
    referrer, along whole chains, whichever of the two arrived first. `referrers`: new statements
    whose object is a StatementRef; `targets`: new statements that earlier statements may
    already reference."""
    if referrers or targets:
        # Planned for these seqs, as outside a write (`begin_write` sets generic plans):
        # a generic plan joins the chain with the whole terms index.
        await conn.execute(_CUSTOM_PLANS)
        await conn.execute(
            _PROPAGATE_REFS, {"referrers": list(referrers), "targets": list(targets)}
        )


_ACTIVITY_DEFS = text(
    "SELECT activity_id, definition::text AS definition FROM activities "
    "WHERE activity_id = ANY(:ids)"
).bindparams(bindparam("ids", type_=_TEXTS))

_ACTIVITY_DEFS_LOCKED = text(
    "SELECT activity_id, definition::text AS definition FROM activities "
    "WHERE activity_id = ANY(:ids) ORDER BY activity_id FOR UPDATE"
).bindparams(bindparam("ids", type_=_TEXTS))


async def activity_definitions(
    conn: AsyncConnection, ids: Sequence[str], *, for_update: bool = False
) -> dict[str, dict[str, Any] | None]:
    """The canonical definitions of these activities; unknown ids are absent. With
    `for_update` the rows are locked, in id order, until the transaction ends."""
    if not ids:
        return {}
    query = _ACTIVITY_DEFS_LOCKED if for_update else _ACTIVITY_DEFS
    rows = await conn.execute(query, {"ids": list(ids)})
    return {
        row.activity_id: (orjson.loads(row.definition) if row.definition else None) for row in rows
    }


_INSERT_MISSING_ACTIVITIES = text(
    """
    INSERT INTO activities (activity_id)
    SELECT id FROM unnest(:ids) AS a(id) ORDER BY id
    ON CONFLICT (activity_id) DO NOTHING
    """
).bindparams(bindparam("ids", type_=_TEXTS))


async def insert_missing_activities(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """Create rows (without definitions) for unknown activity ids, so they can be locked."""
    await conn.execute(_INSERT_MISSING_ACTIVITIES, {"ids": sorted(ids)})


_UPSERT_ACTIVITIES = text(
    """
    INSERT INTO activities (activity_id, definition, updated)
    SELECT id, CAST(def AS jsonb), now() FROM unnest(:ids, :defs) AS a(id, def) ORDER BY id
    ON CONFLICT (activity_id) DO UPDATE
        SET definition = excluded.definition, updated = excluded.updated
    """
).bindparams(bindparam("ids", type_=_TEXTS), bindparam("defs", type_=_TEXTS))


async def upsert_activities(
    conn: AsyncConnection, definitions: dict[str, dict[str, Any] | None]
) -> None:
    """Write new or changed canonical definitions, in sorted id order (no deadlocks)."""
    if not definitions:
        return
    ids = sorted(definitions)
    defs = [None if definitions[i] is None else orjson.dumps(definitions[i]).decode() for i in ids]
    await conn.execute(_UPSERT_ACTIVITIES, {"ids": ids, "defs": defs})


_UPSERT_AGENTS = text(
    """
    INSERT INTO agents (ifi_key, ifi, names)
    SELECT key, CAST(ifi AS jsonb), ARRAY(SELECT jsonb_array_elements_text(CAST(names AS jsonb)))
    FROM unnest(:keys, :ifis, :names) AS a(key, ifi, names) ORDER BY key
    ON CONFLICT (ifi_key) DO UPDATE
        SET names = (SELECT coalesce(array_agg(DISTINCT n ORDER BY n), '{}')
                     FROM unnest(agents.names || excluded.names) AS n)
    """
).bindparams(
    bindparam("keys", type_=_TEXTS),
    bindparam("ifis", type_=_TEXTS),
    bindparam("names", type_=_TEXTS),
)


async def upsert_agents(
    conn: AsyncConnection, agents: dict[str, tuple[dict[str, Any], list[str]]]
) -> None:
    """Record new agents and new names of known ones (key -> (ifi, names)), in key order."""
    if not agents:
        return
    keys = sorted(agents)
    await conn.execute(
        _UPSERT_AGENTS,
        {
            "keys": keys,
            "ifis": [orjson.dumps(agents[k][0]).decode() for k in keys],
            "names": [orjson.dumps(agents[k][1]).decode() for k in keys],
        },
    )


_INSERT_ATTACHMENTS = text(
    """
    INSERT INTO attachments (sha2, content_type, length, content)
    SELECT sha2, ctype, len, content FROM unnest(:sha2s, :ctypes, :lens, :contents)
        AS a(sha2, ctype, len, content)
    ORDER BY sha2
    ON CONFLICT (sha2) DO NOTHING
    """
).bindparams(
    bindparam("sha2s", type_=_TEXTS),
    bindparam("ctypes", type_=_TEXTS),
    bindparam("lens", type_=_BIGINTS),
    bindparam("contents", type_=ARRAY(LargeBinary)),
)


async def store_attachments(conn: AsyncConnection, parts: Sequence[tuple[str, str, bytes]]) -> None:
    """Store attachment payloads once per hash (sha2, content type, bytes)."""
    if not parts:
        return
    ordered = sorted(parts)
    await conn.execute(
        _INSERT_ATTACHMENTS,
        {
            "sha2s": [p[0] for p in ordered],
            "ctypes": [p[1] for p in ordered],
            "lens": [len(p[2]) for p in ordered],
            "contents": [p[2] for p in ordered],
        },
    )


_ATTACHMENTS = text(
    "SELECT sha2, content_type, content FROM attachments WHERE sha2 = ANY(:sha2s) ORDER BY sha2"
).bindparams(bindparam("sha2s", type_=_TEXTS))


async def load_attachments(
    conn: AsyncConnection, sha2s: Sequence[str]
) -> list[tuple[str, str, bytes]]:
    if not sha2s:
        return []
    rows = await conn.execute(_ATTACHMENTS, {"sha2s": list(sha2s)})
    return [(row.sha2, row.content_type, bytes(row.content)) for row in rows]
