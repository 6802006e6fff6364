"""SQL of the console's statement browser: the tagged keyset page of `query`, but
every statement (voided and voiding ones too, with their `voided` flag) and an optional
agent filter (the statement's own agent terms, as the xAPI `agent` filter without
`related_agents`). Assembled from fixed fragments; values are bound parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.ext.rules.filters import Filters
from lrs.ext.storage.query import TaggedRow, conditions
from lrs.ext.storage.sql import EFFECTIVE_TAGS, TAG_SOURCE
from lrs.xapi.terms import AGENT


@dataclass(frozen=True)
class BrowsedRow(TaggedRow):
    voided: bool
    voiding: bool


async def browse(
    conn: AsyncConnection,
    filters: Filters,
    *,
    agent_key: str | None,
    limit: int,
    after: tuple[datetime, int] | None,
) -> tuple[list[BrowsedRow], bool]:
    """Up to `limit` statements, newest stored first, after the cursor; and whether more
    remain."""
    where, params = conditions(filters)
    if agent_key is not None:
        where.append("s.seq IN (SELECT seq FROM statement_terms WHERE term = :agent_term)")
        params["agent_term"] = AGENT + agent_key
    if after is not None:
        where.append("(s.stored, s.seq) < (:after_stored, :after_seq)")
        params.update(after_stored=after[0], after_seq=after[1])
    sql = f"""
        SELECT s.seq, s.stored, s.payload, tag.door, tag.role, {TAG_SOURCE}, s.voided,
               s.is_voiding
        FROM statements s {EFFECTIVE_TAGS}
        WHERE TRUE{"".join(f" AND {w}" for w in where)}
        ORDER BY s.stored DESC, s.seq DESC
        LIMIT :limit
    """  # noqa: S608
    params["limit"] = limit + 1
    rows = [BrowsedRow(*row) for row in await conn.execute(text(sql), params)]
    return rows[:limit], len(rows) > limit


async def tag_coverage(conn: AsyncConnection) -> list[tuple[str | None, int]]:
    """Learning events (not voided, not voiding) per tag source; None: untagged."""
    sql = f"""
        SELECT {TAG_SOURCE} AS source, count(*)
        FROM statements s {EFFECTIVE_TAGS}
        WHERE NOT s.voided AND NOT s.is_voiding
        GROUP BY 1
        ORDER BY 2 DESC
    """  # noqa: S608
    return [(row[0], int(row[1])) for row in await conn.execute(text(sql))]
