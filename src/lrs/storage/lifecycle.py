"""SQL of erasure and purge: which rows name a person or are older than a bound, their
counts, and their deletion.

Deleting a statement row removes its query terms and door/role tags with it (foreign keys
ON DELETE CASCADE). Attachment payloads are shared by hash, so one is deleted only when no
remaining statement lists it. Repositories never commit: `lrs.services.erasure` and
`lrs.services.purge` own the transactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, Integer, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.statements import INGEST_LOCK_KEY
from lrs.xapi.terms import AGENT, RELATED_AGENT, spellings

_TEXTS = ARRAY(Text)
_BIGINTS = ARRAY(BigInteger)

# The daily retention purge runs in one process of one node at a time (session lock).
RETENTION_LOCK_KEY = 7_300_104

_LOCK_INGEST = text("SELECT pg_advisory_xact_lock(:key)").bindparams(
    bindparam("key", type_=BigInteger)
)


async def lock_out_ingest(conn: AsyncConnection) -> None:
    """Take the ingest lock exclusively until the transaction ends: batches in flight finish
    first, new ones wait. Taken before any row is touched (as every writer takes it first),
    so it cannot deadlock with them."""
    await conn.execute(_LOCK_INGEST, {"key": INGEST_LOCK_KEY})


# The agents whose pseudonym (the BI `actor_key`) is :pseudonym. Computed as the BI view
# computes it, over every place an identified agent is kept.
_BY_PSEUDONYM = text(
    """
    SELECT DISTINCT x.key FROM (
        SELECT ifi_key AS key FROM agents
        UNION SELECT actor_key FROM ext_roster
        UNION SELECT agent_key FROM documents WHERE agent_key <> ''
    ) AS x, ext_pseudonym_key k
    WHERE k.id = 1
      AND encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(x.key, 'UTF8'))),
                 'hex') = :pseudonym
    """
)


async def keys_of_pseudonym(conn: AsyncConnection, pseudonym: str) -> list[str]:
    rows = await conn.execute(_BY_PSEUDONYM, {"pseudonym": pseudonym})
    return sorted(row[0] for row in rows)


# Every statement naming the agent anywhere (its `ragent:` term: object, context agents and
# groups, members, SubStatements; its `agent:` term, under which an actor or object is
# stored alone; or its authority, which the statements table holds, `lrs.xapi.terms`), then
# every statement that targets one of those through a StatementRef, along whole chains.
_NAMING = text(
    """
    WITH RECURSIVE hit(seq) AS (
        SELECT seq FROM statement_terms WHERE term = ANY(:terms)
        UNION
        SELECT seq FROM statements WHERE authority_key = ANY(:keys)
        UNION
        SELECT r.seq FROM hit h JOIN statements t ON t.seq = h.seq
             JOIN statements r ON r.statement_ref_id = t.id
    )
    SELECT coalesce(array_agg(seq ORDER BY seq), '{}') FROM hit
    """
).bindparams(bindparam("terms", type_=_TEXTS), bindparam("keys", type_=_TEXTS))


async def statements_naming(conn: AsyncConnection, agent_keys: Sequence[str]) -> list[int]:
    terms = [term for key in agent_keys for term in spellings(RELATED_AGENT + key)]
    params = {"terms": terms, "keys": list(agent_keys)}
    seqs: list[int] = (await conn.execute(_NAMING, params)).scalar_one()
    return list(seqs)


_OLDEST = text(
    """
    SELECT coalesce(array_agg(seq), '{}') FROM (
        SELECT seq FROM statements WHERE stored < :before ORDER BY stored, seq LIMIT :limit
    ) AS o
    """
).bindparams(bindparam("before", type_=DateTime(timezone=True)), bindparam("limit", type_=Integer))


async def oldest_before(conn: AsyncConnection, before: datetime, limit: int) -> list[int]:
    """Up to `limit` statements stored before `before`, oldest first (one index walk)."""
    seqs: list[int] = (await conn.execute(_OLDEST, {"before": before, "limit": limit})).scalar_one()
    return list(seqs)


_COUNT_BEFORE = text("SELECT count(*) FROM statements WHERE stored < :before").bindparams(
    bindparam("before", type_=DateTime(timezone=True))
)


async def count_before(conn: AsyncConnection, before: datetime) -> int:
    count: int = (await conn.execute(_COUNT_BEFORE, {"before": before})).scalar_one()
    return count


_TAGS = text("SELECT count(*) FROM ext_tags WHERE seq = ANY(:seqs)").bindparams(
    bindparam("seqs", type_=_BIGINTS)
)


async def count_tags(conn: AsyncConnection, seqs: list[int]) -> int:
    count: int = (await conn.execute(_TAGS, {"seqs": seqs})).scalar_one()
    return count


# Attachment payloads (of the statement or of its SubStatement, the view
# `statement_attachments` of migration 0011) listed by the doomed statements (:seqs, or
# everything stored before :before) that no other statement lists. The second query scans
# every statement with attachments; it runs only when the first finds some.
_LISTED_BY = text(
    "SELECT DISTINCT sha2 FROM statement_attachments WHERE seq = ANY(:seqs)"
).bindparams(bindparam("seqs", type_=_BIGINTS))
_LISTED_BEFORE = text(
    "SELECT DISTINCT sha2 FROM statement_attachments WHERE stored < :before"
).bindparams(bindparam("before", type_=DateTime(timezone=True)))
_STILL_LISTED_BESIDES = text(
    "SELECT DISTINCT sha2 FROM statement_attachments "
    "WHERE NOT (seq = ANY(:seqs)) AND sha2 = ANY(:sha2s)"
).bindparams(bindparam("seqs", type_=_BIGINTS), bindparam("sha2s", type_=_TEXTS))
_STILL_LISTED_SINCE = text(
    "SELECT DISTINCT sha2 FROM statement_attachments WHERE stored >= :before AND sha2 = ANY(:sha2s)"
).bindparams(bindparam("before", type_=DateTime(timezone=True)), bindparam("sha2s", type_=_TEXTS))

_STORED_ATTACHMENTS = text(
    "SELECT coalesce(array_agg(sha2 ORDER BY sha2), '{}') FROM attachments WHERE sha2 = ANY(:sha2s)"
).bindparams(bindparam("sha2s", type_=_TEXTS))


async def orphaned_attachments(
    conn: AsyncConnection, *, seqs: list[int] | None = None, before: datetime | None = None
) -> list[str]:
    """Stored payloads that only the doomed statements list: those in `seqs`, or (a purge's
    dry run) every statement stored before `before`."""
    params: dict[str, object]
    if seqs is not None:
        listed_q, still_q, params = _LISTED_BY, _STILL_LISTED_BESIDES, {"seqs": seqs}
    else:
        listed_q, still_q, params = _LISTED_BEFORE, _STILL_LISTED_SINCE, {"before": before}
    listed = [row[0] for row in await conn.execute(listed_q, params) if row[0]]
    if not listed:
        return []
    still = {row[0] for row in await conn.execute(still_q, {**params, "sha2s": listed})}
    candidates = sorted(set(listed) - still)
    stored: list[str] = (
        await conn.execute(_STORED_ATTACHMENTS, {"sha2s": candidates})
    ).scalar_one()
    return list(stored)


# Identified agents named by the doomed statements that no other statement names (their
# Agents-resource record goes with the statements), by any way of naming (`ragent:`,
# `agent:` for an actor or object, or as the authority, `lrs.xapi.terms`).
_LONELY_AGENTS = text(
    """
    SELECT coalesce(array_agg(a.ifi_key ORDER BY a.ifi_key), '{}') FROM agents a
    WHERE a.ifi_key IN (SELECT substr(t.term, length(:ragent) + 1) FROM statement_terms t
                        WHERE t.seq = ANY(:seqs) AND starts_with(t.term, :ragent)
                        UNION
                        SELECT substr(t.term, length(:agent) + 1) FROM statement_terms t
                        WHERE t.seq = ANY(:seqs) AND starts_with(t.term, :agent)
                        UNION
                        SELECT s.authority_key FROM statements s WHERE s.seq = ANY(:seqs))
      AND NOT EXISTS (SELECT 1 FROM statement_terms o
                      WHERE o.term IN (:ragent || a.ifi_key, :agent || a.ifi_key)
                        AND NOT (o.seq = ANY(:seqs)))
      AND NOT EXISTS (SELECT 1 FROM statements o
                      WHERE o.authority_key = a.ifi_key AND NOT (o.seq = ANY(:seqs)))
    """
).bindparams(
    bindparam("seqs", type_=_BIGINTS), bindparam("ragent", RELATED_AGENT), bindparam("agent", AGENT)
)


async def lonely_agents(conn: AsyncConnection, seqs: list[int]) -> list[str]:
    keys: list[str] = (await conn.execute(_LONELY_AGENTS, {"seqs": seqs})).scalar_one()
    return list(keys)


# The purge's dry run: agents whose every naming statement is older than :before.
_LONELY_AGENTS_BEFORE = text(
    """
    SELECT count(*) FROM agents a
    WHERE (EXISTS (SELECT 1 FROM statement_terms t
                   WHERE t.term IN (:ragent || a.ifi_key, :agent || a.ifi_key)
                     AND t.stored < :before)
           OR EXISTS (SELECT 1 FROM statements s
                      WHERE s.authority_key = a.ifi_key AND s.stored < :before))
      AND NOT EXISTS (SELECT 1 FROM statement_terms o
                      WHERE o.term IN (:ragent || a.ifi_key, :agent || a.ifi_key)
                        AND o.stored >= :before)
      AND NOT EXISTS (SELECT 1 FROM statements o
                      WHERE o.authority_key = a.ifi_key AND o.stored >= :before)
    """
).bindparams(
    bindparam("before", type_=DateTime(timezone=True)),
    bindparam("ragent", RELATED_AGENT),
    bindparam("agent", AGENT),
)


async def count_lonely_agents_before(conn: AsyncConnection, before: datetime) -> int:
    count: int = (await conn.execute(_LONELY_AGENTS_BEFORE, {"before": before})).scalar_one()
    return count


_COUNT_PERSON = text(
    """
    SELECT (SELECT count(*) FROM documents WHERE kind = 'state' AND agent_key = ANY(:keys)),
           (SELECT count(*) FROM documents WHERE kind = 'agent_profile'
                AND agent_key = ANY(:keys)),
           (SELECT count(*) FROM ext_roster WHERE actor_key = ANY(:keys)),
           (SELECT count(*) FROM agents WHERE ifi_key = ANY(:keys))
    """
).bindparams(bindparam("keys", type_=_TEXTS))


@dataclass(frozen=True)
class PersonRows:
    state_documents: int
    agent_profiles: int
    roster_assignments: int
    agents: int


async def count_person_rows(conn: AsyncConnection, keys: Sequence[str]) -> PersonRows:
    """The person's documents, roster assignments and Agents-resource record."""
    row = (await conn.execute(_COUNT_PERSON, {"keys": list(keys)})).one()
    return PersonRows(row[0], row[1], row[2], row[3])


_DELETE_STATEMENTS = text("DELETE FROM statements WHERE seq = ANY(:seqs)").bindparams(
    bindparam("seqs", type_=_BIGINTS)
)
_DELETE_ATTACHMENTS = text("DELETE FROM attachments WHERE sha2 = ANY(:sha2s)").bindparams(
    bindparam("sha2s", type_=_TEXTS)
)
_DELETE_AGENTS = text("DELETE FROM agents WHERE ifi_key = ANY(:keys)").bindparams(
    bindparam("keys", type_=_TEXTS)
)
_DELETE_PERSON = (
    text(
        "DELETE FROM documents WHERE kind IN ('state', 'agent_profile') AND agent_key = ANY(:keys)"
    ).bindparams(bindparam("keys", type_=_TEXTS)),
    text("DELETE FROM ext_roster WHERE actor_key = ANY(:keys)").bindparams(
        bindparam("keys", type_=_TEXTS)
    ),
)


async def delete_statements(conn: AsyncConnection, seqs: list[int]) -> None:
    """The statements with their terms and tags (cascade)."""
    if seqs:
        await conn.execute(_DELETE_STATEMENTS, {"seqs": seqs})


async def delete_attachments(conn: AsyncConnection, sha2s: list[str]) -> None:
    if sha2s:
        await conn.execute(_DELETE_ATTACHMENTS, {"sha2s": sha2s})


async def delete_agents(conn: AsyncConnection, keys: Sequence[str]) -> None:
    if keys:
        await conn.execute(_DELETE_AGENTS, {"keys": list(keys)})


async def delete_person_rows(conn: AsyncConnection, keys: Sequence[str]) -> None:
    """The person's State and Agent Profile documents, roster assignments and agent record."""
    for query in _DELETE_PERSON:
        await conn.execute(query, {"keys": list(keys)})
    await delete_agents(conn, keys)


_TRY_RETENTION = text("SELECT pg_try_advisory_lock(:key)").bindparams(
    bindparam("key", type_=BigInteger)
)
_UNLOCK_RETENTION = text("SELECT pg_advisory_unlock(:key)").bindparams(
    bindparam("key", type_=BigInteger)
)


async def try_retention_lock(conn: AsyncConnection) -> bool:
    """The session lock of the retention purge; False when another process holds it."""
    taken: bool = (await conn.execute(_TRY_RETENTION, {"key": RETENTION_LOCK_KEY})).scalar_one()
    return taken


async def release_retention_lock(conn: AsyncConnection) -> None:
    await conn.execute(_UNLOCK_RETENTION, {"key": RETENTION_LOCK_KEY})


_TAGS_BEFORE = text(
    "SELECT count(*) FROM ext_tags t JOIN statements s ON s.seq = t.seq WHERE s.stored < :before"
).bindparams(bindparam("before", type_=DateTime(timezone=True)))


async def count_tags_before(conn: AsyncConnection, before: datetime) -> int:
    count: int = (await conn.execute(_TAGS_BEFORE, {"before": before})).scalar_one()
    return count
